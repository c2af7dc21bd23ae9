"""`limkit transparency score FILE.yaml ... --out report.html`: the Technical Transparency Index."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

transparency_app = typer.Typer(
    name="transparency",
    help="Score works on the O1 Replication Journey's Technical Transparency Index (25 items, 100 points).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@transparency_app.command("score")
def score_command(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Answers files (per item) or subtotals files, one per work.")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="The HTML page to write.")] = Path("transparency.html"),
    published: Annotated[
        bool, typer.Option("--published", help="Also rank the seven works rated in the paper (Table 4).")
    ] = False,
) -> None:
    """Validate and score the rated works; write a ranked HTML report and print the table as markdown."""
    from limkit.errors import LimkitError
    from limkit.studies.transparency import markdown_leaderboard, published_paths, read_ratings, write_report

    paths = [*(files or []), *(published_paths() if published else [])]
    if not paths:
        raise LimkitError("give at least one rated-work file, or --published", field="files")
    ratings = read_ratings(paths)
    write_report(ratings, out)
    typer.echo(markdown_leaderboard(ratings))
    typer.echo(f"report written to {out}")


@transparency_app.command("rubric")
def rubric_command() -> None:
    """Print the rubric: item ids, points and criteria (what an answers file must cover)."""
    from limkit.studies.transparency import load_rubric

    rubric = load_rubric()
    for dim in rubric.dimensions:
        typer.echo(f"{dim.title} ({dim.max_points} points)")
        for item in dim.items:
            typer.echo(f"  {item.id}  {item.points}  {item.criterion}")
