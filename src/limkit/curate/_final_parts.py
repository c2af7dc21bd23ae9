"""The final kept/dropped files, written in parallel parts and joined by byte copy.

Writing `kept.jsonl` and `dropped.jsonl` means reading every record once more and writing it in the
final form (`json.dumps`, so the bytes match the one-process engine's); at a million records that is
tens of seconds, which in one process would be the longest serial stretch of a run. So each shard file
(the last step's kept shards, then every step's dropped shards, in that order) becomes one part job:
it writes its records in the final form, the 64-bit hashes of their ids and what the report plots,
then a marker. The driver copies the parts' bytes into the two files and merges the rest. Parts live
in `work/final/`, keyed by the run's shard layout, so a resumed run reuses the parts already written.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from limkit.curate._ids import IdLog
from limkit.curate._jobs import dropped_file, kept_file, read_lines, shard_markers
from limkit.curate._progress import counted, job_progress
from limkit.curate._record import REASON
from limkit.data import atomic_write_text, atomic_writer
from limkit.errors import LimkitError

FINAL_DIR = "final"
_ENCODER = json.JSONEncoder(ensure_ascii=False)


@dataclass(frozen=True)
class Part:
    """One shard file of one step, and where its final form goes."""

    number: int
    source: Path
    kept: bool
    records: int
    folder: Path

    @property
    def name(self) -> str:
        return f"part-{self.number:05d}"

    @property
    def lines(self) -> Path:
        return self.folder / f"{self.name}.jsonl"

    @property
    def extras(self) -> Path:
        return self.folder / f"{self.name}.pkl"

    @property
    def marker(self) -> Path:
        return self.folder / f"{self.name}.done"


def plan_parts(work: Path, labels: list[str]) -> list[Part]:
    """The parts in final-file order; clears parts written for another layout or another run."""
    last = work / labels[-1]
    sources = [(kept_file(last, m["rank"]), True, m["kept"]) for m in shard_markers(last)]
    for label in labels:
        step_dir = work / label
        sources += [(dropped_file(step_dir, m["rank"]), False, m["dropped"]) for m in shard_markers(step_dir)]
    folder = work / FINAL_DIR
    layout = hashlib.sha256(
        "\n".join(f"{path}:{path.stat().st_mtime_ns}" for path, _, _ in sources).encode("utf-8")
    ).hexdigest()
    stamp = folder / "layout"
    if not stamp.is_file() or stamp.read_text(encoding="utf-8").strip() != layout:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        atomic_write_text(stamp, layout + "\n")
    return [
        Part(number, source, kept, int(records), folder)
        for number, (source, kept, records) in enumerate(sources)
    ]


def write_part(part: Part, observations: Any) -> dict[str, Any]:
    """Writes one part's final lines, id hashes and observations, then its marker; returns the marker."""
    ids = IdLog()
    count = 0
    with atomic_writer(part.lines) as out, job_progress(part.folder, part.name) as tick:
        for record in counted(read_lines([part.source]), tick):
            record_id = record["id"]
            if part.kept == (REASON in record):
                raise LimkitError(f"internal error: record {record_id!r} is in the wrong output file")
            ids.add(record_id, count)
            out.write(_ENCODER.encode(record) + "\n")
            observations.see(record, part.kept)
            count += 1
    with atomic_writer(part.extras, "wb") as handle:
        pickle.dump({"hashes": ids.hashes_array(), "observations": observations}, handle)
    marker = {"part": part.number, "records": count, "kept": part.kept}
    atomic_write_text(part.marker, json.dumps(marker))
    return marker


@dataclass(frozen=True)
class Joined:
    """What the parts add up to once their bytes are in the final files."""

    kept: int
    dropped: int
    hashes: np.ndarray
    """Id hashes in file order (kept file, then dropped file)."""
    observations: list[Any]
    """Each part's report data, in file order."""


def join_parts(parts: list[Part], kept_out: IO[Any], dropped_out: IO[Any]) -> Joined:
    """Copies the parts' bytes into the two files and reads each part's extras once."""
    counts = {True: 0, False: 0}
    hashes, observations = [], []
    for part in parts:
        marker = json.loads(part.marker.read_text(encoding="utf-8"))
        counts[part.kept] += int(marker["records"])
        with part.lines.open("r", encoding="utf-8") as source:
            shutil.copyfileobj(source, kept_out if part.kept else dropped_out, 1 << 20)
        with part.extras.open("rb") as handle:
            extras = pickle.load(handle)
        hashes.append(extras["hashes"])
        observations.append(extras["observations"])
    merged = np.concatenate(hashes) if hashes else np.empty(0, np.uint64)
    return Joined(counts[True], counts[False], merged, observations)


def part_ids(parts: list[Part]) -> Iterator[str]:
    """Every id in final-file order (read again only when two id hashes collide)."""
    for part in parts:
        for record in read_lines([part.lines]):
            yield str(record["id"])
