"""Fixtures for the training tests: tiny models, one SFT-trained model for GRPO, the CLI in-process."""

from __future__ import annotations

from pathlib import Path

import pytest
from train_helpers import arithmetic_rows, copy_model, cpu_settings, write_config, write_jsonl


@pytest.fixture(autouse=True)
def _train_on_one_thread(one_torch_thread: None) -> None:
    """Every training test runs on one torch thread (the shared fixture in tests/conftest.py)."""


@pytest.fixture
def model_copy(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the session's tiny model (training writes next to it)."""
    return copy_model(tiny_model_dir, tmp_path / "model")


@pytest.fixture(scope="session")
def boxed_model_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model after a short SFT on boxed arithmetic answers: GRPO completions earn varied rewards."""
    import torch

    from limkit.train import load_config, run_recipe

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    work = tmp_path_factory.mktemp("boxed")
    data = write_jsonl(work / "sft.jsonl", arithmetic_rows(24))
    out = work / "model"
    config = {
        "model": str(tiny_model_dir),
        "data": {
            "path": str(data),
            "fields": {"prompt": "problem", "response": "solution"},
            "system_prompt": "Put the final answer in \\boxed{}.",
        },
        "assistant_only_loss": True,
        "learning_rate": 3e-3,
        "max_steps": 60,
        "per_device_train_batch_size": 8,
        "lr_scheduler_type": "constant",
        **cpu_settings(out),
    }
    try:
        run_recipe(load_config("sft", write_config(work / "sft.yaml", config)))
    finally:
        torch.set_num_threads(threads)
    return out
