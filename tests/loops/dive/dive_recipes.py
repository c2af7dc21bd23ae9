"""The test-size DIVE recipe shared by the loop and input tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from dive_model import PROMPT


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
    }
    recipe.update(changes)
    return recipe


def write_recipe(path: Path, recipe: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    return path
