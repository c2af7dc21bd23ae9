"""Fixtures for TestAgent: a small Benchmark+ file with items at every difficulty."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))


def make_item(number: int, difficulty: int) -> dict[str, Any]:
    chunk = {
        "chunk_id": f"doc{number}#0",
        "doc_id": f"doc{number}",
        "text": f"Fact {number}: the sky is blue.",
    }
    return {
        "schema_version": "benchmark_plus/1",
        "id": f"item-{number}",
        "domain": "test",
        "source_chunks": [chunk],
        "seed_question": f"What colour is the sky in case {number}?",
        "reference_answer": "blue",
        "strategy": {
            "question_type": "recall",
            "difficulty": difficulty,
            "follow_up_policy": {
                "actions": ["new_topic", "deepen", "rephrase", "misleading_premise", "harder"]
            },
        },
        "criteria": {
            "stage1_dimensions": [{"name": "correctness", "description": "facts"}],
            "stage2_key_points": [
                {
                    "id": "kp1",
                    "point": "The sky is blue",
                    "weight": 0.6,
                    "dimension": "correctness",
                    "chunk_ids": [chunk["chunk_id"]],
                    "supported": True,
                },
                {
                    "id": "kp2",
                    "point": "It is a fact",
                    "weight": 0.4,
                    "dimension": "correctness",
                    "chunk_ids": [chunk["chunk_id"]],
                    "supported": True,
                },
            ],
        },
        "metadata": {
            "generator_model": "hand",
            "created": "2026-12-01T23:00:00+00:00",
            "origin": "documents",
        },
    }


@pytest.fixture
def good_item() -> dict[str, Any]:
    return make_item(0, 3)


@pytest.fixture
def small_bench(tmp_path: Path) -> Path:
    from limkit.agents.testagent import write_bench

    path = tmp_path / "bench.jsonl"
    write_bench(path, [make_item(number, 1 + number % 5) for number in range(10)])
    return path
