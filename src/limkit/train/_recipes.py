"""The four recipes (SFT, DPO, GRPO, WSPO): thin layers that check everything, then hand over to TRL.

`prepare` does every check that needs no model (config values, model paths, every data row, the
tokenizer and its chat template, the GRPO schedule, the output directory) so bad input fails in seconds.
`build_trainer` then loads the model into TRL's trainer; `run_recipe` trains, saves and records the run.
Launched under `accelerate launch`, the same code runs on many processes with DeepSpeed or FSDP.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from limkit.errors import LimkitError
from limkit.train._config import TrainConfig, WSPOSpec
from limkit.train._data import load_source_rows, shape_rows
from limkit.train._machine import fit_to_machine
from limkit.train._progress import attach_progress
from limkit.train._rollouts import ROLLOUTS_FILE, RolloutLogger, Schedule, check_trajectories, grpo_schedule
from limkit.train._runs import (
    LOSS_FILE,
    checkpoint_step,
    claim_output_dir,
    is_offline,
    loss_log_callback,
    now,
    plan_resume,
    versions,
    write_run_info,
)

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_GENERATION_MARK = re.compile(r"\{%-?\s*generation\s*-?%\}")


@dataclass
class PreparedRun:
    """Everything known before a model loads: the TRL args, the checked rows and the tokenizer."""

    config: TrainConfig
    args: Any
    tokenizer: Any
    records: list[dict[str, Any]]
    resume: str | None
    schedule: Schedule | None = None
    closers: list[Any] = field(default_factory=list)

    @property
    def output_dir(self) -> Path:
        return Path(self.args.output_dir)


@dataclass(frozen=True)
class RunSummary:
    """Where a finished run left its model and logs, and how it ended."""

    output_dir: Path
    global_step: int
    train_loss: float | None
    loss_log: Path
    rollouts: Path | None
    main_process: bool = True


def prepare(config: TrainConfig) -> PreparedRun:
    """Runs every check that needs no model weights, in the order a user would fix them."""
    config = fit_to_machine(config)
    args = config.trl_args()
    check_model_path(config.model, config.revision, "model")
    if config.kind == "wspo":
        checked_weak_models(config.wspo)
    source, rows = load_source_rows(config.data)
    records = shape_rows(config.kind, config.data, source, rows)
    tokenizer = load_tokenizer(config)
    _check_recipe_options(config, args, tokenizer)
    output_dir = Path(args.output_dir)
    resume = plan_resume(args, output_dir, overwrite=config.overwrite_output, settings=run_settings(config))
    run = PreparedRun(config, args, tokenizer, records, resume)
    if config.kind == "grpo" and config.reward.log_rollouts:
        run.schedule = grpo_schedule(args, len(records))
    _claim_and_prune(run)
    return run


def check_model_path(model: str, revision: str | None, field_name: str) -> None:
    """A local model directory must hold config.json; a hub id must be cached when the hub is offline."""
    path = Path(model).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise LimkitError("not a model directory (no config.json)", path=model, field=field_name)
        if revision is not None:
            _warn(f"revision {revision} is ignored: {model} is a local directory, not a hub model")
        return
    if model.startswith((".", "/", "~")) or not _HUB_ID.match(model):
        raise LimkitError("model directory not found", path=model, field=field_name)
    if is_offline():
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(model, "config.json", revision=revision)
        if not isinstance(cached, str):
            raise LimkitError(
                "not a local directory, and not in the hub cache while HF_HUB_OFFLINE is set",
                path=model,
                field=field_name,
            )
    if revision is None:
        key = "revision" if field_name == "model" else "wspo.weak_revision"
        _warn(f"hub model {model} has no pinned revision; set '{key}' to a commit")


def _warn(message: str) -> None:
    from rich.markup import escape

    from limkit.progress import stderr_console

    stderr_console.print(f"[yellow]warning:[/] {escape(message)}")


def checked_weak_models(spec: WSPOSpec) -> tuple[str, str] | None:
    """WSPO's weak (aligned, reference) pair, paths checked; None when the data carries the ratios."""
    if not (spec.weak_aligned and spec.weak_reference):
        return None
    check_model_path(spec.weak_aligned, spec.weak_revision, "wspo.weak_aligned")
    check_model_path(spec.weak_reference, spec.weak_revision, "wspo.weak_reference")
    return spec.weak_aligned, spec.weak_reference


def load_tokenizer(config: TrainConfig) -> Any:
    """The tokenizer (with any chat template override); loading it is cheap and catches bad paths early."""
    from transformers import AutoTokenizer

    name = config.tokenizer or config.model
    try:
        tokenizer = AutoTokenizer.from_pretrained(name, revision=config.revision)
    except (OSError, ValueError) as error:
        field_name = "tokenizer" if config.tokenizer else "model"
        raise LimkitError(f"cannot load a tokenizer ({error})", path=name, field=field_name) from None
    if config.chat_template:
        tokenizer.chat_template = _read_chat_template(config.chat_template)
    if config.data.format == "chat" and not tokenizer.chat_template:
        raise LimkitError(
            "the tokenizer has no chat template: set chat_template (a .jinja file or a tokenizer "
            "directory) or use data.format: text",
            path=name,
            field="chat_template",
        )
    return tokenizer


def _read_chat_template(source: str) -> str:
    path = Path(source).expanduser()
    if path.is_file():
        return path.read_text(encoding="utf-8")
    if path.is_dir():
        from transformers import AutoTokenizer

        template = AutoTokenizer.from_pretrained(str(path)).chat_template
        if template:
            return str(template)
    raise LimkitError(
        "not a chat template file nor a tokenizer directory with a template",
        path=source,
        field="chat_template",
    )


def _check_recipe_options(config: TrainConfig, args: Any, tokenizer: Any) -> None:
    if config.kind == "sft" and getattr(args, "assistant_only_loss", False):
        if config.data.format != "chat":
            raise LimkitError(
                "assistant_only_loss needs chat data (data.format: chat)",
                path=config.source,
                field="assistant_only_loss",
            )
        if not _GENERATION_MARK.search(str(tokenizer.chat_template)):
            _warn(
                "the chat template has no {% generation %} markers; TRL will try to patch a known "
                "template for assistant_only_loss"
            )


def _claim_and_prune(run: PreparedRun) -> None:
    """On the main process: refuse to mix runs, and on resume drop log lines the resumed steps will redo."""
    from accelerate import PartialState

    from limkit.train._rollouts import prune_rows

    state = PartialState()
    if state.is_main_process:
        claim_output_dir(
            run.output_dir, resuming=run.resume is not None, overwrite=run.config.overwrite_output
        )
        if run.resume is not None:
            step = checkpoint_step(run.resume)
            prune_rows(run.output_dir / LOSS_FILE, lambda row: int(row.get("step", 0)) <= step)
            if run.schedule is not None:
                first = run.schedule.first_step_of_event(step)
                prune_rows(run.output_dir / ROLLOUTS_FILE, lambda row: int(row.get("step", 0)) < first)
    state.wait_for_everyone()


def build_trainer(run: PreparedRun, callbacks: Sequence[Any] = ()) -> Any:
    """Loads the model into the recipe's TRL trainer (the reference model too, for DPO and WSPO)."""
    from datasets import Dataset

    config, args = run.config, run.args
    if config.revision:
        args.model_init_kwargs = {**(args.model_init_kwargs or {}), "revision": config.revision}
    dataset = Dataset.from_list(run.records)
    common = {
        "args": args,
        "train_dataset": dataset,
        "processing_class": run.tokenizer,
        "callbacks": [loss_log_callback(run.output_dir / LOSS_FILE), *callbacks],
    }
    try:
        if config.kind == "sft":
            from trl import SFTTrainer

            return SFTTrainer(model=config.model, **common)
        if config.kind == "dpo":
            from trl import DPOTrainer

            return DPOTrainer(model=config.model, **common)
        if config.kind == "wspo":
            return _wspo_trainer(run, common)
        return _grpo_trainer(run, common)
    except (OSError, ValueError) as error:
        raise LimkitError(
            f"TRL could not set up the {config.kind} trainer: {error}", path=config.source
        ) from None


def _wspo_trainer(run: PreparedRun, common: dict[str, Any]) -> Any:
    from limkit.train._wspo import WSPOCollator, make_wspo_trainer_class

    spec = run.config.wspo
    weak = (spec.weak_aligned, spec.weak_reference) if spec.weak_aligned and spec.weak_reference else None
    collator = WSPOCollator(pad_token_id=_pad_id(run.tokenizer), max_length=run.args.max_length)
    trainer_class = make_wspo_trainer_class()
    return trainer_class(
        model=run.config.model,
        data_collator=collator,
        weak_models=weak,
        weak_revision=spec.weak_revision,
        weak_batch_size=spec.batch_size,
        **common,
    )


def _grpo_trainer(run: PreparedRun, common: dict[str, Any]) -> Any:
    from limkit.train._grpo import make_grpo_trainer_class
    from limkit.train._rewards import TruncationRule, make_reward

    spec = run.config.reward
    reward = make_reward(
        spec.name,
        answer_type=spec.answer_type,
        timeout=spec.timeout,
        correct=spec.correct,
        wrong=spec.wrong,
        invalid=spec.invalid,
        max_boxes=spec.max_boxes,
    )
    reward_func: Any = reward
    if run.schedule is not None:
        reward_func = RolloutLogger(reward, run.output_dir / ROLLOUTS_FILE, run.schedule)
    run.closers.append(reward_func)
    trainer = make_grpo_trainer_class()(model=run.config.model, reward_funcs=[reward_func], **common)
    reward.truncation = TruncationRule(run.args.max_completion_length, tuple(trainer.eos_token_ids))
    return trainer


def _pad_id(tokenizer: Any) -> int:
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    if pad is None:
        raise LimkitError("the tokenizer has neither a pad nor an eos token", field="tokenizer")
    return int(pad)


def run_recipe(config: TrainConfig, callbacks: Sequence[Any] = ()) -> RunSummary:
    """Checks, builds, trains, saves, and verifies the rollout log (GRPO); resumable from checkpoints."""
    run = prepare(config)
    trainer = build_trainer(run, callbacks)
    attach_progress(trainer, f"train {config.kind}")
    started = time.monotonic()
    if trainer.is_world_process_zero():
        write_run_info(run.output_dir, _run_info(run, trainer))
    try:
        result = trainer.train(resume_from_checkpoint=run.resume)
    finally:
        for closer in run.closers:
            closer.close()
    trainer.save_model()
    trainer.accelerator.wait_for_everyone()
    summary = _summarize(run, trainer, result)
    if trainer.is_world_process_zero():
        trainer.save_state()
        if run.schedule is not None:
            check_trajectories(
                run.output_dir / ROLLOUTS_FILE,
                [r["sample_id"] for r in run.records],
                run.schedule,
                trainer.state.global_step,
            )
        write_run_info(
            run.output_dir,
            {
                "finished_at": now(),
                "global_step": summary.global_step,
                "train_loss": summary.train_loss,
                "seconds": round(time.monotonic() - started, 2),
            },
        )
    trainer.accelerator.wait_for_everyone()
    trainer.end()  # no rank may exit with the process group's threads alive: that aborts the process
    return summary


def run_settings(config: TrainConfig) -> dict[str, Any]:
    """What decides a run's outcome, as limkit_run.json records it (a rerun must match to resume).

    A local model is recorded by its absolute path with no revision: a hub commit names nothing there.
    """
    local = Path(config.model).expanduser()
    return {
        "recipe": config.kind,
        "model": str(local.resolve()) if local.exists() else config.model,
        "revision": config.revision,
        "data": vars(config.data),
        "reward": vars(config.reward) if config.kind == "grpo" else None,
        "trl": config.trl,
    }


def _run_info(run: PreparedRun, trainer: Any) -> dict[str, Any]:
    config = run.config
    commit = getattr(getattr(trainer.model, "config", None), "_commit_hash", None)
    return {
        **run_settings(config),
        "config": config.source,
        "model_commit": commit,  # the hub commit actually loaded; None for a local directory
        "finished_at": None,
        "global_step": None,
        "world_size": trainer.args.world_size,
        "resumed_from": run.resume,
        "versions": versions(),
        "started_at": now(),
        "loss_log": LOSS_FILE,
        "rollouts": ROLLOUTS_FILE if run.schedule is not None else None,
    }


def _summarize(run: PreparedRun, trainer: Any, result: Any) -> RunSummary:
    loss = getattr(result, "training_loss", None)
    return RunSummary(
        output_dir=run.output_dir,
        global_step=int(trainer.state.global_step),
        train_loss=float(loss) if loss is not None else None,
        loss_log=run.output_dir / LOSS_FILE,
        rollouts=run.output_dir / ROLLOUTS_FILE if run.schedule is not None else None,
        main_process=bool(trainer.is_world_process_zero()),
    )


def precompute_weak_logratios(config: TrainConfig, out: str | Path) -> tuple[int, int]:
    """Writes the WSPO data with `weak_logratios` and `weak_token_ids` added: (rows written, rows dropped).

    The weak models run here once, so training needs neither of them in memory. Rows TRL would drop
    (a prompt filling max_length) are left out and counted.
    """
    from limkit.data import write_jsonl
    from limkit.train._wspo import (
        WEAK_COLUMNS,
        check_same_tokenizer,
        compute_weak_logratios,
        tokenize_like_dpo,
    )

    spec = config.wspo
    weak = checked_weak_models(spec)
    if weak is None:
        raise LimkitError(
            "set wspo.weak_aligned and wspo.weak_reference to precompute weak log-ratios",
            path=config.source,
            field="wspo",
        )
    config = fit_to_machine(config)
    args = config.trl_args()
    source, rows = load_source_rows(config.data)
    records = shape_rows("wspo", config.data, source, rows)
    for record in records:
        for name in WEAK_COLUMNS:
            record.pop(name, None)
    tokenizer = load_tokenizer(config)
    check_same_tokenizer(tokenizer, weak, spec.weak_revision)
    tokenized = tokenize_like_dpo(records, tokenizer, args)
    ratios = compute_weak_logratios(
        weak, spec.weak_revision, tokenized["prompt_ids"], tokenized["chosen_ids"], batch_size=spec.batch_size
    )
    by_record = dict(zip(tokenized["record"], zip(ratios, tokenized["chosen_ids"], strict=True), strict=True))
    ratio_column = config.data.fields.get("weak_logratios", "weak_logratios")
    ids_column = config.data.fields.get("weak_token_ids", "weak_token_ids")
    kept = [
        {**row, ratio_column: by_record[line][0], ids_column: list(by_record[line][1])}
        for line, row in rows
        if line in by_record
    ]
    written = write_jsonl(out, kept)
    return written, len(rows) - written
