"""`limkit eval diversity`: embedding diversity of stored runs, through the real entry point and MiniLM."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from limkit.eval import sample_rows_diversity


def _row(problem: str, sample: int, completion: str, correct: bool) -> dict[str, object]:
    return {
        "task": "toy",
        "id": problem,
        "sample": sample,
        "completion": completion,
        "gold": "4",
        "correct": correct,
        "status": "correct" if correct else "incorrect",
        "normalized": "4" if correct else "5",
    }


def test_embedding_diversity_is_zero_for_repeats_and_positive_otherwise(tmp_path: Path, run_cli: Any) -> None:
    same = "Two plus two is four, so the answer is 4."
    rows = [_row("p1", i, same, True) for i in range(3)]
    rows += [
        _row("p2", 0, "Adding two and two gives 4.", True),
        _row("p2", 1, "The capital of France is Paris; I guess 5.", False),
        _row("p2", 2, "Photosynthesis turns light into sugar, answer 5.", False),
    ]
    (tmp_path / "samples.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    result = run_cli("eval", "diversity", str(tmp_path))
    assert result.code == 0, result.err
    written = json.loads((tmp_path / "diversity.json").read_text())
    pools = written["tasks"]["toy"]
    # p1's three identical texts have diversity 0 and p2's unrelated texts clearly more, so the mean over
    # the two problems is half of p2's value, which must be well above zero.
    assert 0.15 < pools["all"]["embedding"]["value"] < 0.5
    assert pools["all"]["embedding"]["questions"] == 2
    assert pools["neg"]["embedding"]["questions"] == 1  # p2's two incorrect, unrelated texts only
    assert pools["neg"]["embedding"]["value"] > 0.3
    assert pools["pos"]["embedding"]["questions"] == 1  # p1's repeats (p2 has one correct text)
    assert abs(pools["pos"]["embedding"]["value"]) < 1e-5
    without = sample_rows_diversity(rows)
    assert pools["all"]["distinct_n"] == without["all"]["distinct_n"]
    assert "toy" in result.out and "embedding" in result.out
