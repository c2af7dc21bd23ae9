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
    rewrite_model: Annotated[
        str | None,
        typer.Option(help="Model that rewrites each journey for fluency (checked; else the draft)."),
    ] = None,
    rewrite_backend: Annotated[str, typer.Option(help="hf, openai, vllm or scripted.")] = "openai",
    rewrite_base_url: Annotated[str | None, typer.Option(help="Server URL for the openai backend.")] = None,
) -> None:
    """Derive the shortcut and the journey of every tree with a correct leaf, as chat JSONL for SFT."""
    from limkit.curate import ModelSpec, write_trajectories

    rewriter = None
    if rewrite_model is not None:
        rewriter = ModelSpec(rewrite_model, rewrite_backend, rewrite_base_url).generator(None)
    stats = write_trajectories(trees, out, seed=seed, wrong_branches=wrong_branches, rewriter=rewriter)
    for variant in ("shortcut", "journey"):
        part = stats[variant]
        if part["samples"]:
            typer.echo(
                f"{variant}: {part['samples']} samples, mean {part['words']['mean']:.1f} words, "
                f"{part['steps']['mean']:.1f} steps, {part['backtracks']['mean']:.1f} backtracks"
            )
    if stats["rewrite"] is not None:
        counts = stats["rewrite"]
        typer.echo(
            f"rewrite: {counts['accepted']} accepted, {counts['refused']} refused and "
            f"{counts['failed']} failed (the draft kept)"
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


@journey_app.command("pairs")
def pairs_command(
    kept: Annotated[Path, typer.Argument(help="kept.jsonl of a distill run with require_correct: false.")],
    out: Annotated[Path, typer.Option("--out", help="DPO rows {prompt, chosen, rejected} as JSONL.")],
    positives: Annotated[int, typer.Option(min=1, help="Correct samples drawn per question.")] = 5,
    negatives: Annotated[int, typer.Option(min=1, help="Incorrect samples drawn per question.")] = 5,
    seed: Annotated[int, typer.Option(help="Seeds each question's draw.")] = 0,
) -> None:
    """The paper's DPO data: 5 positives + 5 negatives -> 5 pairs per question, from graded samples."""
    from limkit.curate import dpo_pairs
    from limkit.data import read_jsonl, write_jsonl

    counts: dict[str, int] = {}
    records = (row for _, row in read_jsonl(kept))
    write_jsonl(out, dpo_pairs(records, positives=positives, negatives=negatives, seed=seed, counts=counts))
    typer.echo(
        f"{counts.get('pairs', 0)} pairs from {counts.get('questions_paired', 0)} questions; "
        f"{counts.get('questions_one_sided', 0)} questions had no correct or no incorrect sample; "
        f"written to {out}"
    )
