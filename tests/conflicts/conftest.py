"""Fixtures for the conflicts study: the first ten shipped NQ-open questions and a tiny MNLI classifier."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def nq_ten(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    lines = (shared_dir / "data" / "qa" / "nq_open_dev.jsonl").read_text(encoding="utf-8").splitlines()[:10]
    out = tmp_path_factory.mktemp("nq") / "nq_ten.jsonl"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def tiny_nli_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from limkit.studies.conflicts import build_tiny_nli

    return build_tiny_nli(
        tmp_path_factory.mktemp("nli") / "model", order=("entailment", "neutral", "contradiction")
    )


@pytest.fixture(scope="session")
def strategy_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three StrategyQA-shaped rows with three facts and one with two (dropped: only N in {3, 4} is kept)."""
    rows = [
        {
            "qid": "s1",
            "question": "Is a penguin a fish?",
            "answer": False,
            "facts": ["Penguins are birds.", "Birds have feathers.", "Fish have scales."],
        },
        {
            "qid": "s2",
            "question": "Can ice float?",
            "answer": True,
            "facts": ["Ice is frozen water.", "Ice is less dense than water.", "Less dense things float."],
        },
        {
            "qid": "s3",
            "question": "Is Paris in Spain?",
            "answer": False,
            "facts": ["Paris is in France.", "France is not Spain."],
        },
    ]
    out = tmp_path_factory.mktemp("sqa") / "strategyqa.jsonl"
    out.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return out
