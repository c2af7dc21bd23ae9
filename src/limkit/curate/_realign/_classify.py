"""The `classify_task` step: each record's ReAlign task, from its own label, an LLM or the embedding model.

- `given`: a label already on the record (the ReAlign release puts `category` on the human turn); with
  `use_given: true` (the default) such a label wins for any method, so curated labels are never undone.
- `llm`: a zero-shot choice among the 46 task names through `limkit.llm` structured answers; the prompt
  lists each task with its one-line description. A reply that never validates is re-asked up to
  `attempts` times, then the record falls back to `default` (counted), never a crash or an endless loop.
- `embedding`: the classifier `limkit realign train-classifier` saved (MiniLM vectors + logistic
  regression).
Any label outside the taxonomy becomes `default` (fact sheet A.2).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limkit.curate._llm import ModelSpec
from limkit.curate._options import OptionError, doc
from limkit.curate._realign._taxonomy import DEFAULT_TASK, canonical_task, group_of, taxonomy
from limkit.curate._record import Record
from limkit.curate._step import Step, file_stamps, register_step
from limkit.progress import progress_bar

METHODS = ("llm", "embedding", "given")
CLASSIFY_SYSTEM = (
    "You sort user requests into task types. Read the request and reply with the name of the one task "
    "type it belongs to, exactly as written in the list, and nothing else."
)


def classify_prompt(instruction: str) -> str:
    lines = [f"- {task.name}: {task.description}" for task in taxonomy().values()]
    return "Task types:\n" + "\n".join(lines) + f"\n\nRequest:\n{instruction}\n\nTask type:"


@register_step("classify_task")
@dataclass
class ClassifyTask(Step):
    """Labels each record with one of the 46 ReAlign tasks (`task`, `task_group`, `task_by`)."""

    method: str = dataclasses.field(
        default="llm",
        metadata=doc("llm (zero-shot choice), embedding (trained classifier) or given.", METHODS),
    )
    model: ModelSpec | None = dataclasses.field(
        default=None, metadata=doc("The LLM for method llm: {model, backend, base_url, ...}.")
    )
    classifier: str | None = dataclasses.field(
        default=None, metadata=doc("Directory saved by `limkit realign train-classifier` (method embedding).")
    )
    use_given: bool = dataclasses.field(
        default=True, metadata=doc("Keep a task label the record already carries (`given_task`).")
    )
    attempts: int = dataclasses.field(
        default=3, metadata=doc("LLM asks in all per record before falling back to default.")
    )
    max_tokens: int = dataclasses.field(default=16, metadata=doc("Token cap of the LLM's reply."))

    def validate(self) -> None:
        if self.method == "llm" and self.model is None:
            raise OptionError(
                "model", "method llm needs a model: {model: NAME, backend: openai, base_url: URL}"
            )
        if self.method == "embedding" and not self.classifier:
            raise OptionError("classifier", "method embedding needs a classifier directory")
        if not 1 <= self.attempts <= 20:
            raise OptionError("attempts", f"must lie in 1..20, got {self.attempts}")

    def check(self) -> None:
        if self.method == "llm" and self.model is not None:
            try:
                self.model.check()
            except OptionError as error:
                raise OptionError(f"model.{error.option}", error.message) from None
        if self.method == "embedding" and self.classifier:
            from limkit.curate._realign._classifier import MANIFEST

            if not (Path(self.classifier).expanduser() / MANIFEST).is_file():
                raise OptionError("classifier", f"no trained classifier ({MANIFEST}) in {self.classifier}")

    def fingerprint_options(self) -> dict[str, Any]:
        options = self.options()
        if self.model is not None:
            options["model"] = self.model.identity()
        if self.classifier:
            options["_classifier"] = file_stamps(Path(self.classifier))
        return options

    def shard_count(self, requested: int) -> int:
        local = self.method == "llm" and self.model is not None and self.model.backend in ("hf", "vllm")
        return 1 if local else requested

    def run(self, records: Iterable[Record], rank: int = 0, world_size: int = 1) -> Iterator[Record]:
        items = list(records)
        labels: dict[str, tuple[str, str]] = {}
        todo = []
        for record in items:
            given = record.get("given_task")
            if self.use_given and isinstance(given, str) and given in taxonomy():
                labels[record["id"]] = (given, "given")
            else:
                todo.append(record)
        if todo and self.method == "llm":
            labels.update(self._by_llm(todo))
        elif todo and self.method == "embedding":
            labels.update(self._by_embedding(todo))
        for record in items:
            task, source = labels.get(record["id"], (DEFAULT_TASK, "fallback"))
            self.count(f"task_by.{source}")
            yield {**record, "task": task, "task_group": group_of(task), "task_by": source}

    def _by_embedding(self, records: list[Record]) -> dict[str, tuple[str, str]]:
        from limkit.curate._realign._classifier import TaskClassifier

        classifier = TaskClassifier.load(self.classifier or "")
        predicted = classifier.predict([record["problem"] for record in records])
        return {
            r["id"]: (canonical_task(label), "embedding") for r, label in zip(records, predicted, strict=True)
        }

    def _by_llm(self, records: list[Record]) -> dict[str, tuple[str, str]]:
        from limkit.llm import Choice, Request, SamplingParams

        assert self.model is not None
        generator = self.model.generator(self.context.cache_path)
        params = SamplingParams(n=1, temperature=0.0, max_tokens=self.max_tokens)
        choice = Choice(tuple(taxonomy()), attempts=self.attempts)
        requests = [
            Request(
                id=record["id"],
                messages=(
                    {"role": "system", "content": CLASSIFY_SYSTEM},
                    {"role": "user", "content": classify_prompt(record["problem"])},
                ),
                params=params,
                structured=choice,
            )
            for record in records
        ]
        out: dict[str, tuple[str, str]] = {}
        with progress_bar(len(requests), f"classify_task ({self.model.label})") as advance:
            for completion in generator.generate_all(requests, lambda _: advance(1)):
                if completion.ok:
                    out[completion.request_id] = (str(completion.value), "llm")
                else:
                    self.count("llm_unparseable")
                    out[completion.request_id] = (canonical_task(completion.text), "llm_fallback")
        self.count("llm_generated", generator.stats.generated)
        self.count("llm_cached", generator.stats.cached)
        return out
