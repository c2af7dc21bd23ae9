"""One-shot structured asks in batches; failures are counted, not raised (model replies are untrusted)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from limkit.llm import Completion, Generator, Request, SamplingParams, Structured


@dataclass
class Asker:
    """Asks a generator many single-turn questions at once; `failures` counts replies that never validated."""

    generator: Generator
    params: SamplingParams = field(default_factory=lambda: SamplingParams(max_tokens=512))
    failures: Counter[str] = field(default_factory=Counter)

    def ask_many(
        self, stage: str, asks: Sequence[tuple[str, str, str]], structured: Structured | None = None
    ) -> dict[str, Completion]:
        """`asks` are (id, system, user); returns the completions by id (ids are prefixed with `stage`)."""
        requests = [
            Request(
                f"{stage}/{ask_id}",
                messages=({"role": "system", "content": system}, {"role": "user", "content": user}),
                params=self.params,
                structured=structured,
            )
            for ask_id, system, user in asks
        ]
        done = {c.request_id.split("/", 1)[1]: c for c in self.generator.generate_all(requests)}
        self.failures[stage] += sum(1 for completion in done.values() if not completion.ok)
        return done

    def values(
        self, stage: str, asks: Sequence[tuple[str, str, str]], structured: Structured
    ) -> dict[str, Any]:
        """The parsed value of every ask that validated (the others are counted as failures)."""
        return {key: c.value for key, c in self.ask_many(stage, asks, structured).items() if c.ok}
