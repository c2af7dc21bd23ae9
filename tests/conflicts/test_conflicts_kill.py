"""Kill a build and a detection mid-run with SIGKILL, rerun: nothing generated or scored twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def kill_after(command: list[str], log: Path, lines: int, env: dict[str, str]) -> None:
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while (not log.exists() or len(log.read_text().splitlines()) < lines) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_killed_build_and_detection_resume_with_nothing_done_twice(nq_ten: Path, tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    env = {
        **os.environ,
        "CONFLICTS_CALL_LOG": str(log),
        "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path]),
    }
    scripted = ["--backend", "scripted", "--model", "conflict_scripts:logged"]
    build = [
        sys.executable,
        "-m",
        "limkit",
        "conflicts",
        "build",
        "--input",
        str(nq_ten),
        "--out",
        str(tmp_path / "build"),
        "--nli",
        "llm",
        *scripted,
    ]
    kill_after(build, log, 150, env)
    before = len(log.read_text().splitlines())
    assert before >= 150 and not (tmp_path / "build" / "pairs.jsonl").exists()
    done = subprocess.run(build, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    calls = log.read_text().splitlines()
    assert len(calls) - len(set(calls)) <= 1, "an ask answered before the kill was asked again"
    assert len((tmp_path / "build" / "pairs.jsonl").read_text().splitlines()) > 100

    log.unlink()
    detect = [
        sys.executable,
        "-m",
        "limkit",
        "conflicts",
        "detect",
        str(tmp_path / "build"),
        "--out",
        str(tmp_path / "detect"),
        "--detector",
        "llm",
        *scripted,
    ]
    kill_after(detect, log, 300, env)
    scored_before = len((tmp_path / "detect" / "scores.jsonl").read_text().splitlines())
    done = subprocess.run(detect, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    calls = log.read_text().splitlines()
    assert len(calls) - len(set(calls)) <= 1
    keys = [
        json.loads(line)["key"] for line in (tmp_path / "detect" / "scores.jsonl").read_text().splitlines()
    ]
    assert len(keys) == len(set(keys)) and scored_before > 0
    assert "from earlier" in done.stderr and f"({len(keys) - scored_before} scored now" in done.stderr
