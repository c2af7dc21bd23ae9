"""The `difficulty` step: sample N attempts per problem, grade them, keep problems whose pass count fits.

LIMO runs it twice: a cheap model (Qwen2.5-Math-7B-Instruct, 4 tries) drops everything it solves at all,
then a strong reasoner (DeepSeek-R1-Distill-Qwen-32B, 32 tries) keeps problems solved 1-3 times. open-r1
style filters express the same as a pass-*rate* window. Each problem's counts are stored in the record
(`pass_counts`) and in a measurement store keyed without the window, so changing the window re-applies
without sampling or grading.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from limkit.curate._llm import (
    DEFAULT_SYSTEM,
    Attempt,
    GradingOptions,
    Measurement,
    ModelSpec,
    Sampling,
)
from limkit.curate._options import OptionError, doc
from limkit.curate._record import Record, has_gold
from limkit.curate._step import Step, register_step


@register_step("difficulty")
@dataclass
class Difficulty(Step):
    """Keeps problems with `min_pass <= passes <= max_pass` (or a rate window) out of `n` graded samples."""

    model: str = dataclasses.field(
        default="", metadata=doc("Model that attempts the problems (local dir, hub id or served name).")
    )
    backend: str = dataclasses.field(
        default="hf", metadata=doc("hf, openai or vllm.", choices=("hf", "openai", "vllm"))
    )
    base_url: str | None = dataclasses.field(default=None, metadata=doc("Server URL for the openai backend."))
    revision: str | None = dataclasses.field(
        default=None, metadata=doc("Pinned hub revision for a hub model.")
    )
    api_key_env: str = dataclasses.field(
        default="OPENAI_API_KEY", metadata=doc("Environment variable holding the API key.")
    )
    concurrency: int = dataclasses.field(default=8, metadata=doc("Requests in flight (openai backend)."))
    batch_size: int = dataclasses.field(default=8, metadata=doc("Prompts per generate call (hf backend)."))
    n: int = dataclasses.field(default=4, metadata=doc("Attempts per problem."))
    temperature: float = dataclasses.field(
        default=0.7, metadata=doc("Sampling temperature (0: greedy, then all attempts agree).")
    )
    top_p: float = dataclasses.field(default=0.95, metadata=doc("Nucleus sampling mass."))
    max_tokens: int = dataclasses.field(default=4096, metadata=doc("Cap on tokens per attempt."))
    seed: int = dataclasses.field(
        default=0, metadata=doc("Attempt i uses seed + i where the backend supports seeds.")
    )
    system: str | None = dataclasses.field(
        default=DEFAULT_SYSTEM, metadata=doc("System prompt (null: none).")
    )
    prompt: str = dataclasses.field(
        default="{problem}", metadata=doc("User prompt template; {problem} is replaced by the problem.")
    )
    require_box: bool = dataclasses.field(default=True, metadata=doc("Only a \\boxed{} answer counts."))
    min_pass: int | None = dataclasses.field(
        default=None, metadata=doc("Keep problems solved at least this many times.")
    )
    max_pass: int | None = dataclasses.field(
        default=None, metadata=doc("Keep problems solved at most this many times.")
    )
    min_rate: float | None = dataclasses.field(
        default=None, metadata=doc("Keep problems with pass rate >= this (alternative to counts).")
    )
    max_rate: float | None = dataclasses.field(
        default=None, metadata=doc("Keep problems with pass rate <= this.")
    )
    key: str | None = dataclasses.field(
        default=None, metadata=doc("Name under `pass_counts` (default: the model).")
    )
    chunk_size: int = dataclasses.field(
        default=32, metadata=doc("Problems generated and graded per batch (the resume granularity).")
    )
    grade_workers: int = dataclasses.field(default=2, metadata=doc("Grader worker processes."))
    grade_timeout: float = dataclasses.field(
        default=5.0, metadata=doc("Seconds allowed to grade one attempt.")
    )

    def validate(self) -> None:
        self.model_spec()
        self.sampling().check()
        counts = self.min_pass is not None or self.max_pass is not None
        rates = self.min_rate is not None or self.max_rate is not None
        if counts and rates:
            raise OptionError("min_rate", "give a pass-count window or a pass-rate window, not both")
        if not counts and not rates:
            raise OptionError("max_pass", "give a window: min_pass/max_pass (counts) or min_rate/max_rate")
        for name in ("min_pass", "max_pass"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= self.n:
                raise OptionError(name, f"must lie in [0, n={self.n}], got {value}")
        for name in ("min_rate", "max_rate"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise OptionError(name, f"must lie in [0, 1], got {value}")
        if self.chunk_size < 1:
            raise OptionError("chunk_size", f"must be >= 1, got {self.chunk_size}")

    def model_spec(self) -> ModelSpec:
        return ModelSpec(
            model=self.model,
            backend=self.backend,
            base_url=self.base_url,
            revision=self.revision,
            api_key_env=self.api_key_env,
            concurrency=self.concurrency,
            batch_size=self.batch_size,
            name=self.key,
        )

    def sampling(self) -> Sampling:
        return Sampling(
            self.n, self.temperature, self.top_p, self.max_tokens, self.seed, self.system, self.prompt
        )

    def check(self) -> None:
        self.model_spec().check()

    @property
    def count_key(self) -> str:
        return self.key or self.model

    def fingerprint_options(self) -> dict[str, Any]:
        options = self.options()
        for name in ("base_url", "api_key_env", "concurrency", "batch_size", "chunk_size", "grade_workers"):
            options.pop(name)
        return options

    def shard_count(self, requested: int) -> int:
        # One in-process model per shard: on one machine, batching inside a shard beats several copies.
        return 1 if self.backend in ("hf", "vllm") else requested

    def run(self, records: Iterable[Record], rank: int = 0, world_size: int = 1) -> Iterator[Record]:
        items = list(records)
        measurement = Measurement(self.model_spec(), self.sampling(), self.require_box)
        store = measurement.store(self, rank)
        gradable = [r for r in items if has_gold(r)]
        todo = [r for r in gradable if store.get(r) is None]
        self.count("problems_from_store", len(gradable) - len(todo))
        if todo:
            grading = GradingOptions(self.chunk_size, self.grade_workers, self.grade_timeout)
            measurement.fill(self, store, todo, grading, _pass_count)
        for record in items:
            yield self._decide(record, store.get(record))

    def _decide(self, record: Record, outcome: dict[str, Any] | None) -> Record:
        if outcome is None:
            return self.drop(record, "no_gold_answer", model=self.model)
        passes, n = int(outcome["passes"]), int(outcome["n"])
        low, high = self._window(n)
        counts = dict(record.get("pass_counts") or {})
        counts[self.count_key] = {
            "model": self.model,
            "n": n,
            "passes": passes,
            "rate": round(passes / n, 4),
            "statuses": outcome["statuses"],
            "window": [low, high],
            "kept": low <= passes <= high,  # this step's own decision, whatever later steps decide
        }
        record = {**record, "pass_counts": counts}
        if passes < low:
            return self.drop(record, "too_hard", model=self.model, passes=passes, n=n, window=[low, high])
        if passes > high:
            return self.drop(record, "too_easy", model=self.model, passes=passes, n=n, window=[low, high])
        return record

    def _window(self, n: int) -> tuple[float, float]:
        if self.min_rate is not None or self.max_rate is not None:
            low = (self.min_rate or 0.0) * n
            high = (self.max_rate if self.max_rate is not None else 1.0) * n
            return low, high
        return (self.min_pass or 0), (self.max_pass if self.max_pass is not None else n)


def _pass_count(attempts: list[Attempt]) -> dict[str, Any]:
    """What the store keeps per problem: how many of the n attempts passed, and why the others failed."""
    return {
        "n": len(attempts),
        "passes": sum(a.correct for a in attempts),
        "statuses": dict(Counter(a.status for a in attempts)),
        "truncated": sum(a.finish_reason == "length" for a in attempts),
    }
