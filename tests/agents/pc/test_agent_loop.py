"""The loop's clean ending without a display: a screenshot that fails mid-run ends the run `failed` with
the reason, every file whole."""

from __future__ import annotations

import json
from pathlib import Path

from pc_agent_scripts import blank_screen

from limkit.agents.pc._agent import Agent, AgentConfig, prepare_run_dir
from limkit.agents.pc._execute import Executor
from limkit.agents.pc._ground import OcrGrounder
from limkit.agents.pc._planner import Planner
from limkit.llm import make_generator

DATA = Path(__file__).with_name("data")


def test_a_failing_screenshot_ends_the_run_failed(tmp_path: Path) -> None:
    shots: list[Path] = []

    def capture(path: Path) -> None:
        if len(shots) == 2:
            raise OSError("the X server went away")
        shots.append(blank_screen(path, (64, 36)))

    out = tmp_path / "run"
    prepare_run_dir(out, overwrite=False)
    planner = Planner(make_generator("scripted", str(DATA / "agent_wait_forever.jsonl")))
    executor = Executor(dry_run=True)
    summary = Agent(AgentConfig("t", max_steps=5), planner, OcrGrounder(), executor, capture, out).run()
    assert summary["status"] == "failed" and summary["steps"] == 3
    assert summary["reason"] == "step 3: the screenshot failed: OSError: the X server went away"
    steps = [json.loads(line) for line in (out / "steps.jsonl").read_text().splitlines()]
    assert [step["action"] for step in steps] == ["wait", "wait", None]
    assert steps[2]["error"].startswith("the screenshot failed")
    assert json.loads((out / "run.json").read_text())["status"] == "failed"
