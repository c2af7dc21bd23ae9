"""A recipe without a distill step writes the filtered pool (`write: {format: pool}`), not nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from curate_helpers import read_jsonl

ROWS = [
    {"id": "a", "question": "What is 2 + 2?", "gold": "4", "src": "x"},
    {"id": "b", "question": "What is 2 + 2?", "gold": "4", "src": "y"},  # exact duplicate of a
    {"id": "c", "question": "What is 3 + 5?", "gold": "8", "src": "x"},
]


def _recipe(tmp_path: Path, pool: Path, write: dict[str, Any]) -> Path:
    data = {
        "input": {"path": str(pool), "fields": {"problem": "question", "answer": "gold", "source": "src"}},
        "steps": [{"dedup": {"method": "exact"}}, {"write": write}],
    }
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_format_pool_writes_the_filtered_problems(write_pool: Any, tmp_path: Path, run_cli: Any) -> None:
    path = _recipe(tmp_path, write_pool(ROWS), {"format": "pool"})
    done = run_cli("curate", str(path), "--out", str(tmp_path / "out"))
    assert done.code == 0, done.err
    expected = [
        {"id": "a", "problem": "What is 2 + 2?", "answer": "4", "source": "x"},
        {"id": "c", "problem": "What is 3 + 5?", "answer": "8", "source": "x"},
    ]
    assert read_jsonl(tmp_path / "out" / "pool.jsonl") == expected
    import datasets

    assert datasets.load_from_disk(str(tmp_path / "out" / "pool_dataset")).to_list() == expected
    stats = json.loads((tmp_path / "out" / "stats.json").read_text(encoding="utf-8"))
    assert (stats["kept"], stats["steps"][2]["counters"]["rows_written"]) == (2, 2)


def test_chat_format_without_chains_says_how_to_write_the_pool(
    write_pool: Any, tmp_path: Path, run_cli: Any
) -> None:
    path = _recipe(tmp_path, write_pool(ROWS), {"dataset_dir": None})
    done = run_cli("curate", str(path), "--out", str(tmp_path / "out"))
    assert done.code == 0, done.err
    dropped = {row["id"]: row for row in read_jsonl(tmp_path / "out" / "dropped.jsonl")}
    assert {r["reason"]["code"] for r in dropped.values() if r["id"] != "b"} == {"no_assistant_text"}
    assert "format: pool" in dropped["a"]["reason"]["hint"]
    assert read_jsonl(tmp_path / "out" / "sft.jsonl") == []
    assert not (tmp_path / "out" / "sft_dataset").exists()
