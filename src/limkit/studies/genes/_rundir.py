"""Run directories: the config, the cases, the results, and the request cache that makes them resumable.

RUN/config.json    what was run (a resumed run must match it)
RUN/cases.jsonl    the cases ranked
RUN/results.jsonl  one row per (case, n), written atomically when ranking ends
RUN/cache.sqlite   every model answer as it arrives (unless --cache names another)
RUN/summary.json, RUN/report.html   from `limkit genes eval`
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from limkit.data import read_jsonl, start_run_dir, write_jsonl
from limkit.errors import LimkitError
from limkit.studies.genes._cases import Case


def start_run(run_dir: Path, config: dict[str, Any], cases: Sequence[Case]) -> None:
    """Creates the run directory, or checks that an existing one is the same run (so it can resume)."""
    start_run_dir(run_dir, config)
    write_jsonl(run_dir / "cases.jsonl", (case.as_dict() for case in cases))


def read_run(run_dir: Path) -> tuple[dict[str, Any], list[Case], list[dict[str, Any]]]:
    config_path, results = run_dir / "config.json", run_dir / "results.jsonl"
    if not config_path.is_file() or not results.is_file():
        raise LimkitError("not a finished genes run (config.json and results.jsonl expected)", path=run_dir)
    config = json.loads(config_path.read_text(encoding="utf-8"))
    cases = [Case.from_dict(row) for _, row in read_jsonl(run_dir / "cases.jsonl")]
    rows = []
    for line, row in read_jsonl(results):
        if not {"case_id", "n", "rank", "ranking", "agents"} <= set(row):
            raise LimkitError(
                "a result row needs case_id, n, rank, ranking and agents", path=results, line=line
            )
        rows.append(row)
    return config, cases, rows
