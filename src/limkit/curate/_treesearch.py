"""The `tree` step: reasoning trees grown by step-level beam search (O1 Replication Journey, Part 1).

The root is the problem. At each depth every frontier node gets `width` proposed next steps from the
policy (one numbered line each, the Abel format the paper's policy wrote); the step scorer rates the
new steps and the beam keeps the `beam` best of them per problem (`keep: top_k`, the paper's
Math-Shepherd pruning) or at most `beam` judged correct (`keep: correct`, its o1-mini pruning). A kept
step that states a final answer is a leaf, graded against the gold; the rest form the next frontier.
Growth stops at `depth` or when no open step is left. Pruned steps stay in the tree (as leaves, with
their scores, verdicts and reasons): they are the wrong branches a journey walks into.

With pruning the policy is asked at most `width * beam * depth` steps per problem (the paper's n·K·D)
instead of the full tree's (w^(D+1) - w) / (w - 1). Paper values of w, K and D are unpublished; the
defaults here are limkit's choice. Every request goes through the cache and every finished tree is
stored at once, so a killed build resumes without asking anything twice.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limkit.curate._llm import MeasurementStore, ModelSpec
from limkit.curate._options import OptionError, doc
from limkit.curate._record import Record, has_gold
from limkit.curate._scorers import (
    JudgeScorer,
    PrmScorer,
    RolloutScorer,
    ScorerSpec,
    StepItem,
    StepScore,
    StepScorer,
    answered,
    scorer_fingerprint,
    steps_text,
)
from limkit.curate._step import Step, register_step
from limkit.progress import progress_bar

KEEP_RULES = ("auto", "top_k", "correct")
DEFAULT_POLICY_PROMPT = (
    "{problem}\nSolve this step by step. Write one step per line, numbered 1., 2., ..., and put the final "
    "answer within \\boxed{} on the last step."
)
CONTINUATIONS = ("assistant", "user")
USER_CONTINUATION = "\n\nSteps so far:\n{steps}\n{ask}"
_LEADING_NUMBER = re.compile(r"^\s*\d+\s*[.):]\s*")


@dataclass
class GrowNode:
    """A node while its tree grows; `row()` is its line in the tree file (see `limkit.curate.read_trees`)."""

    id: str
    parent: str | None
    depth: int
    step: str = ""
    score: float | None = None
    verdict: str | None = None
    reason: str = ""
    final_answer: str | None = None
    correct: bool | None = None
    kept: bool = False

    def row(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Growing:
    """One problem's tree under construction."""

    record: Record
    nodes: list[GrowNode]
    frontier: list[GrowNode]
    requested: int = 0

    def path_steps(self, node: GrowNode) -> tuple[str, ...]:
        by_id = {n.id: n for n in self.nodes}
        steps = []
        while node.parent is not None:
            steps.append(node.step)
            node = by_id[node.parent]
        return tuple(reversed(steps))


@register_step("tree")
@dataclass
class GrowTrees(Step):
    """Grows a reasoning tree per problem by step-level beam search (O1 Journey Part 1)."""

    policy: ModelSpec | None = dataclasses.field(
        default=None, metadata=doc("The policy model that proposes one numbered step at a time.")
    )
    width: int = dataclasses.field(default=3, metadata=doc("Steps proposed per frontier node (w)."))
    beam: int = dataclasses.field(default=2, metadata=doc("Steps kept per depth and problem (K)."))
    depth: int = dataclasses.field(default=10, metadata=doc("Maximum depth (D)."))
    keep: str = dataclasses.field(
        default="auto",
        metadata=doc(
            "top_k: the K best scores; correct: at most K judged correct; auto: correct for judge.",
            choices=KEEP_RULES,
        ),
    )
    scorer: ScorerSpec = dataclasses.field(
        default_factory=ScorerSpec, metadata=doc("The step scorer: {kind: rollout|judge|prm, ...}.")
    )
    temperature: float = dataclasses.field(default=0.7, metadata=doc("Policy sampling temperature."))
    top_p: float = dataclasses.field(default=0.95, metadata=doc("Policy nucleus sampling mass."))
    step_tokens: int = dataclasses.field(default=256, metadata=doc("Cap on tokens per proposed step."))
    seed: int = dataclasses.field(default=0, metadata=doc("Sample i of a request uses seed + i."))
    prompt: str = dataclasses.field(
        default=DEFAULT_POLICY_PROMPT, metadata=doc("Policy user prompt with {problem}.")
    )
    continuation: str = dataclasses.field(
        default="assistant",
        metadata=doc(
            "assistant: continue the assistant turn after the steps (vLLM, SGLang, hf); user: restate "
            "the steps in the user turn (servers without continue_final_message, e.g. transformers serve).",
            choices=CONTINUATIONS,
        ),
    )
    require_box: bool = dataclasses.field(
        default=True, metadata=doc("Only a \\boxed{} answer counts for graded rollouts.")
    )
    chunk_size: int = dataclasses.field(
        default=8, metadata=doc("Problems grown together (the resume granularity).")
    )
    grade_timeout: float = dataclasses.field(default=5.0, metadata=doc("Seconds allowed to grade one text."))

    def validate(self) -> None:
        if self.policy is None:
            raise OptionError("policy", "name the policy model: {model, backend, base_url}")
        for name in ("width", "beam", "depth", "step_tokens", "chunk_size"):
            if getattr(self, name) < 1:
                raise OptionError(name, f"must be >= 1, got {getattr(self, name)}")
        if "{problem}" not in self.prompt:
            raise OptionError("prompt", "the policy prompt must contain {problem}")
        self.scorer.check_options()
        if self.keep_rule == "correct" and self.scorer.kind != "judge":
            raise OptionError("keep", "keep: correct needs the judge scorer (only it gives verdicts)")

    def check(self) -> None:
        assert self.policy is not None
        self.policy.check()
        if self.scorer.model is not None:
            self.scorer.model.check()

    @property
    def keep_rule(self) -> str:
        if self.keep != "auto":
            return self.keep
        return "correct" if self.scorer.kind == "judge" else "top_k"

    def fingerprint_options(self) -> dict[str, Any]:
        options = self.options()
        assert self.policy is not None
        options["policy"] = self.policy.identity()
        options["scorer"] = scorer_fingerprint(self.scorer)
        for name in ("chunk_size", "grade_timeout"):
            options.pop(name)
        return options

    def shard_count(self, requested: int) -> int:
        local = self.scorer.kind == "prm" or any(
            spec is not None and spec.backend in ("hf", "vllm") for spec in (self.policy, self.scorer.model)
        )
        return 1 if local else requested

    def run(self, records: Iterable[Record], rank: int = 0, world_size: int = 1) -> Iterator[Record]:
        items = list(records)
        store = self._store(rank)
        todo = [r for r in items if has_gold(r) and store.get(r) is None]
        self.count("trees_from_store", sum(has_gold(r) for r in items) - len(todo))
        if todo:
            self._grow_all(store, todo)
        for record in items:
            outcome = store.get(record) if has_gold(record) else None
            if outcome is None:
                yield self.drop(record, "no_gold_answer")
                continue
            yield {**record, "tree": outcome["tree"]}

    def _store(self, rank: int) -> MeasurementStore:
        payload = json.dumps(self.fingerprint_options(), sort_keys=True, default=str)
        key = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]
        return MeasurementStore(self.context.store_dir / f"tree-{key}", rank)

    def _grow_all(self, store: MeasurementStore, todo: Sequence[Record]) -> None:
        from limkit.grade import Grader

        assert self.policy is not None
        policy = self.policy.generator(self.context.cache_path)
        with (
            Grader(workers=1, timeout=self.grade_timeout) as grader,
            store.writer() as writer,
            progress_bar(len(todo), f"tree ({self.policy.label}, {self.scorer.kind})") as advance,
        ):
            scorer = self._scorer(policy, grader)
            for start in range(0, len(todo), self.chunk_size):
                chunk = todo[start : start + self.chunk_size]
                generated, cached = policy.stats.generated, policy.stats.cached
                for growing in self.grow(chunk, policy, scorer, grader):
                    store.put(writer, growing.record, {"tree": self._summary(growing)})
                self.count("requests_generated", policy.stats.generated - generated)
                self.count("requests_cached", policy.stats.cached - cached)
                advance(len(chunk))

    def _scorer(self, policy: Any, grader: Any) -> StepScorer:
        if self.scorer.kind == "prm":
            return PrmScorer(self.scorer)
        if self.scorer.kind == "judge":
            judge = self.scorer.model.generator(self.context.cache_path) if self.scorer.model else policy
            return JudgeScorer(self.scorer, judge, self._stats)
        roller = self.scorer.model.generator(self.context.cache_path) if self.scorer.model else policy
        return RolloutScorer(self.scorer, roller, self.policy_request, grader, self.require_box, self._stats)

    def policy_request(
        self, request_id: str, problem: str, steps: Sequence[str], number: int | None, params: Any
    ) -> Any:
        """Asks for step `number` after `steps`, or (number None) for the rest of the solution."""
        from limkit.llm import Request

        user = self.prompt.replace("{problem}", problem)
        if self.continuation == "assistant":
            prefix = steps_text(steps) + (f"{number}." if number is not None else "")
            messages = ({"role": "user", "content": user},)
            return Request(request_id, messages=messages, params=params, assistant_prefix=prefix)
        ask = (
            f"Write step {number} only, on one line."
            if number
            else "Continue from there to the final answer."
        )
        done = steps_text(steps).rstrip("\n") or "(none yet)"
        user += USER_CONTINUATION.replace("{steps}", done).replace("{ask}", ask)
        return Request(request_id, messages=({"role": "user", "content": user},), params=params)

    def grow(self, records: Sequence[Record], policy: Any, scorer: StepScorer, grader: Any) -> list[Growing]:
        """Grows the trees of `records` together, depth by depth (one batch of requests per depth)."""
        trees = [Growing(r, [root := GrowNode(str(r["id"]), None, 0, kept=True)], [root]) for r in records]
        for depth in range(1, self.depth + 1):
            open_trees = [tree for tree in trees if tree.frontier]
            if not open_trees:
                break
            children = self._propose(open_trees, depth, policy, grader)
            self._score(open_trees, children, scorer)
            for tree in open_trees:
                self._prune(tree, children[id(tree)])
        return trees

    def _propose(
        self, trees: Sequence[Growing], depth: int, policy: Any, grader: Any
    ) -> dict[int, list[GrowNode]]:
        """`width` proposed steps per frontier node; empty and repeated sibling steps are dropped, counted."""
        from limkit.grade import GradeItem
        from limkit.llm import SamplingParams

        params = SamplingParams(
            n=self.width,
            temperature=self.temperature,
            top_p=self.top_p,
            max_tokens=self.step_tokens,
            seed=self.seed,
            # Continuing "k." the step ends at the newline; a fresh turn may open with one, so it is cut here.
            stop=("\n",) if self.continuation == "assistant" else (),
        )
        owners: dict[str, tuple[Growing, GrowNode]] = {}
        requests = []
        for tree in trees:
            for node in tree.frontier:
                owners[node.id] = (tree, node)
                problem = str(tree.record["problem"])
                steps = tree.path_steps(node)
                requests.append(self.policy_request(f"step:{node.id}", problem, steps, depth, params))
                tree.requested += self.width
        completions = sorted(policy.generate_all(requests), key=lambda c: (c.request_id, c.sample))
        children: dict[int, list[GrowNode]] = {id(tree): [] for tree in trees}
        seen: set[tuple[str, str]] = set()
        proposed = []
        for completion in completions:
            tree, parent = owners[completion.request_id.removeprefix("step:")]
            text = _first_line(completion.text)
            if not text:
                self.count("empty_steps")
                continue
            step = f"{depth}. {text}"
            if (parent.id, step) in seen:
                self.count("repeated_steps")
                continue
            seen.add((parent.id, step))
            proposed.append((tree, GrowNode(f"{parent.id}.{completion.sample}", parent.id, depth, step)))
        grade_items = [
            GradeItem(node.step, str(tree.record["answer"]), tree.record.get("answer_type"))
            for tree, node in proposed
        ]
        for (tree, node), verdict in zip(proposed, grader.grade_many(grade_items), strict=True):
            if answered(verdict):
                node.final_answer, node.correct = verdict.extracted, bool(verdict.correct)
            tree.nodes.append(node)
            children[id(tree)].append(node)
        self.count("steps_proposed", len(proposed))
        return children

    def _score(
        self, trees: Sequence[Growing], children: dict[int, list[GrowNode]], scorer: StepScorer
    ) -> None:
        items, nodes = [], []
        for tree in trees:
            for node in children[id(tree)]:
                record = tree.record
                steps = tree.path_steps(node)[:-1]
                items.append(
                    StepItem(
                        node.id,
                        str(record["problem"]),
                        str(record["answer"]),
                        record.get("answer_type"),
                        steps,
                        node.step,
                        node.correct,
                    )
                )
                nodes.append(node)
        scores: list[StepScore] = scorer.score(items) if items else []
        for node, scored in zip(nodes, scores, strict=True):
            node.score, node.verdict, node.reason = scored.score, scored.verdict, scored.reason
        self.count("steps_scored", len(items))

    def _prune(self, tree: Growing, children: list[GrowNode]) -> None:
        """Keeps the beam: the K best scores, or at most K judged correct (best score first, then order)."""
        pool = children if self.keep_rule == "top_k" else [c for c in children if c.verdict == "correct"]
        ranked = sorted(pool, key=lambda c: -c.score if c.score is not None else float("inf"))
        for node in ranked[: self.beam]:
            node.kept = True
        tree.frontier = [node for node in children if node.kept and node.final_answer is None]

    def _summary(self, tree: Growing) -> dict[str, Any]:
        rows = [node.row() for node in tree.nodes]
        rows[0] = {
            "id": rows[0]["id"],
            "parent": None,
            "depth": 0,
            "problem": tree.record["problem"],
            "answer": str(tree.record["answer"]),
        }
        steps = tree.nodes[1:]
        return {
            "nodes": rows,
            "steps": len(steps),
            "kept": sum(node.kept for node in steps),
            "depth": max((node.depth for node in steps), default=0),
            "steps_requested": tree.requested,
            "correct_leaves": sum(node.correct is True for node in steps),
            "solved": any(node.correct is True and node.kept for node in steps),
        }


def _first_line(text: str) -> str:
    """The proposed step: its first non-empty line, without a number the policy repeated."""
    for line in text.splitlines():
        if line.strip():
            return _LEADING_NUMBER.sub("", line.strip()).strip()
    return ""


def cost_bounds(width: int, beam: int, depth: int) -> dict[str, int]:
    """Per problem: steps the beam may request (n·K·D) against the unpruned tree's step count."""
    full = sum(width**level for level in range(1, depth + 1))
    return {"beam_bound": width * beam * depth, "full_tree": full}


def write_tree_file(
    kept_path: str | Path, out_dir: str | Path, step: GrowTrees, seconds: float
) -> dict[str, Any]:
    """Writes OUT/trees.jsonl (every tree's nodes, the format `read_trees` reads) and OUT/tree_stats.json.

    The stats give node counts per depth and the paper's cost figure n·K·D beside the steps actually
    requested, so a run shows how much the beam saved.
    """
    from limkit.data import atomic_write_text, read_jsonl, write_jsonl

    summaries = [row["tree"] for _, row in read_jsonl(Path(kept_path)) if isinstance(row.get("tree"), dict)]
    out = Path(out_dir)
    write_jsonl(out / "trees.jsonl", (node for summary in summaries for node in summary["nodes"]))
    per_depth: dict[str, int] = {}
    for summary in summaries:
        for node in summary["nodes"][1:]:
            per_depth[str(node["depth"])] = per_depth.get(str(node["depth"]), 0) + 1
    bounds = cost_bounds(step.width, step.beam, step.depth)
    stats = {
        "trees": len(summaries),
        "solved": sum(bool(s["solved"]) for s in summaries),
        "nodes": sum(s["steps"] for s in summaries),
        "kept": sum(s["kept"] for s in summaries),
        "nodes_per_depth": per_depth,
        "steps_requested": sum(s["steps_requested"] for s in summaries),
        "width": step.width,
        "beam": step.beam,
        "depth": step.depth,
        "scorer": step.scorer.kind,
        "keep": step.keep_rule,
        "cost_n_k_d": bounds["beam_bound"] * len(summaries),
        "full_tree_steps": bounds["full_tree"] * len(summaries),
        "seconds": round(seconds, 2),
    }
    atomic_write_text(out / "tree_stats.json", json.dumps(stats, indent=2) + "\n")
    return stats
