"""Wiring a `limkit.llm` Generator into `limkit.grade.LLMJudge` for free-form answers.

The judge's requests go through the same request cache as everything else, so a resumed or rescored run
asks the judge nothing it already asked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from limkit.eval._backend import open_generator
from limkit.eval._config import JudgeConfig, RuntimeOptions
from limkit.eval._grading import JudgeFn

if TYPE_CHECKING:
    from limkit.llm import Generator

Conversation = list[dict[str, str]]


def generator_ask(generator: Generator, max_tokens: int) -> Callable[[list[Conversation]], list[str]]:
    """An `ask` callable for LLMJudge: conversations in, greedy replies out, in the same order.

    It runs its own event loop, so it must be called from a thread without one (grading runs in a
    worker thread during `run_eval`, and in the main thread during a rescore).
    """
    from limkit.llm import Request, SamplingParams

    params = SamplingParams(n=1, temperature=0.0, max_tokens=max_tokens, seed=0)

    def ask(conversations: list[Conversation]) -> list[str]:
        requests = [
            Request(id=f"judge/{index}", messages=tuple(conversation), params=params)
            for index, conversation in enumerate(conversations)
        ]

        async def collect() -> dict[str, str]:
            return {c.request_id: c.text async for c in generator.generate(requests)}

        replies = asyncio.run(collect())
        return [replies[request.id] for request in requests]

    return ask


def judge_with(ask: Callable[[list[Conversation]], list[str]]) -> JudgeFn:
    """A JudgeFn over `limkit.grade.LLMJudge(ask)`: its prompt (gold and extracted answer only) and its
    strict reply parser. The rule-based verdict is already known here, so the pairs go to `ask` directly
    instead of through `LLMJudge.judge_many`, which would grade them a second time."""
    from limkit.grade import LLMJudge, parse_judge_verdict

    judge = LLMJudge(ask)

    def decide(pairs: list[tuple[str, str]]) -> list[bool | None]:
        replies = judge.ask([judge.conversation(answer, gold) for gold, answer in pairs])
        if len(replies) != len(pairs):
            raise ValueError(f"the judge returned {len(replies)} replies for {len(pairs)} answers")
        return [parse_judge_verdict(reply) for reply in replies]

    return decide


def make_judge(config: JudgeConfig, runtime: RuntimeOptions) -> JudgeFn:
    """Builds the judge's own generator (its own backend, model and server) and wraps it."""
    generator = open_generator(config.backend, config.model, runtime, runtime.judge_base_url)
    return judge_with(generator_ask(generator, config.max_tokens))
