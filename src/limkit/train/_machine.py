"""Fitting a recipe written for a GPU cluster to the machine it runs on, saying what changed.

The presets in recipes/train/ are the papers' settings (bf16 on GPUs, a pinned hub commit). Run on a
laptop with a local model, they need bf16 off, use_cpu on and no hub revision; rather than fail inside
TrainingArguments, `fit_to_machine` makes those changes and prints one notice naming each, so the
same command works and the log says exactly what ran.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from limkit.train._config import TrainConfig

_HALF_DTYPES = ("bfloat16", "float16", "half", "bf16", "fp16")


def fit_to_machine(config: TrainConfig) -> TrainConfig:
    """A copy of `config` with GPU-only settings turned off on a CPU-only machine and no hub revision
    for a local model; prints a notice listing every change."""
    fitted = copy.deepcopy(config)
    changes: list[str] = []
    if fitted.revision is not None and _is_local(fitted.model):
        changes.append(f"revision=null (a local model directory; hub commit {fitted.revision} is unused)")
        fitted.revision = None
    if fitted.data.revision is not None and Path(fitted.data.path).expanduser().exists():
        changes.append("data.revision=null (the data is a local path)")
        fitted.data.revision = None
    if not _has_accelerator():
        cpu = _cpu_settings(fitted.trl)
        if cpu:
            changes.append(f"{' '.join(cpu)} (no GPU found: training on the CPU in float32)")
    if changes:
        _notice(changes)
    return fitted


def _is_local(model: str) -> bool:
    return Path(model).expanduser().exists()


def _has_accelerator() -> bool:
    import torch

    if torch.cuda.is_available():
        return True
    xpu = getattr(torch, "xpu", None)
    mps = getattr(torch.backends, "mps", None)
    return bool((xpu is not None and xpu.is_available()) or (mps is not None and mps.is_available()))


def _cpu_settings(trl: dict[str, Any]) -> list[str]:
    """Turns off half precision on a CPU-only machine; returns the overrides that would do the same."""
    changes = []
    half = [name for name in ("bf16", "fp16") if trl.get(name) is True]
    for name in half:
        trl[name] = False
        changes.append(f"{name}=false")
    if half and not trl.get("use_cpu"):
        trl["use_cpu"] = True
        changes.append("use_cpu=true")
    init = trl.get("model_init_kwargs")
    if half and isinstance(init, dict) and str(init.get("dtype", "")).lower() in _HALF_DTYPES:
        trl["model_init_kwargs"] = {**init, "dtype": "float32"}
        changes.append("model_init_kwargs.dtype=float32")
    return changes


def _notice(changes: list[str]) -> None:
    from rich.markup import escape

    from limkit.progress import stderr_console

    stderr_console.print(
        f"[yellow]notice:[/] adapted the recipe to this machine: {escape('; '.join(changes))}. "
        "Pass these overrides yourself to silence this notice.",
        soft_wrap=True,
    )
