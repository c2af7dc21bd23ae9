"""`limkit demo`: the less-is-more loop end to end, ending with the results table in the terminal."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from limkit.cli._verbose import Verbose

if TYPE_CHECKING:
    from rich.console import Console

    from limkit.loops.demo import DemoSummary


def demo_command(
    out: Annotated[
        Path, typer.Option("--out", help="Directory for data, models, runs and report.html.")
    ] = Path("limkit-demo"),
    seed: Annotated[int, typer.Option(help="First seed for the pool, the models and sampling.")] = 0,
    seeds: Annotated[
        int,
        typer.Option(
            "--seeds", min=1, help="Run the whole comparison on this many seeds (seed, seed+1, ...)."
        ),
    ] = 1,
    reduced: Annotated[
        bool, typer.Option("--reduced", help="A few-minute version on less data (what CI runs).")
    ] = False,
    verbose: Verbose = False,
) -> None:
    """Run the whole less-is-more loop offline on the CPU: pool, curation, SFT, evaluation, report."""
    from limkit.loops.demo import DemoConfig, run_demo
    from limkit.progress import library_output, stderr_console

    config = DemoConfig(seed=seed)
    with library_output(verbose):
        report, summary = run_demo(
            out,
            config.reduced() if reduced else config,
            seeds=seeds,
            log=lambda message: stderr_console.print(message, highlight=False, markup=False),
        )
    print_summary(summary, stderr_console)
    stderr_console.print(f"report: {report}", highlight=False, soft_wrap=True)


def print_summary(summary: DemoSummary, console: Console) -> None:
    """The results table, the paired differences and the conclusion, as the report gives them."""
    from rich.table import Table

    from limkit.loops.demo import LABELS, MODELS

    seeds = [str(seed) for seed in summary.seeds]
    results = Table(title=f"avg@{summary.n} on the held-out split", title_justify="left")
    for column in ("model", *(f"seed {s}" for s in seeds), "mean", "95% CI"):
        results.add_column(column, justify="left" if column == "model" else "right")
    for name in MODELS:
        pooled = summary.pooled[name]
        per_seed = [f"{summary.per_seed[name][s]:.3f}" for s in seeds]
        results.add_row(LABELS[name], *per_seed, f"{pooled.mean:.3f}", pooled.interval())
    differences = Table(title="paired differences (same problems)", title_justify="left")
    for column in ("comparison", "mean", "95% CI", "pairs"):
        differences.add_column(column, justify="left" if column == "comparison" else "right")
    for key, estimate in summary.differences.items():
        differences.add_row(
            key.replace("-", " - "), f"{estimate.mean:+.3f}", estimate.interval(), str(estimate.count)
        )
    console.print(results, differences)
    console.print(summary.premise, highlight=False, markup=False, soft_wrap=True)
    console.print(summary.conclusion, highlight=False, markup=False, soft_wrap=True)
