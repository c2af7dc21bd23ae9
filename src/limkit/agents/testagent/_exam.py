"""Assessment+: a multi-turn examination of a target model through `limkit.llm.Conversation`.

Each turn: the policy picks a question type from the state; the examiner (its own conversation, which
sees the item's key points and the target's last answer) writes the question, except that a new topic asks
the item's seed question verbatim; the target answers in its own conversation (it sees only questions);
the judge scores the answer against every key point with a structured reply (met 1, partial 0.5, missed or
contradicted 0, weighted). A judge reply that never validates leaves the turn unscored (counted), never
crashes the run; an empty examiner reply falls back to a templated question (counted).

Every finished turn is appended durably to RUN/transcript.jsonl. A killed run resumes by replaying that
log: the state, both conversations and (when training) the Q-table are rebuilt from it, and the policy's
draws are seeded per (seed, episode, turn), so no logged turn is asked again and the rest are asked as an
uninterrupted run would ask them.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from limkit.agents.testagent._build import passages
from limkit.agents.testagent._policy import FAILURE_THRESHOLD, ExamState, Policy, turn_rng
from limkit.llm import Conversation, Generator, JsonSchema, Message, Request, SamplingParams

VERDICT_SCORES = {"met": 1.0, "partial": 0.5, "missed": 0.0, "contradicted": 0.0}
JUDGE_SCHEMA = JsonSchema(
    {
        "type": "object",
        "required": ["verdicts"],
        "properties": {
            "verdicts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "verdict"],
                    "properties": {"id": {"type": "string"}, "verdict": {"enum": list(VERDICT_SCORES)}},
                },
            },
            "note": {"type": "string"},
        },
    },
    name="verdicts",
)
EXAMINER_SYSTEM = (
    "[testagent:examiner] You examine a candidate model on a domain, one question per turn. Reply with the "
    "next question only, addressed to the candidate, without revealing the key points."
)
TARGET_SYSTEM = "Answer the examiner's questions accurately and concisely."
JUDGE_SYSTEM = (
    "[testagent:judge] You grade an answer against key points. For each key point say whether the answer "
    "met it, partially met it, missed it, or contradicted it. If the question held a false premise and the "
    "answer accepted it, the key points it bears on are contradicted."
)
TYPE_INSTRUCTIONS = {
    "deepen": "Ask a follow-up that goes deeper into the reasoning behind the candidate's last answer.",
    "rephrase": "Ask the same question again in different words, to test whether the answer is stable.",
    "misleading_premise": "Ask about the topic through a plausible but false premise contradicting a key "
    "point; a good answer rejects the premise.",
    "harder": "Ask a harder variant of the question that needs more steps or finer distinctions.",
}
FALLBACK = {
    "deepen": "Explain in more detail why: {seed}",
    "rephrase": "Put differently: {seed}",
    "misleading_premise": "Some say the opposite of the accepted answer holds. {seed}",
    "harder": "Answer precisely and justify each step: {seed}",
}


@dataclass(frozen=True)
class ExamConfig:
    budget: int = 10
    episodes: int = 1
    seed: int = 0
    max_tokens: int = 256


@dataclass
class Roles:
    examiner: Generator
    target: Generator
    judge: Generator


@dataclass
class Counts:
    """What went wrong without stopping the run."""

    examiner_fallbacks: int = 0
    judge_failures: int = 0
    judge_omitted_points: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


def examiner_prompt(item: dict[str, Any], action: str, difficulty: int, last_answer: str) -> str:
    points = "\n".join(f"- {p['point']}" for p in item["criteria"]["stage2_key_points"])
    return (
        f"Question type: {action}\nDifficulty: {difficulty}/5\nSeed question: {item['seed_question']}\n"
        f"Key points (hidden from the candidate):\n{points}\n\n"
        f"Sources:\n{passages(item['source_chunks'])}\n\n"
        f"Candidate's last answer: {last_answer[:1500] or '(none)'}\n\n{TYPE_INSTRUCTIONS[action]}"
    )


def judge_messages(item: dict[str, Any], action: str, question: str, answer: str) -> tuple[Message, ...]:
    points = "\n".join(f"[{p['id']}] {p['point']}" for p in item["criteria"]["stage2_key_points"])
    user = (
        f"Question type: {action}\nQuestion: {question}\n\n"
        f"Answer: {answer[:4000]}\n\nKey points:\n{points}\n\n"
        f"Sources:\n{passages(item['source_chunks'])}\n\nReply as JSON "
        '{"verdicts": [{"id": key point id, "verdict": "met"|"partial"|"missed"|"contradicted"}], '
        '"note": "..."}.'
    )
    return ({"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": user})


def score_verdicts(
    item: dict[str, Any], verdicts: Sequence[dict[str, str]]
) -> tuple[float, dict[str, str], int]:
    """(weighted score, verdict per key point, key points the judge left out, which count as missed)."""
    given = {v["id"]: v["verdict"] for v in verdicts}
    points = item["criteria"]["stage2_key_points"]
    per_point = {p["id"]: given.get(p["id"], "missed") for p in points}
    total = sum(p["weight"] for p in points)
    score = sum(p["weight"] * VERDICT_SCORES[per_point[p["id"]]] for p in points) / total
    return score, per_point, sum(1 for p in points if p["id"] not in given)


@dataclass
class Episode:
    """One episode's live parts: the state and both conversations."""

    state: ExamState
    examiner: Conversation
    target: Conversation
    last_answer: str = ""
    rows: list[dict[str, Any]] = field(default_factory=list)


class Examination:
    """Runs (or resumes) the episodes of one assessment, appending each finished turn through `log`."""

    def __init__(
        self,
        items: Sequence[dict[str, Any]],
        roles: Roles,
        policy: Policy,
        config: ExamConfig,
        log: Callable[[dict[str, Any]], None],
    ) -> None:
        self.items, self.roles, self.policy, self.config, self.log = list(items), roles, policy, config, log
        self.params = SamplingParams(max_tokens=config.max_tokens)
        self.counts = Counts()
        self.asked = 0

    def new_episode(self, episode: int) -> Episode:
        order = list(range(len(self.items)))
        random.Random(f"order:{self.config.seed}:{episode}").shuffle(order)
        difficulties = [item["strategy"]["difficulty"] for item in self.items]
        state = ExamState(self.config.budget, order, difficulties)
        budget = self.config.budget
        examiner = Conversation(
            self.roles.examiner,
            id=f"ep{episode}/examiner",
            system=EXAMINER_SYSTEM,
            params=self.params,
            max_turns=budget,
        )
        target = Conversation(
            self.roles.target,
            id=f"ep{episode}/target",
            system=TARGET_SYSTEM,
            params=self.params,
            max_turns=budget,
        )
        return Episode(state, examiner, target)

    def replay(self, episode: Episode, row: dict[str, Any]) -> None:
        """Applies a logged turn: the same moves, messages and learning as when it was first asked."""
        before = episode.state.features()
        episode.state.move(row["action"])
        if row["examiner_prompt"] is not None:
            episode.examiner = _extended(episode.examiner, row["examiner_prompt"], row["examiner_reply"])
        episode.target = _extended(episode.target, row["question"], row["answer"])
        reward = episode.state.record(row["action"], row["score"])
        episode.last_answer = row["answer"]
        self.policy.observe(before, row["action"], reward, episode.state.features(), episode.state.allowed())
        episode.rows.append(row)

    def run(
        self, done: Sequence[dict[str, Any]], on_turn: Callable[[], None] | None = None
    ) -> list[dict[str, Any]]:
        """All episodes, resuming after the logged rows `done`; returns every row, old and new."""
        rows: list[dict[str, Any]] = []
        for number in range(self.config.episodes):
            episode = self.new_episode(number)
            for row in (r for r in done if r["episode"] == number):
                self.replay(episode, row)
            while episode.state.turn < self.config.budget:
                row = self.turn(number, episode)
                self.log(row)
                episode.rows.append(row)
                if on_turn:
                    on_turn()
            rows.extend(episode.rows)
        return rows

    def turn(self, number: int, episode: Episode) -> dict[str, Any]:
        state = episode.state
        item_actions = (
            self.items[state.item]["strategy"]["follow_up_policy"]["actions"] if state.position >= 0 else ()
        )
        allowed = state.allowed(item_actions)
        before = state.features()
        action = self.policy.choose(state, allowed, turn_rng(self.config.seed, number, state.turn))
        item_index, difficulty = state.move(action)
        item = self.items[item_index]
        prompt, reply, question = None, None, item["seed_question"]
        if action != "new_topic":
            prompt = examiner_prompt(item, action, difficulty, episode.last_answer)
            reply = episode.examiner.ask(prompt).text
            question = reply.strip()[:2000]
            if not question:
                self.counts.examiner_fallbacks += 1
                question = FALLBACK[action].format(seed=item["seed_question"])
        answer = episode.target.ask(question).text
        self.asked += 1
        score, per_point, note = self.judge(item, action, question, answer)
        reward = state.record(action, score)
        episode.last_answer = answer
        self.policy.observe(before, action, reward, state.features(), state.allowed())
        return {
            "episode": number,
            "turn": state.turn,
            "item_id": item["id"],
            "action": action,
            "difficulty": difficulty,
            "allowed": allowed,
            "examiner_prompt": prompt,
            "examiner_reply": reply,
            "question": question,
            "answer": answer,
            "verdicts": per_point,
            "score": score,
            "failure": score is not None and score < FAILURE_THRESHOLD,
            "judge_note": note,
            "state": before,
            "reward": reward,
        }

    def judge(
        self, item: dict[str, Any], action: str, question: str, answer: str
    ) -> tuple[float | None, dict[str, str], str]:
        request = Request(
            f"judge/{item['id']}/{action}/{_digest(question, answer)}",
            messages=judge_messages(item, action, question, answer),
            params=self.params,
            structured=JUDGE_SCHEMA,
        )
        (done,) = self.roles.judge.generate_all([request])
        if not done.ok:
            self.counts.judge_failures += 1
            return None, {}, f"judge reply never validated: {done.failure.reason if done.failure else ''}"
        score, per_point, omitted = score_verdicts(item, done.value["verdicts"])
        self.counts.judge_omitted_points += omitted
        return score, per_point, str(done.value.get("note", ""))[:500]


def _digest(*texts: str) -> str:
    import hashlib

    return hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest()[:16]


def _extended(talk: Conversation, question: str, reply: str) -> Conversation:
    """The conversation with one more logged exchange, as if it had just been asked."""
    messages = [m for m in talk.messages if m["role"] != "system"]
    system = next((m["content"] for m in talk.messages if m["role"] == "system"), None)
    messages += [{"role": "user", "content": question}, {"role": "assistant", "content": reply}]
    return Conversation(
        talk.generator,
        id=talk.id,
        system=system,
        messages=messages,
        params=talk.params,
        max_turns=talk.max_turns,
    )


def action_counts(rows: Sequence[dict[str, Any]]) -> Counter[str]:
    return Counter(row["action"] for row in rows)
