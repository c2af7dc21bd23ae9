"""The Benchmark+ item schema (shipped as `benchmark_plus.v1.json`) and the benchmark file reader/writer.

A benchmark is a JSONL file, one item a line. Every item is validated on load and before it is written, so
a hand-edited or foreign file fails with one line naming the file, the record and the field. Beyond the
schema, two rules JSON Schema cannot say are checked: item ids are unique, and every key point cites only
chunks the item carries.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from limkit.errors import LimkitError

SCHEMA_VERSION = "benchmark_plus/1"
SCHEMA_FILE = "benchmark_plus.v1.json"
SEED_TYPES = ("recall", "reasoning", "application")
ACTIONS = ("new_topic", "deepen", "rephrase", "misleading_premise", "harder")
"""The question types a policy picks from, one per examination turn."""


@functools.cache
def benchmark_schema() -> dict[str, Any]:
    """The packaged JSON Schema of one item (draft 2020-12)."""
    text = resources.files("limkit.agents.testagent").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(benchmark_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _field_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(item)"


def validate_item(item: Any, *, path: str | Path | None = None, line: int | None = None) -> None:
    """Raises `LimkitError` naming the first offending field (e.g. `criteria.stage2_key_points[0].weight`)."""
    problems = sorted(_validator().iter_errors(item), key=lambda error: list(error.absolute_path))
    if problems:
        first = problems[0]
        field = _field_path(first.absolute_path)
        if first.validator == "required":
            missing = [name for name in first.validator_value if name not in first.instance]
            field = _field_path([*first.absolute_path, missing[0]]) if missing else field
        raise LimkitError(f"not a Benchmark+ item: {first.message[:200]}", path=path, line=line, field=field)
    chunk_ids = {chunk["chunk_id"] for chunk in item["source_chunks"]}
    for number, point in enumerate(item["criteria"]["stage2_key_points"]):
        unknown = sorted(set(point["chunk_ids"]) - chunk_ids)
        if unknown:
            raise LimkitError(
                f"cites chunk {unknown[0]!r}, which is not among the item's source_chunks",
                path=path,
                line=line,
                field=f"criteria.stage2_key_points[{number}].chunk_ids",
            )


def read_bench(path: str | Path) -> list[dict[str, Any]]:
    """Every item of a benchmark file, each validated; duplicate ids are an error too."""
    from limkit.data import read_jsonl

    path = Path(path)
    if not path.is_file():
        raise LimkitError("benchmark file not found", path=path)
    items: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, item in read_jsonl(path):
        validate_item(item, path=path, line=line)
        if item["id"] in seen:
            raise LimkitError(
                f"duplicate item id {item['id']!r} (first on line {seen[item['id']]})",
                path=path,
                line=line,
                field="id",
            )
        seen[item["id"]] = line
        items.append(item)
    if not items:
        raise LimkitError("the benchmark has no items", path=path)
    return items


def write_bench(path: str | Path, items: Sequence[dict[str, Any]]) -> int:
    """Validates every item, then writes the file atomically (all or nothing)."""
    from limkit.data import write_jsonl

    for number, item in enumerate(items, start=1):
        validate_item(item, path=path, line=number)
    return write_jsonl(path, items)
