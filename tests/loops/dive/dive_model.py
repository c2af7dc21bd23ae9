"""A tiny model fitted to answer 16 real GSM8K questions right about half the time, so sampling gives pairs.

For each question it is fitted on two replies, one ending in the gold "#### N" (with a calculator
annotation `<<N+0=N>>`) and one in a wrong number (no annotation). Trained to the
mixture, its samples at temperature 1 are a mix of correct and incorrect responses: the question is
whether DPO on them moves the mixture toward the gold, which the loop test measures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fitting import fit_tiny_model

QUESTIONS = 16
PROMPT = "Question:\n{problem}\nAnswer:\n"


def gsm8k_rows(benchmarks_dir: Path, count: int = QUESTIONS) -> list[dict[str, Any]]:
    lines = (benchmarks_dir / "gsm8k_test.jsonl").read_text(encoding="utf-8").splitlines()[:count]
    return [json.loads(line) for line in lines]


def gold(row: dict[str, Any]) -> str:
    return str(row["answer"]).rsplit("####", 1)[1].strip().replace(",", "")


def replies(row: dict[str, Any]) -> list[str]:
    right = int(gold(row))
    return [f"We add <<{right}+0={right}>>.\n#### {right}", f"So it is {right + 1}.\n#### {right + 1}"]


def fit_mixed_solver(benchmarks_dir: Path, work: Path) -> Path:
    from limkit.llm.tiny import TinyModelSpec, build_tiny_model

    rows = gsm8k_rows(benchmarks_dir)
    texts = [PROMPT.replace("{problem}", row["question"]) for row in rows]
    texts += [reply for row in rows for reply in replies(row)]
    spec = TinyModelSpec(
        hidden_size=64, num_layers=2, num_heads=4, intermediate_size=128, vocab_size=600, max_positions=512
    )
    base = build_tiny_model(work / "base", seed=0, spec=spec, extra_text=texts)
    pairs = [(PROMPT.replace("{problem}", row["question"]), reply) for row in rows for reply in replies(row)]
    return fit_tiny_model(base, work / "solver", pairs, steps=100)
