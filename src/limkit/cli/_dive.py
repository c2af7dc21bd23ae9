"""`limkit dive RECIPE.yaml --out RUN [key=value ...]`: DIVE and vanilla iterative self-improvement."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from limkit.cli._verbose import Verbose
from limkit.errors import UsageError


def dive_command(
    recipe: Annotated[Path, typer.Argument(help="Recipe YAML (see recipes/dive/gsm8k_paper.yaml).")],
    overrides: Annotated[
        list[str] | None,
        typer.Argument(help="Overrides as dotted key=value, e.g. iterations=2 variants=[vanilla,dive]."),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Run directory (rerun to resume).")] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Validate the recipe and inputs; run nothing.")
    ] = False,
    verbose: Verbose = False,
) -> None:
    """Iterative self-improvement on self-generated preference pairs, with DIVE's pool and selection.

    Writes RUN/VARIANT/iter-T/{samples,pairs}.jsonl, model/, eval/, and RUN/summary.json, RUN/report.html.
    A killed run resumes: samples come from RUN/cache.sqlite, finished stages are skipped.
    """
    from limkit.loops.dive import check_inputs, load_dive_recipe
    from limkit.progress import library_output, stderr_console

    config = load_dive_recipe(recipe, overrides or [])
    if check:
        train, evaluation = check_inputs(config)
        stderr_console.print(f"recipe ok: {len(train)} training and {len(evaluation)} evaluation questions")
        return
    if out is None:
        raise UsageError("give a run directory with --out RUN", field="out")
    from limkit.loops.dive import run_dive

    def log(message: str) -> None:
        stderr_console.print(message, highlight=False, markup=False, soft_wrap=True)

    with library_output(verbose):
        summary = run_dive(config, out, log=log)
    _print_table(summary)
    log(f"report: {summary['report']}")


def _print_table(summary: dict[str, object]) -> None:
    from rich.table import Table

    from limkit.progress import stderr_console

    n = summary["n"]
    columns = ("acc@1", f"pass@{n}", "pos_distinct_n", "neg_distinct_n", "pos_embedding", "neg_embedding")
    table = Table(title="accuracy and diversity per iteration", title_justify="left")
    for column in ("variant", "t", *columns):
        table.add_column(column, justify="left" if column == "variant" else "right")
    variants = summary["variants"]
    assert isinstance(variants, dict)
    for variant, rows in variants.items():
        for row in rows:
            cells = [f"{row[c]:.3f}" if isinstance(row.get(c), float) else "-" for c in columns]
            table.add_row(variant, str(row["iteration"]), *cells)
    stderr_console.print(table)
