"""Run directories: the config a resumed run must match, and the finished files a later command reads.

build:   config.json, questions.jsonl, evidence.jsonl, triples.jsonl, pairs.jsonl, rejections.jsonl,
         cache.sqlite (every model answer), nli_scores.jsonl (every NLI score, appended)
detect:  config.json, scores.jsonl (appended as scored), summary.json, report.html
resolve: config.json, resolution.jsonl, summary.json
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from limkit.data import read_jsonl, start_run_dir
from limkit.errors import LimkitError

PAIR_FIELDS = ("id", "kind", "group", "label", "setting", "length", "question", "x", "y")


def start_run(run_dir: Path, config: dict[str, Any]) -> None:
    """Creates the run directory, or checks that an existing one holds the same run (so it resumes)."""
    start_run_dir(run_dir, config)


def read_pairs(path: Path) -> list[dict[str, Any]]:
    """Labelled pairs from a build directory (its pairs.jsonl) or a pairs JSONL file, checked."""
    file = path / "pairs.jsonl" if path.is_dir() else path
    if not file.is_file():
        raise LimkitError("no pairs here (a build directory with pairs.jsonl, or a pairs JSONL)", path=path)
    pairs = []
    for line, row in read_jsonl(file):
        for name in PAIR_FIELDS:
            if name not in row:
                raise LimkitError("missing", path=file, line=line, field=name)
        if row["label"] not in (0, 1):
            raise LimkitError("expected 0 or 1", path=file, line=line, field="label")
        pairs.append(row)
    return pairs
