"""Settings that used to run and quietly mean nothing: zero epochs, unreachable thresholds, flat rewards,
a negative step budget."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from train_helpers import write_config, write_jsonl

from limkit.errors import LimkitError
from limkit.train import aggregate, build_curves, load_config, select


def _rows(rewards: dict[str, list[float]]) -> list[dict[str, Any]]:
    """Two rollouts per (sample, epoch), both with the given reward."""
    return [
        {"sample_id": sample, "epoch": epoch, "reward": reward}
        for sample, curve in rewards.items()
        for epoch, reward in enumerate(curve)
        for _ in range(2)
    ]


VARIED = {"a": [-0.5, 1.0, 1.0], "b": [-0.5, -0.5, 1.0], "c": [1.0, 1.0, 1.0], "d": [-0.5, -0.5, -0.5]}


def test_max_epochs_zero_is_rejected(tmp_path: Path, run_cli: Any) -> None:
    values = aggregate(write_jsonl(tmp_path / "r.jsonl", _rows(VARIED)), "accuracy")
    with pytest.raises(LimkitError, match="must be >= 1") as caught:
        build_curves(values, max_epochs=0)
    assert caught.value.field == "max_epochs"
    assert build_curves(values, max_epochs=2).epochs == [0, 1]
    done = run_cli(
        "select",
        "lim",
        str(tmp_path / "r.jsonl"),
        "--top",
        "2",
        "--max-epochs",
        "0",
        "--out",
        str(tmp_path / "o"),
    )
    assert done.code != 0 and "--max-epochs must be >= 1" in done.err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("threshold", [1.5, float("nan"), float("inf")])
def test_a_threshold_no_score_can_reach_is_rejected(tmp_path: Path, threshold: float) -> None:
    curves = build_curves(aggregate(write_jsonl(tmp_path / "r.jsonl", _rows(VARIED)), "accuracy"))
    with pytest.raises(LimkitError, match="--threshold must be a number <= 1"):
        select(curves, threshold=threshold)
    assert select(curves, threshold=1.0).warnings == ()


def test_flat_rewards_warn_that_the_selection_is_arbitrary(tmp_path: Path, run_cli: Any) -> None:
    flat = write_jsonl(tmp_path / "flat.jsonl", _rows({s: [-0.5, -0.5, -0.5] for s in "abcd"}))
    selection = select(build_curves(aggregate(flat, "accuracy")), threshold=0.6)
    assert len(selection.selected) == 4 and len(selection.warnings) == 1
    assert "carry no information" in selection.warnings[0]
    done = run_cli("select", "lim", str(flat), "--threshold", "0.6", "--out", str(tmp_path / "sel.jsonl"))
    assert done.code == 0, done.err
    assert "warning:" in done.err and "no information" in done.err and "kept 4 of 4" in done.err
    varied = run_cli(
        "select", "lim", str(write_jsonl(tmp_path / "v.jsonl", _rows(VARIED))), "--top", "2", "--out",
        str(tmp_path / "v_sel.jsonl"),
    )  # fmt: skip
    assert varied.code == 0 and "warning" not in varied.err


@pytest.mark.parametrize("max_steps", [-2, 0])
def test_max_steps_is_positive_or_minus_one(tmp_path: Path, max_steps: int) -> None:
    path = write_config(tmp_path / "r.yaml", {"model": str(tmp_path), "data": {"path": "x.jsonl"}})
    with pytest.raises(LimkitError) as caught:
        load_config("sft", path, [f"max_steps={max_steps}"])
    assert caught.value.field == "max_steps" and "-1 to train for num_train_epochs" in caught.value.message
    assert caught.value.path == f"override 'max_steps={max_steps}'"
    assert load_config("sft", path, ["max_steps=-1"]).trl["max_steps"] == -1
    assert load_config("sft", path, ["max_steps=3"]).trl["max_steps"] == 3
