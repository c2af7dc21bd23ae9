"""Process-level evaluation: the step splitter, hand-checked process scores with a scripted step judge, the
CLI and `limkit report`, kill and resume of the judging, and one run against a real `transformers serve`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from limkit.eval import EvalConfig, SamplingOverrides, run_eval
from limkit.eval._process import ProcessSettings, judge_process, read_verdicts
from limkit.eval._steps import split_steps

SCRIPTS = Path(__file__).with_name("process_scripts.py")
JUDGE = f"{SCRIPTS}:step_judge"
SOLVER = f"{SCRIPTS}:solver"


@pytest.mark.parametrize(
    ("text", "method", "steps"),
    [
        ("Step 1: a.\nStep 2: b.\nStep 3: c.", "marker", ["Step 1: a.", "Step 2: b.", "Step 3: c."]),
        (
            "Let us see.\n**Step 1.** a\n## Step 2 - b",
            "marker",
            ["Let us see.\n**Step 1.** a", "## Step 2 - b"],
        ),
        (
            "1. a\n2) b, so 3. is inside\n4. not next\n3. c",
            "numbered",
            ["1. a", "2) b, so 3. is inside\n4. not next", "3. c"],
        ),
        ("First part.\n\n  \nSecond part.\n\nThird.", "paragraph", ["First part.", "Second part.", "Third."]),
        (
            "One block only, 1. inline and Step 1: once",
            "paragraph",
            ["One block only, 1. inline and Step 1: once"],
        ),
        (
            "Step 1: only one marker\n\nthen a paragraph",
            "paragraph",
            ["Step 1: only one marker", "then a paragraph"],
        ),
        ("   \n", "none", []),
    ],
)
def test_split_steps_on_fixed_texts(text: str, method: str, steps: list[str]) -> None:
    split = split_steps(text)
    assert (split.method, list(split.steps)) == (method, steps)


def test_split_steps_caps_the_count_by_joining_the_tail() -> None:
    text = "\n".join(f"Step {i}: s{i}" for i in range(1, 8))
    assert split_steps(text, max_steps=3).steps == (
        "Step 1: s1",
        "Step 2: s2",
        "Step 3: s3\n\nStep 4: s4\n\nStep 5: s5\n\nStep 6: s6\n\nStep 7: s7",
    )


def _task_file(directory: Path, ids: tuple[str, ...] = ("p1", "p2", "p3", "p4")) -> Path:
    golds = {"p1": "12", "p2": "8", "p3": "10", "p4": "3", "p5": "1", "p6": "7"}
    path = directory / "steps.jsonl"
    rows = [
        {"id": key, "problem": f"[{key}] compute it", "answer": golds[key], "solution": f"reference of {key}"}
        for key in ids
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _run(tmp_path: Path, ids: tuple[str, ...] = ("p1", "p2", "p3", "p4")) -> Path:
    run_dir = tmp_path / "run"
    config = EvalConfig(
        backend="scripted",
        model=SOLVER,
        tasks=(str(_task_file(tmp_path, ids)),),
        sampling=SamplingOverrides(n=1, max_tokens=64),
    )
    run_eval(config, run_dir, log=lambda _: None)
    return run_dir


def _settings(reference: str | None = None) -> ProcessSettings:
    return ProcessSettings("scripted", JUDGE, reference=reference)


def test_process_scores_match_the_hand_checked_numbers(tmp_path: Path) -> None:
    run_dir = _run(tmp_path)
    summary = judge_process(run_dir, _settings())
    metrics = summary["tasks"]["steps"]
    # P per problem: 1, 2/3, 2/3, 1/2 -> mean 17/24 = 0.7083; step accuracy 8 of 11 steps.
    assert metrics["process_score"] == pytest.approx(17 / 24)
    assert metrics["step_accuracy"] == pytest.approx(8 / 11)
    assert metrics["first_error"] == {"1": 1, "2": 2, "none": 1}
    rates = [
        (rate["position"], rate["judged"], rate["error_rate"]) for rate in metrics["position_error_rates"]
    ]
    assert rates == [(1, 4, 0.25), (2, 4, 0.5), (3, 3, 0.0)]
    agreement = metrics["agreement"]
    assert agreement["table"] == {
        "answer_correct": {"flawless": 1, "flawed": 1},
        "answer_wrong": {"flawless": 0, "flawed": 2},
    }
    assert agreement["agreement"] == 0.75 and agreement["answer_accuracy"] == 0.5
    low, high = metrics["ci95"]
    assert low <= 17 / 24 <= high
    by_id = {record["id"]: record for record in summary["solutions"]}
    assert by_id["p3"]["labels"] == ["correct", "incorrect", "correct"] and by_id["p3"]["first_error"] == 2
    assert by_id["p4"]["method"] == "paragraph" and by_id["p3"]["method"] == "numbered"


def test_reference_reaches_the_judge_and_an_unparseable_reply_is_unjudged(tmp_path: Path) -> None:
    import process_scripts

    from limkit.llm import make_generator

    run_dir = _run(tmp_path, ("p1", "p5"))
    process_scripts.CALLS.clear()
    process_scripts.PROMPTS.clear()
    generator = make_generator("scripted", "process_scripts:step_judge")
    summary = judge_process(run_dir, _settings("solution"), generator=generator)
    assert any("REFERENCE SOLUTION:\nreference of p1" in prompt for prompt in process_scripts.PROMPTS)
    metrics = summary["tasks"]["steps"]
    assert metrics["unjudged_steps"] == 1 and metrics["steps"] == 5
    assert metrics["process_score"] == pytest.approx(1.0)  # p5's judged step 2 is correct; step 1 is left out
    assert len(process_scripts.CALLS) == 5 + 2  # the garbled step was asked three times in all, then dropped
    stored = read_verdicts(run_dir / "process" / "steps.jsonl")
    garbled = stored[("steps", "p5", 0, None, 1)]
    assert garbled["verdict"] is None and garbled["attempts"] == 3 and garbled["failure"]


def test_the_judge_sees_problem_reference_and_previous_steps(tmp_path: Path) -> None:
    from limkit.eval._process import StepJob, step_messages

    job = StepJob(("t", "p", 0, None), 2, ("Step 1: a", "Step 2: b"), "the problem", "the reference")
    user = step_messages(job)[1]["content"]
    assert "the problem" in user and "the reference" in user
    assert user.index("Step 1: a") < user.index("CURRENT STEP (step 2 of 2):\nStep 2: b")


def test_cli_writes_results_and_report_shows_them(tmp_path: Path, run_cli: Any) -> None:
    run_dir = _run(tmp_path)
    result = run_cli(
        "eval",
        "process",
        str(run_dir),
        "--judge-backend",
        "scripted",
        "--judge-model",
        JUDGE,
        "--reference",
        "solution",
        "--no-cache",
    )
    assert result.code == 0, result.err
    assert "0.708" in result.out and "correct&flawed 1" in result.out
    stored = json.loads((run_dir / "process" / "results.json").read_text())
    assert stored["settings"]["reference"] == "solution"
    again = run_cli(
        "eval", "process", str(run_dir), "--judge-backend", "scripted", "--judge-model", JUDGE, "--no-cache"
    )
    assert again.code == 1 and "reference" in again.err
    report = tmp_path / "report.html"
    assert run_cli("report", str(run_dir), "--out", str(report)).code == 0
    page = report.read_text()
    assert "Process-level evaluation" in page and "0.708" in page


def test_killed_judging_resumes_without_judging_a_step_twice(tmp_path: Path) -> None:
    run_dir = _run(tmp_path, ("p1", "p2", "p3", "p6"))
    verdicts = run_dir / "process" / "steps.jsonl"
    command = [
        sys.executable,
        "-m",
        "limkit",
        "eval",
        "process",
        str(run_dir),
        "--judge-backend",
        "scripted",
        "--judge-model",
        JUDGE,
        "--no-cache",
    ]
    env = {**os.environ, "LIMKIT_TEST_STALL": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (
        not verdicts.exists() or len(verdicts.read_text().splitlines()) < 10
    ):
        time.sleep(0.2)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    before = len(verdicts.read_text().splitlines())
    assert 0 < before < 12  # the stalled step 2 of p6 never answered
    summary = judge_process(run_dir, _settings())
    lines = [json.loads(line) for line in verdicts.read_text().splitlines()]
    keys = [(row["id"], row["step"]) for row in lines]
    assert (
        len(lines) == 12 and len(set(keys)) == 12
    )  # only the steps missing at the kill were judged after the kill
    assert summary["tasks"]["steps"]["steps"] == 12


def test_process_against_a_real_server(tmp_path: Path, tiny_server: str, tiny_model_dir: Path) -> None:
    """The tiny random model cannot write a verdict: every step ends unjudged, counted, and the run ends."""
    from limkit.eval import RuntimeOptions

    run_dir = _run(tmp_path, ("p1",))
    settings = ProcessSettings("openai", str(tiny_model_dir), max_tokens=8)
    summary = judge_process(run_dir, settings, RuntimeOptions(base_url=tiny_server, no_cache=True))
    metrics = summary["tasks"]["steps"]
    assert metrics["steps"] == 3 and metrics["unjudged_steps"] == 3 and metrics["process_score"] is None
    rows = read_verdicts(run_dir / "process" / "steps.jsonl").values()
    assert all(row["attempts"] == 3 and row["failure"] for row in rows)
