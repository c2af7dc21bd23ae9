"""`limkit pc run` with the AT-SPI grounder, as a child process (libatspi binds a process to the first
accessibility bus it meets, see conftest.py): the entry is found by its accessible name, which OCR cannot
see; success is read back from the app's state file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pc_desktop import Desktop, TestApp

import limkit

DATA = Path(__file__).with_name("data")


def test_types_into_the_named_entry_and_clicks_save(
    x_desktop: Desktop, gtk_app: TestApp, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    source = str(Path(limkit.__file__).parents[1])
    env = {**x_desktop.env, "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}
    command = [
        sys.executable, "-m", "limkit", "pc", "run", "type hello into the entry and click Save",
        "--out", str(out), "--planner-backend", "scripted", "--planner-model",
        str(DATA / "agent_a11y_rules.jsonl"), "--grounder", "a11y", "--settle", "0.3",
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    state = gtk_app.wait_for(lambda s: s["clicked"]["Save"] == 1)
    assert state["entry"] == "hello"
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["status"], summary["steps"], summary["grounding_failures"]) == ("finished", 4, 0)
    steps = [json.loads(line) for line in (out / "steps.jsonl").read_text().splitlines()]
    entry = steps[0]["grounding"][0]
    left, top, right, bottom = gtk_app.rect("Name")
    assert entry["matched"] == "text 'Name'" and entry["box"] == [left, top, right, bottom]
    assert steps[0]["action"] == f"click ({(left + right) // 2}, {(top + bottom) // 2})"
