"""Bad recipes and inputs: one line naming the field (and file:line), non-zero exit, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dive_recipes import tiny_recipe, write_recipe

CASES = [
    ({"variants": ["vanilla", "diverse"]}, "variants", "unknown variant 'diverse'"),
    ({"sampling": {"samples": 1}}, "sampling.samples", "K must be >= P"),
    ({"selection": {"contamination": 0.9}}, "selection.contamination", "(0, 0.5]"),
    ({"loss": {"weighting": "both"}}, "loss.weighting", "expected one of paper, script, custom"),
    ({"train": {"loss_type": ["ipo"]}}, "train.loss_type", "set by limkit dive itself"),
]


@pytest.mark.parametrize(("change", "field", "message"), CASES)
def test_bad_recipe_values_name_the_field_and_line(
    run_cli, tmp_path: Path, tiny_model_dir: Path, questions_file: Path, change, field, message
) -> None:
    recipe = tiny_recipe(tiny_model_dir, questions_file)
    for key, value in change.items():
        recipe[key] = {**recipe[key], **value} if isinstance(value, dict) and key in recipe else value
    path = write_recipe(tmp_path / "recipe.yaml", recipe)
    result = run_cli("dive", str(path), "--out", str(tmp_path / "run"))
    assert result.code == 1
    assert f"{path}:" in result.err and f"field '{field}'" in result.err and message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_question_without_gold_names_its_line(
    run_cli, tmp_path: Path, tiny_model_dir: Path, questions_file: Path
) -> None:
    rows = [json.loads(line) for line in questions_file.read_text().splitlines()[:3]]
    rows[1]["answer"] = ""
    data = tmp_path / "q.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    path = write_recipe(tmp_path / "recipe.yaml", tiny_recipe(tiny_model_dir, data))
    result = run_cli("dive", str(path), "--out", str(tmp_path / "run"))
    assert result.code == 1 and f"{data}:2" in result.err and "field 'answer'" in result.err
    assert "without a gold answer" in result.err
    assert not (tmp_path / "run").exists()


def test_missing_model_and_unknown_key(run_cli, tmp_path: Path, questions_file: Path) -> None:
    missing = tmp_path / "no-model"
    path = write_recipe(tmp_path / "recipe.yaml", tiny_recipe(missing, questions_file))
    result = run_cli("dive", str(path), "--out", str(tmp_path / "run"))
    assert result.code == 1 and "field 'model'" in result.err and "not found" in result.err
    assert not (tmp_path / "run").exists()
    result = run_cli("dive", str(path), "iteratons=3", "--out", str(tmp_path / "run"))
    assert result.code == 1 and "field 'iteratons'" in result.err
    result = run_cli("dive", str(path))
    assert result.code == 2  # usage: no --out
