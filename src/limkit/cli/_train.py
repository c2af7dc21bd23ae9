"""`limkit train sft|dpo|grpo|wspo CONFIG [key=value ...]`, `train wspo-logratios` and `select lim`.

Heavy imports (TRL, transformers, torch) happen inside the commands, so `limkit --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from limkit.cli._verbose import Verbose

train_app = typer.Typer(
    help="Train with TRL recipes: a YAML config plus dotted key=value overrides. Run many processes with "
    "`accelerate launch [--config_file recipes/train/accelerate/zero3.yaml] -m limkit train ...`.",
    no_args_is_help=True,
)
select_app = typer.Typer(help="Select training samples from logged training dynamics.", no_args_is_help=True)

ConfigPath = Annotated[Path, typer.Argument(help="Recipe YAML (see recipes/train/).")]
Overrides = Annotated[
    list[str] | None,
    typer.Argument(
        help="Overrides such as learning_rate=1e-5 data.path=rows.jsonl model_init_kwargs.dtype=bfloat16."
    ),
]


def _train(kind: str, config: Path, overrides: list[str] | None, verbose: bool = False) -> None:
    from limkit.progress import library_output, stderr_console
    from limkit.train import load_config, run_recipe

    with library_output(verbose):
        summary = run_recipe(load_config(kind, config, overrides or []))
    if not summary.main_process:
        return
    lines = [
        f"{kind} finished: {summary.global_step} steps in {_seconds(summary.output_dir)}, "
        f"final loss {_final_loss(summary.loss_log)}, mean train loss {_number(summary.train_loss)}",
        f"model and checkpoints: {summary.output_dir}",
        f"loss log: {summary.loss_log}",
    ]
    if summary.rollouts is not None:
        lines.append(f"rollouts: {summary.rollouts}")
    stderr_console.print("\n".join(lines), soft_wrap=True, highlight=False)


def _number(value: float | None) -> str:
    return f"{value:.4f}" if value is not None else "n/a"


def _final_loss(loss_log: Path) -> str:
    """The last logged training loss (the mean over the run hides where it ended)."""
    from limkit.data import read_jsonl

    losses = [row["loss"] for _, row in read_jsonl(loss_log) if "loss" in row] if loss_log.is_file() else []
    return _number(float(losses[-1]) if losses else None)


def _seconds(output_dir: Path) -> str:
    import json

    from limkit.train import RUN_FILE

    seconds = json.loads((output_dir / RUN_FILE).read_text(encoding="utf-8")).get("seconds")
    return f"{seconds:.1f} s" if isinstance(seconds, int | float) else "n/a"


@train_app.command("sft")
def sft_command(config: ConfigPath, overrides: Overrides = None, verbose: Verbose = False) -> None:
    """Supervised fine-tuning (TRL SFTTrainer): chat messages or prompt/response rows."""
    _train("sft", config, overrides, verbose)


@train_app.command("dpo")
def dpo_command(config: ConfigPath, overrides: Overrides = None, verbose: Verbose = False) -> None:
    """Direct preference optimization (TRL DPOTrainer, reference model as TRL builds it)."""
    _train("dpo", config, overrides, verbose)


@train_app.command("grpo")
def grpo_command(config: ConfigPath, overrides: Overrides = None, verbose: Verbose = False) -> None:
    """GRPO with a graded reward (LIMR rule or accuracy); logs every rollout's reward to rollouts.jsonl."""
    _train("grpo", config, overrides, verbose)


@train_app.command("wspo")
def wspo_command(config: ConfigPath, overrides: Overrides = None, verbose: Verbose = False) -> None:
    """Weak-to-strong preference optimization: match the weak models' per-token log-ratio."""
    _train("wspo", config, overrides, verbose)


@train_app.command("keys")
def keys_command(
    kind: Annotated[str, typer.Argument(help="Recipe: sft, dpo, grpo or wspo.")],
) -> None:
    """List every key a recipe accepts (limkit's and the TRL config's) with its type, default and help."""
    from limkit.train import format_keys

    typer.echo(format_keys(kind))


@train_app.command("wspo-logratios")
def wspo_logratios_command(
    config: ConfigPath,
    out: Annotated[
        Path, typer.Option("--out", help="JSONL: the data rows plus weak_logratios, weak_token_ids.")
    ],
    overrides: Overrides = None,
) -> None:
    """Precompute WSPO's weak log-ratios into the data, so training needs no weak model in memory."""
    from limkit.progress import stderr_console
    from limkit.train import load_config, precompute_weak_logratios

    written, dropped = precompute_weak_logratios(load_config("wspo", config, overrides or []), out)
    note = f" ({dropped} rows TRL would drop for length left out)" if dropped else ""
    stderr_console.print(f"{written} rows with weak log-ratios written to {out}{note}", soft_wrap=True)


@select_app.command("lim")
def lim_command(
    rollouts: Annotated[Path, typer.Argument(help="JSONL/Parquet rows with sample_id, epoch, reward.")],
    out: Annotated[Path, typer.Option("--out", help="Selected rows {sample_id, score}, best first (JSONL).")],
    threshold: Annotated[
        float | None, typer.Option(help="Keep samples scoring at least this (LIMR: 0.6).")
    ] = None,
    top: Annotated[int | None, typer.Option(help="Keep the K best samples instead of a threshold.")] = None,
    metric: Annotated[
        str,
        typer.Option(
            help="accuracy: share of correct rollouts per epoch; mean: mean reward (rewards in [0, 1])."
        ),
    ] = "accuracy",
    method: Annotated[str, typer.Option(help="lim, or LIMR's baselines linear and random.")] = "lim",
    fill: Annotated[str, typer.Option(help="Missing epochs: none (error), previous, next, drop.")] = "none",
    max_epochs: Annotated[int | None, typer.Option(help="Use only the first N epochs.")] = None,
    correct_at: Annotated[
        float, typer.Option(help="Without a correct column, a reward >= this counts as correct.")
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Seed for --method random.")] = 0,
    scores_out: Annotated[Path | None, typer.Option(help="Also write every sample's score here.")] = None,
) -> None:
    """Learning Impact Measurement: keep samples whose reward curve follows the model's average curve."""
    from rich.markup import escape

    from limkit.progress import stderr_console
    from limkit.train import aggregate, build_curves, select, write_selection

    curves = build_curves(aggregate(rollouts, metric, correct_at), fill=fill, max_epochs=max_epochs)
    selection = select(curves, method=method, threshold=threshold, top=top, seed=seed)
    for warning in selection.warnings:
        stderr_console.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    written = write_selection(selection, out, all_scores=scores_out)
    rule = f"threshold {threshold}" if threshold is not None else f"top {top}"
    notes = []
    if curves.dropped:
        notes.append(f"{len(curves.dropped)} dropped for missing epochs")
    if curves.filled:
        notes.append(f"{len(curves.filled)} with filled epochs")
    extra = f" ({'; '.join(notes)})" if notes else ""
    stderr_console.print(
        f"{method}: kept {len(selection.selected)} of {len(selection.scores)} samples over "
        f"{len(curves.epochs)} epochs ({rule}){extra} -> {written['selected']}; plot {written['plot']}, "
        f"page {written['page']}",
        soft_wrap=True,
        highlight=False,
    )
