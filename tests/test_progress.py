"""A long command shows one limkit bar and a summary; library bars and log dicts only with --verbose."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

LOG_DICT = re.compile(r"\{'(loss|train_runtime|grad_norm)'")


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _sft_config(tiny_model_dir: Path, work: Path) -> Path:
    """An SFT recipe with TRL's defaults for bars and logging, so the noise is there to be hidden."""
    model = shutil.copytree(tiny_model_dir, work / "model")
    rows = [
        {"messages": [{"role": "user", "content": f"{a} + 2?"}, {"role": "assistant", "content": str(a + 2)}]}
        for a in range(8)
    ]
    data = work / "rows.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    config: dict[str, Any] = {
        "model": str(model),
        "data": {"path": str(data), "format": "chat"},
        "output_dir": str(work / "out"),
        "max_steps": 3,
        "per_device_train_batch_size": 4,
        "logging_steps": 1,
        "use_cpu": True,
        "bf16": False,
        "activation_checkpointing": False,
        "save_strategy": "no",
        "report_to": "none",
    }
    path = work / "sft.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_train_prints_its_summary_and_no_library_noise(
    tiny_model_dir: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    config = _sft_config(tiny_model_dir, tmp_path)
    quiet = run_cli("train", "sft", str(config))
    assert quiet.code == 0, quiet.err
    terminal = quiet.out + quiet.err
    assert not LOG_DICT.search(terminal)
    assert not re.search(r"it/s\]|examples/s\]", terminal)
    assert re.search(r"sft finished: 3 steps in [\d.]+ s, final loss \d+\.\d{4}", terminal)
    assert f"model and checkpoints: {tmp_path / 'out'}" in terminal
    verbose = run_cli("train", "sft", str(config), "overwrite_output=true", "--verbose")
    assert verbose.code == 0, verbose.err
    assert LOG_DICT.search(verbose.out + verbose.err)  # the same run, verbose: TRL's own log lines


def test_library_output_restores_what_it_silenced() -> None:
    import logging
    import warnings

    from transformers.utils import logging as hf_logging

    from limkit.progress import library_output

    before = hf_logging.get_verbosity()
    with library_output():
        assert hf_logging.get_verbosity() == logging.ERROR
        with warnings.catch_warnings(record=True) as caught:  # keeps the filters library_output set
            warnings.warn_explicit("internal detail", UserWarning, "x.py", 1, module="transformers.trainer")
            warnings.warn_explicit("yours", UserWarning, "x.py", 1, module="limkit.eval")
        assert [str(w.message) for w in caught] == ["yours"]
    assert hf_logging.get_verbosity() == before
