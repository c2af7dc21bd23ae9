"""`limkit pc run` with real tiny random models: a `transformers serve` planner (the session's tiny text
model) and an in-process `hf` pointing model (a tiny LLaVA). Their replies are noise, so every one must be
refused, counted and re-asked, and the run must end cleanly with status failed, sending no input."""

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


def test_a_real_tiny_vlm_as_grounder_fails_cleanly(run_cli, x_desktop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The `hf` backend's image path with a tiny random LLaVA as the pointing model: its replies name no
    point, each round is counted as a parse failure, and after the re-plan limit the run ends failed."""
    from limkit.llm.tiny import build_tiny_vlm

    vlm = build_tiny_vlm(tmp_path / "vlm")
    out = tmp_path / "run"
    rules = str(Path(__file__).with_name("data") / "agent_click_save.jsonl")
    result = run_cli(
        "pc", "run", "click Save", "--out", str(out), "--planner-backend", "scripted",
        "--planner-model", rules, "--grounder", "vlm", "--grounder-backend", "hf",
        "--grounder-model", str(vlm), "--max-replans", "1", "--dry-run",
    )  # fmt: skip
    assert result.code == 1, result.err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "failed" and "after 1 re-plans" in summary["reason"]
    assert (summary["grounding_failures"], summary["grounder_requests"], summary["parse_failures"]) == (
        2,
        6,
        6,
    )
