"""`limkit eval scaling RUN_DIR...`: scaling, length-by-difficulty and differential analyses of runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Opt = typer.Option


def scaling_command(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run directories written by `limkit eval`.")],
    out: Annotated[Path, Opt("--out", help="The HTML page to write.")] = Path("scaling.html"),
    json_out: Annotated[Path | None, Opt("--json", help="Also write the numbers as JSON.")] = None,
    seed: Annotated[int, Opt(help="Seeds the majority-vote tie-break.")] = 0,
) -> None:
    """Accuracy against total output tokens per problem for maj@k (k = 1, 2, 4, ..., n; all k samples'
    tokens counted), reasoning length by difficulty, and (option-free runs) the differential-diagnosis
    analysis, from stored samples only (nothing is generated)."""
    from limkit.eval import write_scaling_report

    report = write_scaling_report(run_dirs, out, seed, json_out)
    typer.echo(f"{'run':<40} {'task':<16} {'k':>4} {'maj@k':>7} {'tokens/problem':>15}")
    for entry in report["runs"]:
        for task, analysis in entry["tasks"].items():
            for point in analysis["scaling"]:
                typer.echo(
                    f"{entry['label'][:40]:<40} {task[:16]:<16} {point['k']:>4} {point['accuracy']:>7.3f} "
                    f"{point['tokens_per_problem']:>15.1f}"
                )
            d = analysis["difficulty"]
            rho = "undefined" if d["spearman"] is None else f"{d['spearman']:.3f}"
            interval = "" if not d["spearman_ci95"] else " [{:.3f}, {:.3f}]".format(*d["spearman_ci95"])
            typer.echo(f"  length vs difficulty: Spearman rho {rho}{interval} over {d['problems']} problems")
            if "differential" in analysis:
                diff = analysis["differential"]
                typer.echo(
                    f"  differential: {diff['with_differential_share']:.3f} of samples list one; gold in it "
                    f"{diff['gold_in_differential_share']:.3f}; final = top {diff['final_is_top_share']:.3f}"
                )
    typer.echo(f"report written to {out}" + (f", numbers to {json_out}" if json_out else ""))
