"""Growing reasoning trees by beam search: hand-checked beams, PRM heads, a served scorer, resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from limkit.curate import read_trees

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PROBLEM = {"id": "p1", "problem": "What is 2 + 3 * 4?", "answer": "14"}


def _recipe(tmp_path: Path, problems: list[dict[str, Any]], tree: dict[str, Any]) -> Path:
    pool = tmp_path / "problems.jsonl"
    pool.write_text("".join(json.dumps(p) + "\n" for p in problems), encoding="utf-8")
    recipe = {
        "input": {"path": str(pool)},
        "cache": str(tmp_path / "cache.sqlite"),
        "steps": [{"tree": tree}],
    }
    path = tmp_path / "tree.yaml"
    path.write_text(json.dumps(recipe), encoding="utf-8")  # JSON is YAML
    return path


def _scripted(judge: bool = True, **options: Any) -> dict[str, Any]:
    scorer: dict[str, Any] = {
        "kind": "judge",
        "model": {"model": "journey_scripts:judge", "backend": "scripted"},
    }
    if not judge:
        scorer = {"kind": "rollout", "rollouts": 2}
    tree = {"policy": {"model": "journey_scripts:policy", "backend": "scripted"}, "width": 2, "beam": 1}
    return {**tree, "depth": 3, "scorer": scorer, **options}


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _calls(log: Path) -> list[list[Any]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []


def _shape(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["id"], r.get("score"), r.get("verdict"), r.get("correct"), r.get("kept")) for r in rows]


def test_judge_keeps_at_most_k_correct_and_stops_at_the_answer(
    run_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("LIMKIT_TEST_CALL_LOG", str(log))
    recipe = _recipe(tmp_path, [PROBLEM], _scripted())
    result = run_cli("journey", "tree", str(recipe), "--out", str(tmp_path / "run"))
    assert result.code == 0, result.err
    rows = _rows(tmp_path / "run" / "trees.jsonl")
    # The wrong first step is judged, kept out of the beam and never expanded; the beam's child that
    # states the right answer is a kept leaf, so growth stops at depth 2 of 3.
    assert _shape(rows) == [
        ("p1", None, None, None, None),
        ("p1.0", None, "correct", None, True),
        ("p1.1", None, "incorrect", None, False),
        ("p1.0.0", None, "correct", True, True),
        ("p1.0.1", None, "incorrect", False, False),
    ]
    assert rows[2]["reason"] == "multiplication comes before addition"
    assert rows[3]["final_answer"] == "14"
    calls = _calls(log)
    assert sorted(c[0] for c in calls) == sorted(
        ["step:p1", "step:p1", "step:p1.0", "step:p1.0"]
        + [f"judge:{n}" for n in ("p1.0", "p1.1", "p1.0.0", "p1.0.1")]
    )
    stats = json.loads((tmp_path / "run" / "tree_stats.json").read_text())
    assert (stats["nodes"], stats["steps_requested"], stats["cost_n_k_d"], stats["solved"]) == (4, 4, 6, 1)
    [tree] = read_trees(tmp_path / "run" / "trees.jsonl")  # the trajectories code reads it
    assert [n.id for n in tree.kids("p1")] == ["p1.0", "p1.1"]


def test_rollout_scores_are_graded_shares_and_top_k_expands_a_wrong_step(
    run_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("LIMKIT_TEST_CALL_LOG", str(log))
    recipe = _recipe(tmp_path, [PROBLEM], _scripted(judge=False, beam=2))
    result = run_cli("journey", "tree", str(recipe), "--out", str(tmp_path / "run"))
    assert result.code == 0, result.err
    rows = _rows(tmp_path / "run" / "trees.jsonl")
    # K = 2 keeps both first steps: rollouts from the right one reach 14 (score 1), from the wrong one 20
    # (score 0). Below the wrong step the policy repeats itself: the repeat is dropped, one child stays.
    # Final steps are scored by the grader alone (1 or 0, no rollout).
    assert _shape(rows) == [
        ("p1", None, None, None, None),
        ("p1.0", 1.0, None, None, True),
        ("p1.1", 0.0, None, None, True),
        ("p1.0.0", 1.0, None, True, True),
        ("p1.0.1", 0.0, None, False, True),
        ("p1.1.0", 0.0, None, False, False),
    ]
    rollouts = [c for c in _calls(log) if c[0].startswith("rollout:")]
    assert sorted((c[0], c[1]) for c in rollouts) == [
        ("rollout:p1.0", 0),
        ("rollout:p1.0", 1),
        ("rollout:p1.1", 0),
        ("rollout:p1.1", 1),
    ]
    stats = json.loads((tmp_path / "run" / "tree_stats.json").read_text())
    assert stats["steps_requested"] == 2 + 2 * 2 <= stats["cost_n_k_d"] == 2 * 2 * 3


def test_keep_correct_needs_a_judge(run_cli: Any, tmp_path: Path) -> None:
    recipe = _recipe(tmp_path, [PROBLEM], _scripted(judge=False, keep="correct"))
    result = run_cli("journey", "tree", str(recipe), "--out", str(tmp_path / "run"))
    assert result.code != 0
    assert "keep" in result.err and "judge" in result.err
    assert not (tmp_path / "run" / "trees.jsonl").exists()


def _tiny_classifier(tiny_model_dir: Path, out: Path, head: str) -> Path:
    import torch
    from transformers import (
        AutoConfig,
        AutoModelForSequenceClassification,
        AutoModelForTokenClassification,
        AutoTokenizer,
    )

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    config = AutoConfig.from_pretrained(tiny_model_dir, num_labels=1 if head == "sequence" else 2)
    config.pad_token_id = (
        tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    )
    torch.manual_seed(3)
    cls = AutoModelForSequenceClassification if head == "sequence" else AutoModelForTokenClassification
    model = cls.from_config(config)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.mark.parametrize("head", ["sequence", "token"])
def test_prm_scores_come_from_the_classifier_head_and_rank_the_beam(
    head: str, tiny_model_dir: Path, tmp_path: Path, run_cli: Any
) -> None:
    import torch
    from transformers import (
        AutoModelForSequenceClassification,
        AutoModelForTokenClassification,
        AutoTokenizer,
    )

    prm = _tiny_classifier(tiny_model_dir, tmp_path / "prm", head)
    tree = _scripted(judge=False, beam=1)
    tree["scorer"] = {"kind": "prm", "model": {"model": str(prm)}, "prm_head": head}
    result = run_cli(
        "journey", "tree", str(_recipe(tmp_path, [PROBLEM], tree)), "--out", str(tmp_path / "run")
    )
    assert result.code == 0, result.err
    rows = {r["id"]: r for r in _rows(tmp_path / "run" / "trees.jsonl")}

    tokenizer = AutoTokenizer.from_pretrained(prm)
    cls = AutoModelForSequenceClassification if head == "sequence" else AutoModelForTokenClassification
    model = cls.from_pretrained(prm).eval()

    def expected(*steps: str) -> float:
        with torch.no_grad():
            logits = model(
                **tokenizer(PROBLEM["problem"] + "\n" + "\n".join(steps), return_tensors="pt")
            ).logits[0]
        if head == "token":
            return float(torch.softmax(logits[-1], dim=-1)[1])
        return float(torch.sigmoid(logits[0]))

    first = [rows["p1.0"], rows["p1.1"]]
    for row in first:
        assert row["score"] == pytest.approx(expected(row["step"]), abs=1e-5)
    best = max(first, key=lambda r: r["score"])
    assert [r["kept"] for r in first] == [r is best for r in first]
    assert {r["parent"] for r in rows.values() if r["depth"] == 2} == {best["id"]}


@pytest.mark.parametrize("kind", ["rollout", "judge"])
def test_tree_with_a_scorer_served_by_transformers_serve(
    kind: str, tiny_model_dir: Path, tiny_server: str, tmp_path: Path, run_cli: Any
) -> None:
    """Five demo-pool problems, depth 3, width 2: a scripted policy (its steps known right or wrong, so
    the tree has real structure) and the served tiny model rolling out or judging every step."""
    from journey_scripts import demo_problems

    from serving import FaultProxy

    problems = demo_problems()
    with FaultProxy(tiny_server) as proxy:
        served_model = {"model": str(tiny_model_dir), "backend": "openai", "base_url": proxy.base_url}
        scorer: dict[str, Any] = {"kind": kind, "model": {**served_model, "concurrency": 4}, "rollouts": 2}
        scorer.update(rollout_tokens=16, judge_tokens=24, attempts=2)
        policy = {"model": "journey_scripts:demo_policy", "backend": "scripted"}
        tree = {"policy": policy, "width": 2, "beam": 2, "depth": 3, "scorer": scorer}
        tree["continuation"] = "user"  # transformers serve has no continue_final_message
        recipe = _recipe(tmp_path, problems, tree)
        started = time.monotonic()
        result = run_cli("journey", "tree", str(recipe), "--out", str(tmp_path / "run"))
        seconds = time.monotonic() - started
        assert result.code == 0, result.err
        served = len(proxy.served)
        again = run_cli("journey", "tree", str(recipe), "--out", str(tmp_path / "again"))
        assert again.code == 0, again.err
        assert len(proxy.served) == served > 0  # a second build is answered by the cache alone
    trees = read_trees(tmp_path / "run" / "trees.jsonl")
    stats = json.loads((tmp_path / "run" / "tree_stats.json").read_text())
    counters = json.loads((tmp_path / "run" / "stats.json").read_text())["steps"][1]["counters"]
    print(
        f"\n{kind}: {stats['trees']} trees, {stats['nodes']} nodes {stats['nodes_per_depth']}, "
        f"{stats['steps_requested']} steps requested of bound {stats['cost_n_k_d']}, "
        f"{served} served requests, {seconds:.1f} s, counters {counters}"
    )
    assert [t.root.id for t in trees] == [p["id"] for p in problems]
    assert stats["nodes"] == sum(len(t.nodes) - 1 for t in trees)
    assert stats["steps_requested"] <= stats["cost_n_k_d"] == 5 * 2 * 2 * 3
    for tree in trees:
        first = tree.kids(tree.root.id)
        assert len(first) == 2  # the right and the off-by-one step 1
        for node in tree.nodes.values():
            if node.parent is not None:
                assert node.step.startswith(f"{node.depth}. ")
    if kind == "rollout":  # every open step was rolled out twice on the server; final steps were graded
        open_steps = sum(n.final_answer is None for t in trees for n in t.nodes.values() if n.parent)
        assert counters["rollouts"] == 2 * open_steps and served >= open_steps
        assert all(n.score is not None for t in trees for n in t.nodes.values() if n.parent)
    else:  # the random tiny model never writes a valid verdict: every step unjudged, counted, none kept
        assert counters["judge_failures"] == stats["nodes"] == 10 and stats["kept"] == 0
        assert served == 10 * 2  # two asks per verdict (attempts=2), no more
    assert _rows(tmp_path / "again" / "trees.jsonl") == _rows(tmp_path / "run" / "trees.jsonl")


def _cli(recipe: Path, out: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "limkit", "journey", "tree", str(recipe), "--out", str(out)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_a_killed_build_resumes_asking_nothing_twice(tmp_path: Path) -> None:
    problems = [{**PROBLEM, "id": f"p{i}", "problem": f"Problem {i}: what is 2 + 3 * 4?"} for i in range(12)]
    recipe = _recipe(tmp_path, problems, _scripted(chunk_size=2))
    log = tmp_path / "calls.jsonl"
    pythonpath = os.pathsep.join([str(ROOT / "src"), str(HERE), os.environ.get("PYTHONPATH", "")])
    env = {
        **os.environ,
        "PYTHONPATH": pythonpath,
        "LIMKIT_TEST_CALL_LOG": str(log),
        "LIMKIT_TEST_CALL_DELAY": "0.05",
    }
    process = _cli(recipe, tmp_path / "run", env)
    deadline = time.monotonic() + 60
    while len(_calls(log)) < 30 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    assert process.poll() is None, "the build finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = _calls(log)
    assert 30 <= len(before) < 12 * 8
    resumed = _cli(recipe, tmp_path / "run", {**env, "LIMKIT_TEST_CALL_DELAY": "0"})
    _, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err.decode()
    calls = [tuple(json.dumps(c)) for c in _calls(log)]
    repeated = {c for c in calls if calls.count(c) > 1}
    # Only a request in flight at the kill (answered, not yet cached) may be asked again.
    assert len(repeated) <= 1 and (not repeated or tuple(json.dumps(before[-1])) in repeated)
    assert len(calls) - len(repeated) == 12 * 8
    (tmp_path / "ref").mkdir()
    reference = _recipe(tmp_path / "ref", problems, _scripted(chunk_size=2))
    fresh = _cli(
        reference,
        tmp_path / "ref" / "run",
        {**env, "LIMKIT_TEST_CALL_LOG": str(tmp_path / "ref.log"), "LIMKIT_TEST_CALL_DELAY": "0"},
    )
    fresh.communicate(timeout=120)
    assert _rows(tmp_path / "run" / "trees.jsonl") == _rows(tmp_path / "ref" / "run" / "trees.jsonl")


def test_the_fluency_rewrite_is_used_only_when_it_keeps_every_step(run_cli: Any, tmp_path: Path) -> None:
    problems = [PROBLEM, {**PROBLEM, "id": "p2", "problem": "Please drop: what is 2 + 3 * 4?"}]
    recipe = _recipe(tmp_path, problems, _scripted())
    assert run_cli("journey", "tree", str(recipe), "--out", str(tmp_path / "run")).code == 0
    args = ["--rewrite-model", "journey_scripts:rewriter", "--rewrite-backend", "scripted"]
    trees = str(tmp_path / "run" / "trees.jsonl")
    result = run_cli("journey", "trajectories", trees, "--out", str(tmp_path / "out"), *args)
    assert result.code == 0, result.err
    assert "rewrite: 1 accepted, 1 refused and 0 failed" in result.out
    rows = {r["tree"]: r["messages"][1]["content"] for r in _rows(tmp_path / "out" / "journey.jsonl")}
    plain = run_cli("journey", "trajectories", trees, "--out", str(tmp_path / "plain"))
    assert plain.code == 0
    drafts = {r["tree"]: r["messages"][1]["content"] for r in _rows(tmp_path / "plain" / "journey.jsonl")}
    assert rows["p1"].startswith("Let me think this through.") and "Hmm, wait," in rows["p1"]
    assert rows["p2"] == drafts["p2"]  # the rewrite lost step 1: the draft is kept
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert list(stats["rewrite"]["refusals"]) == ["p2"]
    assert "3 * 4 = 12" in stats["rewrite"]["refusals"]["p2"][0]
