"""Run bookkeeping around a TRL trainer: the loss log, run metadata, output-dir safety and resume.

`OUTPUT_DIR/loss.jsonl` gets one durable line per logging step (`step`, `epoch`, `loss`, learning rate and
whatever else TRL logs), so loss curves can be plotted from a run that is still going or was killed.
`OUTPUT_DIR/limkit_run.json` records what ran (config, versions, world size) and how it ended.
On resume, log lines from steps after the checkpoint are dropped, since those steps run again.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from pathlib import Path
from typing import Any

from limkit.errors import LimkitError
from limkit.train._rollouts import ROLLOUTS_FILE

LOSS_FILE = "loss.jsonl"
RUN_FILE = "limkit_run.json"
OWN_FILES = (LOSS_FILE, RUN_FILE, ROLLOUTS_FILE)


def loss_log_callback(path: str | Path) -> Any:
    """A `TrainerCallback` appending every numeric log entry of the main process to `path`."""
    from transformers import TrainerCallback

    from limkit.data import AppendWriter

    class LossLog(TrainerCallback):
        def __init__(self) -> None:
            self.path = Path(path)
            self.writer: AppendWriter | None = None

        def on_log(
            self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any
        ) -> None:
            if not state.is_world_process_zero or not logs:
                return
            if self.writer is None:
                self.writer = AppendWriter(self.path)
            row: dict[str, Any] = {"step": state.global_step, "epoch": state.epoch}
            row.update({key: float(value) for key, value in logs.items() if _is_number(value)})
            self.writer.write(row)

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.writer is not None:
                self.writer.close()
                self.writer = None

    return LossLog()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def resolve_checkpoint(value: Any, output_dir: Path) -> str | None:
    """`resume_from_checkpoint`: true/"last" is the newest checkpoint in output_dir; a path is itself."""
    if value in (None, False, "", "false", "False"):
        return None
    if value in (True, "true", "True", "last"):
        last = _last_checkpoint(output_dir)
        if last is None:
            raise LimkitError(f"no checkpoint to resume from in {output_dir}", field="resume_from_checkpoint")
        return str(last)
    path = Path(str(value))
    if not (path / "trainer_state.json").is_file():
        raise LimkitError(
            "not a checkpoint directory (no trainer_state.json)", path=path, field="resume_from_checkpoint"
        )
    return str(path)


# TRL settings that change where and how often a run reports, not what it trains.
_NOT_SETTINGS = frozenset(
    {
        "output_dir",
        "resume_from_checkpoint",
        "logging_steps",
        "logging_dir",
        "report_to",
        "disable_tqdm",
        "save_strategy",
        "save_steps",
        "save_total_limit",
        "run_name",
    }
)
SETTINGS = ("recipe", "model", "revision", "data", "reward", "trl")


def plan_resume(args: Any, output_dir: Path, *, overwrite: bool, settings: dict[str, Any]) -> str | None:
    """The checkpoint to resume from, or None for a fresh run.

    An explicit `resume_from_checkpoint` wins. Without one, rerunning into a directory that holds an
    interrupted run with the same settings resumes from its last checkpoint (the README's promise:
    every long run resumes when run again with the same arguments); anything else is refused with the
    reason and the override that would proceed.
    """
    value = args.resume_from_checkpoint
    if value is not None or overwrite or not any((output_dir / name).exists() for name in OWN_FILES):
        return resolve_checkpoint(value, output_dir)
    info = _read_run_info(output_dir)
    if info.get("finished_at"):
        raise _held(
            output_dir,
            f"a run that finished at step {info.get('global_step')}: nothing to resume. To train longer, "
            "raise max_steps or num_train_epochs and pass resume_from_checkpoint=true",
        )
    last = _last_checkpoint(output_dir)
    if last is None:
        every = f", save_steps={args.save_steps}" if _plain(args.save_strategy) == "steps" else ""
        raise _held(
            output_dir,
            "a run interrupted before its first checkpoint "
            f"(save_strategy={_plain(args.save_strategy)}{every}): nothing to resume",
        )
    differences = _differences({key: info.get(key) for key in SETTINGS}, settings) if info else ["unrecorded"]
    if differences:
        raise _held(
            output_dir,
            f"an interrupted run with other settings ({'; '.join(differences)}), so resuming it would mix "
            "two runs. Resume it anyway with resume_from_checkpoint=true",
        )
    _notice(f"resuming the interrupted run in {output_dir} from {Path(last).name} (same settings)")
    return last


def _held(output_dir: Path, what: str) -> LimkitError:
    return LimkitError(
        f"already holds a run: {what}; start over with overwrite_output=true, or choose another output_dir",
        path=output_dir,
        field="output_dir",
    )


def _plain(value: Any) -> str:
    return str(getattr(value, "value", value))


def _read_run_info(output_dir: Path) -> dict[str, Any]:
    path = output_dir / RUN_FILE
    try:
        info = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def _last_checkpoint(output_dir: Path) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(str(output_dir)) if output_dir.is_dir() else None


def _differences(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """`key: old -> new` for every setting that changed (TRL's reporting-only settings ignored)."""
    old, new = _comparable(before), _comparable(now)
    keys = sorted(set(old) | set(new))
    return [f"{key}: {old.get(key)!r} -> {new.get(key)!r}" for key in keys if old.get(key) != new.get(key)]


def _comparable(settings: dict[str, Any]) -> dict[str, Any]:
    """Flattened to dotted keys, through JSON (as the run file stores them)."""
    plain = json.loads(json.dumps(settings, default=str))
    flat: dict[str, Any] = {}
    for key, value in plain.items():
        if isinstance(value, dict):
            for sub, item in value.items():
                if not (key == "trl" and sub in _NOT_SETTINGS):
                    flat[sub if key == "trl" else f"{key}.{sub}"] = item
        else:
            flat[key] = value
    return flat


def _notice(message: str) -> None:
    from rich.markup import escape

    from limkit.progress import stderr_console

    stderr_console.print(f"[yellow]notice:[/] {escape(message)}", soft_wrap=True)


def checkpoint_step(checkpoint: str) -> int:
    state = json.loads((Path(checkpoint) / "trainer_state.json").read_text(encoding="utf-8"))
    return int(state["global_step"])


def claim_output_dir(output_dir: Path, *, resuming: bool, overwrite: bool) -> None:
    """Refuses to mix a fresh run's logs into an earlier run's, unless told to overwrite them."""
    existing = [name for name in OWN_FILES if (output_dir / name).exists()]
    if not existing or resuming:
        return
    if not overwrite:
        raise LimkitError(
            f"already holds a run ({', '.join(existing)}): resume it with resume_from_checkpoint=true, "
            "start over with overwrite_output=true, or choose another output_dir",
            path=output_dir,
            field="output_dir",
        )
    for name in existing:
        (output_dir / name).unlink()


def write_run_info(output_dir: Path, info: dict[str, Any]) -> None:
    from limkit.data import atomic_write_text

    path = output_dir / RUN_FILE
    previous = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    atomic_write_text(path, json.dumps({**previous, **info}, indent=2, default=str) + "\n")


def versions() -> dict[str, str]:
    import accelerate
    import torch
    import transformers
    import trl

    import limkit

    return {
        "limkit": limkit.__version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "trl": trl.__version__,
        "accelerate": accelerate.__version__,
    }


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def is_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
