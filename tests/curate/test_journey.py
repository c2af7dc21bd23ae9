"""Shortcut and journey trajectories from hand-built reasoning trees, and the fluency-rewrite check."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from limkit.curate import (
    Trajectory,
    check_rewrite,
    correct_path_ids,
    journey,
    read_trees,
    shortcut,
    write_trajectories,
)
from limkit.curate._journey import BACKTRACK_PHRASES
from limkit.errors import LimkitError

BACK = ("BACK to {where}",)


def _step(node_id: str, parent: str, depth: int, step: str, **extra: Any) -> dict[str, Any]:
    row = {"id": node_id, "parent": parent, "depth": depth, "step": step, "score": None, "verdict": "correct"}
    return {**row, "reason": "", "final_answer": None, "correct": None, **extra}


# Problem t1: (2+3)*4 = 20. The correct path is t1 -> a -> a1. The root has one wrong branch (b), whose
# two children force a random single pick; the correct-path node a has one wrong child (a2).
TREE_T1 = [
    {"id": "t1", "parent": None, "depth": 0, "problem": "Compute (2+3)*4.", "answer": "20"},
    _step("a", "t1", 1, "1. 2 + 3 = 5", score=0.9),
    _step("b", "t1", 1, "1. 2 * 4 = 8", verdict="incorrect", reason="the sum in brackets comes first"),
    _step("a1", "a", 2, "2. 5 * 4 = 20", final_answer="20", correct=True),
    _step(
        "a2",
        "a",
        2,
        "2. 5 * 4 = 24",
        verdict="incorrect",
        reason="5 * 4 is 20, not 24",
        final_answer="24",
        correct=False,
    ),
    _step("b1", "b", 2, "2. 8 + 3 = 11", final_answer="11", correct=False),
    _step(
        "b2",
        "b",
        2,
        "2. 8 + 5 = 13",
        verdict="incorrect",
        reason="adds 5 instead of 3",
        final_answer="13",
        correct=False,
    ),
]
# t2: two correct leaves (x1 shallower than y2), so y is on a correct path and never a detour; z's
# branch was scored by rollouts (no verdicts), so its dead end is the reflection.
TREE_T2 = [
    {"id": "t2", "parent": None, "depth": 0, "problem": "What is 7 - 2?", "answer": "5"},
    _step("x", "t2", 1, "1. 7 - 2 = 5", final_answer="5", correct=True),
    _step("y", "t2", 1, "1. Count down from 7 twice"),
    _step("y1", "y", 2, "2. That gives 5", final_answer="5", correct=True),
]
TREE_T3 = [
    {"id": "t3", "parent": None, "depth": 0, "problem": "What is 9 / 3?", "answer": "3"},
    _step("p", "t3", 1, "1. 9 / 3 means 9 - 3 = 6", verdict=None, score=0.2, final_answer="6", correct=False),
    _step("q", "t3", 1, "1. 9 / 3 = 3", verdict=None, score=0.8, final_answer="3", correct=True),
]
TREE_T4 = [  # no correct leaf: skipped
    {"id": "t4", "parent": None, "depth": 0, "problem": "What is 1 + 1?", "answer": "2"},
    _step("w", "t4", 1, "1. 1 + 1 = 3", final_answer="3", correct=False),
]


def _write(tmp_path: Path, rows: list[dict[str, Any]]) -> Path:
    path = tmp_path / "trees.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _seq(trajectory: Trajectory) -> list[tuple[str, str, str]]:
    return [(segment.kind, segment.node, segment.text) for segment in trajectory.segments]


def _t1_journey(wrong_leaf: str) -> list[tuple[str, str, str]]:
    branch = [
        ("step", "b", "1. 2 * 4 = 8"),
        ("reflection", "b", "Wait, that step does not hold up: the sum in brackets comes first"),
    ]
    if wrong_leaf == "b1":
        branch.append(("step", "b1", "2. 8 + 3 = 11"))
    else:
        branch += [
            ("step", "b2", "2. 8 + 5 = 13"),
            ("reflection", "b2", "Wait, that step does not hold up: adds 5 instead of 3"),
        ]
    return [
        *branch,
        ("backtrack", "t1", "BACK to the start"),
        ("step", "a", "1. 2 + 3 = 5"),
        ("step", "a2", "2. 5 * 4 = 24"),
        ("reflection", "a2", "Wait, that step does not hold up: 5 * 4 is 20, not 24"),
        ("backtrack", "a", "BACK to step 1"),
        ("step", "a1", "2. 5 * 4 = 20"),
    ]


def test_shortcut_and_journey_on_a_hand_built_tree(tmp_path: Path) -> None:
    (tree,) = read_trees(_write(tmp_path, TREE_T1))
    short = shortcut(tree)
    assert short is not None and short.answer == "20"
    assert _seq(short) == [("step", "a", "1. 2 + 3 = 5"), ("step", "a1", "2. 5 * 4 = 20")]
    assert short.text == "1. 2 + 3 = 5\n2. 5 * 4 = 20\n\nFinal answer: \\boxed{20}"
    assert correct_path_ids(tree) == {"t1", "a", "a1"}

    picked = set()
    for seed in range(16):
        walk = journey(tree, random.Random(seed), phrases=BACK)
        assert walk is not None and walk.answer == "20"
        wrong_leaf = "b1" if any(segment.node == "b1" for segment in walk.segments) else "b2"
        assert _seq(walk) == _t1_journey(wrong_leaf)  # exactly one child inside the wrong branch
        picked.add(wrong_leaf)
        again = journey(tree, random.Random(seed), phrases=BACK)
        assert again is not None and _seq(again) == _seq(walk)  # seeded: reproducible
    assert picked == {"b1", "b2"}  # the single child is a random pick, not always the first

    assert _seq(journey(tree, random.Random(0), wrong_branches=0, phrases=BACK) or short) == _seq(short)
    default = journey(tree, random.Random(0))
    assert default is not None
    backtracks = [segment.text for segment in default.segments if segment.kind == "backtrack"]
    assert len(backtracks) == 2
    assert all(
        any(text == p.format(where=w) for p in BACKTRACK_PHRASES for w in ("the start", "step 1"))
        for text in backtracks
    )


def test_other_correct_paths_are_never_detours_and_dead_ends_reflect(tmp_path: Path) -> None:
    t2, t3, t4 = read_trees(_write(tmp_path, TREE_T2 + TREE_T3 + TREE_T4))
    walk = journey(t2, random.Random(0), phrases=BACK)
    assert walk is not None and _seq(walk) == [("step", "x", "1. 7 - 2 = 5")]  # y leads to a correct leaf too
    walk = journey(t3, random.Random(0), phrases=BACK)
    assert walk is not None
    assert _seq(walk) == [
        ("step", "p", "1. 9 / 3 means 9 - 3 = 6"),
        ("reflection", "p", "Wait, this reaches 6, which does not check out."),
        ("backtrack", "t3", "BACK to the start"),
        ("step", "q", "1. 9 / 3 = 3"),
    ]
    assert shortcut(t4) is None and journey(t4, random.Random(0)) is None
    (t5,) = read_trees(
        _write(tmp_path, [*TREE_T3, _step("s", "t3", 1, "1. 9 / 3 = 27", final_answer="27", correct=False)])
    )
    for seed in range(8):  # two wrong children at the root: at most one detour is taken
        walk = journey(t5, random.Random(seed))
        assert walk is not None and walk.count("backtrack") == 1 and walk.count("step") == 2
    wider = journey(t5, random.Random(0), wrong_branches=2)
    assert wider is not None and wider.count("backtrack") == 2


def test_write_trajectories_chat_rows_and_length_stats(tmp_path: Path) -> None:
    trees = _write(tmp_path, TREE_T1 + TREE_T2 + TREE_T3 + TREE_T4)
    stats = write_trajectories(trees, tmp_path / "out", seed=3)
    assert stats["trees"] == 4 and stats["without_correct_leaf"] == ["t4"]
    assert stats["shortcut"]["samples"] == stats["journey"]["samples"] == 3
    assert stats["shortcut"]["backtracks"] == {"mean": 0.0, "min": 0, "max": 0}
    assert stats["journey"]["backtracks"]["max"] == 2
    assert stats["journey"]["chars"]["mean"] > stats["shortcut"]["chars"]["mean"]
    assert json.loads((tmp_path / "out" / "stats.json").read_text()) == stats
    rows = [json.loads(line) for line in (tmp_path / "out" / "journey.jsonl").read_text().splitlines()]
    assert [row["id"] for row in rows] == ["t1:journey", "t2:journey", "t3:journey"]
    first = rows[0]
    assert [m["role"] for m in first["messages"]] == ["user", "assistant"]
    assert first["messages"][0]["content"].startswith("Compute (2+3)*4.\nPlease reason step by step")
    assert first["messages"][1]["content"].endswith("\n\nFinal answer: \\boxed{20}")
    assert "5 * 4 is 20, not 24" in first["messages"][1]["content"] and first["backtracks"] == 2
    gair = json.loads((tmp_path / "out" / "journey_o1.jsonl").read_text().splitlines()[0])
    assert gair["question"] == "Compute (2+3)*4." and gair["answer"] == "20"
    assert gair["longCOT"].endswith("\n2. 5 * 4 = 20\n#### 20") and "5 * 4 is 20, not 24" in gair["longCOT"]
    again = write_trajectories(trees, tmp_path / "again", seed=3)
    assert again == stats
    assert (tmp_path / "again" / "journey.jsonl").read_text() == (
        tmp_path / "out" / "journey.jsonl"
    ).read_text()


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([{"id": "r", "parent": None, "depth": 0, "problem": "p"}], "trees.jsonl:1, field 'answer'"),
        (
            [TREE_T1[0], _step("a", "zz", 1, "x")],
            "trees.jsonl:2, field 'parent': parent 'zz' is not an earlier node",
        ),
        ([TREE_T1[0], _step("a", "t1", 2, "x")], "trees.jsonl:2, field 'depth'"),
        ([TREE_T1[0], _step("a", "t1", 1, "x", verdict="ok")], "trees.jsonl:2, field 'verdict'"),
        ([TREE_T1[0], _step("a", "t1", 1, "x", correct="yes")], "trees.jsonl:2, field 'correct'"),
        ([TREE_T1[0], _step("t1", "t1", 1, "x")], "trees.jsonl:2, field 'id': duplicate node id 't1'"),
    ],
)
def test_bad_tree_lines_name_file_line_and_field(
    tmp_path: Path, rows: list[dict[str, Any]], expected: str
) -> None:
    with pytest.raises(LimkitError) as raised:
        read_trees(_write(tmp_path, rows))
    assert expected in str(raised.value)


GOOD_REWRITE = (
    "First I try multiplying: 2 * 4 = 8. Hmm, the sum in brackets comes first, so that was wrong. "
    "Then 8 + 5 = 13, which adds 5 instead of 3. Let me start over. 2 + 3 = 5. "
    "Then 5 * 4 = 24? Wait: 5 * 4 is 20, not 24. Going back, 5 * 4 = 20.\n\nFinal answer: \\boxed{20}"
)


def test_rewrite_check_keeps_every_step_and_the_answer(tmp_path: Path) -> None:
    (tree,) = read_trees(_write(tmp_path, TREE_T1))
    walk = next(
        w
        for seed in range(16)
        if (w := journey(tree, random.Random(seed))) and any(s.node == "b2" for s in w.segments)
    )
    accepted = check_rewrite(walk, GOOD_REWRITE, tree.answer)
    assert accepted.accepted and accepted.text == GOOD_REWRITE and accepted.problems == ()

    dropped = GOOD_REWRITE.replace("Then 5 * 4 = 24? Wait: 5 * 4 is 20, not 24. ", "")
    refused = check_rewrite(walk, dropped, tree.answer)
    assert not refused.accepted and refused.text == walk.text  # falls back to the draft
    assert [p.split(":")[0] for p in refused.problems] == ["step a2 is missing", "reflection a2 is missing"]

    reordered = GOOD_REWRITE.replace("2 + 3 = 5. ", "").replace("Going back,", "Going back, 2 + 3 = 5 and")
    out_of_order = check_rewrite(walk, reordered, tree.answer)  # the correct step moved after the wrong one
    assert not out_of_order.accepted and out_of_order.problems[0].startswith("step a2 is missing")

    changed = GOOD_REWRITE.replace("\\boxed{20}", "\\boxed{24}")
    refused = check_rewrite(walk, changed, tree.answer)
    assert not refused.accepted and refused.text == walk.text
    assert refused.problems == ("final answer no longer grades correct against '20' (incorrect)",)

    assert check_rewrite(walk, walk.text, tree.answer).accepted  # the draft itself always passes


def test_trajectories_command(tmp_path: Path, run_cli: Any) -> None:
    trees = _write(tmp_path, TREE_T1 + TREE_T4)
    result = run_cli("journey", "trajectories", str(trees), "--out", str(tmp_path / "out"), "--seed", "1")
    assert result.code == 0, result.err
    assert "journey: 1 samples" in result.out and "2 trees, 1 without a correct leaf" in result.out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "journey.jsonl",
        "journey_o1.jsonl",
        "shortcut.jsonl",
        "stats.json",
    ]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(TREE_T1[0]) + "\n" + json.dumps(_step("a", "nope", 1, "x")) + "\n")
    result = run_cli("journey", "trajectories", str(bad), "--out", str(tmp_path / "none"))
    assert result.code == 1 and f"{bad}:2, field 'parent'" in result.err
    assert not (tmp_path / "none").exists()
