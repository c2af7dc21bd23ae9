"""`limkit eval diversity RUN_DIR...`: every diversity metric of stored runs, embedding diversity included.

`limkit eval` puts distinct-n, distinct answers and distinct equation chains into results.json for any
task with n > 1. Embedding diversity needs a sentence model, so it is computed here, from the stored
samples only (nothing is generated), and written next to the run as `diversity.json`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any

import typer

from limkit.cli._verbose import Verbose

Opt = typer.Option
DIVERSITY_FILE = "diversity.json"


def diversity_command(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run directories written by `limkit eval`.")],
    embedder: Annotated[
        str,
        Opt(help="Sentence-transformers model (name the offline MiniLM copy loads by, or a directory)."),
    ] = "all-MiniLM-L6-v2",
    verbose: Verbose = False,
) -> None:
    """Distinct-n (n = 1..5), embedding diversity (1 - mean pairwise cosine), distinct answers and distinct
    equation chains per task, over all samples and over correct (pos) and incorrect (neg) ones apart,
    averaged over problems (DIVE, Qin et al.)."""
    from limkit.data import atomic_write_text
    from limkit.errors import LimkitError
    from limkit.eval import read_samples, sample_rows_diversity
    from limkit.progress import library_output
    from limkit.retrieve import encode

    with library_output(verbose):
        for run_dir in run_dirs:
            rows = read_samples(run_dir)
            if not rows:
                raise LimkitError("no graded samples", path=run_dir / "samples.jsonl")
            by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for row in rows:
                by_task[str(row["task"])].append(row)
            tasks = {
                task: sample_rows_diversity(task_rows, lambda texts: encode(embedder, texts))
                for task, task_rows in by_task.items()
            }
            result = {"embedder": embedder, "tasks": tasks}
            atomic_write_text(run_dir / DIVERSITY_FILE, json.dumps(result, indent=1) + "\n")
            _print(run_dir, tasks)


def _print(run_dir: Path, tasks: dict[str, Any]) -> None:
    typer.echo(f"{run_dir}")
    header = f"  {'task':<20} {'pool':<4} {'distinct-n':>10} {'embedding':>10} {'answers':>8} {'chains':>7}"
    typer.echo(header)
    for task, pools in tasks.items():
        for pool in ("all", "pos", "neg"):
            values = [pools[pool][metric]["value"] for metric in ("distinct_n", "embedding")]
            counts = [pools[pool][metric]["value"] for metric in ("distinct_answers", "distinct_chains")]
            cells = [f"{v:>10.3f}" if v is not None else f"{'-':>10}" for v in values]
            cells += [f"{v:>8.2f}" if v is not None else f"{'-':>8}" for v in counts[:1]]
            cells += [f"{v:>7.2f}" if v is not None else f"{'-':>7}" for v in counts[1:]]
            typer.echo(f"  {task[:20]:<20} {pool:<4} {' '.join(cells)}")
    typer.echo(f"  written to {run_dir / DIVERSITY_FILE}")
