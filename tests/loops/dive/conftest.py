from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))

from dive_model import PROMPT, fit_mixed_solver


@pytest.fixture(scope="session")
def mixed_solver(benchmarks_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fitted tiny model (see dive_model.py): right about half the time on 16 GSM8K questions."""
    return fit_mixed_solver(benchmarks_dir, tmp_path_factory.mktemp("dive-model"))


@pytest.fixture(scope="session")
def questions_file(benchmarks_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    lines = (benchmarks_dir / "gsm8k_test.jsonl").read_text(encoding="utf-8").splitlines()[:16]
    path = tmp_path_factory.mktemp("dive-data") / "gsm8k16.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def tiny_recipe(model: Path, questions: Path, **changes: Any) -> dict[str, Any]:
    """Two iterations at test size; DPO at a learning rate that moves a tiny model in a few steps."""
    recipe: dict[str, Any] = {
        "model": str(model),
        "variants": ["vanilla", "dive"],
        "iterations": 2,
        "pairs_per_question": 2,
        "prompt": PROMPT,
        "prompt_format": "chat",
        "data": {"train": str(questions), "eval": str(questions), "eval_limit": 8},
        "sampling": {
            "samples": 4,
            "temperature": 1.0,
            "top_p": 1.0,
            "max_tokens": 20,
            "batch_size": 64,
            "stop": [],
        },
        "eval": {"n": 2, "temperature": 1.0, "top_p": 1.0},
        "train": {
            "learning_rate": 1e-3,
            "beta": 0.1,
            "per_device_train_batch_size": 8,
            "gradient_accumulation_steps": 1,
            "use_cpu": True,
            "bf16": False,
            "max_length": 256,
        },
        "torch_threads": 1,
        # A fixed share, so the filter provably drops something at this size ("auto" may drop none).
        "selection": {"contamination": 0.25},
    }
    recipe.update(changes)
    return recipe


def write_recipe(path: Path, recipe: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    return path
