"""Decontamination on the real 8.5k pool against the real MATH-500: real leaks found, boilerplate ignored."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from curate_helpers import outputs, run_steps

from limkit.curate import Decontaminate, Load
from limkit.curate._record import words

# Pool problems that are MATH-500 problems copied (whole or nearly), checked by eye against the benchmark.
REAL_LEAKS = {
    "abf42289-0a51-4a4d-9c5c-a8d954cfa0d3": "test/geometry/702.json",  # hot-air balloon, verbatim
    "64e64aec-396d-45c7-81cd-4f932e03e141": "test/prealgebra/1044.json",  # Juan's stamps, verbatim
    "047c3da2-40a3-447c-996d-67ed9469a728": "test/intermediate_algebra/1566.json",  # reworded last line
}
# A different problem (a tournament) whose only 13-grams shared with MATH-500 are the stock phrase
# "... is m/n, where m and n are relatively prime positive integers. Find m+n".
BOILERPLATE_ONLY = "029aaaa5-f534-4352-a208-0171091234e9"
STOCK_NGRAM = "m n where m and n are relatively prime positive integers find m"


@pytest.fixture(scope="module")
def decontaminated(pool_path: Path, benchmarks_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One run with the derived stop-list and one without (otherwise identical)."""
    runs = {}
    for min_docs in (5, 0):
        steps = [
            Load(path=str(pool_path), fields={"problem": "prompt"}),
            Decontaminate(
                benchmarks=["math500"],
                data_dir=str(benchmarks_dir),
                ngram=13,
                boilerplate_min_docs=min_docs,
                min_spans=1,  # any one shared phrase counts: this isolates the boilerplate list
            ),
        ]
        runs[min_docs] = run_steps(steps, tmp_path_factory.mktemp(f"decontam{min_docs}"))
    return runs


def test_real_overlaps_with_math500_are_dropped_with_their_evidence(decontaminated: Any) -> None:
    kept, dropped = outputs(decontaminated[5])
    assert len(kept) + len(dropped) == 8523
    for pool_id, bench_id in REAL_LEAKS.items():
        reason = dropped[pool_id]["reason"]
        assert reason["step"] == "decontaminate" and reason["code"] == "benchmark_overlap"
        assert (reason["benchmark"], reason["benchmark_id"]) == ("math500", bench_id)
        assert reason["matched_ngrams"] >= 10 and reason["overlap"] > 0.5
        problem = " ".join(dropped[pool_id]["problem"].lower().split())
        assert all(len(gram.split()) == 13 for gram in reason["ngrams"])
        assert all(gram.split()[0] in problem for gram in reason["ngrams"])
    assert 50 <= len(dropped) <= 200, "the MATH train pool shares ~1% of its problems with MATH-500"


def test_boilerplate_does_not_count_as_a_leak(decontaminated: Any) -> None:
    _, with_stoplist = outputs(decontaminated[5])
    _, without = outputs(decontaminated[0])
    assert BOILERPLATE_ONLY not in with_stoplist
    assert STOCK_NGRAM in without[BOILERPLATE_ONLY]["reason"]["ngrams"]
    assert set(with_stoplist) < set(without), "the stop-list only ever removes flags"
    assert len(without) - len(with_stoplist) > 30
    assert all(pool_id in with_stoplist for pool_id in REAL_LEAKS), "real leaks survive the stop-list"
    stats = json.loads(decontaminated[5].stats_path.read_text())
    assert stats["steps"][1]["counters"]["boilerplate_ngrams"] > 0
    assert stats["steps"][1]["notes"]["benchmarks"] == ["math500"]


def _step(benchmarks_dir: Path, **options: Any) -> Decontaminate:
    step = Decontaminate(benchmarks=["math500"], data_dir=str(benchmarks_dir), **options)
    step.check()
    return step


def _run(step: Decontaminate, records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every record by id after a real run (records with a `reason` were dropped)."""
    with tempfile.TemporaryDirectory() as folder:
        pool = Path(folder) / "pool.jsonl"
        pool.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
        kept, dropped = outputs(run_steps([Load(path=str(pool)), step], Path(folder) / "out"))
    return {**kept, **dropped}


def test_exact_copies_short_problems_and_eight_grams(benchmarks_dir: Path) -> None:
    math500 = [json.loads(line) for line in (benchmarks_dir / "math500.jsonl").read_text().splitlines()]
    long_problem = math500[0]["problem"]
    short = next(row for row in math500 if len(row["problem"].split()) < 8)
    records = [
        {"id": "recased", "problem": "  " + long_problem.upper().replace(" ", "  ") + " "},
        {"id": "short", "problem": short["problem"]},
        {
            "id": "fresh",
            "problem": "A frog jumps on lily pads numbered one to nine; how many paths reach nine?",
        },
    ]
    out = _run(_step(benchmarks_dir, ngram=8, boilerplate_min_docs=0), records)
    assert out["recased"]["reason"]["exact"] is True
    assert out["recased"]["reason"]["benchmark_id"] == math500[0]["unique_id"]
    assert out["short"]["reason"]["exact"] is True, "shorter than n words: caught by the exact match"
    assert "reason" not in out["fresh"]


def test_overlap_is_the_share_of_the_problems_own_ngrams(benchmarks_dir: Path) -> None:
    """Words no benchmark uses still count in the denominator: a copy padded with new words overlaps less."""
    math500 = [json.loads(line) for line in (benchmarks_dir / "math500.jsonl").read_text().splitlines()]
    source = next(
        row for row in math500 if len(row["problem"].split()) >= 40 and "[asy]" not in row["problem"]
    )
    padding = " ".join(f"zorblax{i}" for i in range(60))
    record = {"id": "padded", "problem": source["problem"] + " " + padding}
    reason = _run(_step(benchmarks_dir, ngram=8, boilerplate_min_docs=0), [record])["padded"]["reason"]
    problem_words = len(words(record["problem"]))
    assert reason["benchmark_id"] == source["unique_id"] and not reason["exact"]
    assert reason["overlap"] == round(reason["matched_ngrams"] / (problem_words - 8 + 1), 4)
    assert 0.2 < reason["overlap"] < 0.8


def test_configured_stoplist_masks_a_phrase(benchmarks_dir: Path) -> None:
    phrase = "where m and n are relatively prime positive integers"
    record = {
        "id": "x",
        "problem": "Two dice are rolled and the probability that the sum is seven is m/n, "
        "where m and n are relatively prime positive integers. Find m+n.",
    }
    flagged = _run(_step(benchmarks_dir, ngram=8, boilerplate_min_docs=0), [record])["x"]
    assert "relatively prime" in " ".join(flagged["reason"]["ngrams"])
    kept = _run(_step(benchmarks_dir, ngram=8, boilerplate_min_docs=0, stoplist=[phrase]), [record])["x"]
    assert "reason" not in kept


def test_a_benchmark_added_to_the_data_dir_is_read_on_the_next_run(
    benchmarks_dir: Path, tmp_path: Path, write_pool: Any
) -> None:
    data_dir = tmp_path / "bench"
    data_dir.mkdir()
    shutil.copy(benchmarks_dir / "aime24.jsonl", data_dir)
    aime24 = json.loads((data_dir / "aime24.jsonl").read_text().splitlines()[0])
    amc23 = json.loads((benchmarks_dir / "amc23.jsonl").read_text().splitlines()[0])
    pool = write_pool([{"id": "a", "problem": aime24["problem"]}, {"id": "b", "problem": amc23["problem"]}])
    steps = [Load(path=str(pool)), Decontaminate(benchmarks=["all"], data_dir=str(data_dir), ngram=8)]
    first = run_steps(steps, tmp_path / "out")
    assert first.stats["steps"][1]["notes"]["benchmarks"] == ["aime24"]
    assert set(outputs(first)[1]) == {"a"}
    shutil.copy(benchmarks_dir / "amc23.jsonl", data_dir)
    second = run_steps(steps, tmp_path / "out")
    assert second.stats["steps"][1]["notes"]["benchmarks"] == ["aime24", "amc23"]
    assert set(outputs(second)[1]) == {"a", "b"}


def test_unknown_benchmark_and_missing_data_dir_fail_before_work(
    benchmarks_dir: Path, tmp_path: Path
) -> None:
    from limkit.curate import OptionError

    with pytest.raises(OptionError) as unknown:
        Decontaminate(benchmarks=["math5000"], data_dir=str(benchmarks_dir)).check()
    assert unknown.value.option == "benchmarks.0" and "math500" in unknown.value.message
    with pytest.raises(OptionError) as missing:
        Decontaminate(benchmarks=["aime25"], data_dir=str(benchmarks_dir)).check()
    assert missing.value.option == "benchmarks.0" and "aime25" in missing.value.message
    with pytest.raises(OptionError) as no_dir:
        Decontaminate(benchmarks=["all"], data_dir=str(tmp_path / "nope")).check()
    assert no_dir.value.option == "data_dir"


# Issue 12 item 11: one generic phrase is not a leak, and `input.limit` does not change what is one.
ONE_PHRASE_IN_THE_SLICE = ("1828d1cb-0ca5-4e07-b2f7-686ab9ff3772", "84ab6452-2ebd-4f64-8643-8af5e513ad33")
LEGACY = {"boilerplate_from": "input", "min_spans": 1}


def test_one_stock_phrase_shared_with_a_benchmark_is_not_a_leak(benchmarks_dir: Path) -> None:
    """Shares only "... what is the smallest possible positive value of k" with a MATH-500 problem."""
    record = {
        "id": "cube",
        "problem": "A jar holds red, green and blue marbles. It has more red marbles than green ones and "
        "more green ones than blue ones, and at least two of each colour. The number of red marbles times "
        "the number of green marbles times the number of blue marbles is called k, and k is a perfect cube. "
        "What is the smallest possible positive value of k?",
    }
    kept = _run(_step(benchmarks_dir), [record])["cube"]
    assert "reason" not in kept
    legacy = _run(_step(benchmarks_dir, **LEGACY), [record])["cube"]["reason"]
    assert legacy["matched_ngrams"] >= 2 and "smallest possible positive value of" in " ".join(
        legacy["ngrams"]
    )


@pytest.mark.slow
def test_the_relatively_prime_phrase_in_a_limited_run_is_not_a_leak(
    pool_path: Path, benchmarks_dir: Path, tmp_path: Path
) -> None:
    """With input.limit=400 the old rule counted boilerplate inside the slice: the stock phrase "m and n are
    relatively prime positive integers" became a leak there and nowhere else. The default now counts the
    whole pool and wants more than one phrase, so the slice flags what the full run flags."""

    def dropped(limit: int | None, **options: Any) -> dict[str, Any]:
        steps = [
            Load(path=str(pool_path), fields={"problem": "prompt"}, limit=limit),
            Decontaminate(benchmarks=["all"], data_dir=str(benchmarks_dir), **options),
        ]
        return outputs(run_steps(steps, tmp_path / f"{limit}-{len(options)}"))[1]

    legacy_slice, legacy_full = dropped(400, **LEGACY), dropped(None, **LEGACY)
    for pool_id in ONE_PHRASE_IN_THE_SLICE:
        assert legacy_slice[pool_id]["reason"]["matched_ngrams"] == 1
        assert "relatively prime positive integers" in legacy_slice[pool_id]["reason"]["ngrams"][0]
        assert pool_id not in legacy_full
    limited = outputs(
        run_steps([Load(path=str(pool_path), fields={"problem": "prompt"}, limit=400)], tmp_path / "ids")
    )
    in_slice = set(limited[0])
    default_slice, default_full = dropped(400), dropped(None)
    assert set(default_slice) == {pool_id for pool_id in default_full if pool_id in in_slice}
    assert not set(ONE_PHRASE_IN_THE_SLICE) & set(default_slice)
    assert all(pool_id in default_full for pool_id in REAL_LEAKS), "real leaks are still found"
    stats = json.loads((tmp_path / "400-0" / "stats.json").read_text())["steps"][1]
    assert stats["notes"]["boilerplate"]["from"] == "pool"
    assert stats["notes"]["boilerplate"]["documents"] == 8523, "counted over the whole pool, not the slice"
    assert stats["notes"]["boilerplate"]["examples"][0]["documents"] >= 5
    assert stats["counters"]["weak_overlaps_kept"] >= 1
