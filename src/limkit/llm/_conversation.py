"""A multi-turn conversation over any Generator, resumable turn by turn through the request cache."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from limkit.errors import LimkitError
from limkit.llm._generator import Generator
from limkit.llm._structured import Structured
from limkit.llm._types import Completion, Message, Request, SamplingParams, Usage


class TurnLimitReached(LimkitError):
    """Raised by `Conversation.ask` once `max_turns` answers have been given."""


class Conversation:
    """Messages so far, and `ask` to add a user turn and get the model's reply.

    Each turn is one request whose messages are the whole history, so the cache key of turn k covers
    turns 1..k: a run killed after turn 12 and started again answers turns 1..12 from the cache
    (sending nothing) and asks only from turn 13 on, provided it asks the same things. For a structured
    ask, the reply kept in the history is the last attempt's raw text; re-asks stay out of it.

    Example:
        talk = Conversation(generator, system="You are terse.", max_turns=4)
        talk.ask("Is 7 prime?", structured=Choice(("yes", "no"))).value  # "yes"
        talk.usage.completion_tokens
    """

    def __init__(
        self,
        generator: Generator,
        *,
        id: str = "conversation",
        system: str | None = None,
        messages: Sequence[Message] = (),
        params: SamplingParams | None = None,
        max_turns: int = 20,
    ) -> None:
        if max_turns < 1:
            raise LimkitError(f"max_turns must be >= 1, got {max_turns}", field="max_turns")
        self.generator = generator
        self.id = id
        self.params = replace(params or SamplingParams(), n=1)
        self.max_turns = max_turns
        opening = [{"role": "system", "content": system}] if system is not None else []
        self._messages: list[Message] = [*opening, *messages]
        self.completions: list[Completion] = []
        self.usage = Usage()

    @property
    def messages(self) -> tuple[Message, ...]:
        return tuple(self._messages)

    @property
    def turns(self) -> int:
        """Answers received so far."""
        return len(self.completions)

    @property
    def remaining(self) -> int:
        return self.max_turns - self.turns

    async def aask(
        self,
        content: str | Sequence[Any],
        *,
        structured: Structured | None = None,
        params: SamplingParams | None = None,
    ) -> Completion:
        """Adds a user turn (text, or content parts with images), asks, appends and returns the reply."""
        if self.remaining <= 0:
            raise TurnLimitReached(f"conversation {self.id!r} reached its limit of {self.max_turns} turns")
        question = {"role": "user", "content": content if isinstance(content, str) else list(content)}
        request = Request(
            id=f"{self.id}/turn-{self.turns + 1}",
            messages=(*self._messages, question),
            params=replace(params or self.params, n=1),
            structured=structured,
        )
        (completion,) = [done async for done in self.generator.generate([request])]
        self._messages += [question, {"role": "assistant", "content": completion.text}]
        self.completions.append(completion)
        self.usage += completion.usage
        return completion

    def ask(
        self,
        content: str | Sequence[Any],
        *,
        structured: Structured | None = None,
        params: SamplingParams | None = None,
    ) -> Completion:
        """`aask` for synchronous code (not from inside a running event loop)."""
        return asyncio.run(self.aask(content, structured=structured, params=params))
