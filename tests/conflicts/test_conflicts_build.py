"""A hand-checkable 10-question build from the shipped NQ file with the scripted models: the expected
pools, triples, pairs, labels, rejections and detector metrics are computed here from the script's rules."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from conflict_scripts import CANDIDATES, judge_verdict

from browser import render
from limkit.studies.conflicts import PAIR_GROUPS, normalize_answer

SCRIPT = "conflict_scripts:generator"


def read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def build(run_cli: Any, source: Path, out: Path, *extra: str) -> Any:
    return run_cli(
        "conflicts",
        "build",
        "--input",
        str(source),
        "--out",
        str(out),
        "--backend",
        "scripted",
        "--model",
        SCRIPT,
        "--nli",
        "llm",
        *extra,
    )


def expected_pool(question: dict[str, Any]) -> list[str]:
    pool, seen = [], set()
    extra = () if question["id"] == "nq-open-dev-4" else CANDIDATES
    for answer in [*question["answer"], *extra]:
        if normalize_answer(answer) not in seen:
            seen.add(normalize_answer(answer))
            pool.append(answer)
    return pool


def test_ten_question_build_gives_the_hand_computed_triples_pairs_and_rejections(
    run_cli: Any, nq_ten: Path, tmp_path: Path
) -> None:
    out = tmp_path / "build"
    result = build(run_cli, nq_ten, out)
    assert result.code == 0, result.err
    questions = read(nq_ten)
    triples = {t["id"]: t for t in read(out / "triples.jsonl")}
    expected_triples = 0
    for q in questions:
        golds = {normalize_answer(a) for a in q["answer"]}
        for i, answer in enumerate(expected_pool(q)):
            if q["id"] == "nq-open-dev-4":
                continue  # the gold alone: no other answer for E3
            expected_triples += 1
            triple = triples[f"{q['id']}|a{i}"]
            a, _, b = triple["answers"]
            assert a == answer and b != a and b in expected_pool(q)
            if normalize_answer(a) in golds:
                assert b in CANDIDATES, "a gold answer is paired with a non-gold candidate"
            rounds = ("t0|e1", "t1|e1") if a == "Gamma" else ("t0|e2", "t1|e2")
            if not (a == "Gamma" or (a == "Beta" and q["id"] == "nq-open-dev-1")):
                rounds = ("t0|e1", "t0|e2")
            assert triple["evidence_ids"][:2] == [f"{q['id']}|a{i}|{r}" for r in rounds]
            e1 = triple["texts"][0]
            assert triple["revision"] == (None if b == "Beta" else e1.replace(a, b))
    assert len(triples) == expected_triples == 39
    pairs = read(out / "pairs.jsonl")
    beta = sum(1 for t in triples.values() if t["answers"][2] == "Beta")
    assert len(pairs) == 6 * expected_triples - 3 * beta
    labels = {group: label for group, _, _, label, _ in PAIR_GROUPS}
    assert all(pair["label"] == labels[pair["group"]] for pair in pairs)
    counts = Counter(pair["group"] for pair in pairs)
    assert counts["E1-E2"] == counts["E1-E3"] == expected_triples
    assert counts["E1'-E1"] == counts["E1'-E3"] == expected_triples - beta
    rejections = Counter(row["stage"] for row in read(out / "rejections.jsonl"))
    assert rejections == {"candidates": 1, "triple": 1, "evidence": 9 + 2, "pollution": 3 * beta}
    assert all(row["reason"] for row in read(out / "rejections.jsonl"))
    assert f"{len(pairs)} pairs from 10 questions" in result.err and "89/100 evidences valid" in result.err
    again = build(run_cli, nq_ten, out)
    assert again.code == 0 and "; 0 asks generated" in again.err and ", 0 NLI scores computed" in again.err
    other = build(run_cli, nq_ten, out, "--length", "long")
    assert other.code == 1 and "differs in build" in other.err


def test_factoid_build_keeps_only_mixes_the_nli_filter_confirms(
    run_cli: Any, strategy_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "factoid"
    result = build(run_cli, strategy_file, out, "--kind", "factoid")
    assert result.code == 0, result.err
    pairs = read(out / "pairs.jsonl")
    # s1 and s2 (three facts each; s3 has two and is dropped): k = 1..3 in two orders, j = 1..2;
    # s1's k=2 evidence in the given order left out a key point.
    assert len(pairs) == 2 * (6 + 2) - 1
    assert Counter(p["group"] for p in pairs) == {"k=1": 4, "k=2": 3, "k=3": 4, "j=1": 2, "j=2": 2}
    assert all(p["label"] == 1 and p["kind"] == "factoid" for p in pairs)
    evidence = {e["id"]: e for e in read(out / "evidence.jsonl")}
    assert not evidence["s1|k2|s0"]["valid"] and "wanted entailment" in evidence["s1|k2|s0"]["reason"]
    j2 = evidence["s2|j2"]
    assert sum(f.startswith("It is not true that ") for f in j2["facts"]) == 1 and len(j2["facts"]) == 3
    for k in (1, 2, 3):
        mixed = evidence[f"s2|k{k}|s1"]["facts"]
        assert sum(f.startswith("It is not true that ") for f in mixed) == k


def test_detect_metrics_equal_the_hand_count_and_the_report_renders(
    run_cli: Any, nq_ten: Path, tiny_nli_dir: Path, tmp_path: Path, one_torch_thread: None
) -> None:
    assert build(run_cli, nq_ten, tmp_path / "build").code == 0
    out = tmp_path / "detect"

    def detect() -> Any:
        detectors = ("--detector", "llm", "--detector", f"nli:{tiny_nli_dir}")
        scripted = ("--backend", "scripted", "--model", SCRIPT)
        return run_cli(
            "conflicts", "detect", str(tmp_path / "build"), "--out", str(out), *detectors, *scripted
        )

    result = detect()
    assert result.code == 0, result.err
    pairs = read(tmp_path / "build" / "pairs.jsonl")
    summary = json.loads((out / "summary.json").read_text())
    moon = [p for p in pairs if p["question"].startswith("when was the last time anyone was on the moon")]
    for block in summary["blocks"]:
        if block["detector"] != "llm":
            continue
        kept = pairs if block["mode"] == "plain" else [p for p in pairs if p not in moon]
        assert sum(block["unparsable"].values()) == (0 if block["mode"] == "plain" else len(moon))
        for setting in ("direct", "polluted"):
            cell = [p for p in kept if p["setting"] == setting]
            said = [judge_verdict(p["x"], p["y"]) == "yes" for p in cell]
            tp = sum(1 for p, s in zip(cell, said, strict=True) if s and p["label"] == 1)
            fp = sum(1 for p, s in zip(cell, said, strict=True) if s and p["label"] == 0)
            fn = sum(1 for p, s in zip(cell, said, strict=True) if not s and p["label"] == 1)
            got = block["pooled"][f"{setting}|short"]
            assert got["n"] == len(cell)
            assert got["precision"] == (tp / (tp + fp) if tp + fp else 0.0)
            assert got["recall"] == tp / (tp + fn)
    nli_blocks = [b for b in summary["blocks"] if b["detector"].startswith("nli:")]
    assert {(b["rule"], b["order"], b["mode"]) for b in nli_blocks} == {
        (r, o, m) for r in ("c>e", "max") for o in ("xy", "yx") for m in ("plain", "question")
    }
    scores = read(out / "scores.jsonl")
    assert len(scores) == len({s["key"] for s in scores}) == 2 * 4 * len(pairs)
    rendered = render(out / "report.html", tmp_path)
    assert rendered.census.headings[0] == "Evidence conflicts" and rendered.census.tables >= 5
    assert len(rendered.census.images) >= 1 and rendered.screenshot_std > 0.02
    again = detect()
    assert again.code == 0 and f"(0 scored now, {len(scores)} from earlier" in again.err


def test_resolution_categories_follow_the_scripted_reader(run_cli: Any, nq_ten: Path, tmp_path: Path) -> None:
    assert build(run_cli, nq_ten, tmp_path / "build").code == 0
    out = tmp_path / "resolve"
    result = run_cli(
        "conflicts",
        "resolve",
        str(tmp_path / "build"),
        "--out",
        str(out),
        "--backend",
        "scripted",
        "--model",
        SCRIPT,
    )
    assert result.code == 0, result.err
    rows = read(out / "resolution.jsonl")
    conflicts = [p for p in read(tmp_path / "build" / "pairs.jsonl") if p["group"] == "E1-E3"]
    assert len(rows) == len(conflicts)
    for variant in ("explained", "answer_only"):
        want = Counter("follows E2" if p["y_answer"] == "Alpha" else "follows E1" for p in conflicts)
        assert Counter(row[variant]["category"] for row in rows) == want
        agree = sum(1 for p in conflicts if "Alpha" in (p["x_answer"], p["y_answer"]))
        assert sum(row[variant]["agrees_with_belief"] for row in rows) == agree
    assert all(row["explained"]["explanation"] and row["answer_only"]["explanation"] is None for row in rows)


def test_a_gold_answer_is_only_ever_paired_with_a_non_gold_candidate() -> None:
    from limkit.studies.conflicts import BuildConfig, Question, answer_pool
    from limkit.studies.conflicts._answers import _triples

    question = Question("q", "which", ("g1", "g2", "g3", "g4", "g5"))
    pool = answer_pool(question, ["cand"])
    evidence = {
        ("q", i): [{"valid": True, "id": f"{i}|{k}", "text": f"t{i}{k}"} for k in (1, 2)] for i in range(6)
    }
    rejections: list[dict[str, Any]] = []
    triples = _triples([question], {"q": pool}, evidence, BuildConfig(), rejections)
    assert len(triples) == 6 and not rejections
    assert all(t["answers"][2] == "cand" for t in triples if t["answers"][0] != "cand")
    assert next(t for t in triples if t["answers"][0] == "cand")["answers"][2].startswith("g")
