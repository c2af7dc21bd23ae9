"""`limkit journey tree|trajectories|pairs`: reasoning trees, shortcut and journey samples, DPO pairs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from limkit.cli._verbose import Verbose

journey_app = typer.Typer(
    name="journey",
    help="Journey learning (O1 Replication Journey, Part 1): reasoning trees, trajectories, DPO pairs.",
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


@journey_app.command("tree")
def tree_command(
    recipe: Annotated[
        Path, typer.Argument(help="A curate recipe with a `tree` step (recipes/journey_tree.yaml).")
    ],
    overrides: Annotated[
        list[str] | None, typer.Argument(help="Dotted key=value overrides, e.g. steps.tree.width=2.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Run directory (reused to resume).")] = None,
    verbose: Verbose = False,
) -> None:
    """Grow reasoning trees by step-level beam search: writes RUN/trees.jsonl and RUN/tree_stats.json."""
    import time

    from limkit.curate import GrowTrees, load_recipe, write_tree_file
    from limkit.errors import UsageError
    from limkit.progress import library_output

    if out is None:
        raise UsageError("give a run directory with --out RUN", field="out")
    loaded = load_recipe(recipe, overrides or [])
    steps = [step for step in loaded.pipeline.steps if isinstance(step, GrowTrees)]
    if not steps:
        raise UsageError(f"{recipe}: the recipe has no `tree` step", field="steps")
    started = time.monotonic()
    with library_output(verbose):
        result = loaded.run(out)
    stats = write_tree_file(result.kept_path, out, steps[-1], time.monotonic() - started)
    typer.echo(
        f"{stats['trees']} trees ({stats['solved']} with a kept correct leaf), {stats['nodes']} nodes, "
        f"{stats['steps_requested']} steps requested (bound n*K*D = {stats['cost_n_k_d']}, "
        f"full tree {stats['full_tree_steps']}), {stats['seconds']:.1f} s; written to {out / 'trees.jsonl'}"
    )
