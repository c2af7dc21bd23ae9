"""SFT and DPO killed with SIGKILL mid-run resume from their last checkpoint with nothing done twice."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from train_helpers import (
    PYTHON,
    arithmetic_rows,
    cpu_settings,
    read_jsonl,
    subprocess_env,
    write_config,
    write_jsonl,
)

from limkit.train import load_config, run_recipe

MAX_STEPS, SAVE_STEPS, KILL_AT = 6, 2, 4


def _data(kind: str, tmp_path: Path) -> dict[str, Any]:
    if kind == "sft":
        path = write_jsonl(tmp_path / "sft.jsonl", arithmetic_rows(16))
        return {"path": str(path), "fields": {"prompt": "problem", "response": "solution"}}
    rows = [
        {"question": f"What is {n} + {n}?", "good": f"It is {2 * n}.", "bad": f"It is {2 * n + 1}."}
        for n in range(16)
    ]
    path = write_jsonl(tmp_path / "pref.jsonl", rows)
    return {"path": str(path), "fields": {"prompt": "question", "chosen": "good", "rejected": "bad"}}


@pytest.mark.parametrize("kind", ["sft", "dpo"])
def test_a_killed_run_resumes_from_its_checkpoint(kind: str, tmp_path: Path, model_copy: Path) -> None:
    out = tmp_path / "out"
    config = {
        "model": str(model_copy),
        "data": _data(kind, tmp_path),
        "learning_rate": 1e-3,
        "max_steps": MAX_STEPS,
        "per_device_train_batch_size": 4,
        **cpu_settings(out, save_strategy="steps", save_steps=SAVE_STEPS),
    }
    path = write_config(tmp_path / f"{kind}.yaml", config)
    killer = Path(__file__).with_name("recipe_killer.py")
    done = subprocess.run(
        [PYTHON, str(killer), kind, str(path), str(KILL_AT)],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=600,
    )
    assert done.returncode == -9, done.stderr[-2000:]
    assert (out / "checkpoint-2").is_dir() and not (out / "model.safetensors").exists()
    before = [row for row in read_jsonl(out / "loss.jsonl") if "loss" in row]
    assert [row["step"] for row in before] == [1, 2, 3]  # step 4 ran, killed before its log line and a save

    summary = run_recipe(load_config(kind, path, ["resume_from_checkpoint=true"]))
    assert summary.global_step == MAX_STEPS and (out / "model.safetensors").is_file()
    after = [row for row in read_jsonl(out / "loss.jsonl") if "loss" in row]
    assert [row["step"] for row in after] == list(range(1, MAX_STEPS + 1)), "redone steps are logged once"
    assert after[:2] == before[:2]  # the checkpointed steps are kept as they were
