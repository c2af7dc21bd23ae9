"""Step scorers for reasoning-tree beam search (O1 Replication Journey, Part 1, §1.3 of the notes).

The paper pruned its trees with a process reward model first (Math-Shepherd: a 0-1 correctness
probability per step, keep the top K) and then with o1-mini as a binary step judge (correct/incorrect
plus a rationale, keep at most K correct steps). limkit offers both and a third, reward-model-free
estimate: Monte-Carlo rollouts from the step to a final answer, graded by `limkit.grade`.

Every scorer takes a batch of `StepItem`s (the problem, the steps so far and the proposed step) and
returns one `StepScore` each. Judge and rollout requests go through `limkit.llm`, so they are cached
and a resumed build asks nothing twice; PRM scores are computed locally (cheap and deterministic).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from limkit.curate._llm import ModelSpec
from limkit.curate._options import OptionError, doc

SCORER_KINDS = ("rollout", "judge", "prm")
PRM_HEADS = ("sequence", "token")

DEFAULT_JUDGE_PROMPT = (
    "You check one step of a step-by-step solution.\n\n"
    "Problem:\n{problem}\n\nSteps so far:\n{steps}\n\nNew step:\n{step}\n\n"
    "Is the new step correct, given the problem and the steps so far? Reply with JSON: "
    '{"verdict": "correct" or "incorrect", "reason": "one sentence saying why"}.'
)
VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "verdict": {"type": "string", "enum": ["correct", "incorrect"]},
        "reason": {"type": "string"},
    },
    "required": ["verdict", "reason"],
}


@dataclass(frozen=True)
class StepItem:
    """One proposed step to score: `node` is its id, `steps` the path above it (root excluded)."""

    node: str
    problem: str
    answer: str
    answer_type: str | None
    steps: tuple[str, ...]
    step: str
    graded: bool | None  # the grader's verdict when the step states a final answer, else None


@dataclass(frozen=True)
class StepScore:
    score: float | None = None
    verdict: str | None = None
    reason: str = ""


class StepScorer(Protocol):
    def score(self, items: Sequence[StepItem]) -> list[StepScore]: ...


@dataclass(frozen=True)
class ScorerSpec:
    """Which step scorer prunes the tree, and its settings."""

    kind: str = dataclasses.field(
        default="rollout",
        metadata=doc("rollout (graded Monte-Carlo), judge (LLM verdict) or prm.", choices=SCORER_KINDS),
    )
    model: ModelSpec | None = dataclasses.field(
        default=None,
        metadata=doc(
            "The judge, rollout or PRM model (judge, rollout default: the policy; prm: a classifier)."
        ),
    )
    rollouts: int = dataclasses.field(default=4, metadata=doc("Rollouts per step (rollout scorer)."))
    rollout_tokens: int = dataclasses.field(default=1024, metadata=doc("Cap on tokens per rollout."))
    temperature: float = dataclasses.field(default=0.7, metadata=doc("Rollout sampling temperature."))
    prompt: str = dataclasses.field(
        default=DEFAULT_JUDGE_PROMPT, metadata=doc("Judge prompt with {problem}, {steps}, {step}.")
    )
    judge_tokens: int = dataclasses.field(default=256, metadata=doc("Cap on tokens per judge reply."))
    attempts: int = dataclasses.field(default=3, metadata=doc("Asks per judge verdict before giving up."))
    prm_head: str = dataclasses.field(
        default="sequence",
        metadata=doc("sequence: one score per text; token: the last token's label.", choices=PRM_HEADS),
    )
    prm_label: int = dataclasses.field(
        default=1, metadata=doc("The 'good step' label of a multi-label PRM head.")
    )

    def check_options(self) -> None:
        if self.kind == "prm" and self.model is None:
            raise OptionError("scorer.model", "the prm scorer needs a local classifier model")
        if self.rollouts < 1 or self.rollout_tokens < 1 or self.judge_tokens < 1 or self.attempts < 1:
            raise OptionError("scorer", "rollouts, rollout_tokens, judge_tokens and attempts must be >= 1")
        if self.kind == "judge" and not all(key in self.prompt for key in ("{problem}", "{step}")):
            raise OptionError("scorer.prompt", "the judge prompt must contain {problem} and {step}")


def steps_text(steps: Sequence[str]) -> str:
    return "".join(f"{step}\n" for step in steps)


def answered(verdict: Any) -> bool:
    """A text states a final answer when the grader found a box or an answer cue (not a stray number)."""
    return verdict.source in ("box", "cue") and verdict.extracted is not None


class JudgeScorer:
    """An LLM step judge with a structured verdict; a reply that never validates leaves the step unjudged."""

    def __init__(self, spec: ScorerSpec, generator: Any, counts: dict[str, float]) -> None:
        self.spec, self.generator, self.counts = spec, generator, counts

    def score(self, items: Sequence[StepItem]) -> list[StepScore]:
        from limkit.llm import JsonSchema, Request, SamplingParams

        structured = JsonSchema(VERDICT_SCHEMA, name="step_verdict", attempts=self.spec.attempts)
        params = SamplingParams(temperature=0.0, max_tokens=self.spec.judge_tokens)
        requests = [
            Request(
                f"judge:{item.node}", messages=(self._message(item),), params=params, structured=structured
            )
            for item in items
        ]
        by_id = {c.request_id: c for c in self.generator.generate_all(requests)}
        scores = []
        for item in items:
            completion = by_id[f"judge:{item.node}"]
            if not completion.ok:
                self.counts["judge_failures"] = self.counts.get("judge_failures", 0) + 1
                scores.append(StepScore())
                continue
            verdict = completion.value["verdict"]
            scores.append(StepScore(None, verdict, completion.value["reason"].strip()))
        return scores

    def _message(self, item: StepItem) -> dict[str, str]:
        steps = steps_text(item.steps).strip() or "(none yet)"
        text = self.spec.prompt.replace("{problem}", item.problem).replace("{steps}", steps)
        return {"role": "user", "content": text.replace("{step}", item.step)}


class RolloutScorer:
    """Score = the share of rollouts from the step that reach a graded-correct answer.

    `request_for(id, problem, steps, None, params)` builds the policy's request for the rest of a
    solution (the tree step knows how its policy continues a partial solution).

    A step that already states a final answer scores 1 or 0 from the grader, with no rollout.
    """

    def __init__(
        self,
        spec: ScorerSpec,
        generator: Any,
        request_for: Any,
        grader: Any,
        require_box: bool,
        counts: dict[str, float],
    ) -> None:
        self.spec, self.generator, self.request_for = spec, generator, request_for
        self.grader, self.require_box, self.counts = grader, require_box, counts

    def score(self, items: Sequence[StepItem]) -> list[StepScore]:
        from limkit.grade import GradeItem
        from limkit.llm import SamplingParams

        params = SamplingParams(
            n=self.spec.rollouts, temperature=self.spec.temperature, max_tokens=self.spec.rollout_tokens
        )
        open_items = [item for item in items if item.graded is None]
        requests = [
            self.request_for(f"rollout:{item.node}", item.problem, (*item.steps, item.step), None, params)
            for item in open_items
        ]
        completions = sorted(self.generator.generate_all(requests), key=lambda c: (c.request_id, c.sample))
        by_node = {item.node: item for item in open_items}
        grade_items = [
            GradeItem(
                c.text,
                by_node[c.request_id.removeprefix("rollout:")].answer,
                by_node[c.request_id.removeprefix("rollout:")].answer_type,
                self.require_box,
            )
            for c in completions
        ]
        hits: dict[str, list[bool]] = {item.node: [] for item in open_items}
        for completion, verdict in zip(completions, self.grader.grade_many(grade_items), strict=True):
            hits[completion.request_id.removeprefix("rollout:")].append(
                bool(verdict.correct and answered(verdict))
            )
        self.counts["rollouts"] = self.counts.get("rollouts", 0) + len(completions)
        return [
            StepScore(float(item.graded)) if item.graded is not None else StepScore(_share(hits[item.node]))
            for item in items
        ]


def _share(values: list[bool]) -> float:
    return sum(values) / len(values) if values else 0.0


class PrmScorer:
    """A process reward model read from a local classifier head (transformers, in-process).

    The text scored is the problem and the steps up to and including the new one, one per line. A
    one-label sequence head gives sigmoid(logit); a multi-label head gives softmax[`prm_label`]; a token
    head (Math-Shepherd style) is read at the last token.
    """

    def __init__(self, spec: ScorerSpec) -> None:
        import torch
        from transformers import (
            AutoModelForSequenceClassification,
            AutoModelForTokenClassification,
            AutoTokenizer,
        )

        from limkit.llm import local_model_dir

        assert spec.model is not None
        where = local_model_dir(spec.model.model) or spec.model.model
        head = (
            AutoModelForTokenClassification
            if spec.prm_head == "token"
            else AutoModelForSequenceClassification
        )
        self.tokenizer = AutoTokenizer.from_pretrained(where, revision=spec.model.revision)
        self.model = head.from_pretrained(where, revision=spec.model.revision).eval()
        self.spec, self.torch = spec, torch
        if self.spec.prm_label >= max(2, self.model.config.num_labels):
            raise OptionError("scorer.prm_label", f"the head has {self.model.config.num_labels} labels")

    def score(self, items: Sequence[StepItem]) -> list[StepScore]:
        return [StepScore(self.score_text(prm_text(item))) for item in items]

    def score_text(self, text: str) -> float:
        with self.torch.no_grad():
            encoded = self.tokenizer(text, return_tensors="pt")
            logits = self.model(**encoded).logits[0]
            if self.spec.prm_head == "token":
                logits = logits[-1]
            if logits.shape[-1] == 1:
                return float(self.torch.sigmoid(logits[0]))
            return float(self.torch.softmax(logits, dim=-1)[self.spec.prm_label])


def prm_text(item: StepItem) -> str:
    return item.problem + "\n" + steps_text((*item.steps, item.step)).rstrip("\n")


def scorer_fingerprint(spec: ScorerSpec) -> dict[str, Any]:
    """What decides the scores (the model by identity; a local PRM also by its files' sizes and times)."""
    data = dataclasses.asdict(spec)
    if spec.model is not None:
        data["model"] = spec.model.identity()
        path = Path(spec.model.model)
        if spec.kind == "prm" and path.is_dir():
            data["files"] = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in path.iterdir())
    return json.loads(json.dumps(data, default=str))
