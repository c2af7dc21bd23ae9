"""`limkit curate RECIPE.yaml --out DIR [key=value ...]`: run a curation recipe (light imports only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from limkit.cli._verbose import Verbose
from limkit.errors import UsageError


def curate_command(
    recipe: Annotated[
        Path | None, typer.Argument(help="Recipe YAML (see recipes/limo.yaml, recipes/s1.yaml).")
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Argument(
            help="Overrides as dotted key=value, e.g. steps.dedup.threshold=0.7 or executor.workers=2 "
            "(a value is text unless it is a number, true/false, null or a list such as \\[math500, aime24]; "
            "null unsets a mapping entry such as input.fields.domain=null)."
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Output directory (reused to resume).")] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Validate the recipe and print it; run nothing.")
    ] = False,
    list_steps: Annotated[
        bool, typer.Option("--list-steps", help="Print every step and its options.")
    ] = False,
    verbose: Verbose = False,
) -> None:
    """Curate a pool: writes DIR/kept.jsonl, DIR/dropped.jsonl, DIR/stats.json and DIR/report.html.

    Run it again with the same recipe and --out after a kill: it resumes where it stopped.

    LLM samples come from the request cache, so nothing is generated twice.
    """
    if list_steps:
        typer.echo(_describe_steps())
        return
    if recipe is None:
        raise UsageError("give a recipe file, e.g. limkit curate recipes/limo.yaml --out runs/limo")
    from limkit.curate import load_recipe

    loaded = load_recipe(recipe, overrides or [])
    if check:
        import yaml

        typer.echo(yaml.safe_dump(loaded.data, sort_keys=False), nl=False)
        typer.echo(f"# {len(loaded.pipeline.steps)} steps, all checks passed", err=True)
        return
    if out is None:
        raise UsageError("give an output directory with --out DIR", field="out")
    from limkit.progress import library_output, stderr_console

    with library_output(verbose):
        result = loaded.run(out)

    stats = result.stats
    stderr_console.print(
        f"{stats['input']} records in: {stats['kept']} kept ({result.kept_path}), {stats['dropped']} dropped "
        f"({result.dropped_path}); report: {result.report_path}",
        soft_wrap=True,
        highlight=False,
    )


def _describe_steps() -> str:
    from limkit.curate import STEPS
    from limkit.curate._options import describe

    lines = []
    for name in sorted(STEPS):
        cls = STEPS[name]
        summary = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
        summary = "" if summary.startswith(f"{cls.__name__}(") else summary
        lines.append(f"{'input' if name == 'load' else name}: {summary}")
        for option, kind, default, help_text in describe(cls):
            lines.append(f"    {option} ({kind}, default {default!r}): {help_text}")
    return "\n".join(lines)
