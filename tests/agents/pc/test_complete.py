"""Cognition completion through the scripted backend (prompt assembly and reply handling), a SIGKILLed
CLI run resumed with nothing answered twice, and one run against a real `transformers serve`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from data_fixtures import COMPLETION_RAW, SCRIPT, TASK, Raw, button, refined_trajectory

from limkit.agents.pc import read_steps
from limkit.agents.pc._complete import CompleteConfig, complete_trajectories, strip_action
from limkit.llm import BackendOptions, CompletionCache, make_generator


def _generator(tmp_path: Path, name: str = "cache.sqlite"):  # type: ignore[no-untyped-def]
    return make_generator("scripted", SCRIPT, cache=CompletionCache(tmp_path / name))


@pytest.fixture
def completed(tmp_path: Path):  # type: ignore[no-untyped-def]
    directory = refined_trajectory(tmp_path / "t", COMPLETION_RAW, task=TASK)
    generator = _generator(tmp_path)
    stats = complete_trajectories([directory], generator, CompleteConfig(history=3, future=2))
    return directory, stats, generator, read_steps(directory / "completed.jsonl")


DESCRIBED = {
    0: "click element: the Save element (0000_marked.png)",
    2: "click element: the real wrong place button",
    3: "click (300, 300)",
    4: "click element: the Garbled element (0004_marked.png)",
}


def _planned(position: int) -> str:
    return DESCRIBED.get(position) or COMPLETION_RAW[position].action.replace("press key ", "press key: ")


def test_descriptions_are_checked_and_wrong_ones_replaced(completed) -> None:  # type: ignore[no-untyped-def]
    _, stats, _, steps = completed
    save, _, wrong, refused, garbled, *_ = steps
    assert save.description == save.description_checked == "the Save element (0000_marked.png)"
    assert wrong.description == "the wrong place element (0002_marked.png)"
    assert wrong.description_checked == "the real wrong place button"
    assert (
        refused.description is None and refused.description_checked is None and "check" not in refused.prompts
    )
    assert (
        garbled.description == "the Garbled element (0004_marked.png)" and garbled.description_checked is None
    )
    assert (stats.described, stats.corrected, stats.check_failures) == (3, 1, 1)
    assert stats.refused == Counter({"describe": 1, "thought": 1})
    assert all(step.description is None for step in steps if not step.action.startswith("click"))


def test_verdict_retries_are_bounded(tmp_path: Path) -> None:
    raw = [Raw("click (400, 400)", 1, button("Garbled", (380, 390, 420, 410))), Raw("finish", 2)]
    for attempts in (1, 2, 4):
        directory = refined_trajectory(tmp_path / f"t{attempts}", raw)
        generator = _generator(tmp_path, f"c{attempts}.sqlite")
        stats = complete_trajectories([directory], generator, CompleteConfig(check_attempts=attempts))
        assert stats.check_failures == 1 and generator.stats.reasked == attempts - 1
        assert generator.stats.generated == 1 + attempts + 2  # describe, the verdict asks, two thoughts


def test_thought_prompts_show_the_history_and_future_windows(completed) -> None:  # type: ignore[no-untyped-def]
    _, _, _, steps = completed
    prompt = steps[6].prompts["thought"]
    assert prompt.startswith("[image: refined/0006.png]\n")  # a scroll has no marked image
    assert TASK in prompt  # both lines of the task
    history = prompt.split("The steps so far:\n")[1].split("\n\nThe action they are about to take now:")[0]
    said = {position: f"I see the screen and go for {_planned(position)}." for position in (3, 4, 5)}
    expected = [f"[{p + 1}] {said[p]}\n    Action: {_planned(p)}" for p in (3, 4, 5)]
    assert history == "\n".join(expected)
    assert f"take now: {_planned(6)}\n" in prompt
    future = prompt.split("The actions they will take after it:\n")[1].split("\n\n")[0]
    assert future == f"- {_planned(7)}\n- {_planned(8)}"
    early = steps[3].prompts["thought"].split("The actions they will take after it:\n")[1].split("\n\n")[0]
    assert early == f"- {_planned(4)}\n- {_planned(5)}"
    first = steps[0].prompts["thought"]
    assert "The steps so far:\n(none yet)" in first and "I see the screen" not in first
    last = steps[-1].prompts["thought"]
    assert "after it:\n(none: this is the last action)" in last
    refused_thought = steps[7].thought
    assert refused_thought is None and "[8] (no thought recorded)" in steps[8].prompts["thought"]


def test_thoughts_lose_their_label_and_action_line(completed) -> None:  # type: ignore[no-untyped-def]
    _, stats, _, steps = completed
    assert steps[1].thought == "I see the screen and go for type text: hello."
    assert all("Action:" not in (step.thought or "") for step in steps) and stats.thoughts == len(steps) - 1
    assert strip_action("I will press it.\nAction: click element: OK\nmore") == "I will press it."
    assert strip_action("Thought:  fine. Action: wait") == "fine."


def test_the_marked_screenshot_is_what_the_describer_sees_and_prompts_are_kept(completed) -> None:  # type: ignore[no-untyped-def]
    _, _, _, steps = completed
    save = steps[0]
    assert set(save.prompts) == {"describe", "check", "thought"}
    for name in ("describe", "check", "thought"):
        assert save.prompts[name].startswith("[image: refined/0000_marked.png]\n")
    assert "accessibility name of that element is: Save" in save.prompts["describe"]
    assert "(100, 100)" in save.prompts["describe"]
    assert '"the Save element (0000_marked.png)"' in save.prompts["check"]


def test_a_rerun_sends_nothing_and_writes_the_same_file(completed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    directory, _, first, _ = completed
    before = (directory / "completed.jsonl").read_bytes()
    again = _generator(tmp_path)
    complete_trajectories([directory], again, CompleteConfig(history=3, future=2))
    assert again.stats.generated == 0 and again.stats.cached == first.stats.generated
    assert (directory / "completed.jsonl").read_bytes() == before


def test_a_trajectory_that_is_not_refined_is_named(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    from data_fixtures import make_trajectory

    directory = make_trajectory(tmp_path / "raw", [Raw("finish", 1)])
    done = run_cli("pc", "complete", str(directory), "--backend", "scripted", "--model", SCRIPT)
    assert done.code == 1 and "refined.jsonl" in done.err and "limkit pc refine" in done.err
    done = run_cli("pc", "complete", str(directory), "--backend", "scripted")
    assert done.code == 2 and "--model" in done.err


def _variant(n: int) -> list[Raw]:
    """The completion trajectory with other frames: distinct images, so no two requests coincide."""
    return [Raw(raw.action, raw.frame + 20 * n, raw.element) for raw in COMPLETION_RAW]


def _answered(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.slow
def test_a_sigkilled_run_resumes_with_nothing_answered_twice(tmp_path: Path) -> None:
    directories = [refined_trajectory(tmp_path / f"t{n}", _variant(n), task=TASK) for n in range(3)]
    log, cache = tmp_path / "answered.log", tmp_path / "cache.sqlite"
    command = [sys.executable, "-m", "limkit", "pc", "complete", *map(str, directories)]
    command += ["--backend", "scripted", "--model", SCRIPT, "--cache", str(cache)]
    env = {**os.environ, "PC_SCRIPT_LOG": str(log), "PC_SCRIPT_DELAY": "0.05"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    try:
        while len(_answered(log)) < 20 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert process.poll() is None, f"the run ended before the kill: {process.communicate()[1][-2000:]}"
        process.send_signal(signal.SIGKILL)
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
    killed = len(_answered(log))
    assert killed >= 20 and not any((d / "completed.jsonl").exists() for d in directories)
    rerun = subprocess.run(
        command, env={**env, "PC_SCRIPT_DELAY": "0"}, capture_output=True, text=True, timeout=300
    )
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    answered = _answered(log)
    assert len(answered) == len(set(answered)) and len(answered) > killed
    reference = _generator(tmp_path, "reference.sqlite")
    fresh = [refined_trajectory(tmp_path / f"r{n}", _variant(n), task=TASK) for n in range(3)]
    complete_trajectories(fresh, reference)
    assert len(answered) == reference.stats.generated
    for done, expected in zip(directories, fresh, strict=True):
        assert [s.thought for s in read_steps(done / "completed.jsonl")] == [
            s.thought for s in read_steps(expected / "completed.jsonl")
        ]


@pytest.fixture(scope="module")
def vlm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """`transformers serve` with a tiny random LLaVA built offline: the screenshots reach a vision tower."""
    from limkit.llm.tiny import build_tiny_vlm
    from serving import serve_model

    model = build_tiny_vlm(tmp_path_factory.mktemp("vlm") / "model")
    with serve_model(model) as base_url:
        yield model, base_url


@pytest.fixture(scope="module")
def judge_server(judge_dir: Path) -> Iterator[tuple[Path, str]]:
    """The fitted one-word judge (tests/fitting.py): it answers anything with a word, so descriptions are
    non-empty and the verdict parser meets a real model's non-JSON reply."""
    from serving import serve_model

    with serve_model(judge_dir) as base_url:
        yield judge_dir, base_url


@pytest.mark.slow
@pytest.mark.parametrize("served", ["vlm_server", "judge_server"])
def test_a_real_server_run_completes_and_counts_its_failures(
    served: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The tiny random model cannot describe or judge; the run must still finish and count what failed."""
    model, base_url = request.getfixturevalue(served)
    directory = refined_trajectory(tmp_path / "t", COMPLETION_RAW[:3] + COMPLETION_RAW[-1:], task=TASK)
    generator = make_generator(
        "openai", str(model), BackendOptions(base_url=base_url), CompletionCache(tmp_path / "c.sqlite")
    )
    # Sampled (seeded), since greedy decoding of this random model gives only blank lines.
    config = CompleteConfig(check_attempts=2, max_tokens=12, temperature=1.0)
    stats = complete_trajectories([directory], generator, config)
    steps = read_steps(directory / "completed.jsonl")
    assert len(steps) == 4 and all("thought" in step.prompts for step in steps)
    clicks = 2
    assert stats.described + stats.refused["describe"] + stats.empty["describe"] == clicks
    assert stats.thoughts + stats.refused["thought"] + stats.empty["thought"] == len(steps)
    checked = [step for step in steps if step.description is not None]
    verdicts = sum(step.description_checked is not None for step in checked)
    assert stats.check_failures + verdicts == len(checked) == stats.described
    assert generator.stats.invalid == stats.check_failures
    assert generator.stats.reasked == stats.check_failures * (config.check_attempts - 1)
    if served == "judge_server":
        assert stats.described > 0 and stats.check_failures > 0
    print(f"pc complete on {served}: {stats}, {generator.stats}")
