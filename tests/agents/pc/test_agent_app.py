"""`limkit pc run` end to end on the GTK test app under Xvfb, in process: the real OCR grounder with a
scripted planner (rules files in data/), success read back from the app's own state file; the step cap,
the re-plan limit, dry-run, a run directory never overwritten silently; and the VLM grounder's reject-then-
accept rounds through a scripted pointing model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pc_desktop import Desktop, TestApp

pytest.importorskip("rapidocr_onnxruntime")
DATA = Path(__file__).with_name("data")
TASK = "type hello into the entry and click Save"


def _run(run_cli, rules: str, out: Path, *extra: str):  # type: ignore[no-untyped-def]
    return run_cli(
        "pc", "run", TASK, "--out", str(out), "--planner-backend", "scripted",
        "--planner-model", str(DATA / rules), "--grounder", "ocr", "--settle", "0.3", *extra,
    )  # fmt: skip


def _steps(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "steps.jsonl").read_text().splitlines()]


def test_types_into_the_entry_and_clicks_save(run_cli, gtk_app: TestApp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "run"
    result = _run(run_cli, "agent_ocr_rules.jsonl", out)
    assert result.code == 0, result.err
    state = gtk_app.wait_for(lambda s: s["clicked"]["Save"] == 1)
    assert state["entry"] == "hello"
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["status"], summary["steps"]) == ("finished", 5)
    assert (summary["grounding_failures"], summary["replans"], summary["parse_failures"]) == (1, 1, 0)
    steps = _steps(out)
    assert steps[0]["failed_descriptions"] == ["the Name entry"]
    save = steps[3]
    left, top, right, bottom = gtk_app.rect("Save")
    x, y = save["point"]
    assert save["action"] == f"click ({x}, {y})" and left <= x <= right and top <= y <= bottom
    assert (out / save["marked_screenshot"]).is_file() and save["executed"]
    markdown = (out / "steps.md").read_text()
    assert "**Status:** finished" in markdown and markdown.count("### Step") == 5


def test_step_cap_ends_the_run_with_step_limit(run_cli, gtk_app: TestApp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "run"
    result = _run(run_cli, "agent_save_forever.jsonl", out, "--max-steps", "2")
    assert result.code == 1 and "step_limit after 2 steps" in result.err
    assert gtk_app.wait_for(lambda s: s["clicked"]["Save"] >= 2)["clicked"]["Save"] == 2
    assert json.loads((out / "summary.json").read_text())["status"] == "step_limit"
    assert json.loads((out / "run.json").read_text())["status"] == "step_limit"


def test_a_missing_element_ends_after_three_replans(run_cli, gtk_app: TestApp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "run"
    result = _run(run_cli, "agent_missing.jsonl", out)
    assert result.code == 1
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "failed" and "after 3 re-plans" in summary["reason"]
    assert (summary["steps"], summary["grounding_failures"], summary["replans"]) == (1, 4, 3)
    assert summary["planner_requests"] == 4
    (step,) = _steps(out)
    assert step["failed_descriptions"] == ['the "Print" button'] * 4 and step["action"] is None
    assert gtk_app.state()["presses"] == 0


def test_dry_run_moves_nothing(run_cli, x_desktop: Desktop, gtk_app: TestApp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    x_desktop.xdotool("mousemove", "--sync", 700, 500)
    before = x_desktop.xdotool("getmouselocation")
    out = tmp_path / "run"
    result = _run(run_cli, "agent_ocr_rules.jsonl", out, "--dry-run")
    assert result.code == 0, result.err
    assert x_desktop.xdotool("getmouselocation") == before
    state = gtk_app.state()
    assert (state["entry"], state["presses"], state["keys"], state["clicked"]["Save"]) == ("", 0, 0, 0)
    steps = _steps(out)
    assert len(steps) == 5 and not any(step["executed"] for step in steps)
    assert steps[3]["commands"][0][:2] == ["xdotool", "mousemove"]


def test_a_run_directory_is_never_overwritten_silently(run_cli, x_desktop: Desktop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "run"
    assert _run(run_cli, "agent_missing.jsonl", out, "--dry-run", "--max-replans", "0").code == 1
    first = (out / "summary.json").read_text()
    refused = _run(run_cli, "agent_missing.jsonl", out, "--dry-run")
    assert refused.code == 1 and "already holds a finished run" in refused.err
    assert (out / "summary.json").read_text() == first
    again = _run(run_cli, "agent_missing.jsonl", out, "--dry-run", "--overwrite")
    assert again.code == 1 and json.loads((out / "summary.json").read_text())["replans"] == 3


def test_vlm_grounder_retries_after_a_rejected_point(
    run_cli, gtk_app: TestApp, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The pointing model first points at Cancel; the judge rejects it, the second round's point on Save
    is accepted and clicked: Save is clicked once and Cancel never."""
    width, height = 1280, 720

    def percent(name: str) -> list[float]:
        x, y = gtk_app.centre(name)
        return [100 * x / width, 100 * y / height]

    monkeypatch.setenv("PC_TEST_POINTS", json.dumps({"1": percent("Cancel"), "2": percent("Save")}))
    monkeypatch.setenv("PC_TEST_ACCEPT", json.dumps(list(gtk_app.rect("Save"))))
    out = tmp_path / "run"
    result = run_cli(
        "pc", "run", "click Save", "--out", str(out), "--planner-backend", "scripted",
        "--planner-model", str(DATA / "agent_click_save.jsonl"), "--grounder", "vlm",
        "--grounder-backend", "scripted", "--grounder-model", "pc_agent_scripts:app_pointer",
        "--settle", "0.3",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert gtk_app.wait_for(lambda s: s["clicked"]["Save"] == 1)["clicked"]["Cancel"] == 0
    first = _steps(out)[0]
    (grounding,) = first["grounding"]
    assert [entry["verdict"] for entry in grounding["tries"]] == ["reject", "accept"]
    assert first["point"] == list(gtk_app.centre("Save"))
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["grounder_requests"], summary["grounding_failures"]) == (4, 0)
    assert (out / "screens" / "verify" / "verify-001-1.png").is_file()
