"""Several processes talking over gloo: the LIMO SFT recipe under accelerate, and GRPO's rollout log."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

from train_helpers import RECIPES, arithmetic_rows, read_jsonl, subprocess_env, write_jsonl


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sft_recipe_runs_across_two_processes(tmp_path: Path, tiny_model_dir: Path) -> None:
    """`--multi_gpu` is what makes accelerate start one process per rank; with no GPU and `use_cpu=true`
    each rank joins a gloo process group. (`accelerate launch --cpu --num_processes 2` starts one process
    in accelerate 1.15: its CPU launcher fans out only through MPI.)"""
    accelerate = Path(sys.executable).with_name("accelerate")
    rows = [{"question": row["problem"], "solution": row["solution"]} for row in arithmetic_rows(16)]
    data = write_jsonl(tmp_path / "limo.jsonl", rows)
    out = tmp_path / "out"
    overrides = [
        f"model={tiny_model_dir}",
        "revision=null",
        f"data.path={data}",
        f"output_dir={out}",
        "use_cpu=true",
        "bf16=false",
        "model_init_kwargs.dtype=float32",
        "activation_checkpointing=false",
        "max_length=256",
        "max_steps=3",
        "per_device_train_batch_size=2",
        "gradient_accumulation_steps=1",
        "save_strategy=no",
        "disable_tqdm=true",
    ]
    command = [
        str(accelerate),
        "launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "--main_process_port",
        str(_free_port()),
        "-m",
        "limkit",
        "train",
        "sft",
        str(RECIPES / "limo_sft.yaml"),
        *overrides,
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=subprocess_env(), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    info = json.loads((out / "limkit_run.json").read_text(encoding="utf-8"))
    assert info["world_size"] == 2 and info["global_step"] == 3
    logged = [row for row in read_jsonl(out / "loss.jsonl") if "loss" in row]
    assert [row["step"] for row in logged] == [1, 2, 3]  # one log line per step: only rank 0 writes
    assert logged[0]["epoch"] == 0.25  # 2 ranks x 2 rows per step over 16 rows
    assert (out / "model.safetensors").is_file()
    assert done.stderr.count("sft finished") == 1  # the summary is printed by rank 0 only
