"""One unit of work (prepare a step, run one shard, finalize a step) and its files on disk.

A job reads its input from the previous step's shard files and writes its own outputs atomically, then a
small JSON marker last: a job whose marker exists is done and is never run again; a job killed halfway
leaves no marker and no half-written file, so a rerun simply does it again. The same `run_job` runs
in-process, in a local worker process or on a Ray node.
"""

from __future__ import annotations

import json
import pickle
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limkit.curate._load import shard_bounds
from limkit.curate._progress import counted, job_progress
from limkit.curate._record import REASON, Record
from limkit.curate._step import Step, StepContext
from limkit.data import atomic_write_text, atomic_writer, dump_json_line, parse_json
from limkit.errors import LimkitError

PREPARED = "prepared.pkl"
PREPARE_MARKER = "prepare.json"
FINALIZE_MARKER = "finalize.json"


def kept_file(step_dir: Path, rank: int) -> Path:
    return step_dir / f"kept-{rank:05d}.jsonl"


def dropped_file(step_dir: Path, rank: int) -> Path:
    return step_dir / f"dropped-{rank:05d}.jsonl"


def done_marker(step_dir: Path, rank: int) -> Path:
    return step_dir / f"done-{rank:05d}.json"


def shard_markers(step_dir: Path) -> list[dict[str, Any]]:
    """Markers of finished shards, in rank order."""
    markers = [json.loads(path.read_text(encoding="utf-8")) for path in step_dir.glob("done-*.json")]
    return sorted(markers, key=lambda marker: int(marker["rank"]))


def read_marker(step_dir: Path, name: str) -> dict[str, Any]:
    """The prepare or finalize marker (`PREPARE_MARKER`, `FINALIZE_MARKER`), or {} if that job never ran."""
    path = step_dir / name
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def read_lines(paths: Iterable[Path]) -> Iterator[Record]:
    for path in paths:
        with path.open("rb") as handle:
            for line in handle:
                if line.strip():
                    yield parse_json(line)


def step_output(step_dir: Path, kind: str = "kept") -> Iterator[Record]:
    """A finished step's kept (or dropped) records in rank order, i.e. in input order."""
    markers = shard_markers(step_dir)
    files = kept_file if kind == "kept" else dropped_file
    return read_lines(files(step_dir, int(marker["rank"])) for marker in markers)


def output_count(step_dir: Path) -> int:
    """How many records a finished step kept (what the next step receives)."""
    return sum(int(marker["kept"]) for marker in shard_markers(step_dir))


def output_slice(step_dir: Path, start: int, end: int) -> Iterator[Record]:
    """Kept records `start` to `end` (0-based, end excluded) of a finished step, streamed.

    Whole shard files before `start` are skipped unread, lines within a file unparsed: a shard of a
    large pool costs its own slice, not everything before it.
    """
    position = 0
    for marker in shard_markers(step_dir):
        first, position = position, position + int(marker["kept"])
        if position <= start or first >= end:
            continue
        with kept_file(step_dir, int(marker["rank"])).open("rb") as handle:
            for index, line in enumerate(handle, start=first):
                if index >= end:
                    break
                if index >= start:
                    yield parse_json(line)


@dataclass
class Job:
    """What a worker needs: the step, where it lives on disk, and which part of the input is its own."""

    kind: str
    step: Step
    index: int
    context: StepContext
    input_dir: Path | None = None
    rank: int = 0
    world_size: int = 1
    phase: str = ""
    reads_input: bool = False
    part: Any = None
    """For an `output` job: the `_final_parts.Part` to write."""


def run_job(job: Job) -> dict[str, Any]:
    """Runs one job to completion and returns its marker (also written to disk, last)."""
    if job.kind == "output":
        from limkit.curate._final_parts import write_part
        from limkit.curate._outputs import Observations  # _outputs imports this module

        return write_part(job.part, Observations())
    started = time.perf_counter()
    step = _load_step(job)
    step.bind(job.context)
    step_dir = job.context.step_dir
    step_dir.mkdir(parents=True, exist_ok=True)
    if job.kind == "prepare":
        step.prepare(_input(job.input_dir))
        marker = _marker(step, started, kind="prepare")
        with atomic_writer(step_dir / PREPARED, "wb") as handle:
            pickle.dump(step, handle)
        atomic_write_text(step_dir / PREPARE_MARKER, json.dumps(marker))
        return marker
    if job.kind == "phase":
        return _run_phase(job, step, started)
    if job.kind == "finalize":
        step.finalize(step_output(step_dir))
        marker = _marker(step, started, kind="finalize")
        atomic_write_text(step_dir / FINALIZE_MARKER, json.dumps(marker))
        return marker
    return _run_shard(job, step, started)


def phase_marker(step_dir: Path, phase: str, part: int) -> Path:
    return step_dir / phase / f"done-{part:05d}.json"


def _run_phase(job: Job, step: Step, started: float) -> dict[str, Any]:
    phase_dir = step.phase_dir(job.phase)
    phase_dir.mkdir(parents=True, exist_ok=True)
    offset, count, records = 0, 0, _nothing()
    if job.input_dir is not None and job.reads_input:
        offset, count, records = shard_input(job.input_dir, job.rank, job.world_size)
    with job_progress(job.context.step_dir, f"{job.phase}-{job.rank:05d}") as tick:
        step.run_phase(job.phase, job.rank, job.world_size, counted(records, tick), offset)
        if not job.reads_input:
            tick(1)  # such a phase's bar counts parts
    marker = _marker(step, started, kind="phase", phase=job.phase, part=job.rank, parts=job.world_size)
    marker["records_in"] = count
    atomic_write_text(phase_marker(job.context.step_dir, job.phase, job.rank), json.dumps(marker))
    return marker


def _nothing() -> Iterator[Record]:
    return iter(())


def shard_input(input_dir: Path, rank: int, world_size: int) -> tuple[int, int, Iterator[Record]]:
    """(offset, count, records) of input shard `rank` of `world_size`."""
    start, end = shard_bounds(output_count(input_dir), rank, world_size)
    return start, end - start, output_slice(input_dir, start, end)


def _load_step(job: Job) -> Step:
    if job.kind not in ("prepare", "phase") and job.step.needs_prepare:
        with (job.context.step_dir / PREPARED).open("rb") as handle:
            step: Step = pickle.load(handle)
        return step
    return job.step


def _input(input_dir: Path | None) -> Iterator[Record]:
    return step_output(input_dir) if input_dir is not None else iter(())


def _run_shard(job: Job, step: Step, started: float) -> dict[str, Any]:
    """Streams the shard through the step, checking that each input record comes out exactly once.

    Only records read but not yet yielded are remembered (a streaming step holds a batch at most), so
    the check costs no memory proportional to the shard. A source has no input to check against: `load`
    refuses repeated ids itself, and the final outputs are checked for repeats whatever the source.
    """
    step_dir = job.context.step_dir
    count, records = 0, _nothing()
    if job.input_dir is not None:
        _, count, records = shard_input(job.input_dir, job.rank, job.world_size)
    pending: set[str] = set()
    reasons: Counter[str] = Counter()
    kept = total = 0
    with (
        atomic_writer(kept_file(step_dir, job.rank), "wb") as keep,
        atomic_writer(dropped_file(step_dir, job.rank), "wb") as lose,
        job_progress(step_dir, f"shard-{job.rank:05d}") as tick,
    ):
        for record in step.run(_remember(records, pending), job.rank, job.world_size):
            _check_once(job, record, pending)
            total += 1
            tick(1)
            if REASON in record:
                reason = {"step": step.step_name, "step_index": job.index, **record[REASON]}
                reasons[str(reason.get("code"))] += 1
                lose.write(dump_json_line({**record, REASON: reason}))
            else:
                kept += 1
                keep.write(dump_json_line(record))
        if pending:
            raise LimkitError(
                f"step {job.context.label} lost {len(pending)} record(s), e.g. {sorted(pending)[:5]}: "
                "every input record must be yielded once, kept or dropped"
            )
    marker = _marker(
        step,
        started,
        kind="shard",
        rank=job.rank,
        world_size=job.world_size,
        records_in=count if job.input_dir is not None else total,
        kept=kept,
        dropped=sum(reasons.values()),
        reasons=dict(reasons),
    )
    atomic_write_text(done_marker(step_dir, job.rank), json.dumps(marker))
    return marker


def _remember(records: Iterator[Record], pending: set[str]) -> Iterator[Record]:
    for record in records:
        pending.add(record["id"])
        yield record


def _check_once(job: Job, record: Record, pending: set[str]) -> None:
    record_id = record.get("id")
    if not isinstance(record_id, str):
        raise LimkitError(f"step {job.context.label} yielded a record without a string id")
    if job.input_dir is None:
        return
    if record_id not in pending:
        raise LimkitError(
            f"step {job.context.label} yielded record {record_id!r} twice, or one that was not in its input"
        )
    pending.discard(record_id)


def _marker(step: Step, started: float, *, kind: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "seconds": round(time.perf_counter() - started, 4),
        "counters": step.counters,
        "notes": step.notes,
        "finished": time.time(),
        **extra,
    }
