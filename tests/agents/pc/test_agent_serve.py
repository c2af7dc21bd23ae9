"""`limkit pc run` against a real `transformers serve` (the session's tiny random model) as the planner:
its replies are noise, so every one must be refused, counted and re-asked, and the run must end cleanly
with status failed, having sent no input to the app."""

from __future__ import annotations

import json
from pathlib import Path

from pc_desktop import TestApp


def test_a_real_server_with_a_tiny_model_ends_cleanly(
    run_cli, tiny_server: str, tiny_model_dir: Path, gtk_app: TestApp, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "run"
    result = run_cli(
        "pc", "run", "type hello into the entry and click Save", "--out", str(out),
        "--planner-backend", "openai", "--planner-base-url", tiny_server,
        "--planner-model", str(tiny_model_dir),
        "--grounder", "ocr", "--max-tokens", "24", "--max-steps", "3",
    )  # fmt: skip
    assert result.code == 1, result.err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "failed" and "no planner reply parsed in 3 tries" in summary["reason"]
    assert (summary["steps"], summary["parse_failures"], summary["planner_requests"]) == (1, 3, 3)
    assert summary["usage"]["completion_tokens"] > 0
    (step,) = [json.loads(line) for line in (out / "steps.jsonl").read_text().splitlines()]
    assert step["action"] is None and len(step["parse_errors"]) == len(step["replies"]) == 3
    assert gtk_app.state()["presses"] == 0 and gtk_app.state()["keys"] == 0
    assert "**Status:** failed" in (out / "steps.md").read_text()
