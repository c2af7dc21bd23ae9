"""`limkit eval` end to end on a real tiny model: run files, resume, refusal to mix, corruption, rescoring,
kill-and-resume in a real subprocess, the openai backend against `transformers serve`, and a budget sweep.

The base run uses the fitted solver (tests/fitting.py): it is right on a known subset of the real
MATH-500 and AMC23 items and wrong on the rest, so its metrics are known before the run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from fitting import SOLVER_PLAN
from limkit.errors import LimkitError
from limkit.eval import (
    BudgetForcing,
    EvalConfig,
    RuntimeOptions,
    SamplingOverrides,
    read_samples,
    rescore_run,
    run_eval,
)

ROW_FIELDS = {"task", "id", "sample", "prompt", "completion", "extracted", "gold", "correct", "status"}


def _rows(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().split("\n") if line]


def _snapshot(run_dir: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(run_dir.iterdir()) if path.is_file()}


BASE_TASKS = ",".join(SOLVER_PLAN)
MAX_TOKENS = 40  # the solver's longest answer is 24 tokens


def _eval_args(model: Path, data: Path, out: Path, cache: Path, *extra: str) -> list[str]:
    return [
        "eval",
        "--backend",
        "hf",
        "--model",
        str(model),
        "--tasks",
        BASE_TASKS,
        "--data-dir",
        str(data),
        "--limit",
        "3",
        "--n",
        "2",
        "--temperature",
        "0.7",
        "--max-tokens",
        str(MAX_TOKENS),
        "--out",
        str(out),
        "--cache",
        str(cache),
        *extra,
    ]


@pytest.fixture(scope="module")
def base_run(solver_dir: Path, benchmarks_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A completed run of the solver made through the CLI entry point (read-only; tests copy it)."""
    from limkit.cli import main

    root = tmp_path_factory.mktemp("base-run")
    argv = sys.argv
    sys.argv = ["limkit", *_eval_args(solver_dir, benchmarks_dir, root / "run", root / "cache.sqlite")]
    try:
        main()
    except SystemExit as exit_:
        assert not exit_.code
    finally:
        sys.argv = argv
    return root / "run"


def _copy(run: Path, tmp_path: Path) -> Path:
    target = tmp_path / "run"
    shutil.copytree(run, target)
    return target


def _implied_metrics(flags: tuple[bool, ...], n: int) -> dict[str, Any]:
    """What a solver that is always right on some problems and always wrong on the others must score."""
    share = sum(flags) / len(flags)
    return {"avg": share, "pass_at_k": dict.fromkeys(map(str, range(1, n + 1)), share), "maj": share}


def test_run_files_hold_config_versions_metrics_and_rows(base_run: Path, solver_items: list[Any]) -> None:
    rows = _rows(base_run)
    assert len(rows) == 2 * 3 * 2
    assert all(set(row) >= ROW_FIELDS for row in rows)
    assert {row["task"] for row in rows} == set(SOLVER_PLAN)
    assert {(row["sample"]) for row in rows} == {0, 1}
    assert all(row["prompt"][-1]["role"] == "user" for row in rows)
    assert all(row["completion_tokens"] <= MAX_TOKENS for row in rows)
    # every sample is graded against the gold answer column: right exactly where the solver was fitted right
    fitted = {(item.task, item.id): item for item in solver_items}
    for row in rows:
        item = fitted[(row["task"], row["id"])]
        assert row["completion"] == item.answer and row["gold"] == item.gold, row
        assert (row["correct"], row["status"]) == (
            (True, "correct") if item.right else (False, "incorrect")
        ), row
    results = json.loads((base_run / "results.json").read_text())
    assert results["status"] == "complete"
    config = results["protocol"]["config"]
    assert (config["backend"], config["limit"], config["sampling"]["n"]) == ("hf", 3, 2)
    assert results["protocol"]["tasks"]["amc23"]["params"]["temperature"] == 0.7
    assert results["protocol"]["tasks"]["math500"]["revision"] is None  # read with --data-dir, not the hub
    assert {"python", "limkit", "transformers", "torch", "math-verify"} <= set(results["versions"])
    for task, flags in SOLVER_PLAN.items():
        metrics = results["metrics"][task]
        task_rows = [row for row in rows if row["task"] == task]
        implied = _implied_metrics(flags, 2)
        assert metrics["problems"] == 3 and metrics["n"] == 2
        assert metrics["avg"] == pytest.approx(implied["avg"])
        assert {k: v["value"] for k, v in metrics["pass_at_k"].items()} == pytest.approx(implied["pass_at_k"])
        assert {k: v["value"] for k, v in metrics["maj_at_k"].items()} == pytest.approx(
            dict.fromkeys(("1", "2"), implied["maj"])
        )
        for share in ("no_answer", "timeout", "over_limit", "unparseable_gold", "truncated"):
            assert share in metrics["shares"]
        truncated = sum(row["finish_reason"] == "length" for row in task_rows)
        assert metrics["shares"]["truncated"]["count"] == truncated
    assert results["sessions"][0]["generated"] + results["sessions"][0]["cached"] == 12


def test_completed_run_generates_nothing_and_says_so(
    base_run: Path, solver_dir: Path, benchmarks_dir: Path, tmp_path: Path, run_cli: Any
) -> None:
    run = _copy(base_run, tmp_path)
    before = _snapshot(run)
    result = run_cli(*_eval_args(solver_dir, benchmarks_dir, run, tmp_path / "empty-cache.sqlite"))
    assert result.code == 0
    assert "nothing to generate" in result.err
    assert _snapshot(run) == before
    assert (
        not (tmp_path / "empty-cache.sqlite").exists()
        or sqlite3.connect(tmp_path / "empty-cache.sqlite")
        .execute("SELECT COUNT(*) FROM completions")
        .fetchone()[0]
        == 0
    )


def test_a_different_config_is_refused_naming_the_setting(
    base_run: Path, solver_dir: Path, benchmarks_dir: Path, tmp_path: Path, run_cli: Any
) -> None:
    run = _copy(base_run, tmp_path)
    before = _snapshot(run)
    args = _eval_args(solver_dir, benchmarks_dir, run, tmp_path / "c.sqlite")
    args[args.index("--n") + 1] = "3"
    result = run_cli(*args)
    assert result.code == 1
    assert "sampling.n: 2 in the run dir, 3 now" in result.err
    assert "results.json" in result.err
    result = run_cli(*_eval_args(solver_dir, benchmarks_dir, run, tmp_path / "c.sqlite", "--seed", "5"))
    assert result.code == 1 and "sampling.seed" in result.err
    assert _snapshot(run) == before


def test_a_corrupt_samples_file_is_refused_and_kept(
    base_run: Path, solver_dir: Path, benchmarks_dir: Path, tmp_path: Path, run_cli: Any
) -> None:
    run = _copy(base_run, tmp_path)
    lines = (run / "samples.jsonl").read_text().split("\n")
    lines[1] = lines[1][: len(lines[1]) // 2]
    (run / "samples.jsonl").write_text("\n".join(lines))
    before = _snapshot(run)
    for args in (
        _eval_args(solver_dir, benchmarks_dir, run, tmp_path / "c.sqlite"),
        ["eval", "rescore", str(run)],
    ):
        result = run_cli(*args)
        assert result.code == 1
        assert f"{run / 'samples.jsonl'}:2" in result.err and "corrupt samples file" in result.err
    for field, value in (("gold", None), ("budget", "8")):
        rows = _rows(base_run)
        rows[0][field] = value
        (run / "samples.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
        result = run_cli("eval", "rescore", str(run))
        assert result.code == 1 and f"samples.jsonl:1, field '{field}'" in result.err
    (run / "samples.jsonl").write_bytes(before["samples.jsonl"])
    assert _snapshot(run) == before


def test_rescore_is_stable_and_repairs_grades(base_run: Path, tmp_path: Path, run_cli: Any) -> None:
    run = _copy(base_run, tmp_path)
    original = _snapshot(run)
    result = run_cli("eval", "rescore", str(run))
    assert result.code == 0, result.err
    assert (run / "samples.jsonl").read_bytes() == original["samples.jsonl"]
    first = json.loads((run / "results.json").read_text())
    assert first["metrics"] == json.loads(original["results.json"])["metrics"]
    assert first["rescores"][-1]["flipped"] == 0
    rows = _rows(run)
    rows[0]["correct"] = not rows[0]["correct"]  # a stale grade, as after a grader fix
    (run / "samples.jsonl").write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    results = rescore_run(run)
    assert results["rescores"][-1]["flipped"] == 1
    assert (run / "samples.jsonl").read_bytes() == original["samples.jsonl"]
    assert results["metrics"] == first["metrics"]


def test_kill_and_resume_does_nothing_twice(
    tiny_model_dir: Path, benchmarks_dir: Path, tmp_path: Path
) -> None:
    """SIGKILL mid-run, then the torn last line a kill mid-write leaves: ignored, repaired, never a sample."""
    run, cache = tmp_path / "run", tmp_path / "cache.sqlite"
    args = _eval_args(tiny_model_dir, benchmarks_dir, run, cache, "--batch-size", "1")
    args[args.index("--limit") + 1] = "12"
    args[args.index("--max-tokens") + 1] = "24"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "limkit", *args], env=env, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL
    )
    samples = run / "samples.jsonl"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if samples.exists() and samples.read_bytes().count(b"\n") >= 1:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run finished before it could be killed; make it longer"
    process.send_signal(signal.SIGKILL)
    process.wait()
    complete = samples.read_bytes()[: samples.read_bytes().rfind(b"\n") + 1]
    last = complete.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    samples.write_bytes(complete + last[: len(last) // 2])  # a row cut off mid-write
    graded_before = len(read_samples(run))
    assert graded_before == complete.count(b"\n"), "the torn line was read as a sample"
    cached_before = sqlite3.connect(cache).execute("SELECT COUNT(*) FROM completions").fetchone()[0]
    total = 12 * 2 * 2
    assert 0 < graded_before < total and graded_before <= cached_before < total

    config = EvalConfig(
        backend="hf",
        model=str(tiny_model_dir),
        tasks=tuple(SOLVER_PLAN),
        data_dir=str(benchmarks_dir),
        limit=12,
        sampling=SamplingOverrides(n=2, temperature=0.7, max_tokens=24),
    )
    results = run_eval(config, run, RuntimeOptions(cache_path=str(cache)), log=lambda message: None)
    session = results["sessions"][-1]
    assert session["generated"] == total - cached_before
    assert session["graded"] == total - graded_before
    rows = read_samples(run)
    assert len(rows) == total
    assert len({(r["task"], r["id"], r["sample"]) for r in rows}) == total
    assert sqlite3.connect(cache).execute("SELECT COUNT(*) FROM completions").fetchone()[0] == total
    lines = samples.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == total + 1 and samples.read_bytes().startswith(complete)
    assert [json.loads(line) for line in lines[:-1]] == rows  # the torn text is gone, not merged


def test_the_served_solver_scores_as_in_process(
    base_run: Path, solver_dir: Path, solver_server: str, benchmarks_dir: Path, tmp_path: Path, run_cli: Any
) -> None:
    """The openai path against `transformers serve` grades the same answers the same way as hf."""
    args = _eval_args(solver_dir, benchmarks_dir, tmp_path / "run", tmp_path / "c.sqlite")
    args[args.index("hf")] = "openai"
    result = run_cli(*args, "--base-url", solver_server, "--concurrency", "4")
    assert result.code == 0, result.err

    def answers(run: Path) -> dict[tuple[str, str, int], tuple[str, bool]]:
        return {(r["task"], r["id"], r["sample"]): (r["completion"], r["correct"]) for r in _rows(run)}

    assert answers(tmp_path / "run") == answers(base_run)
    metrics = json.loads((tmp_path / "run" / "results.json").read_text())["metrics"]
    for task, flags in SOLVER_PLAN.items():
        assert metrics[task]["avg"] == pytest.approx(sum(flags) / len(flags))


def test_openai_backend_against_transformers_serve(
    tiny_model_dir: Path, tiny_server: str, benchmarks_dir: Path, tmp_path: Path, run_cli: Any
) -> None:
    run = tmp_path / "run"
    common = [
        "--backend",
        "openai",
        "--base-url",
        tiny_server,
        "--model",
        str(tiny_model_dir),
        "--data-dir",
        str(benchmarks_dir),
        "--limit",
        "2",
        "--cache",
        str(tmp_path / "c.sqlite"),
    ]
    result = run_cli(
        "eval",
        *common,
        "--tasks",
        "aime24",
        "--n",
        "2",
        "--temperature",
        "0.8",
        "--max-tokens",
        "8",
        "--concurrency",
        "4",
        "--out",
        str(run),
    )
    assert result.code == 0, result.err
    rows = _rows(run)
    assert len(rows) == 4 and all(0 < row["completion_tokens"] <= 8 for row in rows)
    assert json.loads((run / "results.json").read_text())["metrics"]["aime24"]["n"] == 2

    forced = tmp_path / "forced"
    result = run_cli(
        "eval",
        *common,
        "--tasks",
        "amc23",
        "--n",
        "1",
        "--temperature",
        "0",
        "--tokenizer",
        str(tiny_model_dir),
        "--thinking-budget",
        "300",
        "--num-waits",
        "2",
        *[f"--think-end={m}" for m in "\n eonita."],
        "--max-answer-tokens",
        "3",
        "--out",
        str(forced),
    )
    assert result.code == 0, result.err
    for row in _rows(forced):
        assert row["waits"] == 2 and row["budget"] == 300 and not row["thinking_capped"]
        assert row["completion"].startswith("<think>\n") and "Final Answer: \\boxed{" in row["completion"]


def test_budget_sweep_writes_accuracy_against_tokens(
    tiny_model_dir: Path, benchmarks_dir: Path, tmp_path: Path
) -> None:
    forcing = BudgetForcing(
        max_thinking_tokens=16, num_waits=1, think_end=tuple("\n eonita."), max_answer_tokens=4
    )
    config = EvalConfig(
        backend="hf",
        model=str(tiny_model_dir),
        tasks=("aime24", "amc23"),
        data_dir=str(benchmarks_dir),
        limit=3,
        sampling=SamplingOverrides(n=1, max_tokens=64),
        budget=forcing,
        budgets=(2, 16),
    )
    results = run_eval(
        config,
        tmp_path / "run",
        RuntimeOptions(cache_path=str(tmp_path / "c.sqlite")),
        log=lambda message: None,
    )
    rows = read_samples(tmp_path / "run")
    assert len(rows) == 2 * 3 * 2
    assert all(row["thinking_tokens"] <= row["budget"] for row in rows)
    assert all(row["thinking_capped"] for row in rows if row["thinking_tokens"] == row["budget"])
    assert any(row["thinking_capped"] for row in rows) and any(row["waits"] == 1 for row in rows)
    for task in ("aime24", "amc23"):
        points = results["budget_sweep"][task]
        assert [p["budget"] for p in points] == [2, 16]
        assert all(p["samples"] == 3 for p in points)
        assert points[0]["thinking_tokens_mean"] <= points[1]["thinking_tokens_mean"]
        assert results["metrics"][task]["budget"] == 16


def test_bad_input_is_one_clear_error(
    tiny_model_dir: Path, benchmarks_dir: Path, tmp_path: Path, run_cli: Any
) -> None:
    base = ["eval", "--model", str(tiny_model_dir), "--out", str(tmp_path / "run")]
    result = run_cli(*base, "--tasks", "math500,aime2077")
    assert result.code == 1 and "unknown task 'aime2077'" in result.err
    data = tmp_path / "data"
    data.mkdir()
    (data / "aime24.jsonl").write_text(
        '{"id": 1, "problem": "p", "answer": "1"}\n{"id": 2, "problem": "q"}\n'
    )
    result = run_cli(*base, "--tasks", "aime24", "--data-dir", str(data))
    assert result.code == 1 and f"{data / 'aime24.jsonl'}:2, field 'answer'" in result.err
    result = run_cli("eval", "--tasks", "aime24", "--out", str(tmp_path / "x"))
    assert result.code == 2 and "missing --model" in result.err  # a usage error
    data_args = ("--tasks", "aime24", "--data-dir", str(benchmarks_dir), "--limit", "1")
    result = run_cli(*base, *data_args, "--num-waits", "2")
    assert result.code == 2 and "--num-waits is a budget-forcing setting" in result.err
    # a typo in the backend or model fails before the run dir is made, so the fixed command can use it
    result = run_cli(*base, *data_args, "--backend", "hff")
    assert result.code == 1 and "unknown backend 'hff'" in result.err
    result = run_cli(*base[:2], str(tmp_path / "no-model"), *base[3:], *data_args)
    assert result.code == 1 and "no-model" in result.err
    assert not (tmp_path / "run").exists() and not (tmp_path / "x").exists()
    with pytest.raises(LimkitError, match="budget sweep needs"):
        EvalConfig(backend="hf", model="m", tasks=("aime24",), budgets=(8,))


def test_two_processes_never_share_a_run_dir(
    tiny_model_dir: Path, benchmarks_dir: Path, tmp_path: Path
) -> None:
    from limkit.eval._runfiles import run_lock

    config = EvalConfig(
        backend="hf",
        model=str(tiny_model_dir),
        tasks=("aime24",),
        data_dir=str(benchmarks_dir),
        limit=1,
        sampling=SamplingOverrides(n=1, max_tokens=2),
    )
    run = tmp_path / "run"
    with run_lock(run), pytest.raises(LimkitError, match="another limkit process"):
        run_eval(config, run, RuntimeOptions(cache_path=str(tmp_path / "c.sqlite")), log=lambda message: None)
    assert not (run / "samples.jsonl").exists()
    results = run_eval(
        config, run, RuntimeOptions(cache_path=str(tmp_path / "c.sqlite")), log=lambda message: None
    )
    assert results["status"] == "complete" and len(read_samples(run)) == 1
