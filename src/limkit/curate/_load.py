"""The `load` step: a pool of problems from a file, a `save_to_disk` directory or the Hugging Face Hub.

Every source row becomes `{"id", "problem", "answer", ...}` through a field map, so the rest of the
pipeline never sees a dataset's own column names. Bad rows are named by file, line (or row) and field.

Rows are streamed: JSONL line by line, Parquet by record batch, a JSON list element by element, so a
shard holds one record at a time plus 16 bytes per id (to refuse duplicates, checked once all shards
are done). A JSONL or Parquet shard reads only its own slice; a JSON list has to be parsed up to it.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limkit.curate._ids import IdLog, load_logs, repeated
from limkit.curate._options import OptionError, doc
from limkit.curate._realign._shapes import SHAPES, instruction_record
from limkit.curate._record import Record
from limkit.curate._step import Step, file_stamps, register_step
from limkit.data import iter_json_list, parse_json, read_jsonl
from limkit.errors import LimkitError

TARGET_FIELDS = ("id", "problem", "answer", "solution", "source", "domain", "answer_type")
REQUIRED_FIELDS = ("problem",)


@register_step("load")
@dataclass
class Load(Step):
    """Reads the pool; each rank yields its contiguous slice of the rows."""

    is_source = True
    needs_finalize = True

    path: str | None = dataclasses.field(
        default=None, metadata=doc("JSONL, JSON list or Parquet file, or a `save_to_disk` directory.")
    )
    hub: str | None = dataclasses.field(
        default=None, metadata=doc("Hugging Face dataset id (needs `revision`), or a local dataset folder.")
    )
    revision: str | None = dataclasses.field(
        default=None, metadata=doc("Pinned hub revision (commit) for `hub`.")
    )
    subset: str | None = dataclasses.field(default=None, metadata=doc("Hub dataset configuration name."))
    split: str = dataclasses.field(
        default="train", metadata=doc("Split to read from a hub dataset or a DatasetDict directory.")
    )
    fields: dict[str, str] = dataclasses.field(
        default_factory=dict,
        metadata=doc(
            "Map from limkit field (id, problem, answer, solution, source, domain, answer_type) "
            "to the source column."
        ),
    )
    keep: list[str] = dataclasses.field(
        default_factory=list, metadata=doc("Extra source columns to carry along under `meta`.")
    )
    limit: int | None = dataclasses.field(
        default=None, metadata=doc("Read only the first N rows (quick trial runs).")
    )
    shape: str = dataclasses.field(
        default="fields",
        metadata=doc(
            "fields: map columns with `fields`; instruction data (kept whole, for ReAlign): auto, "
            "messages, sharegpt, alpaca or problem_solution.",
            choices=("fields", *SHAPES),
        ),
    )

    def validate(self) -> None:
        if (self.path is None) == (self.hub is None):
            raise OptionError(
                "path", "give exactly one of `path` (a file or directory) or `hub` (a dataset id)"
            )
        for target in self.fields:
            if target not in TARGET_FIELDS:
                raise OptionError(
                    f"fields.{target}", f"unknown target field; choose from {', '.join(TARGET_FIELDS)}"
                )
        if self.limit is not None and self.limit < 1:
            raise OptionError("limit", f"must be >= 1, got {self.limit}")

    def column(self, target: str) -> str:
        return self.fields.get(target, target)

    @property
    def source_name(self) -> str:
        if self.path is not None:
            return self.path
        return f"{self.hub}@{self.revision or 'local'}"

    def fingerprint_options(self) -> dict[str, Any]:
        """Options plus the input's size and modification time: an edited pool is read again."""
        options = self.options()
        if self.path is not None:
            options["_source"] = file_stamps(Path(self.path))
        return options

    def check(self) -> None:
        """Fails before any work: missing file, unpinned hub id, or a mapped column the data lacks."""
        if self.path is not None and not Path(self.path).expanduser().exists():
            raise OptionError("path", f"file not found: {self.path}")
        if self.hub is not None and self.revision is None and not Path(self.hub).expanduser().is_dir():
            raise OptionError("revision", f"pin a revision (commit) for hub dataset {self.hub!r}")
        first = self._first_row()
        if first is None:
            raise OptionError("path" if self.path else "hub", f"no rows in {self.source_name}")
        position, row = first
        if self.shape != "fields":
            instruction_record(row, self.shape, self.fields, self.source_name, position)
            return
        for target in ("problem", *self.fields):
            column = self.column(target)
            if column not in row:
                present = ", ".join(sorted(row)[:12])
                raise OptionError(
                    f"fields.{target}" if target in self.fields else "fields",
                    f"column {column!r} (for {target}) not in {self.source_name} row {position}; "
                    f"columns: {present}",
                )

    def _first_row(self) -> tuple[int, dict[str, Any]] | None:
        return next(iter(self._rows()), None)

    def _rows(self) -> Iterator[tuple[int, dict[str, Any]]]:
        if self.path is not None:
            path = Path(self.path).expanduser()
            rows: Iterable[tuple[int, dict[str, Any]]]
            rows = _dataset_rows(_load_from_disk(path, self.split)) if path.is_dir() else _file_rows(path)
        else:
            rows = _dataset_rows(_load_hub(self.hub or "", self.subset, self.split, self.revision))
        for count, item in enumerate(rows):
            if self.limit is not None and count >= self.limit:
                return
            yield item

    def run(self, records: Iterable[Record], rank: int = 0, world_size: int = 1) -> Iterator[Record]:
        """Yields this rank's slice, reading (for JSONL and Parquet) nothing of the others'.

        Each id is logged as a 64-bit hash; `finalize` checks them all against each other.
        """
        log = IdLog()
        for position, record in self.records(rank, world_size):
            log.add(record["id"], position)
            yield record
        log.save(self.phase_dir("ids") / f"ids-{rank:05d}.npz")

    def records(self, rank: int = 0, world_size: int = 1) -> Iterator[tuple[int, Record]]:
        """(source position, record) of this rank's slice, for a reader outside the pipeline's own shards."""
        start, end = shard_bounds(self._count(), rank, world_size)
        for position, row in self._slice(start, end):
            yield position, self._record(row, position)

    def finalize(self, records: Iterable[Record]) -> None:
        """Refuses a pool whose ids repeat, naming the first repeat's line and where the id came first."""
        ranks = sorted(int(done.stem.split("-")[1]) for done in self.context.step_dir.glob("done-*.json"))
        hashes, positions = load_logs(self.phase_dir("ids") / f"ids-{rank:05d}.npz" for rank in ranks)
        suspects = {int(p) for p in positions[repeated(hashes)].tolist()}
        if not suspects:
            return
        first: dict[str, int] = {}
        for position, row in self._rows():
            if position in suspects:
                record_id = self._id(row, position)
                if record_id in first:
                    raise LimkitError(
                        f"duplicate id {record_id!r} (first at {first[record_id]})",
                        path=self.source_name,
                        line=position,
                        field=self.column("id"),
                    )
                first[record_id] = position

    def _slice(self, start: int, end: int) -> Iterator[tuple[int, dict[str, Any]]]:
        path = Path(self.path).expanduser() if self.path is not None else None
        if path is not None and path.is_file() and _kind(path) != "json":
            rows = _jsonl_slice(path, start, end) if _kind(path) == "jsonl" else _parquet_rows(path, start)
            yield from itertools.islice(rows, end - start)
            return
        yield from itertools.islice(self._rows(), start, end)

    def _count(self) -> int:
        """How many rows the source has (within `limit`), without building them where the format allows."""
        path = Path(self.path).expanduser() if self.path is not None else None
        if path is not None and path.is_file() and _kind(path) == "jsonl":
            with path.open("rb") as handle:
                total = sum(1 for line in handle if line.strip())
        elif path is not None and path.is_file() and _kind(path) == "parquet":
            import pyarrow.parquet as pq

            total = pq.ParquetFile(path).metadata.num_rows
        elif path is not None and path.is_file():
            total = sum(1 for _ in iter_json_list(path))
        else:
            total = sum(1 for _ in self._rows())
        return total if self.limit is None else min(total, self.limit)

    def _id(self, row: dict[str, Any], position: int) -> str:
        column = self.column("id")
        if column not in row:
            if "id" in self.fields:
                raise LimkitError("missing", path=self.source_name, line=position, field=column)
            return str(position)
        value = row[column]
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise LimkitError(
                f"expected a string or integer id, got {type(value).__name__}",
                path=self.source_name,
                line=position,
                field=column,
            )
        return str(value)

    def _record(self, row: dict[str, Any], position: int) -> Record:
        record: Record = {"id": self._id(row, position)}
        if self.shape != "fields":
            record.update(instruction_record(row, self.shape, self.fields, self.source_name, position))
            return (
                record if record["problem"].strip() else self.drop(record, "empty_problem", position=position)
            )
        for target in TARGET_FIELDS[1:]:
            column = self.column(target)
            if column not in row or row[column] is None:
                if target in REQUIRED_FIELDS or target in self.fields:
                    raise LimkitError("missing", path=self.source_name, line=position, field=column)
                continue
            record[target] = _text(row[column], self.source_name, position, column)
        if self.keep:
            record["meta"] = {column: row.get(column) for column in self.keep}
        if not record["problem"].strip():
            return self.drop(record, "empty_problem", position=position)
        return record


def shard_bounds(total: int, rank: int, world_size: int) -> tuple[int, int]:
    """Rank `rank`'s contiguous slice of `total` items: concatenating ranks in order restores the order."""
    return total * rank // world_size, total * (rank + 1) // world_size


def _text(value: Any, source: str, position: int, column: str) -> str:
    if isinstance(value, bool):
        raise LimkitError(
            "expected text or a number, got a boolean", path=source, line=position, field=column
        )
    if isinstance(value, float):
        if not math.isfinite(value):
            raise LimkitError(f"not a finite number: {value}", path=source, line=position, field=column)
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int | str):
        return str(value)
    raise LimkitError(
        f"expected text or a number, got {type(value).__name__}", path=source, line=position, field=column
    )


def _kind(path: Path) -> str:
    if path.suffix == ".parquet":
        return "parquet"
    with path.open(encoding="utf-8", errors="replace") as handle:
        return "json" if handle.read(4096).lstrip().startswith("[") else "jsonl"


def _file_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if not path.is_file():
        raise LimkitError("file not found", path=path)
    kind = _kind(path)
    if kind == "jsonl":
        yield from read_jsonl(path)
    elif kind == "json":
        yield from iter_json_list(path)
    else:
        yield from _parquet_rows(path)


def _jsonl_slice(path: Path, start: int, end: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """Non-blank lines `start` to `end` (0-based) as (line number, object); earlier lines stay unparsed."""
    with path.open("rb") as handle:
        index = 0
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            if index >= end:
                return
            if index >= start:
                yield number, _json_object(line, path, number)
            index += 1


def _json_object(line: bytes, path: Path, number: int) -> dict[str, Any]:
    try:
        row = parse_json(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        message = f"{error.msg} at column {error.colno}" if isinstance(error, json.JSONDecodeError) else error
        raise LimkitError(f"not valid JSON ({message})", path=path, line=number) from None
    if not isinstance(row, dict):
        raise LimkitError(f"expected a JSON object, got {type(row).__name__}", path=path, line=number)
    return row


def _parquet_rows(path: Path, start: int = 0, batch_size: int = 4096) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows from `start` (0-based) on, as (1-based row, object); record batches before it are skipped."""
    import pyarrow.parquet as pq

    try:
        batches = pq.ParquetFile(path).iter_batches(batch_size=batch_size)
        position = 0
        for batch in batches:
            if position + batch.num_rows <= start:
                position += batch.num_rows
                continue
            for row in batch.to_pylist():
                position += 1
                if position > start:
                    yield position, row
    except (OSError, ValueError) as error:  # pyarrow raises ArrowInvalid (a ValueError) or OSError
        raise LimkitError(f"not a readable Parquet file ({error})", path=path) from None


def _dataset_rows(dataset: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    for index, row in enumerate(dataset, start=1):
        yield index, dict(row)


def _load_from_disk(path: Path, split: str) -> Any:
    import datasets

    try:
        loaded = datasets.load_from_disk(str(path))
    except Exception as error:  # datasets raises several types for a folder that is not a saved dataset
        raise LimkitError(
            f"not a `save_to_disk` dataset directory ({type(error).__name__}: {error})", path=path
        ) from None
    if isinstance(loaded, datasets.DatasetDict):
        if split not in loaded:
            raise LimkitError(f"no split {split!r}; splits: {', '.join(loaded)}", path=path, field="split")
        return loaded[split]
    return loaded


def _load_hub(hub: str, subset: str | None, split: str, revision: str | None) -> Any:
    """A hub dataset at a pinned revision; a local dataset folder works the same way (how tests run)."""
    import datasets

    try:
        return datasets.load_dataset(hub, name=subset, split=split, revision=revision)
    except Exception as error:  # offline, gated, missing split: datasets raises many types
        raise LimkitError(
            f"cannot load split {split!r} ({type(error).__name__}: {str(error)[:300]})",
            path=f"{hub}@{revision}",
        ) from None
