"""The `reformat` step: a second model rewrites reference solutions step by step (O1 Journey Part 2).

Part 2 had GPT-4o-mini rewrite the seed problems' reference solutions to be step-by-step, more detailed
and longer, with the final answer in \\boxed{} ("reformatted alignment"), for the first SFT stage. A
rewrite is kept only when its boxed answer still grades correct against the gold; otherwise, or when
the request failed or was cut off, the original solution stays (each case counted). The prompt is
limkit's (Part 2 published none). Requests go through the cache, so a rerun asks nothing twice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from limkit.curate._llm import ModelSpec
from limkit.curate._options import OptionError, doc
from limkit.curate._record import Record, has_gold
from limkit.curate._step import Step, register_step
from limkit.progress import progress_bar

REFORMAT_PROMPT = (
    "Rewrite the reference solution below as a detailed step-by-step solution: one step per line, "
    "explain each step, keep the mathematics correct, and give the final answer within \\boxed{}.\n\n"
    "Problem:\n{problem}\n\nReference solution:\n{solution}"
)


@register_step("reformat")
@dataclass
class Reformat(Step):
    """Rewrites each reference solution step by step with a second model; keeps it if it still grades."""

    model: ModelSpec | None = dataclasses.field(default=None, metadata=doc("The rewriting model."))
    prompt: str = dataclasses.field(
        default=REFORMAT_PROMPT, metadata=doc("Prompt with {problem} and {solution}.")
    )
    field: str = dataclasses.field(default="solution", metadata=doc("The solution field rewritten."))
    max_tokens: int = dataclasses.field(default=4096, metadata=doc("Cap on tokens per rewrite."))
    chunk_size: int = dataclasses.field(default=64, metadata=doc("Records per batch of requests."))

    def validate(self) -> None:
        if self.model is None:
            raise OptionError("model", "name the rewriting model: {model, backend, base_url}")
        if "{solution}" not in self.prompt or "{problem}" not in self.prompt:
            raise OptionError("prompt", "the prompt must contain {problem} and {solution}")

    def check(self) -> None:
        assert self.model is not None
        self.model.check()

    def fingerprint_options(self) -> dict[str, Any]:
        options = self.options()
        assert self.model is not None
        options["model"] = self.model.identity()
        options.pop("chunk_size")
        return options

    def shard_count(self, requested: int) -> int:
        assert self.model is not None
        return 1 if self.model.backend in ("hf", "vllm") else requested

    def run(self, records: Iterable[Record], rank: int = 0, world_size: int = 1) -> Iterator[Record]:
        items = list(records)
        assert self.model is not None
        generator = self.model.generator(self.context.cache_path)
        with progress_bar(len(items), f"reformat ({self.model.label})") as advance:
            for start in range(0, len(items), self.chunk_size):
                chunk = items[start : start + self.chunk_size]
                yield from self._chunk(generator, chunk)
                advance(len(chunk))

    def _chunk(self, generator: Any, records: list[Record]) -> Iterator[Record]:
        from limkit.grade import grade
        from limkit.llm import Request, SamplingParams

        params = SamplingParams(temperature=0.0, max_tokens=self.max_tokens)
        todo = [r for r in records if has_gold(r) and isinstance(r.get(self.field), str) and r[self.field]]
        requests = [
            Request(
                f"reformat:{r['id']}",
                messages=({"role": "user", "content": self._prompt(r)},),
                params=params,
            )
            for r in todo
        ]
        replies = {c.request_id: c for c in generator.generate_all(requests)}
        for record in records:
            reply = replies.get(f"reformat:{record['id']}")
            if reply is None:
                self.count("reformat_skipped")
                yield record
                continue
            verdict = grade(reply.text, record["answer"], record.get("answer_type"), require_box=True)
            if reply.finish_reason == "length" or not verdict.correct:
                self.count("reformat_refused")
                yield {**record, "reformat": {"kept": False, "status": verdict.status}}
                continue
            self.count("reformat_kept")
            original = f"{self.field}_original"
            yield {**record, original: record[self.field], self.field: reply.text, "reformat": {"kept": True}}

    def _prompt(self, record: Record) -> str:
        return self.prompt.replace("{problem}", str(record["problem"])).replace(
            "{solution}", record[self.field]
        )
