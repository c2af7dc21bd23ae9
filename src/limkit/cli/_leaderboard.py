"""`limkit leaderboard`: a Libra-Leaderboard page over named dimensions of tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from limkit.errors import UsageError

Opt = typer.Option


def leaderboard_command(
    sources: Annotated[
        list[Path], typer.Argument(help="Run directories and/or score tables (.csv or .json, model x task).")
    ],
    dimension: Annotated[
        list[str],
        Opt("--dimension", help="NAME=task1,task2 (repeat for each dimension, e.g. capability, safety)."),
    ],
    out: Annotated[Path, Opt("--out", help="The HTML page to write.")] = Path("board.html"),
    weight: Annotated[
        list[str] | None,
        Opt("--weight", help="TASK=W: the task's weight in its dimension's mean (default 1)."),
    ] = None,
    normalize: Annotated[
        str, Opt(help="none, or minmax: rescale each dimension over the models given (pool-dependent).")
    ] = "none",
    missing: Annotated[
        str, Opt(help="A dimension's task a model lacks: error, zero (score 0) or skip (mean of the rest).")
    ] = "error",
) -> None:
    """Rank models by Libra's distance-to-optimal score over dimensions (e.g. capability and safety), next to
    the plain-average rank, with a scatter and iso-score curves, in one self-contained HTML page."""
    from limkit.eval import Dimension, write_leaderboard
    from limkit.eval._libra import parse_weights

    if normalize not in ("none", "minmax"):
        raise UsageError(f"--normalize {normalize!r}: expected none or minmax", field="normalize")
    if missing not in ("error", "zero", "skip"):
        raise UsageError(f"--missing {missing!r}: expected error, zero or skip", field="missing")
    board = write_leaderboard(
        sources,
        [Dimension.parse(text) for text in dimension],
        out,
        weights=parse_weights(weight or []),
        normalize=normalize,  # type: ignore[arg-type]
        missing=missing,  # type: ignore[arg-type]
    )
    names = [d.name for d in board.dimensions]
    typer.echo("rank  score  mean  " + "  ".join(names) + "  model")
    for row in board.rows:
        cells = "  ".join(f"{value:.3f}" for value in row.dimensions)
        typer.echo(
            f"{row.rank:>4}  {row.score:.3f}  {row.mean:.3f}  {cells}  {row.model} "
            f"(rank by mean {row.mean_rank})"
        )
    typer.echo(f"leaderboard written to {out}")
