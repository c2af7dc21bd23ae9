"""`limkit grade` through the real `limkit` entry point: rows in, rows with verdicts out, a summary, clean
errors (one line, exit 1), nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from limkit.cli._grade import grade_command
from limkit.errors import LimkitError


def _write(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_grade_file(tmp_path: Path, run_cli: Any) -> None:
    rows = [
        {"id": 1, "prediction": r"so \boxed{\frac12}", "gold": "0.5"},
        {"id": 2, "prediction": "The answer is 7", "gold": ["7"], "answer_type": "NV"},
        {"id": 3, "prediction": "I really do not know.", "gold": "$x^2$"},
        {"id": 4, "prediction": r"\boxed{3\sqrt{13}}", "gold": r"\boxed{\sqrt{117}}"},
        {"id": 5, "prediction": r"\boxed{27}", "gold": 27.0},
    ]
    source, out = _write(tmp_path / "in.jsonl", rows), tmp_path / "out" / "graded.jsonl"
    result = run_cli("grade", str(source), "--out", str(out), "--workers", "1", "--timeout", "5")
    assert result.code == 0, result.err
    graded = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in graded] == [1, 2, 3, 4, 5]
    assert [row["correct"] for row in graded] == [True, True, False, True, True]
    assert all(isinstance(row["correct"], bool) and "status" in row and "seconds" in row for row in graded)
    assert graded[2]["status"] == "no_answer"
    summary = result.out + result.err
    assert "Verdicts by status" in summary and "Accuracy by answer type" in summary


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"gold": "1"}, "prediction"),
        ({"prediction": 3, "gold": "1"}, "prediction"),
        ({"prediction": "1"}, "gold"),
        ({"prediction": "1", "gold": {"a": 1}}, "gold"),
        ({"prediction": "1", "gold": "1", "answer_type": "bogus"}, "answer_type"),
    ],
)
def test_bad_rows_name_file_line_and_field(
    tmp_path: Path, row: dict[str, object], field: str, run_cli: Any
) -> None:
    source = _write(tmp_path / "in.jsonl", [{"prediction": "1", "gold": "1"}, row])
    out = tmp_path / "out.jsonl"
    result = run_cli("grade", str(source), "--out", str(out), "--workers", "1")
    assert result.code == 1 and len(result.err.strip().splitlines()) == 1, result.err
    assert f"{source}:2" in result.err and f"'{field}'" in result.err
    with pytest.raises(LimkitError) as caught:
        grade_command(source, out, workers=1, timeout=2.0)
    assert caught.value.line == 2 and caught.value.field == field
    assert str(source) in str(caught.value)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [source]


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(LimkitError, match="not found"):
        grade_command(tmp_path / "nope.jsonl", tmp_path / "out.jsonl")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"prediction": "1", "gold": "1"}\n{not json\n', encoding="utf-8")
    with pytest.raises(LimkitError) as caught:
        grade_command(broken, tmp_path / "out.jsonl", workers=1)
    assert caught.value.line == 2
    assert not (tmp_path / "out.jsonl").exists()
