"""What the LLM-backed steps share: which model, how it is prompted, sampling, grading, and the store.

Sampling goes through `limkit.llm` (every sample lands in the SQLite request cache the moment it
arrives) and grading through `limkit.grade` (the same grader evaluation and RL rewards use). On top, a
per-step *measurement store* keeps each problem's graded outcome keyed by everything that produced it but
not by what a step decides from it, so a new pass-count window re-applies without sampling or grading.
`difficulty` and `distill` differ only in what they keep of the graded attempts and what they decide.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limkit.curate._options import OptionError, doc
from limkit.curate._record import Record, text_digest
from limkit.curate._step import Step
from limkit.data import AppendWriter, read_appended
from limkit.progress import progress_bar

BACKEND_CHOICES = ("hf", "openai", "vllm", "scripted")
DEFAULT_SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}."


@dataclass(frozen=True)
class ModelSpec:
    """A model and the backend that serves it (the same names `limkit generate` takes)."""

    model: str = dataclasses.field(
        default="", metadata=doc("Local directory, hub id, or the served model name (openai backend).")
    )
    backend: str = dataclasses.field(
        default="hf",
        metadata=doc(
            "hf, openai (any OpenAI-compatible server), vllm, or scripted (a test double).",
            choices=BACKEND_CHOICES,
        ),
    )
    base_url: str | None = dataclasses.field(
        default=None, metadata=doc("Server URL for the openai backend, e.g. http://localhost:8000/v1.")
    )
    revision: str | None = dataclasses.field(
        default=None, metadata=doc("Pinned hub revision for hub models.")
    )
    api_key_env: str = dataclasses.field(
        default="OPENAI_API_KEY", metadata=doc("Environment variable holding the API key (never stored).")
    )
    concurrency: int = dataclasses.field(
        default=8, metadata=doc("Requests in flight at once (openai backend).")
    )
    batch_size: int = dataclasses.field(default=8, metadata=doc("Prompts per generate call (hf backend)."))
    name: str | None = dataclasses.field(
        default=None, metadata=doc("Label recorded with its outputs (default: the model).")
    )

    def __post_init__(self) -> None:
        if not self.model:
            raise OptionError("model", "name a model")
        if self.backend == "openai" and not self.base_url:
            raise OptionError("base_url", "the openai backend needs base_url (e.g. http://localhost:8000/v1)")
        if self.concurrency < 1 or self.batch_size < 1:
            raise OptionError("concurrency", "concurrency and batch_size must be >= 1")

    def check(self) -> None:
        """A local model path must exist now, not when the step's turn comes hours later."""
        if self.backend in ("openai", "scripted"):
            return
        from limkit.errors import LimkitError
        from limkit.llm import local_model_dir

        try:
            local_model_dir(self.model)
        except LimkitError as error:
            raise OptionError("model", error.render()) from None

    @property
    def label(self) -> str:
        return self.name or self.model

    def identity(self) -> dict[str, Any]:
        """What decides the model's outputs (not where it is served from or how fast)."""
        return {"model": self.model, "backend": self.backend, "revision": self.revision}

    def generator(self, cache_path: Path | None) -> Any:
        from limkit.llm import BackendOptions, make_generator, open_cache

        options = BackendOptions(
            base_url=self.base_url,
            api_key_env=self.api_key_env,
            concurrency=self.concurrency,
            revision=self.revision,
            batch_size=self.batch_size,
        )
        return make_generator(self.backend, self.model, options, open_cache(cache_path, disabled=False))


@dataclass(frozen=True)
class Sampling:
    """Sampling and prompting shared by `difficulty` and `distill`."""

    n: int
    temperature: float
    top_p: float
    max_tokens: int
    seed: int
    system: str | None
    prompt: str

    def check(self) -> None:
        if self.n < 1:
            raise OptionError("n", f"must be >= 1, got {self.n}")
        if self.temperature < 0:
            raise OptionError("temperature", f"must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise OptionError("top_p", f"must lie in (0, 1], got {self.top_p}")
        if self.max_tokens < 1:
            raise OptionError("max_tokens", f"must be >= 1, got {self.max_tokens}")
        if "{problem}" not in self.prompt:
            raise OptionError("prompt", "the prompt template must contain {problem}")

    def params(self) -> Any:
        from limkit.llm import SamplingParams

        return SamplingParams(
            n=self.n,
            temperature=self.temperature,
            top_p=self.top_p,
            max_tokens=self.max_tokens,
            seed=self.seed,
        )

    def messages(self, problem: str) -> tuple[dict[str, str], ...]:
        user = {"role": "user", "content": self.prompt.replace("{problem}", problem)}
        if self.system:
            return ({"role": "system", "content": self.system}, user)
        return (user,)


@dataclass(frozen=True)
class GradingOptions:
    """How a step batches and grades: changes speed and resume granularity, never the outcome."""

    chunk_size: int
    workers: int
    timeout: float


@dataclass
class Attempt:
    """One graded sample."""

    sample: int
    text: str
    finish_reason: str
    completion_tokens: int
    correct: bool
    status: str
    extracted: str | None


def record_digest(record: Record) -> str:
    """Changes when the problem or gold changes, so a stored outcome is never applied to an edited record."""
    return text_digest(json.dumps([record.get("problem"), record.get("answer"), record.get("answer_type")]))


class MeasurementStore:
    """Append-only JSONL per rank under one directory; reads every rank's file (the layout may change)."""

    def __init__(self, directory: Path, rank: int) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._path = directory / f"rank-{rank:05d}.jsonl"
        self._known: dict[tuple[str, str], dict[str, Any]] = {}
        for path in sorted(directory.glob("rank-*.jsonl")):
            self._read(path)

    def _read(self, path: Path) -> None:
        for _, row in read_appended(path, "measurement store"):
            self._known[(row["id"], row["digest"])] = row

    def get(self, record: Record) -> dict[str, Any] | None:
        return self._known.get((record["id"], record_digest(record)))

    def writer(self) -> AppendWriter:
        return AppendWriter(self._path)

    def put(self, writer: AppendWriter, record: Record, outcome: dict[str, Any]) -> None:
        row = {"id": record["id"], "digest": record_digest(record), **outcome}
        writer.write(row)
        self._known[(row["id"], row["digest"])] = row


@dataclass(frozen=True)
class Measurement:
    """One model prompted, sampled and graded one way: the key of its stored outcomes and how to fill them."""

    spec: ModelSpec
    sampling: Sampling
    require_box: bool

    def store(self, step: Step, rank: int) -> MeasurementStore:
        """The step's store for this measurement; the decision rule (window, filters) is not in the key."""
        payload = {
            "model": self.spec.identity(),
            "sampling": self.sampling.__dict__,
            "require_box": self.require_box,
        }
        key = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode("utf-8")).hexdigest()[
            :16
        ]
        return MeasurementStore(step.context.store_dir / f"{step.step_name}-{key}", rank)

    def fill(
        self,
        step: Step,
        store: MeasurementStore,
        todo: Sequence[Record],
        grading: GradingOptions,
        summarize: Callable[[list[Attempt]], dict[str, Any]],
    ) -> None:
        """Samples and grades `todo` chunk by chunk, storing `summarize(attempts)` per problem as it goes."""
        from limkit.grade import Grader

        generator = self.spec.generator(step.context.cache_path)
        with (
            Grader(workers=grading.workers, timeout=grading.timeout) as grader,
            store.writer() as writer,
            progress_bar(len(todo), f"{step.step_name} ({self.spec.label})") as advance,
        ):
            for start in range(0, len(todo), grading.chunk_size):
                chunk = todo[start : start + grading.chunk_size]
                generated, cached = generator.stats.generated, generator.stats.cached
                attempts = self._sample_and_grade(generator, grader, chunk)
                step.count("samples_generated", generator.stats.generated - generated)
                step.count("samples_cached", generator.stats.cached - cached)
                for record in chunk:
                    store.put(writer, record, summarize(attempts[record["id"]]))
                step.count("problems_measured", len(chunk))
                advance(len(chunk))

    def _sample_and_grade(
        self, generator: Any, grader: Any, records: Sequence[Record]
    ) -> dict[str, list[Attempt]]:
        """All samples of `records`, graded against each record's gold answer."""
        from limkit.grade import GradeItem
        from limkit.llm import Request

        params = self.sampling.params()
        requests = [
            Request(id=r["id"], messages=self.sampling.messages(r["problem"]), params=params) for r in records
        ]
        completions = sorted(generator.generate_all(requests), key=lambda c: (c.request_id, c.sample))
        by_id = {record["id"]: record for record in records}
        items = [
            GradeItem(
                c.text,
                by_id[c.request_id]["answer"],
                by_id[c.request_id].get("answer_type"),
                self.require_box,
            )
            for c in completions
        ]
        out: dict[str, list[Attempt]] = {record["id"]: [] for record in records}
        for completion, verdict in zip(completions, grader.grade_many(items), strict=True):
            out[completion.request_id].append(
                Attempt(
                    completion.sample,
                    completion.text,
                    completion.finish_reason,
                    completion.usage.completion_tokens,
                    bool(verdict.correct),
                    str(verdict.status),
                    verdict.extracted,
                )
            )
        return out
