"""Shortcut and journey trajectories from a reasoning tree (O1 Replication Journey, Part 1, Qin et al. 2024).

The shortcut is the root-to-correct-leaf path. The journey is the paper's constrained depth-first walk
along that path: at each node on a correct path it first enters at most one child that is on no correct
path, follows a single random child at every level of that wrong branch down to its leaf, attaches the
step judge's reason to every step judged incorrect (the reflection), returns with a backtracking phrase,
and resumes the correct path, ending at the correct leaf. Both variants come from the same trees, so SFT
on one against the other is the paper's controlled comparison (journey beat shortcut by +8.4 / +8.0
points on MATH500 with 327 samples).

The paper then has GPT-4o rewrite each draft into fluent prose that keeps every step; `check_rewrite`
accepts a rewrite only when every step's and reflection's content survives, in order, and its final
answer still grades correct, and falls back to the draft otherwise. The rewrite prompt is unpublished.
"""

from __future__ import annotations

import random
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limkit.curate._tree import Node, Tree, read_trees

# limkit's wording, in the style of the phrases the paper reports from its trained model.
REFLECTION = "Wait, that step does not hold up: {reason}"
DEAD_END = "Wait, this reaches {answer}, which does not check out."
NO_ANSWER = "Wait, this line of reasoning does not lead to an answer."
BACKTRACK_PHRASES = (
    "Let me go back to {where} and try a different step.",
    "Let's rethink from {where}; maybe we're missing something.",
    "Let me pause and take stock: everything up to {where} still holds, so I continue from there.",
)
ANSWER_LINE = "Final answer: \\boxed{{{answer}}}"
DEFAULT_USER = "{problem}\nPlease reason step by step, and put your final answer within \\boxed{}."
VARIANTS = ("shortcut", "journey")


@dataclass(frozen=True)
class Segment:
    """One line of a trajectory: a tree `step`, a `reflection` on a wrong step, or a `backtrack`.

    `node` is the step's node; for a backtrack, the correct-path node the walk returns to. `content` is
    what a rewrite must keep: the step, the judge's reason, or the dead end's answer (empty for filler).
    """

    kind: str
    node: str
    text: str
    content: str = ""


@dataclass(frozen=True)
class Trajectory:
    tree: str
    variant: str
    segments: tuple[Segment, ...]
    answer: str

    def count(self, kind: str) -> int:
        return sum(segment.kind == kind for segment in self.segments)

    @property
    def text(self) -> str:
        lines = [segment.text for segment in self.segments]
        return "\n".join(lines) + "\n\n" + ANSWER_LINE.format(answer=self.answer)


def correct_path_ids(tree: Tree) -> set[str]:
    """Every node on some root-to-correct-leaf path (the paper marks them "on the correct path")."""
    return {node.id for leaf in _correct_nodes(tree) for node in tree.path_to(leaf.id)}


def shortcut(tree: Tree) -> Trajectory | None:
    """Root to the shallowest graded-correct node (file order breaks ties); None if the tree has none."""
    path = _shortcut_path(tree)
    if path is None:
        return None
    steps = tuple(_step(node) for node in path[1:])
    return Trajectory(tree.root.id, "shortcut", steps, _final(path[-1]))


def journey(
    tree: Tree,
    rng: random.Random,
    *,
    wrong_branches: int = 1,
    phrases: Sequence[str] = BACKTRACK_PHRASES,
) -> Trajectory | None:
    """The constrained DFS along the shortcut's path, with up to `wrong_branches` detours per node."""
    path = _shortcut_path(tree)
    if path is None:
        return None
    on_path = correct_path_ids(tree)
    segments: list[Segment] = []
    for depth, node in enumerate(path):
        if depth:
            segments.append(_step(node))
        if depth == len(path) - 1:
            break
        detours = [child for child in tree.kids(node.id) if child.id not in on_path]
        for child in rng.sample(detours, min(wrong_branches, len(detours))):
            segments.extend(_wrong_branch(tree, child, rng))
            where = "the start" if depth == 0 else f"step {depth}"
            segments.append(Segment("backtrack", node.id, rng.choice(phrases).format(where=where)))
    return Trajectory(tree.root.id, "journey", tuple(segments), _final(path[-1]))


def chat_row(
    tree: Tree, trajectory: Trajectory, user: str = DEFAULT_USER, text: str | None = None
) -> dict[str, Any]:
    """An SFT row in the `{"messages": [...]}` shape `limkit train sft` reads (`text`: a checked rewrite)."""
    return {
        "id": f"{tree.root.id}:{trajectory.variant}",
        "tree": tree.root.id,
        "variant": trajectory.variant,
        "messages": [
            {"role": "user", "content": user.replace("{problem}", tree.problem)},
            {"role": "assistant", "content": trajectory.text if text is None else text},
        ],
        "answer": tree.answer,
        "steps": trajectory.count("step"),
        "backtracks": trajectory.count("backtrack"),
    }


def o1_journey_row(tree: Tree, trajectory: Trajectory) -> dict[str, str]:
    """The row shape of the released GAIR/o1-journey data: `longCOT` ends with a `####` answer line."""
    body = "\n".join(segment.text for segment in trajectory.segments)
    return {"question": tree.problem, "longCOT": f"{body}\n#### {trajectory.answer}", "answer": tree.answer}


def derive(
    trees: Sequence[Tree], *, seed: int = 0, wrong_branches: int = 1
) -> tuple[dict[str, list[Trajectory]], list[str]]:
    """Both variants for every tree with a correct leaf, and the ids of trees without one.

    Each tree's random choices come from its own generator seeded by (seed, root id), so a tree's
    journey does not change when other trees are added or reordered.
    """
    derived: dict[str, list[Trajectory]] = {variant: [] for variant in VARIANTS}
    skipped = []
    for tree in trees:
        short = shortcut(tree)
        if short is None:
            skipped.append(tree.root.id)
            continue
        walk = journey(tree, random.Random(f"{seed}:{tree.root.id}"), wrong_branches=wrong_branches)
        assert walk is not None
        derived["shortcut"].append(short)
        derived["journey"].append(walk)
    return derived, skipped


def length_stats(trajectories: Sequence[Trajectory]) -> dict[str, Any]:
    """Sample count and characters, words, steps and backtracks per sample (mean, min, max)."""
    stats: dict[str, Any] = {"samples": len(trajectories)}
    measures = {
        "chars": [len(t.text) for t in trajectories],
        "words": [len(t.text.split()) for t in trajectories],
        "steps": [t.count("step") for t in trajectories],
        "backtracks": [t.count("backtrack") for t in trajectories],
    }
    for name, values in measures.items():
        stats[name] = (
            {"mean": statistics.fmean(values), "min": min(values), "max": max(values)} if values else None
        )
    return stats


def write_trajectories(
    trees_path: str | Path,
    out_dir: str | Path,
    *,
    seed: int = 0,
    wrong_branches: int = 1,
    user: str = DEFAULT_USER,
    rewriter: Any = None,
) -> dict[str, Any]:
    """Writes OUT/{shortcut,journey}.jsonl (chat rows), OUT/journey_o1.jsonl (GAIR/o1-journey's shape) and
    OUT/stats.json, each atomically; returns the stats.

    `rewriter` (a `limkit.llm` generator) rewrites each journey for fluency; a rewrite that drops a step
    or changes the answer is refused and the draft is kept (`stats["rewrite"]` counts the outcomes).
    """
    import json

    from limkit.data import atomic_write_text, write_jsonl

    trees = read_trees(trees_path)
    by_id = {tree.root.id: tree for tree in trees}
    derived, skipped = derive(trees, seed=seed, wrong_branches=wrong_branches)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    texts: dict[str, str] = {}
    rewrite_stats: dict[str, Any] | None = None
    if rewriter is not None:
        from limkit.curate._rewrite import rewrite_journeys

        items = [(by_id[t.tree].problem, t, by_id[t.tree].answer) for t in derived["journey"]]
        outcomes = rewrite_journeys(items, rewriter)
        texts = {t.tree: o.text for t, o in zip(derived["journey"], outcomes, strict=True)}
        rewrite_stats = {k: sum(o.outcome == k for o in outcomes) for k in ("accepted", "refused", "failed")}
        rewrite_stats["refusals"] = {
            t.tree: list(o.problems) for t, o in zip(derived["journey"], outcomes, strict=True) if o.problems
        }
    for variant, trajectories in derived.items():
        rows = (
            chat_row(by_id[t.tree], t, user, texts.get(t.tree) if variant == "journey" else None)
            for t in trajectories
        )
        write_jsonl(out / f"{variant}.jsonl", rows)
    write_jsonl(out / "journey_o1.jsonl", (o1_journey_row(by_id[t.tree], t) for t in derived["journey"]))
    stats = {
        "trees": len(trees),
        "without_correct_leaf": skipped,
        "seed": seed,
        **{variant: length_stats(trajectories) for variant, trajectories in derived.items()},
        "rewrite": rewrite_stats,
    }
    atomic_write_text(out / "stats.json", json.dumps(stats, indent=2) + "\n")
    return stats


@dataclass(frozen=True)
class RewriteCheck:
    """The outcome of checking a fluency rewrite: the text to train on and why a rewrite was refused."""

    accepted: bool
    text: str
    problems: tuple[str, ...] = ()


def check_rewrite(
    trajectory: Trajectory, rewrite: str, gold: str, *, min_word_share: float = 0.6
) -> RewriteCheck:
    """Accepts `rewrite` only if it keeps every step and reflection and still answers `gold`; else the draft.

    A segment survives when its numbers appear in the rewrite in order (after the previous segment's)
    and at least `min_word_share` of its distinct content words appear at all: rewording is allowed,
    dropping a step, a wrong step or a reflection is not. Backtracking phrases are limkit's own filler
    and may be reworded freely.
    """
    from limkit.grade import grade

    problems = []
    tokens = _tokens(rewrite)
    cursor = 0
    for segment in trajectory.segments:
        if not segment.content:
            continue
        found = _survives(segment.content, tokens, cursor, min_word_share)
        if found is None:
            problems.append(f"{segment.kind} {segment.node} is missing: {segment.text!r}")
        else:
            cursor = found
    verdict = grade(rewrite, gold)
    if not verdict.correct:
        problems.append(f"final answer no longer grades correct against {gold!r} ({verdict.status})")
    if problems:
        return RewriteCheck(False, trajectory.text, tuple(problems))
    return RewriteCheck(True, rewrite)


_STEP_NUMBER = re.compile(r"^\s*(?:step\s*)?\d+\s*[.):]\s*", re.IGNORECASE)
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]{3,}")
_STOPWORDS = frozenset(("the", "and", "that", "this", "then", "with", "for", "from", "are", "was", "not"))


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def _survives(text: str, rewrite_tokens: list[str], cursor: int, min_word_share: float) -> int | None:
    """The rewrite position after this segment's numbers, or None if the segment did not survive."""
    own = _tokens(_STEP_NUMBER.sub("", text))
    words = {token for token in own if not token[0].isdigit() and token not in _STOPWORDS}
    if words and len(words & set(rewrite_tokens)) < min_word_share * len(words):
        return None
    position = cursor
    for number in (token for token in own if token[0].isdigit()):
        try:
            position = rewrite_tokens.index(number, position) + 1
        except ValueError:
            return None
    return position


def _correct_nodes(tree: Tree) -> list[Node]:
    return [node for node in tree.nodes.values() if node.correct is True]


def _shortcut_path(tree: Tree) -> list[Node] | None:
    correct = _correct_nodes(tree)
    if not correct:
        return None
    leaf = min(correct, key=lambda node: node.depth)  # min keeps the first of equal depths: file order
    return tree.path_to(leaf.id)


def _final(node: Node) -> str:
    return node.final_answer if node.final_answer is not None else ""


def _step(node: Node) -> Segment:
    return Segment("step", node.id, node.step, node.step)


def _wrong_branch(tree: Tree, start: Node, rng: random.Random) -> list[Segment]:
    """The steps of one wrong branch, a single random child per level, with reflections on wrong steps."""
    segments: list[Segment] = []
    node = start
    reflected = False
    while True:
        segments.append(_step(node))
        if node.verdict == "incorrect" and node.reason:
            text = REFLECTION.format(reason=node.reason)
            segments.append(Segment("reflection", node.id, text, node.reason))
            reflected = True
        kids = tree.kids(node.id)
        if not kids:
            break
        node = rng.choice(kids)
    if not reflected:  # no judged-wrong step (e.g. rollout or PRM scores): the dead end itself is the reason
        text = DEAD_END.format(answer=node.final_answer) if node.final_answer else NO_ANSWER
        segments.append(Segment("reflection", node.id, text, node.final_answer or ""))
    return segments
