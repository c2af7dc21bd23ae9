"""Building Benchmark+ items from medbullets explanations (real chunking, BM25 and MiniLM dedup; a scripted
generator), and activating the medbullets task itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from limkit.agents.testagent import read_bench
from limkit.data import read_jsonl

SCRIPT = "testagent_scripts:builder"


@pytest.fixture
def explanations(shared_dir: Path, tmp_path: Path) -> Path:
    """The first 8 medbullets explanations as documents, plus one verbatim copy under another id."""
    rows = [row for _, row in read_jsonl(shared_dir / "data" / "benchmarks" / "medbullets_op4.jsonl")][:8]
    docs = [{"id": row["id"], "text": row["explanation"]} for row in rows]
    docs.append({"id": "copy-of-0", "text": docs[0]["text"]})
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(doc) + "\n" for doc in docs), encoding="utf-8")
    return path


def test_build_from_documents(run_cli: Any, explanations: Path, tmp_path: Path) -> None:
    out = tmp_path / "bench.jsonl"
    result = run_cli(
        "testagent",
        "build",
        str(explanations),
        "--domain",
        "medical",
        "--out",
        str(out),
        "--backend",
        "scripted",
        "--model",
        SCRIPT,
        "--items",
        "100",
        "--chunk-words",
        "120",
    )
    assert result.code == 0, result.err
    items = read_bench(out)
    dropped = [row for _, row in read_jsonl(tmp_path / "bench.dropped.jsonl")]
    reasons = {row["reason"] for row in dropped}
    docs = {row["id"]: row["text"] for _, row in read_jsonl(explanations)}
    # the copy's chunks ask the same questions as doc 0's: exactly those are dropped as near-duplicates
    duplicates = [row for row in dropped if row["reason"] == "near-duplicate question"]
    copies = {row["candidate"]: row["of"] for row in duplicates if row["candidate"].startswith("copy-of-0#")}
    assert copies and all(of == "medbullets-0#" + copy.split("#")[1] for copy, of in copies.items())
    assert all(row["cosine"] >= 0.9 for row in duplicates)
    assert not any(row["candidate"].startswith("medbullets-0#") for row in dropped)
    unanswerable = [row["candidate"] for row in dropped if row["reason"] == "not answerable from its chunks"]
    uncited = [row["candidate"] for row in dropped if row["reason"] == "cites a chunk it was not shown"]
    assert unanswerable and all(c.startswith("medbullets-5#") for c in unanswerable)
    assert uncited and all(c.startswith("medbullets-7#") for c in uncited)
    assert reasons == {
        "near-duplicate question",
        "not answerable from its chunks",
        "cites a chunk it was not shown",
    }
    assert len(items) >= 8
    for item in items:
        for chunk in item["source_chunks"]:  # citations point at real retrieved chunks of the documents
            assert docs[chunk["doc_id"]][chunk["start"] : chunk["end"]] == chunk["text"]
        points = item["criteria"]["stage2_key_points"]
        assert [
            p["point"] for p in points if "cheese" in p["point"]
        ] == []  # unsupported stage-2 point dropped
        assert len(points) == 1 and points[0]["weight"] == 1.0
        assert [d["name"] for d in item["criteria"]["stage1_dimensions"]] == ["correctness", "reasoning"]
        assert item["metadata"]["generator_model"] == SCRIPT and item["metadata"]["origin"] == "documents"


def test_activate_medbullets(run_cli: Any, shared_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "active.jsonl"
    data_dir = shared_dir / "data" / "benchmarks"
    result = run_cli(
        "testagent",
        "build",
        "--from-task",
        "medbullets_op4",
        "--data-dir",
        str(data_dir),
        "--domain",
        "medical",
        "--out",
        str(out),
    )
    assert result.code == 0, result.err
    items = read_bench(out)
    rows = [row for _, row in read_jsonl(data_dir / "medbullets_op4.jsonl")]
    assert len(items) == len(rows) == 308
    for item, row in zip(items, rows, strict=True):
        points = item["criteria"]["stage2_key_points"]
        assert points[0]["point"] == f"The answer is {row['answer']}" and points[0]["weight"] == 0.5
        assert all(p["point"] in row["explanation"].replace("\n", " ") for p in points[1:])
        assert 2 <= len(points) <= 4 and abs(sum(p["weight"] for p in points) - 1) < 1e-5
        assert (
            item["seed_question"].startswith(row["question"])
            and f"C. {row['options']['C']}" in item["seed_question"]
        )
    # usage errors: neither source, or both
    assert run_cli("testagent", "build", "--out", str(out)).code == 2
    assert (
        run_cli("testagent", "build", str(out), "--from-task", "medbullets_op4", "--out", str(out)).code == 2
    )
