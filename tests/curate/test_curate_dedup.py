"""Exact and near-duplicate detection on real pool problems with planted copies and paraphrases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from curate_helpers import outputs, run_steps

from limkit.curate import Dedup, Load, normalize_text


def _originals(pool_rows: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """Distinct long problems from the real pool (long enough for a paraphrase to keep most shingles)."""
    chosen, seen = [], set()
    for row in pool_rows:
        text = row["prompt"]
        if 40 <= len(text.split()) <= 120 and "[asy]" not in text and normalize_text(text) not in seen:
            chosen.append(row)
            seen.add(normalize_text(text))
        if len(chosen) == count:
            break
    return chosen


def _swap_words(text: str) -> str:
    words = text.split()
    middle = len(words) // 2
    words[middle], words[middle + 1] = words[middle + 1], words[middle]
    return " ".join(words)


PLANTS = {
    "spacing": lambda t: "  " + t.upper().replace(" ", "   ").replace("$", " $ ") + "\n",
    "appended": lambda t: t + " Simplify your answer completely.",
    "reworded": lambda t: t.replace(" the ", " that ", 1).replace(" is ", " equals ", 1),
    "swapped": _swap_words,
}


@pytest.fixture(scope="module")
def planted(
    pool_rows: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[Any]]:
    originals = _originals(pool_rows, 24)
    rows = [{"id": row["id"], "problem": row["prompt"], "answer": row["answer"]} for row in originals]
    expected = []
    for index, row in enumerate(originals[:12]):
        kind = list(PLANTS)[index % len(PLANTS)]
        copy_id = f"copy-{index}-{kind}"
        rows.append({"id": copy_id, "problem": PLANTS[kind](row["prompt"]), "answer": row["answer"]})
        expected.append((copy_id, row["id"], kind))
    # Same template, different numbers: short texts where one number is most of the content.
    rows.append({"id": "sum-a", "problem": "What is 12 + 13?", "answer": "25"})
    rows.append({"id": "sum-b", "problem": "What is 41 + 17?", "answer": "58"})
    path = tmp_path_factory.mktemp("planted") / "pool.jsonl"
    path.write_text("".join(__import__("json").dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path, expected


def test_planted_copies_and_paraphrases_are_found(planted: tuple[Path, list[Any]], tmp_path: Path) -> None:
    path, expected = planted
    kept, dropped = outputs(
        run_steps([Load(path=str(path)), Dedup(method="minhash", threshold=0.7)], tmp_path)
    )
    assert len(kept) == 26 and len(dropped) == 12
    for copy_id, original_id, kind in expected:
        reason = dropped[copy_id]["reason"]
        assert reason["duplicate_of"] == original_id, kind
        assert reason["code"] == ("exact_duplicate" if kind == "spacing" else "near_duplicate"), kind
        assert 0.7 <= reason["similarity"] <= 1.0
    assert {"sum-a", "sum-b"} <= set(kept)


def test_exact_method_ignores_paraphrases(planted: tuple[Path, list[Any]], tmp_path: Path) -> None:
    path, expected = planted
    _, dropped = outputs(run_steps([Load(path=str(path)), Dedup(method="exact")], tmp_path))
    assert set(dropped) == {copy_id for copy_id, _, kind in expected if kind == "spacing"}


def test_a_stricter_threshold_keeps_the_looser_paraphrases(
    planted: tuple[Path, list[Any]], tmp_path: Path
) -> None:
    path, expected = planted
    _, strict = outputs(run_steps([Load(path=str(path)), Dedup(threshold=0.95)], tmp_path / "strict"))
    _, loose = outputs(run_steps([Load(path=str(path)), Dedup(threshold=0.7)], tmp_path / "loose"))
    assert set(strict) < set(loose)
    assert {copy_id for copy_id, _, kind in expected if kind == "spacing"} <= set(strict)


def test_a_threshold_lsh_cannot_band_fails_at_start(tmp_path: Path) -> None:
    from limkit.curate import OptionError

    with pytest.raises(OptionError) as error:
        Dedup(threshold=0.99, num_perm=128).check()
    assert error.value.option == "threshold" and "num_perm" in error.value.message


def test_real_pool_near_duplicates_point_at_earlier_records(
    pool_rows: list[dict[str, Any]], pool_path: Path, tmp_path: Path
) -> None:
    """On the 8.5k pool the first occurrence is kept and every drop names a record kept before it."""
    result = run_steps(
        [Load(path=str(pool_path), fields={"problem": "prompt"}), Dedup(threshold=0.8)], tmp_path
    )
    kept, by_id = outputs(result)
    position = {r["id"]: i for i, r in enumerate(pool_rows)}
    dropped = list(by_id.values())
    kept_ids = set(kept)
    assert 20 < len(dropped) < 200
    for record in dropped:
        original = record["reason"]["duplicate_of"]
        assert original in kept_ids and position[original] < position[record["id"]]
