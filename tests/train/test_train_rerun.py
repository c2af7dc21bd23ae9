"""Training as the README shows it on a laptop: GPU presets adapt to the CPU, a local model takes no hub
revision, a rerun resumes (or says exactly why not), a wrong recipe kind says so, and keys are listable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from train_helpers import RECIPES, arithmetic_rows, cpu_settings, read_jsonl, write_config, write_jsonl

from limkit.errors import LimkitError
from limkit.train import load_config, prepare, run_recipe


class Crash(RuntimeError):
    """Stands for the process dying mid-run (power cut, OOM kill) after some steps and checkpoints."""


def crash_at(step: int) -> Any:
    from transformers import TrainerCallback

    class CrashAt(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.global_step == step:
                raise Crash(f"killed at step {step}")

    return CrashAt()


def _config(tmp_path: Path, model: Path, **extra: Any) -> Path:
    data = write_jsonl(tmp_path / "sft.jsonl", arithmetic_rows(8))
    config = {
        "model": str(model),
        "revision": "0123456789abcdef0123456789abcdef01234567",  # as a hub preset has it
        "data": {"path": str(data), "fields": {"prompt": "problem", "response": "solution"}},
        "learning_rate": 3e-3,
        "max_steps": 4,
        "per_device_train_batch_size": 4,
        **cpu_settings(tmp_path / "out", save_strategy="steps", save_steps=2),
        **extra,
    }
    return write_config(tmp_path / "sft.yaml", config)


def test_the_readme_command_adapts_the_gpu_preset_to_this_cpu(
    tmp_path: Path, model_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    turns = [{"role": "user", "content": "What is 1 + 1?"}, {"role": "assistant", "content": "2"}]
    data = write_jsonl(tmp_path / "d.jsonl", [{"messages": turns}])
    overrides = [f"model={model_copy}", f"data.path={data}", f"output_dir={tmp_path / 'out'}"]
    config = load_config("sft", RECIPES / "s1_sft.yaml", overrides)
    assert config.trl["bf16"] is True and config.revision is not None  # the preset is for GPUs on the hub
    run = prepare(config)
    assert (run.args.bf16, run.args.use_cpu) == (False, True)
    assert run.args.model_init_kwargs == {"dtype": "float32"}
    assert run.config.revision is None
    notice = " ".join(capsys.readouterr().err.split())
    for change in ("bf16=false", "use_cpu=true", "model_init_kwargs.dtype=float32", "revision=null"):
        assert change in notice


def test_a_crashed_run_resumes_when_rerun_and_a_finished_one_says_why_not(
    tmp_path: Path, model_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path, model_copy)
    out = tmp_path / "out"
    with pytest.raises(Crash):
        run_recipe(load_config("sft", path), callbacks=[crash_at(3)])
    assert (out / "checkpoint-2").is_dir() and not (out / "model.safetensors").exists()

    summary = run_recipe(load_config("sft", path))  # the same command again
    assert summary.global_step == 4
    assert "resuming the interrupted run" in capsys.readouterr().err
    steps = [row["step"] for row in read_jsonl(out / "loss.jsonl") if "loss" in row]
    assert steps == [1, 2, 3, 4]  # step 3 of the crashed run was dropped, then redone once
    info = json.loads((out / "limkit_run.json").read_text(encoding="utf-8"))
    assert info["revision"] is None and info["model_commit"] is None  # a local model: no hub commit
    assert info["model"] == str(model_copy.resolve()) and info["resumed_from"].endswith("checkpoint-2")

    with pytest.raises(LimkitError) as finished:
        prepare(load_config("sft", path))
    assert "finished at step 4: nothing to resume" in finished.value.message
    assert "resume_from_checkpoint=true" in finished.value.message and finished.value.field == "output_dir"


def test_a_rerun_with_other_settings_or_no_checkpoint_is_refused_with_the_reason(
    tmp_path: Path, model_copy: Path
) -> None:
    path = _config(tmp_path, model_copy)
    with pytest.raises(Crash):
        run_recipe(load_config("sft", path), callbacks=[crash_at(1)])
    with pytest.raises(LimkitError) as early:
        prepare(load_config("sft", path))
    assert (
        "interrupted before its first checkpoint (save_strategy=steps, save_steps=2)" in early.value.message
    )

    with pytest.raises(Crash):
        run_recipe(load_config("sft", path, ["overwrite_output=true"]), callbacks=[crash_at(3)])
    with pytest.raises(LimkitError) as changed:
        prepare(load_config("sft", path, ["learning_rate=1e-3", "logging_steps=2"]))
    assert "learning_rate: 0.003 -> 0.001" in changed.value.message
    assert "logging_steps" not in changed.value.message  # reporting settings do not block a resume
    assert prepare(load_config("sft", path, ["logging_steps=2"])).resume is not None


def test_train_grpo_given_an_sft_recipe_says_so(tmp_path: Path, run_cli: Any) -> None:
    done = run_cli("train", "grpo", str(RECIPES / "s1_sft.yaml"))
    assert done.code != 0 and "this config is for `limkit train sft`, not `limkit train grpo`" in done.err
    untagged = write_config(
        tmp_path / "r.yaml", {"model": str(tmp_path), "data": {"path": "x"}, "assistant_only_loss": True}
    )
    with pytest.raises(LimkitError) as caught:
        load_config("grpo", untagged)
    assert "is a key of `limkit train sft` recipes" in caught.value.message
    assert caught.value.field == "assistant_only_loss" and caught.value.line == 4


def test_train_keys_lists_each_recipes_keys_with_help(run_cli: Any) -> None:
    sft = run_cli("train", "keys", "sft")
    assert sft.code == 0, sft.err
    lines = sft.out.splitlines()
    assert any(line.startswith("  learning_rate (float, default ") and "AdamW" in line for line in lines)
    assert any(line.startswith("  data.fields (") for line in lines)
    assert any(line.startswith("  assistant_only_loss (") for line in lines)
    assert not any(line.startswith("  reward.") for line in lines)
    grpo = run_cli("train", "keys", "grpo")
    assert "  reward.name (str, default 'limr'): " in grpo.out and "  num_generations (" in grpo.out
    assert run_cli("train", "keys", "ppo").code != 0
