"""Answer conflicts (Cheng et al., EMNLP 2024, section 3): candidate answers, two evidences per answer,
validation by NLI and by an LLM reading the evidence alone, triples, minimal-edit pollution, and pairs.

Every stage is one batch over all questions; every evidence that fails keeps its reason in the
rejections. Departures from the released code: retries are bounded everywhere, the triples are written,
and the second answer b is drawn with a seeded generator instead of taking the first one.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from limkit.errors import LimkitError
from limkit.llm import Generator
from limkit.studies.conflicts._ask import Ask, ask_json
from limkit.studies.conflicts._nli import Nli, ScoreCache, top_label
from limkit.studies.conflicts._sources import Question, normalize_answer

LENGTHS = {
    "short": "one-sentence passages",
    "long": "short paragraphs (about 80 words, like web search results)",
}


@dataclass(frozen=True)
class BuildConfig:
    """What an answer-conflict build is; stored in the run directory, and a resumed build must match it."""

    dataset: str = "nq_open"
    length: str = "short"
    limit: int | None = None
    seed: int = 2023
    candidates: int = 3
    attempts: int = 3
    retries: int = 2
    temperature: float = 0.7

    def check(self) -> None:
        if self.length not in LENGTHS:
            raise LimkitError(f"unknown length {self.length!r}; choose short or long", field="length")
        if not 1 <= self.candidates <= 10:
            raise LimkitError("candidates must lie in 1..10", field="candidates")
        if not 0 <= self.retries <= 5:
            raise LimkitError("retries must lie in 0..5", field="retries")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Built:
    evidence: list[dict[str, Any]]
    triples: list[dict[str, Any]]
    pairs: list[dict[str, Any]]
    rejections: list[dict[str, Any]]


def sample_questions(questions: Sequence[Question], limit: int | None, seed: int) -> list[Question]:
    """A seeded sample of `limit` questions, kept in file order (all of them without a limit)."""
    if limit is None or limit >= len(questions):
        return list(questions)
    keep = set(random.Random(seed).sample(range(len(questions)), limit))
    return [q for i, q in enumerate(questions) if i in keep]


class Validator:
    """The sanity check: (i) NLI(evidence, "q? a") is entailment; (ii) an LLM answers from the evidence
    alone and NLI("q? its answer", "q? a") is entailment. Both must pass."""

    def __init__(self, generator: Generator, nli: Nli, scores: ScoreCache, attempts: int) -> None:
        self.generator, self.nli, self.scores, self.attempts = generator, nli, scores, attempts

    def check(self, items: Sequence[dict[str, Any]], stage: str) -> None:
        """Sets `valid` and `reason` (and the reader's answer) on each item {id, question, text, answer}."""
        entail = self.scores.scored(self.nli, [(i["text"], f"{i['question']}? {i['answer']}") for i in items])
        passed = []
        for item, probs in zip(items, entail, strict=True):
            item["entailment_label"] = top_label(probs)
            if item["entailment_label"] == "entailment":
                passed.append(item)
            else:
                item.update(
                    valid=False, reason=f"evidence does not entail the answer ({item['entailment_label']})"
                )
        asks = [Ask(f"read|{i['id']}", reading_prompt(i["question"], i["text"])) for i in passed]
        read = ask_json(self.generator, asks, ["answer"], f"{stage}: read evidence", attempts=self.attempts)
        answered = []
        for item in passed:
            reply = read[f"read|{item['id']}"]
            if reply.value is None:
                item.update(valid=False, reason=f"reader reply unparsable: {reply.reason}")
            else:
                item["reader_answer"] = reply.value["answer"]
                answered.append(item)
        equal = self.scores.scored(
            self.nli,
            [(f"{i['question']}? {i['reader_answer']}", f"{i['question']}? {i['answer']}") for i in answered],
        )
        for item, probs in zip(answered, equal, strict=True):
            label = top_label(probs)
            ok = label == "entailment"
            item.update(
                valid=ok, reason=None if ok else f"reader answered {item['reader_answer']!r} ({label})"
            )


def candidates_prompt(question: str, count: int) -> str:
    keys = ", ".join(f'"{k}"' for k in range(1, count + 1))
    return (
        f"Give {count} different short answers to the question below. They need not be true, but each "
        f"must be a specific answer of the kind the question asks for.\nQuestion: {question}\n"
        f"Reply with a JSON object with keys {keys}, each a short answer."
    )


def evidence_prompt(question: str, answer: str, length: str) -> str:
    return (
        f'Write two different {LENGTHS[length]} that each, on its own, supports the answer "{answer}" to the '
        f'question "{question}". Write them as web search results would read.\n'
        'Reply with a JSON object {"1": first passage, "2": second passage}.'
    )


def reading_prompt(question: str, evidence: str) -> str:
    return (
        f"Answer the question using only the evidence below.\nEvidence: {evidence}\nQuestion: {question}\n"
        'Reply with a JSON object {"answer": a short answer}.'
    )


def pollution_prompt(question: str, passage: str, old: str, new: str) -> str:
    return (
        f'Rewrite the passage so that it supports the answer "{new}" instead of "{old}" to the question '
        f'"{question}", changing as few details as possible.\nPassage: {passage}\n'
        'Reply with a JSON object {"modified_passage": the rewritten passage}.'
    )


def answer_pool(question: Question, candidates: Sequence[str]) -> list[dict[str, Any]]:
    """The gold answers, then the candidates that are not a gold answer (normalized), without repeats."""
    pool: list[dict[str, Any]] = []
    seen: set[str] = set()
    for text, is_gt in [(a, True) for a in question.answers] + [(c, False) for c in candidates]:
        key = normalize_answer(text)
        if key and key not in seen:
            seen.add(key)
            pool.append({"answer": text, "is_gt": is_gt})
    return pool


def build_answer_conflicts(
    questions: Sequence[Question],
    config: BuildConfig,
    generator: Generator,
    validator: Validator,
    on_stage: Callable[[str], None] | None = None,
) -> Built:
    config.check()
    say = on_stage or (lambda _: None)
    rejections: list[dict[str, Any]] = []
    pools = _pools(questions, config, generator, rejections)
    say(f"{sum(len(p) for p in pools.values())} answers in {len(pools)} pools")
    evidence = _evidence(questions, pools, config, generator, validator, rejections)
    triples = _triples(questions, pools, evidence, config, rejections)
    _pollute(triples, config, generator, validator, rejections)
    pairs = [pair for triple in triples for pair in triple_pairs(triple, config)]
    return Built([e for es in evidence.values() for e in es], triples, pairs, rejections)


def _pools(
    questions: Sequence[Question], config: BuildConfig, generator: Generator, rejections: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    keys = [str(k) for k in range(1, config.candidates + 1)]
    asks = [
        Ask(f"cand|{q.id}", candidates_prompt(q.question, config.candidates), config.seed) for q in questions
    ]
    replies = ask_json(
        generator, asks, keys, "candidate answers", attempts=config.attempts, temperature=config.temperature
    )
    pools = {}
    for q in questions:
        reply = replies[f"cand|{q.id}"]
        if reply.value is None:
            rejections.append(
                {"stage": "candidates", "id": q.id, "question_id": q.id, "reason": reply.reason}
            )
        pools[q.id] = answer_pool(q, [reply.value[k] for k in keys] if reply.value else [])
    return pools


def _evidence(
    questions: Sequence[Question],
    pools: dict[str, list[dict[str, Any]]],
    config: BuildConfig,
    generator: Generator,
    validator: Validator,
    rejections: list[dict[str, Any]],
) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """Two evidences per answer; answers with fewer than two valid ones are asked again (bounded)."""
    text = {q.id: q.question for q in questions}
    found: dict[tuple[str, int], list[dict[str, Any]]] = {
        (q, i): [] for q, pool in pools.items() for i in range(len(pool))
    }
    for round_ in range(config.retries + 1):
        wanted = [key for key, items in found.items() if sum(e["valid"] for e in items) < 2]
        if not wanted:
            break
        asks = [
            Ask(
                f"evid|{q}|a{i}|t{round_}",
                evidence_prompt(text[q], pools[q][i]["answer"], config.length),
                config.seed + round_,
            )
            for q, i in wanted
        ]
        replies = ask_json(
            generator,
            asks,
            ["1", "2"],
            f"evidence (round {round_ + 1})",
            attempts=config.attempts,
            temperature=config.temperature,
            max_tokens=600,
        )
        fresh = []
        for q, i in wanted:
            reply = replies[f"evid|{q}|a{i}|t{round_}"]
            base = {
                "question_id": q,
                "question": text[q],
                "answer": pools[q][i]["answer"],
                "answer_index": i,
                "is_gt": pools[q][i]["is_gt"],
                "round": round_,
            }
            if reply.value is None:
                rejections.append(
                    {
                        "stage": "evidence",
                        "id": f"{q}|a{i}|t{round_}",
                        "question_id": q,
                        "reason": f"unparsable: {reply.reason}",
                    }
                )
                continue
            for k in ("1", "2"):
                item = {**base, "id": f"{q}|a{i}|t{round_}|e{k}", "text": reply.value[k]}
                found[(q, i)].append(item)
                fresh.append(item)
        validator.check(fresh, f"evidence (round {round_ + 1})")
        rejections += [
            {
                "stage": "evidence",
                "id": e["id"],
                "question_id": e["question_id"],
                "reason": e["reason"],
                "text": e["text"],
            }
            for e in fresh
            if not e["valid"]
        ]
    return found


def _triples(
    questions: Sequence[Question],
    pools: dict[str, list[dict[str, Any]]],
    evidence: dict[tuple[str, int], list[dict[str, Any]]],
    config: BuildConfig,
    rejections: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """For each answer a with two valid evidences: E1, E2 for a and E3, the first valid one of another b
    (a non-gold candidate when a is gold)."""
    triples = []
    for q in questions:
        valid = {i: [e for e in evidence[(q.id, i)] if e["valid"]] for i in range(len(pools[q.id]))}
        for i, answer in enumerate(pools[q.id]):
            if len(valid[i]) < 2:
                continue
            others = [
                j for j in valid if j != i and valid[j] and not (answer["is_gt"] and pools[q.id][j]["is_gt"])
            ]
            if not others:
                rejections.append(
                    {
                        "stage": "triple",
                        "id": f"{q.id}|a{i}",
                        "question_id": q.id,
                        "reason": "no other answer with a valid evidence",
                    }
                )
                continue
            j = random.Random(f"{config.seed}|{q.id}|{i}").choice(others)
            e1, e2, e3 = valid[i][0], valid[i][1], valid[j][0]
            triples.append(
                {
                    "id": f"{q.id}|a{i}",
                    "question_id": q.id,
                    "question": q.question,
                    "texts": [e1["text"], e2["text"], e3["text"]],
                    "evidence_ids": [e1["id"], e2["id"], e3["id"]],
                    "answers": [answer["answer"], answer["answer"], pools[q.id][j]["answer"]],
                    "is_gt": [answer["is_gt"], answer["is_gt"], pools[q.id][j]["is_gt"]],
                    "groundtruth": list(q.answers),
                    "all_answers": [a["answer"] for a in pools[q.id]],
                    "revision": None,
                }
            )
    return triples


def _pollute(
    triples: list[dict[str, Any]],
    config: BuildConfig,
    generator: Generator,
    validator: Validator,
    rejections: list[dict[str, Any]],
) -> None:
    """E1': E1 minimally edited to support b, validated like any evidence; None if no round passes."""
    for round_ in range(config.retries + 1):
        open_ = [t for t in triples if t["revision"] is None]
        if not open_:
            return
        asks = [
            Ask(
                f"pollute|{t['id']}|t{round_}",
                pollution_prompt(t["question"], t["texts"][0], t["answers"][0], t["answers"][2]),
                config.seed + round_,
            )
            for t in open_
        ]
        replies = ask_json(
            generator,
            asks,
            ["modified_passage"],
            f"pollution (round {round_ + 1})",
            attempts=config.attempts,
            temperature=config.temperature,
            max_tokens=600,
        )
        items = []
        for t in open_:
            reply = replies[f"pollute|{t['id']}|t{round_}"]
            if reply.value is None:
                rejections.append(
                    {
                        "stage": "pollution",
                        "id": f"{t['id']}|t{round_}",
                        "question_id": t["question_id"],
                        "reason": f"unparsable: {reply.reason}",
                    }
                )
                continue
            items.append(
                {
                    "id": f"{t['id']}|p{round_}",
                    "question": t["question"],
                    "answer": t["answers"][2],
                    "text": reply.value["modified_passage"],
                    "triple": t,
                }
            )
        validator.check(items, f"pollution (round {round_ + 1})")
        for item in items:
            if item["valid"]:
                item["triple"]["revision"] = item["text"]
            else:
                rejections.append(
                    {
                        "stage": "pollution",
                        "id": item["id"],
                        "question_id": item["triple"]["question_id"],
                        "reason": item["reason"],
                        "text": item["text"],
                    }
                )


PAIR_GROUPS = (
    ("E1-E2", 0, 1, 0, "direct"),
    ("E1-E3", 0, 2, 1, "direct"),
    ("E2-E3", 1, 2, 1, "direct"),
    ("E1'-E1", 3, 0, 1, "polluted"),
    ("E1'-E2", 3, 1, 1, "polluted"),
    ("E1'-E3", 3, 2, 0, "polluted"),
)
"""(group, x, y, label, setting) with texts indexed E1, E2, E3, E1' = 0, 1, 2, 3."""


def triple_pairs(triple: dict[str, Any], config: BuildConfig) -> list[dict[str, Any]]:
    """The labelled pairs of a triple; the three E1' pairs only when the pollution passed."""
    texts = [*triple["texts"], triple["revision"]]
    answers = [*triple["answers"], triple["answers"][2]]
    return [
        {
            "id": f"{triple['id']}|{group}",
            "triple_id": triple["id"],
            "kind": "answer",
            "group": group,
            "label": label,
            "setting": setting,
            "length": config.length,
            "dataset": config.dataset,
            "question": triple["question"],
            "x": texts[x],
            "y": texts[y],
            "x_answer": answers[x],
            "y_answer": answers[y],
        }
        for group, x, y, label, setting in PAIR_GROUPS
        if texts[x] is not None
    ]
