"""Executors decide where jobs run; the driver here decides what runs, in which order, and what is reused.

The driver walks the steps in order. For each step it compares the step's fingerprint (its options and
everything before it) with the one on disk and clears the step and all later ones when they differ; then
it runs whatever jobs have no marker yet: `prepare` (once), the shards, `finalize` (once). A killed run
restarted with the same recipe therefore resumes at the first unfinished shard.
"""

from __future__ import annotations

import abc
import contextlib
import fcntl
import json
import multiprocessing
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limkit.curate._jobs import (
    FINALIZE_MARKER,
    PREPARE_MARKER,
    Job,
    done_marker,
    output_count,
    phase_marker,
    run_job,
    shard_markers,
)
from limkit.curate._pipeline import Pipeline
from limkit.curate._progress import stage_progress
from limkit.curate._step import Step, StepContext
from limkit.data import atomic_write_text
from limkit.errors import LimkitError

# What a finished run writes (the last one written last); a recipe run adds recipe.yaml.
RUN_OUTPUTS = ("kept.jsonl", "dropped.jsonl", "stats.json", "report.html")
FINAL_OUTPUTS = (*RUN_OUTPUTS, "recipe.yaml")


@dataclass
class CurateResult:
    """Where a finished run put its outputs, and its stats."""

    out_dir: Path
    stats: dict[str, Any]

    @property
    def kept_path(self) -> Path:
        return self.out_dir / "kept.jsonl"

    @property
    def dropped_path(self) -> Path:
        return self.out_dir / "dropped.jsonl"

    @property
    def stats_path(self) -> Path:
        return self.out_dir / "stats.json"

    @property
    def report_path(self) -> Path:
        return self.out_dir / "report.html"


class Executor(abc.ABC):
    """Runs a pipeline's jobs somewhere; `tasks` is how many shards each step is split into."""

    tasks: int = 1
    kind: str = ""

    def run(self, pipeline: Pipeline, out_dir: str | Path) -> CurateResult:
        with self.session():
            return run_pipeline(pipeline, Path(out_dir), self)

    def check(self) -> None:  # noqa: B027 - optional hook
        """Fails before any work if this executor cannot run here (e.g. Ray is not installed)."""

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """Holds resources (worker pools, cluster connections) for the length of one run."""
        yield

    @abc.abstractmethod
    def map(self, jobs: list[Job]) -> list[dict[str, Any]]:
        """Runs the jobs (in any order, possibly in parallel) and returns their markers."""

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "tasks": self.tasks}


class LocalExecutor(Executor):
    """Worker processes on this machine (spawned, so each job really travels through pickle).

    With one worker, or a single job, the job runs in this process: no start-up cost and models loaded
    by an earlier job stay warm in the interpreter.
    """

    kind = "local"

    def __init__(self, workers: int = 1, tasks: int | None = None) -> None:
        if workers < 1:
            raise LimkitError(f"workers must be >= 1, got {workers}", field="executor.workers")
        self.workers = workers
        self.tasks = tasks or workers
        if self.tasks < 1:
            raise LimkitError(f"tasks must be >= 1, got {self.tasks}", field="executor.tasks")
        self._pool: ProcessPoolExecutor | None = None

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """One pool of worker processes for the whole run: they start once, not once per step."""
        try:
            yield
        finally:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
                self._pool = None

    def map(self, jobs: list[Job]) -> list[dict[str, Any]]:
        if self.workers == 1 or len(jobs) <= 1:
            return [run_job(job) for job in jobs]
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        try:
            return list(self._pool.map(run_job, jobs))
        except BrokenProcessPool:
            self._pool = None
            raise LimkitError(
                "a worker process died (killed, out of memory, or started from a script without an "
                "`if __name__ == '__main__':` guard); run the same command again to resume: "
                "finished shards are kept"
            ) from None

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "workers": self.workers, "tasks": self.tasks}


class RayExecutor(Executor):
    """Runs every job as a Ray task; the output directory must be on a filesystem all nodes share.

    Ray is an optional extra (`pip install 'limkit[ray]'`); it is imported only when a run starts.
    """

    kind = "ray"

    def __init__(self, tasks: int = 4, address: str | None = None, num_cpus: float = 1.0) -> None:
        if tasks < 1:
            raise LimkitError(f"tasks must be >= 1, got {tasks}", field="executor.tasks")
        self.tasks = tasks
        self.address = address
        self.num_cpus = num_cpus

    def check(self) -> None:
        require_ray()

    def map(self, jobs: list[Job]) -> list[dict[str, Any]]:
        ray = require_ray()
        if not ray.is_initialized():
            ray.init(address=self.address)
        remote = ray.remote(num_cpus=self.num_cpus)(run_job)
        return list(ray.get([remote.remote(job) for job in jobs]))

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "tasks": self.tasks, "address": self.address, "num_cpus": self.num_cpus}


def require_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise LimkitError(
            "the ray executor needs Ray, which is not installed: pip install 'limkit[ray]' (ray==2.60.0), "
            "or use executor.kind=local",
            field="executor.kind",
        ) from None
    return ray


def run_pipeline(pipeline: Pipeline, out_dir: Path, executor: Executor) -> CurateResult:
    """Validates, runs every unfinished job step by step, then writes kept/dropped/stats/report."""
    from limkit.curate._outputs import write_outputs

    pipeline.validate()
    executor.check()
    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    with _exclusive(work):
        started = time.perf_counter()
        if _forget_changed_steps(pipeline, work):
            for name in FINAL_OUTPUTS:  # a previous recipe's results must not pass for this one's
                (out_dir / name).unlink(missing_ok=True)
        elif all((out_dir / name).is_file() for name in RUN_OUTPUTS):
            return CurateResult(out_dir, json.loads((out_dir / "stats.json").read_text(encoding="utf-8")))
        walls = [_run_step(pipeline, index, out_dir, executor) for index in range(len(pipeline.steps))]
        stats = write_outputs(pipeline, out_dir, executor, walls, time.perf_counter() - started)
    return CurateResult(out_dir, stats)


@contextlib.contextmanager
def _exclusive(work: Path) -> Iterator[None]:
    """Refuses a second run on the same directory at the same time (they would overwrite each other)."""
    with (work / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LimkitError(
                "another `limkit curate` run is using this output directory", path=work.parent
            ) from None
        yield


def _forget_changed_steps(pipeline: Pipeline, work: Path) -> bool:
    """Removes the output of the first step whose fingerprint changed, and of every step after it.

    Returns whether anything was removed (or never existed), i.e. whether some step must run again.
    """
    fingerprints = pipeline.fingerprints()
    labels = pipeline.labels
    changed = False
    for label, fingerprint in zip(labels, fingerprints, strict=True):
        step_dir = work / label
        stamp = step_dir / "fingerprint"
        if not changed and stamp.is_file() and stamp.read_text().strip() == fingerprint:
            continue
        changed = True
        if step_dir.exists():
            shutil.rmtree(step_dir)
        step_dir.mkdir(parents=True)
        atomic_write_text(stamp, fingerprint + "\n")
    for stale in work.iterdir():
        if stale.is_dir() and stale.name[:2].isdigit() and stale.name not in labels:
            shutil.rmtree(stale)
    return changed


def step_context(pipeline: Pipeline, index: int, out_dir: Path) -> StepContext:
    label = pipeline.labels[index]
    work = out_dir / "work"
    return StepContext(
        out_dir=out_dir,
        step_dir=work / label,
        store_dir=work / "store",
        label=label,
        cache_path=pipeline.cache_path(),
        source=pipeline.steps[0],
    )


def _run_step(pipeline: Pipeline, index: int, out_dir: Path, executor: Executor) -> float:
    """Runs the step's missing jobs; returns the wall-clock seconds spent in this invocation."""
    started = time.perf_counter()
    step = pipeline.steps[index]
    context = step_context(pipeline, index, out_dir)
    input_dir = out_dir / "work" / pipeline.labels[index - 1] if index > 0 else None
    records_in = output_count(input_dir) if input_dir is not None else 0
    world_size = max(1, step.shard_count(executor.tasks))
    if step.needs_prepare and not (context.step_dir / PREPARE_MARKER).is_file():
        _run_phases(step, index, context, input_dir, executor, world_size, records_in)
        with stage_progress(f"{context.label} prepare", 1, context.step_dir, "prepare", ["prepare"], "jobs"):
            executor.map([Job("prepare", step, index, context, input_dir)])
    _forget_other_layouts(context.step_dir, world_size)
    pending = [rank for rank in range(world_size) if not done_marker(context.step_dir, rank).is_file()]
    names = [f"shard-{rank:05d}" for rank in pending]
    total = records_in if input_dir is not None else 0
    with stage_progress(context.label, total, context.step_dir, "shard-", names):
        executor.map([Job("shard", step, index, context, input_dir, rank, world_size) for rank in pending])
    if step.needs_finalize and not (context.step_dir / FINALIZE_MARKER).is_file():
        executor.map([Job("finalize", step, index, context, input_dir)])
    return time.perf_counter() - started


def _run_phases(
    step: Step,
    index: int,
    context: StepContext,
    input_dir: Path | None,
    executor: Executor,
    world_size: int,
    records_in: int,
) -> None:
    """Runs every part of every phase that has no marker yet, phase after phase.

    A phase whose finished parts were cut differently (another shard count) is redone, and so is every
    phase after it, since later phases read the earlier ones' files.
    """
    redo = False
    for phase in step.phases(world_size, records_in):
        phase_dir = context.step_dir / phase.name
        markers = [json.loads(p.read_text(encoding="utf-8")) for p in phase_dir.glob("done-*.json")]
        if redo or any(int(marker["parts"]) != phase.parts for marker in markers):
            shutil.rmtree(phase_dir, ignore_errors=True)
            redo = True
        todo = [
            part
            for part in range(phase.parts)
            if not phase_marker(context.step_dir, phase.name, part).is_file()
        ]
        redo = redo or bool(todo)
        jobs = [
            Job("phase", step, index, context, input_dir, part, phase.parts, phase.name, phase.reads_input)
            for part in todo
        ]
        total, unit = (records_in, "rows") if phase.reads_input else (phase.parts, "parts")
        names = [f"{phase.name}-{part:05d}" for part in todo]
        with stage_progress(
            f"{context.label} {phase.name}", total, context.step_dir, f"{phase.name}-", names, unit
        ):
            executor.map(jobs)


def _forget_other_layouts(step_dir: Path, world_size: int) -> None:
    """Shards cut for a different number of tasks do not line up with the new cut: drop them."""
    if any(int(marker["world_size"]) != world_size for marker in shard_markers(step_dir)):
        for pattern in ("kept-*.jsonl", "dropped-*.jsonl", "done-*.json"):
            for path in step_dir.glob(pattern):
                path.unlink()
        (step_dir / FINALIZE_MARKER).unlink(missing_ok=True)
