"""Reasoning trees as JSONL nodes, read strictly: one line per node, several trees per file.

A root line carries the problem and its gold answer; every other line is one proposed step::

    {"id": "p1", "parent": null, "depth": 0, "problem": "What is 2+3*4?", "answer": "14"}
    {"id": "p1.a", "parent": "p1", "depth": 1, "step": "1. 3*4 = 12", "score": 0.9,
     "verdict": "correct", "reason": "", "final_answer": null, "correct": null}

`verdict` and `reason` are the step scorer's (a judge's correct/incorrect and its rationale); `score`
is a process reward or rollout estimate; `final_answer` is set on a step that states one, and `correct`
is the grader's verdict on it. Children keep file order, so derivations are reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from limkit.data import read_jsonl
from limkit.errors import LimkitError

VERDICTS = ("correct", "incorrect")


@dataclass(frozen=True)
class Node:
    id: str
    parent: str | None
    depth: int
    step: str = ""
    score: float | None = None
    verdict: str | None = None
    reason: str = ""
    final_answer: str | None = None
    correct: bool | None = None


@dataclass
class Tree:
    """One problem's tree: the root (problem and gold) and every node by id, children in file order."""

    root: Node
    problem: str
    answer: str
    nodes: dict[str, Node] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)

    def kids(self, node_id: str) -> list[Node]:
        return [self.nodes[child] for child in self.children.get(node_id, [])]

    def is_leaf(self, node_id: str) -> bool:
        return not self.children.get(node_id)

    def path_to(self, node_id: str) -> list[Node]:
        """Root first, `node_id` last."""
        path = [self.nodes[node_id]]
        while path[-1].parent is not None:
            path.append(self.nodes[path[-1].parent])
        return path[::-1]


def read_trees(path: str | Path) -> list[Tree]:
    """Every tree in a node file, in the order their roots appear; bad lines name file, line and field."""
    path = Path(path)
    trees: dict[str, Tree] = {}
    owner: dict[str, str] = {}
    lines: dict[str, int] = {}
    for number, row in read_jsonl(path):
        node = _node(row, path, number)
        if node.id in lines:
            raise LimkitError(
                f"duplicate node id {node.id!r} (first on line {lines[node.id]})",
                path=path,
                line=number,
                field="id",
            )
        lines[node.id] = number
        if node.parent is None:
            problem, answer = _text(row, "problem", path, number), _text(row, "answer", path, number)
            trees[node.id] = Tree(node, problem, answer, {node.id: node})
            owner[node.id] = node.id
            continue
        parent_tree = owner.get(node.parent)
        if parent_tree is None:
            raise LimkitError(
                f"parent {node.parent!r} is not an earlier node", path=path, line=number, field="parent"
            )
        tree = trees[parent_tree]
        if node.depth != tree.nodes[node.parent].depth + 1:
            raise LimkitError(
                f"depth {node.depth} is not its parent's depth + 1", path=path, line=number, field="depth"
            )
        tree.nodes[node.id] = node
        tree.children.setdefault(node.parent, []).append(node.id)
        owner[node.id] = parent_tree
    return list(trees.values())


def _node(row: dict[str, Any], path: Path, line: int) -> Node:
    node_id = _text(row, "id", path, line)
    parent = row.get("parent")
    if parent is not None and not isinstance(parent, str):
        raise LimkitError("expected a node id or null", path=path, line=line, field="parent")
    depth = row.get("depth")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0 or (parent is None) != (depth == 0):
        raise LimkitError(
            "expected 0 for a root, a positive integer otherwise", path=path, line=line, field="depth"
        )
    if parent is None:
        return Node(node_id, None, 0)
    score = row.get("score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
        raise LimkitError("expected a number or null", path=path, line=line, field="score")
    verdict = row.get("verdict")
    if verdict is not None and verdict not in VERDICTS:
        raise LimkitError(
            f"expected one of {', '.join(VERDICTS)} or null", path=path, line=line, field="verdict"
        )
    correct = row.get("correct")
    if correct is not None and not isinstance(correct, bool):
        raise LimkitError("expected true, false or null", path=path, line=line, field="correct")
    final = row.get("final_answer")
    if final is not None and not isinstance(final, str):
        raise LimkitError("expected a string or null", path=path, line=line, field="final_answer")
    reason = row.get("reason") or ""
    if not isinstance(reason, str):
        raise LimkitError("expected a string", path=path, line=line, field="reason")
    step = _text(row, "step", path, line)
    return Node(
        node_id, parent, depth, step, None if score is None else float(score), verdict, reason, final, correct
    )


def _text(row: dict[str, Any], key: str, path: Path, line: int) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise LimkitError("expected a non-empty string", path=path, line=line, field=key)
    return value
