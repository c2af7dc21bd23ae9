"""GRPO with the LIMR reward: a full rollout trajectory per sample and epoch, crash-proof and resumable."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

from train_helpers import (
    PYTHON,
    RECIPES,
    arithmetic_rows,
    cpu_settings,
    read_jsonl,
    subprocess_env,
    write_jsonl,
)

from limkit.train import load_config, run_recipe

GENERATIONS = 4
SAMPLES = 5  # not a multiple of the 2 prompts per generation round: the last round is topped up


def _overrides(model: Path, data: Path, out: Path, **extra: object) -> list[str]:
    """The shipped LIMR recipe, shrunk to a tiny CPU run."""
    settings = {
        "model": str(model),
        "revision": None,
        "data.path": str(data),
        "data.fields": "{sample_id: id, prompt: problem}",
        "data.system_prompt": "Put the final answer in \\boxed{}.",
        "num_generations": GENERATIONS,
        "per_device_train_batch_size": 2 * GENERATIONS,
        "gradient_accumulation_steps": 1,
        "max_completion_length": 24,
        "temperature": 1.0,
        "learning_rate": 1e-3,
        "warmup_steps": 0,
        "num_train_epochs": 2,
        "model_init_kwargs.dtype": "float32",
        **cpu_settings(out),
        **extra,
    }
    return [
        f"{key}={json.dumps(value) if isinstance(value, bool) or value is None else value}"
        for key, value in settings.items()
    ]


def _counts(rows: list[dict]) -> Counter[tuple[str, int]]:
    return Counter((row["sample_id"], row["epoch"]) for row in rows)


def test_grpo_logs_every_reward_of_every_sample_in_every_epoch(tmp_path: Path, boxed_model_dir: Path) -> None:
    data = write_jsonl(tmp_path / "pool.jsonl", arithmetic_rows(SAMPLES))
    summary = run_recipe(
        load_config("grpo", RECIPES / "limr_rl.yaml", _overrides(boxed_model_dir, data, tmp_path / "out"))
    )
    assert summary.rollouts is not None and summary.global_step == 6  # 3 rounds per epoch x 2 epochs
    rows = read_jsonl(summary.rollouts)
    ids = [row["id"] for row in arithmetic_rows(SAMPLES)]
    counts = _counts(rows)
    for epoch in (0, 1):
        for sample_id in ids:
            assert counts[(sample_id, epoch)] in (GENERATIONS, 2 * GENERATIONS), (sample_id, epoch)
        assert sum(counts[(sid, epoch)] for sid in ids) == 3 * 2 * GENERATIONS
    assert all({"sample_id", "epoch", "step", "reward", "correct", "reason"} <= set(row) for row in rows)
    assert {row["sample_id"] for row in rows} == set(ids)  # keyed by id, never by prompt text
    rewards = {row["reward"] for row in rows}
    assert len(rewards) > 1 and rewards <= {1.0, -0.5, -1.0}
    assert any(row["loss"] != 0 for row in read_jsonl(summary.loss_log) if "loss" in row)


def test_rollouts_survive_sigkill_and_a_resumed_run_does_nothing_twice(
    tmp_path: Path, boxed_model_dir: Path
) -> None:
    data = write_jsonl(tmp_path / "pool.jsonl", arithmetic_rows(SAMPLES))
    out = tmp_path / "out"
    overrides = _overrides(
        boxed_model_dir, data, out, save_strategy="steps", save_steps=2, num_train_epochs=3
    )
    killer = Path(__file__).with_name("recipe_killer.py")
    done = subprocess.run(
        [PYTHON, str(killer), "grpo", str(RECIPES / "limr_rl.yaml"), "5", *overrides],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=600,
    )
    assert done.returncode == -9, done.stderr[-2000:]
    lines = (out / "rollouts.jsonl").read_text(encoding="utf-8").splitlines()
    before = [json.loads(line) for line in lines]  # every line is complete JSON
    assert max(row["step"] for row in before) == 4 and (out / "checkpoint-4").is_dir()
    assert not (out / "model.safetensors").exists()  # the run really died mid-way

    summary = run_recipe(
        load_config("grpo", RECIPES / "limr_rl.yaml", [*overrides, "resume_from_checkpoint=true"])
    )
    after = read_jsonl(out / "rollouts.jsonl")
    assert summary.global_step == 9
    assert [row for row in after if row["step"] < 4] == [row for row in before if row["step"] < 4]
    keys = Counter((row["sample_id"], row["step"], row["rollout"]) for row in after)
    assert max(keys.values()) == 1  # the step after the checkpoint was redone once, not appended twice
    counts = _counts(after)
    for epoch in range(3):
        for row in arithmetic_rows(SAMPLES):
            assert counts[(row["id"], epoch)] in (GENERATIONS, 2 * GENERATIONS)
    losses = [row["step"] for row in read_jsonl(out / "loss.jsonl") if "loss" in row]
    assert losses == list(range(1, 10))


def test_grpo_on_two_ranks_through_accelerate_logs_every_rollout_once(
    tmp_path: Path, boxed_model_dir: Path
) -> None:
    """A real 2-process GRPO run (gloo on CPU, see test_train_accelerate.py for the flags): each rank
    generates and scores its share of every group, and the main process alone writes them all."""
    import socket
    import sys

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    samples = 4
    data = write_jsonl(tmp_path / "pool.jsonl", arithmetic_rows(samples))
    out = tmp_path / "out"
    overrides = _overrides(
        boxed_model_dir, data, out, num_train_epochs=1, per_device_train_batch_size=GENERATIONS
    )
    accelerate = Path(sys.executable).with_name("accelerate")
    command = [
        str(accelerate),
        "launch",
        *("--multi_gpu", "--num_processes", "2", "--num_machines", "1"),
        *("--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(port)),
        *("-m", "limkit", "train", "grpo", str(RECIPES / "limr_rl.yaml"), *overrides),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=subprocess_env(), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    info = json.loads((out / "limkit_run.json").read_text(encoding="utf-8"))
    assert info["world_size"] == 2 and info["global_step"] == 2  # 2 ranks x 4 completions = 2 prompts a step
    rows = read_jsonl(out / "rollouts.jsonl")
    assert len(rows) == samples * GENERATIONS
    assert _counts(rows) == {(row["id"], 0): GENERATIONS for row in arithmetic_rows(samples)}
    keys = Counter((row["sample_id"], row["step"], row["rollout"]) for row in rows)
    assert max(keys.values()) == 1
    assert {row["reward"] for row in rows} <= {1.0, -0.5, -1.0}
