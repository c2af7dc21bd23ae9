"""`load` at pool scale: every source format reads the same records in shards, and repeated ids are
refused across shards from 16 bytes per id, without false alarms when two ids share a hash."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from curate_helpers import outputs, run_steps

from limkit.curate import Dedup, Load
from limkit.curate import _ids as ids_module
from limkit.errors import LimkitError


def _rows(count: int) -> list[dict[str, Any]]:
    return [{"id": f"p{i}", "problem": f"What is {i} plus {i % 13}?", "answer": str(i)} for i in range(count)]


def test_every_format_gives_the_same_shards(tmp_path: Path, write_pool: Callable[..., Path]) -> None:
    rows = _rows(301)
    jsonl = write_pool(rows)
    json_list = write_pool(rows, "pool.json")
    parquet = tmp_path / "pool.parquet"
    pq.write_table(pa.Table.from_pylist(rows), parquet, row_group_size=64)
    results = {}
    for name, path in (("jsonl", jsonl), ("json", json_list), ("parquet", parquet)):
        for workers, tasks in ((1, 1), (1, 5)):  # one worker runs the shards in this process
            result = run_steps([Load(path=str(path))], tmp_path / f"{name}{tasks}", workers, tasks)
            kept, dropped = outputs(result)
            results[(name, tasks)] = (list(kept), dropped)
    expected = ([row["id"] for row in rows], {})
    assert all(result == expected for result in results.values()), {k: len(v[0]) for k, v in results.items()}


def test_a_repeated_id_in_another_shard_names_both_places(
    tmp_path: Path, write_pool: Callable[..., Path]
) -> None:
    rows = _rows(40)
    rows[33]["id"] = rows[5]["id"]  # shard 3 of 4 repeats an id of shard 0
    rows[37]["id"] = rows[2]["id"]
    for name in ("pool.jsonl", "pool.json"):
        path = write_pool(rows, name)
        with pytest.raises(LimkitError, match=r"duplicate id 'p5' \(first at 6\)") as caught:
            run_steps([Load(path=str(path))], tmp_path / f"out-{name}", workers=1, tasks=4)
        assert (caught.value.path, caught.value.line, caught.value.field) == (str(path), 34, "id"), name


def test_ids_sharing_a_hash_are_not_called_duplicates(
    tmp_path: Path, write_pool: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every id gets the same 64-bit hash: the exact comparison must still tell them apart."""
    monkeypatch.setattr(ids_module, "id_hash", lambda record_id: 42)
    rows = _rows(30)
    kept, _ = outputs(run_steps([Load(path=str(write_pool(rows))), Dedup()], tmp_path / "collide", 1, 3))
    assert sorted(kept) == sorted(row["id"] for row in rows)
    rows[20]["id"] = "p3"
    with pytest.raises(LimkitError, match="duplicate id 'p3'") as caught:
        run_steps([Load(path=str(write_pool(rows, "dup.jsonl")))], tmp_path / "dup", 1, 3)
    assert caught.value.line == 21
