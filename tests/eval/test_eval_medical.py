"""Medical tasks end to end: Medbullets through `limkit eval` (letters, shuffled golds, option-free with a
judge), `limkit eval scaling` on an n = 8 run checked by hand, and the JAMA file the user must supply.

Scripted clinicians (`medical_scripts`) answer by option text, so a gold letter that was not remapped
under shuffling grades the wrong samples; the tiny model and a real `transformers serve` run the same
paths with real generation.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import medical_scripts
import pytest

from limkit.eval import EvalConfig, JudgeConfig, RuntimeOptions, read_samples, run_eval
from limkit.eval._judge import make_judge

SCRIPTS = "medical_scripts"


def _file_rows(benchmarks_dir: Path) -> dict[str, dict[str, Any]]:
    lines = (benchmarks_dir / "medbullets_op4.jsonl").read_text(encoding="utf-8").splitlines()
    return {row["id"]: row for row in map(json.loads, lines)}


def _shown_options(row: dict[str, Any]) -> list[str]:
    """The options as the run's prompt showed them (the user turn ends with the lettered list)."""
    from limkit.tasks import parse_options

    parsed = parse_options(row["prompt"][-1]["content"])
    assert parsed is not None
    return list(parsed[1])


def _eval(run_cli: Any, out: Path, *args: str) -> Any:
    result = run_cli("eval", "--out", str(out), "--no-cache", *args)
    assert result.code == 0, result.err
    return result


def test_letters_graded_and_gold_remapped_under_shuffling(
    run_cli: Any, benchmarks_dir: Path, tmp_path: Path
) -> None:
    file_rows = _file_rows(benchmarks_dir)
    common = ("--backend", "scripted", "--model", f"{SCRIPTS}:oracle", "--tasks", "medbullets_op4")
    common += ("--data-dir", str(benchmarks_dir), "--limit", "3")
    _eval(run_cli, tmp_path / "plain", *common)
    _eval(run_cli, tmp_path / "shuffled", *common, "--shuffle-options", "7")
    plain = {row["id"]: row for row in read_samples(tmp_path / "plain")}
    shuffled = {row["id"]: row for row in read_samples(tmp_path / "shuffled")}
    moved = 0
    for problem, right in medical_scripts.ORACLE_RIGHT.items():
        source = file_rows[problem]
        assert _shown_options(plain[problem]) == list(source["options"].values())  # the dataset's order
        assert plain[problem]["gold"] == source["answer_idx"]
        options = _shown_options(shuffled[problem])
        assert sorted(options) == sorted(source["options"].values())
        assert options[ord(shuffled[problem]["gold"]) - ord("A")] == source["answer"]  # gold remapped
        moved += shuffled[problem]["gold"] != source["answer_idx"]
        for row in (plain[problem], shuffled[problem]):
            assert row["extracted"] in "ABCD" and row["correct"] is right, row
    assert moved >= 2  # seed 7 really moves the golds


def test_tiny_model_runs_medbullets_with_shuffled_options(
    run_cli: Any, tiny_model_dir: Path, benchmarks_dir: Path, tmp_path: Path
) -> None:
    """Real generation: every sample is graded against the remapped letter (a random model rarely
    names one, so the check is on the golds and on the format's prompt, not on accuracy)."""
    file_rows = _file_rows(benchmarks_dir)
    result = _eval(
        run_cli,
        tmp_path / "run",
        *("--model", str(tiny_model_dir), "--tasks", "medbullets_op4", "--data-dir", str(benchmarks_dir)),
        *("--limit", "2", "--n", "2", "--temperature", "1.0", "--max-tokens", "6", "--shuffle-options", "7"),
        *("--format", "longmonolog"),
    )
    assert "tok/prob" in result.out
    rows = read_samples(tmp_path / "run")
    assert len(rows) == 4
    for row in rows:
        options = _shown_options(row)
        assert options[ord(row["gold"]) - ord("A")] == file_rows[row["id"]]["answer"]
        assert "<think>" in row["prompt"][0]["content"] and row["completion_tokens"] > 0
        assert row["extracted"] is None or row["correct"] == (row["extracted"] == row["gold"])
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    lengths = results["metrics"]["medbullets_op4"]["lengths"]
    per_problem = {}
    for row in rows:
        per_problem[row["id"]] = per_problem.get(row["id"], 0) + row["completion_tokens"]
    assert lengths["completion_tokens_per_problem"] == pytest.approx(sum(per_problem.values()) / 2)


def _option_free_dir(benchmarks_dir: Path, directory: Path) -> Path:
    """A copy of three Medbullets rows whose options are names (see medical_scripts.CLINICIAN_PLAN)."""
    rows = _file_rows(benchmarks_dir)
    directory.mkdir()
    lines = [json.dumps(rows[problem]) for problem in medical_scripts.CLINICIAN_PLAN]
    (directory / "medbullets_op4.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def test_option_free_graded_by_judge_and_differential_report(
    run_cli: Any, benchmarks_dir: Path, tmp_path: Path
) -> None:
    from browser import PageTables, render

    data = _option_free_dir(benchmarks_dir, tmp_path / "data")
    run = tmp_path / "run"
    refused = run_cli(
        "eval", "--out", str(run), "--backend", "scripted", "--model", f"{SCRIPTS}:clinician",
        "--tasks", "medbullets_op4", "--data-dir", str(data), "--option-free",
    )  # fmt: skip
    assert refused.code == 2 and "--judge-model" in refused.err and not run.exists()
    _eval(
        run_cli,
        run,
        *("--backend", "scripted", "--model", f"{SCRIPTS}:clinician", "--tasks", "medbullets_op4"),
        *("--data-dir", str(data), "--option-free"),
        *("--judge-backend", "scripted", "--judge-model", f"{SCRIPTS}:judge"),
    )
    rows = {row["id"]: row for row in read_samples(run)}
    golds = {problem: row["answer"] for problem, row in _file_rows(benchmarks_dir).items()}
    for problem, row in rows.items():
        assert row["gold"] == golds[problem] and row["task_answer_type"] == "OT"
    reworded, exact, wrong = rows["medbullets-1"], rows["medbullets-2"], rows["medbullets-4"]
    assert (reworded["judged"], reworded["correct"], reworded["comparator"]) == (True, True, "judge")
    assert (exact["judged"], exact["correct"]) == (False, True)  # the rules accepted it first
    assert (wrong["judged"], wrong["correct"]) == (True, False)

    page, numbers = tmp_path / "scaling.html", tmp_path / "scaling.json"
    shown = run_cli("eval", "scaling", str(run), "--out", str(page), "--json", str(numbers))
    assert shown.code == 0, shown.err
    differential = json.loads(numbers.read_text())["runs"][0]["tasks"]["medbullets_op4"]["differential"]
    assert differential["with_differential"] == 3
    assert differential["gold_in_differential"] == 2 and differential["gold_rank_counts"] == {"1": 1, "2": 1}
    assert differential["gold_rank_mean"] == 1.5
    assert differential["final_is_top"] == 2  # the reworded gold is not the top candidate
    assert differential["accuracy"] == pytest.approx(2 / 3)
    rendered = render(page, tmp_path)
    tables = PageTables()
    tables.feed(rendered.dom)
    assert "Differential diagnosis (option-free runs)" in tables.headings
    (table,) = tables.headed("run", "task", "samples", "accuracy (judge)")
    assert table[1][5] == "0.667"  # gold in the differential, of the samples that list one


def test_option_free_judge_on_a_real_server(judge_dir: Path, benchmarks_dir: Path, tmp_path: Path) -> None:
    """The judge is the fitted tiny judge behind `transformers serve`: every free-form answer the rules
    did not accept goes to it over HTTP, and its verdict becomes the row's grade."""
    from serving import serve_model

    data = _option_free_dir(benchmarks_dir, tmp_path / "data")
    judge_config = JudgeConfig(backend="openai", model=str(judge_dir), max_tokens=8)
    config = EvalConfig(
        backend="scripted",
        model=f"{SCRIPTS}:clinician",
        tasks=("medbullets_op4",),
        data_dir=str(data),
        option_free=True,
        judge=judge_config,
    )
    calls: list[tuple[str, str, bool | None]] = []
    with serve_model(judge_dir, startup_timeout=420) as base_url:
        runtime = RuntimeOptions(cache_path=str(tmp_path / "c.sqlite"), judge_base_url=base_url)
        real = make_judge(judge_config, runtime)

        def counted(pairs: list[tuple[str, str]]) -> list[bool | None]:
            decisions = real(pairs)
            calls.extend((*pair, decision) for pair, decision in zip(pairs, decisions, strict=True))
            return decisions

        run_eval(config, tmp_path / "run", runtime, judge=counted, log=lambda message: None)
    rows = {row["id"]: row for row in read_samples(tmp_path / "run")}
    asked = {gold for gold, _, _ in calls}
    assert asked == {rows["medbullets-1"]["gold"], rows["medbullets-4"]["gold"]}  # not the exact match
    for gold, _, decision in calls:
        row = next(row for row in rows.values() if row["gold"] == gold)
        assert row["judged"] == (decision is not None)
        if decision is not None:
            assert row["correct"] is decision and row["comparator"] == "judge"


def test_scaling_and_difficulty_reports_on_an_n8_run(
    run_cli: Any, benchmarks_dir: Path, tmp_path: Path
) -> None:
    from browser import PageTables, render

    run = tmp_path / "run8"
    _eval(
        run_cli,
        run,
        *("--backend", "scripted", "--model", f"{SCRIPTS}:voter", "--tasks", "medbullets_op4"),
        *("--data-dir", str(benchmarks_dir), "--limit", "3", "--n", "8", "--temperature", "1.0"),
    )
    page, numbers = tmp_path / "scaling.html", tmp_path / "scaling.json"
    shown = run_cli("eval", "scaling", str(run), "--out", str(page), "--json", str(numbers))
    assert shown.code == 0, shown.err
    analysis = json.loads(numbers.read_text())["runs"][0]["tasks"]["medbullets_op4"]
    curve = {point["k"]: point for point in analysis["scaling"]}
    assert sorted(curve) == [1, 2, 4, 8]
    # By hand: sample i writes i + 1 filler words plus one boxed letter (no box for N), so the first k
    # samples cost sum(i + 2) words, minus one per N. Problems 0 and 1: 2, 5, 14, 44; problem 2
    # (N at samples 0, 6 and 7): 1, 4, 13, 41.
    assert {k: curve[k]["tokens_per_problem"] for k in curve} == pytest.approx(
        {1: 5 / 3, 2: 14 / 3, 4: 41 / 3, 8: 129 / 3}
    )
    # Votes (G gold, W/V wrong): k=1 and k=8 have no ties (G, W, no answer; G 5-2-1, W 5-3, V 3-2);
    # k=2 ties in problems 0 and 1 (G vs W), k=4 in problem 0 (2 G vs 2 W; problem 1 has 3 G, problem 2
    # 2 V vs 1 G). Ties are drawn by the documented rule over the tied letters.
    assert curve[1]["accuracy"] == pytest.approx(1 / 3) and curve[8]["accuracy"] == pytest.approx(1 / 3)
    rows = read_samples(run)
    for k in (2, 4):
        expected = sum(_letter_vote(rows, problem, k) for problem in medical_scripts.VOTES) / 3
        assert curve[k]["accuracy"] == pytest.approx(expected), k
    # Difficulty = 1 - pass rate: 3/8, 5/8, 6/8; lengths 44/8, 44/8, 41/8 tokens per sample.
    difficulty = analysis["difficulty"]
    assert [(b["bucket"], b["problems"]) for b in difficulty["buckets"]] == [
        ("(0.25, 0.5]", 1),
        ("(0.5, 0.75]", 2),
    ]
    assert difficulty["buckets"][1]["mean_tokens"] == pytest.approx((5.5 + 5.125) / 2)
    assert difficulty["spearman"] == pytest.approx(-1.5 / math.sqrt(3))  # ranks (1,2,3) vs (2.5,2.5,1)
    low, high = difficulty["spearman_ci95"]
    assert -1.0 <= low <= difficulty["spearman"] <= high <= 1.0
    rendered = render(page, tmp_path)
    assert len(rendered.census.images) == 2 and all(
        int(image.get("data-natural-width") or 0) > 0 for image in rendered.census.images
    )
    tables = PageTables()
    tables.feed(rendered.dom)
    (scaling,) = tables.headed("run", "task", "k", "maj@k")
    assert [row[2] for row in scaling[1:]] == ["1", "2", "4", "8"]
    assert [row[5] for row in scaling[1:]] == ["1.667", "4.667", "13.667", "43.000"]


def _letter_vote(rows: list[dict[str, Any]], problem: str, k: int) -> bool:
    """maj@k for one problem from its rows, by the documented seeded rule over the tied letters."""
    first = sorted((row for row in rows if row["id"] == problem), key=lambda row: row["sample"])[:k]
    letters = [row["extracted"] for row in first if row["extracted"] is not None]
    if not letters:
        return False
    best = max(letters.count(letter) for letter in letters)
    tied = sorted({letter for letter in letters if letters.count(letter) == best})
    winner = (
        tied[0]
        if len(tied) == 1
        else random.Random(f"limkit-vote:0:medbullets_op4:{problem}:{k}").choice(tied)
    )
    return winner == first[0]["gold"]


def test_missing_jama_file_says_how_to_supply_it(run_cli: Any, tmp_path: Path) -> None:
    for extra in ((), ("--data-dir", str(tmp_path))):
        out = tmp_path / f"run{len(extra)}"
        result = run_cli("eval", "--model", "m", "--tasks", "jama_clinical", "--out", str(out), *extra)
        assert result.code == 1
        message = result.err.strip()
        assert "\n" not in message, message
        for needed in ("not redistributable", "JAMA_test_urls.json", "jama_clinical.jsonl", "--data-dir"):
            assert needed in message, needed
        assert not out.exists()
