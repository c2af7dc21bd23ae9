"""`limkit journey trajectories TREES.jsonl --out DIR`: shortcut and journey SFT samples from trees."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

journey_app = typer.Typer(
    name="journey",
    help="Journey learning (O1 Replication Journey, Part 1): trajectories from reasoning trees.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@journey_app.command("trajectories")
def trajectories_command(
    trees: Annotated[Path, typer.Argument(help="Tree nodes as JSONL (see limkit.curate.read_trees).")],
    out: Annotated[Path, typer.Option("--out", help="Writes shortcut.jsonl, journey.jsonl, stats.json.")],
    seed: Annotated[int, typer.Option(help="Seeds the choice of wrong branches and phrases.")] = 0,
    wrong_branches: Annotated[
        int, typer.Option(min=0, help="Wrong branches entered per correct-path node (the paper: 1).")
    ] = 1,
) -> None:
    """Derive the shortcut and the journey of every tree with a correct leaf, as chat JSONL for SFT."""
    from limkit.curate import write_trajectories

    stats = write_trajectories(trees, out, seed=seed, wrong_branches=wrong_branches)
    for variant in ("shortcut", "journey"):
        part = stats[variant]
        if part["samples"]:
            typer.echo(
                f"{variant}: {part['samples']} samples, mean {part['words']['mean']:.1f} words, "
                f"{part['steps']['mean']:.1f} steps, {part['backtracks']['mean']:.1f} backtracks"
            )
    skipped = stats["without_correct_leaf"]
    typer.echo(f"{stats['trees']} trees, {len(skipped)} without a correct leaf; written to {out}")
