"""The step contract: `run(records, rank, world_size) -> records`, datatrove style, plus two optional phases.

- `prepare(records)` sees every input record once, in one process, before any shard runs. Steps whose
  decision needs the whole input (dedup, the boilerplate stop-list, top-K selection) compute it here;
  the prepared step is pickled so every shard applies the same decision.
- `run(records, rank, world_size)` handles one shard. It yields every record it receives exactly once:
  kept as is (possibly enriched) or marked with `drop(...)`. The executor checks this.
- `finalize(records)` sees the step's kept output once, after all shards (the `write` step uses it).
- `phases(...)` / `run_phase(...)`: parallel passes a step makes before `prepare`, so that a global
  decision need not read every record in one process. Dedup computes MinHash signatures per input shard,
  then buckets them per hash partition, and its `prepare` only resolves the small candidate graph; each
  part of a phase is a job with its own completion marker, so a killed run resumes part by part.

"What runs" (steps) is separate from "where it runs" (executors): a step keeps no open handles or
loaded models between calls, so it pickles and can be shipped to another process or machine.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from limkit.curate._options import option_fields
from limkit.curate._record import Record, drop

STEPS: dict[str, type[Step]] = {}
"""Registered step classes by recipe name."""

S = TypeVar("S", bound="type[Step]")


def register_step(name: str) -> Any:
    """Class decorator: makes a step available to recipes under `name`."""

    def decorate(cls: S) -> S:
        if name in STEPS and STEPS[name] is not cls:
            raise ValueError(f"step {name!r} is already registered by {STEPS[name].__qualname__}")
        cls.step_name = name
        STEPS[name] = cls
        return cls

    return decorate


@dataclass(frozen=True)
class StepContext:
    """Where a step may keep files: set by the executor before any phase runs.

    Attributes:
        out_dir: The run's output directory.
        step_dir: This step's private directory (cleared when its configuration changes).
        store_dir: Shared directory that survives configuration changes (e.g. difficulty pass counts).
        label: The step's label, `NN_name`.
        cache_path: The LLM request cache (None: `$LIMKIT_CACHE` or the default path).
        source: The pipeline's source step, for a step that needs the whole pool rather than its input
            (decontamination's boilerplate counts).
    """

    out_dir: Path
    step_dir: Path
    store_dir: Path
    label: str
    cache_path: Path | None = None
    source: Step | None = None


@dataclass(frozen=True)
class Phase:
    """A parallel pass before `prepare`: `parts` jobs, each calling `run_phase(name, part, parts, ...)`.

    Attributes:
        name: The phase's name; its files live in `step_dir/<name>/`.
        parts: How many jobs it is split into.
        reads_input: Whether part `p` is given input shard `p` of `parts` (else no records).
    """

    name: str
    parts: int
    reads_input: bool = False


@dataclass
class Step(abc.ABC):
    """Base class of every pipeline step; subclasses are dataclasses whose fields are their options."""

    step_name: ClassVar[str] = ""
    needs_prepare: ClassVar[bool] = False
    needs_finalize: ClassVar[bool] = False
    is_source: ClassVar[bool] = False

    def __post_init__(self) -> None:
        self._context: StepContext | None = None
        self._stats: dict[str, float] = {}
        self._notes: dict[str, Any] = {}
        self.validate()

    def validate(self) -> None:  # noqa: B027 - optional hook
        """Checks option values (raise `OptionError`); cheap and offline, runs at construction."""

    def check(self) -> None:  # noqa: B027 - optional hook
        """Checks what must exist before a run starts (files, directories, models); raises OptionError."""

    def prepare(self, records: Iterable[Record]) -> None:  # noqa: B027 - optional phase
        """Global pass over every input record before sharding (only when `needs_prepare`)."""

    @abc.abstractmethod
    def run(self, records: Iterable[Record], rank: int = 0, world_size: int = 1) -> Iterator[Record]:
        """Yields each input record once, kept or marked with `self.drop(...)`."""

    def phases(self, world_size: int, records_in: int) -> list[Phase]:
        """Parallel passes run (in order) before `prepare`; `world_size` is the step's shard count."""
        return []

    def run_phase(self, phase: str, part: int, parts: int, records: Iterable[Record], offset: int) -> None:
        """One part of a phase; writes its results below `phase_dir(phase)`.

        Args:
            phase: The phase's name.
            part: This job's part number.
            parts: How many parts the phase has.
            records: Input shard `part` of `parts` for a phase that reads the input, else empty.
            offset: Position of the shard's first record in the whole input.
        """
        raise NotImplementedError(f"step {self.step_name!r} declares phase {phase!r} but does not run it")

    def phase_dir(self, phase: str) -> Path:
        return self.context.step_dir / phase

    def finalize(self, records: Iterable[Record]) -> None:  # noqa: B027 - optional phase
        """Sees the step's kept output once, after all shards (only when `needs_finalize`)."""

    def shard_count(self, requested: int) -> int:
        """How many shards this step runs as; steps that hold a model in-process may want fewer."""
        return requested

    # -- helpers for subclasses -------------------------------------------------------------------------

    def drop(self, record: Record, code: str, **evidence: Any) -> Record:
        return drop(record, code, **evidence)

    def bind(self, context: StepContext) -> None:
        self._context = context
        self._stats = {}
        self._notes = {}

    @property
    def context(self) -> StepContext:
        if self._context is None:
            raise RuntimeError(f"step {self.step_name!r} used before an executor bound it to a run directory")
        return self._context

    def count(self, name: str, amount: float = 1) -> None:
        """Adds to a per-shard counter that ends up in stats.json (e.g. generated vs cached samples)."""
        self._stats[name] = self._stats.get(name, 0) + amount

    def note(self, name: str, value: Any) -> None:
        """Records a JSON-ready fact for stats.json (e.g. which benchmarks were indexed)."""
        self._notes[name] = value

    @property
    def counters(self) -> dict[str, float]:
        return dict(self._stats)

    @property
    def notes(self) -> dict[str, Any]:
        return dict(self._notes)

    def options(self) -> dict[str, Any]:
        """The step's options as JSON-ready data: what a recipe would say, and what the fingerprint hashes."""
        return {f.name: _plain(getattr(self, f.name)) for f in option_fields(type(self))}

    def fingerprint_options(self) -> dict[str, Any]:
        """Options that change the step's output; overridden where some (e.g. concurrency) do not."""
        return self.options()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_context"] = None
        state["_stats"] = {}
        state["_notes"] = {}
        return state


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value


def file_stamps(path: Path) -> list[tuple[str, int, int]]:
    """(name, size, mtime) of a file or of every file below a directory: what an edit of the input changes.

    Part of a step's fingerprint where the step reads files, so an edited input is read again.
    """
    path = path.expanduser()
    if path.is_dir():
        files = sorted(f for f in path.rglob("*") if f.is_file())
        return [(str(f.relative_to(path)), f.stat().st_size, f.stat().st_mtime_ns) for f in files]
    return [(path.name, path.stat().st_size, path.stat().st_mtime_ns)] if path.is_file() else []
