"""Ctrl-C during `limkit pc run` (SIGINT to the child): the run is marked interrupted, its summary and
steps are on disk whole, the exit code is 130, and the directory is then refused without --overwrite."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pc_desktop import Desktop

import limkit

DATA = Path(__file__).with_name("data")


def test_ctrl_c_marks_the_run_interrupted(x_desktop: Desktop, tmp_path: Path) -> None:
    out = tmp_path / "run"
    source = str(Path(limkit.__file__).parents[1])
    env = {**x_desktop.env, "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}
    command = [
        sys.executable, "-m", "limkit", "pc", "run", "wait for the app", "--out", str(out),
        "--planner-backend", "scripted", "--planner-model", str(DATA / "agent_wait_forever.jsonl"),
    ]  # fmt: skip
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (out / "steps.jsonl").is_file() or not (out / "steps.jsonl").read_text().strip():
            assert child.poll() is None and time.monotonic() < deadline, child.communicate()[1][-2000:]
            time.sleep(0.1)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, err[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["steps"] >= 1
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"
    lines = (out / "steps.jsonl").read_text().splitlines()
    assert len(lines) == summary["steps"] and all(json.loads(line)["action"] == "wait" for line in lines)
    refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert (
        refused.returncode == 1
        and "an interrupted run (runs do not resume), status 'interrupted'" in refused.stderr
    )
