"""A 20-case run against the tiny random model behind `transformers serve`: garbage in, permutations out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


@pytest.mark.slow
def test_twenty_cases_against_a_real_server_are_repaired_and_counted(
    run_cli: Any, phenopackets: Path, tiny_model_dir: Path, tiny_server: str, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    args = (
        "genes", "rank", "--input", str(phenopackets), "--out", str(out), "--backend", "openai",
        "--base-url", tiny_server, "--model", str(tiny_model_dir), "--limit", "20", "--n", "5",
        "--concurrency", "2",
    )  # fmt: skip
    result = run_cli(*args)
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 20 and len({row["case_id"] for row in rows}) == 20
    for row in rows:
        assert sorted(row["ranking"]) == sorted(row["candidates"]) and 1 <= row["rank"] <= 5
        assert row["repairs"]["asks"] == 1
    repaired = sum(row["repairs"]["repaired"] for row in rows)
    invalid = sum(row["repairs"]["invalid"] for row in rows)
    assert repaired >= invalid > 15  # a random model's replies are almost never a valid permutation
    assert f"{repaired} answers repaired" in result.err
    evaluated = run_cli("genes", "eval", str(out))
    assert evaluated.code == 0, evaluated.err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["repairs"]["invalid"] == invalid and summary["overall"]["cases"] == 20
    assert summary["repairs"]["asks"] == 20 and set(summary["repairs"]) >= {"invented", "duplicates"}
    assert (out / "report.html").stat().st_size > 10_000
    resumed = run_cli(*args)
    assert resumed.code == 0 and "0 asks generated" in resumed.err
