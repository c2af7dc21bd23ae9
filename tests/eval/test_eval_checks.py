"""Checks that keep a run from giving silently wrong numbers: template placeholders, counts, exit codes,
intervals at 0% and 100%, labelled budget tables, sampling warnings, data provenance, one path identity,
fast offline hub errors, and imports that point one way inside `limkit.eval`."""

from __future__ import annotations

import ast
import json
import time
from pathlib import Path
from typing import Any

import pytest

from limkit.errors import LimkitError, UsageError
from limkit.eval import (
    EvalConfig,
    RuntimeOptions,
    SamplingOverrides,
    load_tasks,
    protocol,
    read_samples,
    rescore_run,
    run_eval,
    summarize,
    summary_lines,
    task_metrics,
    wilson_interval,
)
from limkit.eval._checks import greedy_warnings, repeated_sample_warnings

SRC = Path(__file__).resolve().parents[2] / "src" / "limkit"


def _cli_eval(data: Path, out: Path, *extra: str) -> list[str]:
    return [
        "eval",
        "--model",
        "no-model-needed",
        "--data-dir",
        str(data),
        "--limit",
        "2",
        "--out",
        str(out),
        *extra,
    ]


@pytest.mark.parametrize(
    ("tasks", "template", "message"),
    [
        ("aime24", "{question}", "has {question}, which task 'aime24' does not fill"),
        ("aime24", "Solve: {problm}", "did you mean {problem}?"),
        ("aime24", "Solve the problem.", "lacks {problem}: task 'aime24' would send the same prompt"),
        ("aime24", "{problem}\n{choices}", "has {choices}, which task 'aime24' does not fill"),
        ("gpqa_diamond", "{problem}", "lacks {choices}: task 'gpqa_diamond' would send no answer options"),
    ],
)
def test_user_template_must_use_the_task_fields(
    tasks: str, template: str, message: str, benchmarks_dir: Path, tmp_path: Path, run_cli: Any
) -> None:
    out = tmp_path / "run"
    result = run_cli(*_cli_eval(benchmarks_dir, out, "--tasks", tasks, "--user-template", template))
    assert result.code == 1, result.err
    assert message in result.err and "field 'user_template'" in result.err
    assert len(result.err.strip().splitlines()) == 1 and not out.exists()


def test_templates_with_latex_braces_and_the_right_fields_are_accepted(benchmarks_dir: Path) -> None:
    config = EvalConfig(
        backend="hf",
        model="m",
        tasks=("aime24", "gpqa_diamond"),
        data_dir=str(benchmarks_dir),
        limit=1,
        user_template="Solve {problem}; options (if any): {choices}",
    )
    with pytest.raises(LimkitError, match=r"has \{choices\}, which task 'aime24'"):
        load_tasks(config)
    for template in ("Put the answer in \\boxed{} and \\text{units}: {problem}", "{problem} with $x^{n}$"):
        config = EvalConfig(
            backend="hf",
            model="m",
            tasks=("aime24",),
            data_dir=str(benchmarks_dir),
            limit=1,
            user_template=template,
        )
        (task,) = load_tasks(config)
        sample = task.samples[0]
        assert task.user_prompt(sample) == template.replace("{problem}", sample.problem)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (("--grader-workers", "0"), "grader_workers"),
        (("--grader-timeout", "0"), "grader_timeout"),
        (("--concurrency", "0"), "concurrency"),
        (("--batch-size", "-1"), "batch_size"),
        (("--thinking-budget", "64", "--max-tokens", "100"), "max_tokens"),  # would be ignored
    ],
)
def test_zero_counts_are_usage_errors_before_anything_runs(
    extra: tuple[str, ...], field: str, benchmarks_dir: Path, tmp_path: Path, run_cli: Any
) -> None:
    out = tmp_path / "run"
    result = run_cli(*_cli_eval(benchmarks_dir, out, "--tasks", "aime24", *extra))
    assert result.code == 2, result.err
    assert f"field '{field}'" in result.err and "Traceback" not in result.err
    assert not out.exists()


def test_rescore_checks_its_workers_and_refuses_options_placed_before_it(
    tmp_path: Path, run_cli: Any
) -> None:
    result = run_cli("eval", "rescore", str(tmp_path), "--grader-workers", "0")
    assert result.code == 2 and "--grader-workers must be >= 1, got 0" in result.err
    with pytest.raises(UsageError):
        rescore_run(tmp_path, workers=0)
    result = run_cli("eval", "--grader-workers", "4", "--no-cache", "rescore", str(tmp_path))
    assert result.code == 2
    assert "--grader-workers, --no-cache before `rescore` would be ignored" in result.err
    result = run_cli("eval", "rescore", str(tmp_path))  # options in their place: reaches the run dir
    assert result.code == 1 and "not a limkit run directory" in result.err


def test_version_required_marks_and_usage_exit_codes(run_cli: Any) -> None:
    from limkit import __version__

    result = run_cli("--version")
    assert result.code == 0 and result.out.strip() == f"limkit {__version__}"
    result = run_cli("eval", "--help")
    assert result.code == 0
    for option in ("--model", "--tasks", "--out"):
        line = next(line for line in result.out.splitlines() if f" {option} " in line)
        assert "*" in line.split(option)[0], line  # typer's required marker
    assert result.out.count("[required]") == 3
    assert run_cli("eval", "--no-such-option").code == 2  # Click's own usage error
    assert run_cli("eval", "--tasks", "aime24").code == 2  # ours: missing --model, --out
    assert "Exit codes" in run_cli("--help").out


def test_a_proportion_interval_is_valid_at_zero_and_one() -> None:
    low, high = wilson_interval(0.0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)  # Wilson 0/10, z = 1.96
    assert wilson_interval(1.0, 10) == (pytest.approx(0.7225, abs=1e-4), 1.0)
    low, high = wilson_interval(0.5, 20)
    assert (low, high) == (pytest.approx(0.2993, abs=1e-4), pytest.approx(0.7007, abs=1e-4))
    rows = [
        {"task": "t", "id": str(i), "sample": 0, "correct": False, "status": "incorrect", "completion": "x"}
        for i in range(10)
    ]
    metrics = task_metrics(rows)
    assert metrics["ci95"][0] == 0.0 and metrics["ci95"][1] == pytest.approx(0.2775, abs=1e-4)
    assert metrics["ci95_method"] == "wilson"


def _forced_row(problem: str, budget: int, correct: bool, thinking: int, answer: int) -> dict[str, Any]:
    return {
        "task": "aime24",
        "id": problem,
        "sample": 0,
        "budget": budget,
        "correct": correct,
        "status": "correct" if correct else "incorrect",
        "completion": "x",
        "finish_reason": "stop",
        "completion_tokens": thinking + answer,
        "thinking_tokens": thinking,
        "answer_tokens": answer,
        "waits": 1,
    }


def test_budget_table_labels_every_budget_and_counts_answer_tokens_apart() -> None:
    rows = [_forced_row(p, 64, p == "a", 60, 7) for p in "abc"] + [
        _forced_row(p, 512, True, 400, 9) for p in "abc"
    ]
    results = summarize(rows, ["aime24"], [64, 512])
    point = results["budget_sweep"]["aime24"][0]
    assert point["answer_tokens_mean"] == 7 and point["thinking_tokens_mean"] == 60
    assert point["ci95"][1] > point["avg"] == pytest.approx(1 / 3)
    lines = summary_lines(results)
    assert "budget" in lines[0] and "think tok" in lines[0] and "answer tok" in lines[0]
    body = [line.split() for line in lines[1:]]
    assert [(cells[0], cells[1]) for cells in body] == [("aime24", "64"), ("aime24", "512")]
    assert body[0][-4:-2] == ["60.0", "7.0"] and body[1][-4:-2] == ["400.0", "9.0"]


def test_sampling_that_cannot_differ_is_warned_about() -> None:
    from limkit.llm import SamplingParams

    params = {
        "greedy": SamplingParams(n=4, temperature=0.0),
        "sampled": SamplingParams(n=2, temperature=0.7),
        "single": SamplingParams(n=1, temperature=0.0),
    }
    assert [w["task"] for w in greedy_warnings(params)] == ["greedy"]

    def row(problem: str, sample: int, text: str) -> dict[str, Any]:
        return {"task": "sampled", "id": problem, "sample": sample, "completion": text}

    same = [row(p, s, f"answer {p}") for p in "abc" for s in (0, 1)]
    (warning,) = repeated_sample_warnings(same, params)
    assert warning["kind"] == "repeated" and "for 3 of 3 problems at temperature 0.7" in warning["message"]
    varied = [*same[:4], row("c", 0, "one"), row("c", 1, "two")]
    assert repeated_sample_warnings(varied, params)  # 2 of 3 identical: still most
    varied = same[:2] + [row(p, s, f"{p}{s}") for p in "bc" for s in (0, 1)]
    assert repeated_sample_warnings(varied, params) == []  # 1 of 3


def test_local_data_records_no_hub_revision(benchmarks_dir: Path, tmp_path: Path) -> None:
    config = EvalConfig(
        backend="hf", model="m", tasks=("math500", "aime24"), data_dir=str(benchmarks_dir), limit=2
    )
    described = protocol(config, load_tasks(config))["tasks"]
    for name in ("math500", "aime24"):
        assert described[name]["revision"] is None
        assert described[name]["source"] == str(benchmarks_dir.resolve() / f"{name}.jsonl")
    local = tmp_path / "mine.jsonl"
    local.write_text('{"id": "1", "problem": "p", "answer": "1"}\n')
    config = EvalConfig(backend="hf", model="m", tasks=(str(local),))
    assert protocol(config, load_tasks(config))["tasks"]["mine"]["revision"] is None


def test_offline_hub_access_fails_fast_and_says_to_pass_a_local_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from limkit.tasks import load_task

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(
        LimkitError, match=r"HF_HUB_OFFLINE is set.*pass --data-dir DIR with DIR/aime24.jsonl"
    ):
        load_task("aime24")
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
    started = time.monotonic()
    with pytest.raises(LimkitError, match=r"cannot be reached.*pass --data-dir DIR with DIR/aime24.jsonl"):
        load_task("aime24")
    assert time.monotonic() - started < 10  # datasets alone retries for about 30 s


def test_config_paths_have_one_spelling(benchmarks_dir: Path, tmp_path: Path) -> None:
    link = tmp_path / "bench"
    link.symlink_to(benchmarks_dir)
    local = tmp_path / "data" / "mine.jsonl"
    local.parent.mkdir()
    local.write_text('{"id": "1", "problem": "p", "answer": "1"}\n')
    (tmp_path / "data-link").symlink_to(local.parent)
    by_link = EvalConfig(
        backend="hf",
        model="m",
        tasks=("aime24", str(tmp_path / "data-link" / "mine.jsonl")),
        data_dir=str(link),
    )
    direct = EvalConfig(
        backend="hf", model="m", tasks=("aime24", str(local)), data_dir=str(benchmarks_dir.resolve())
    )
    assert by_link.as_dict() == direct.as_dict()
    assert by_link.data_dir == str(benchmarks_dir.resolve())


def test_a_symlinked_data_dir_resumes_from_the_cli_and_the_api(
    tiny_model_dir: Path, benchmarks_dir: Path, tmp_path: Path, run_cli: Any
) -> None:
    link = tmp_path / "bench"
    link.symlink_to(benchmarks_dir)
    run, cache = tmp_path / "run", tmp_path / "cache.sqlite"
    args = [
        "eval",
        "--model",
        str(tiny_model_dir),
        "--tasks",
        "aime24",
        "--data-dir",
        str(link),
        "--limit",
        "2",
        "--n",
        "2",
        "--temperature",
        "0",
        "--max-tokens",
        "3",
        "--out",
        str(run),
        "--cache",
        str(cache),
    ]
    result = run_cli(*args)
    assert result.code == 0, result.err
    assert "warning: aime24: n=2 samples at temperature 0 (greedy decoding)" in result.err
    stored = json.loads((run / "results.json").read_text())
    assert [w["kind"] for w in stored["warnings"]] == ["greedy"]
    config = EvalConfig(
        backend="hf",
        model=str(tiny_model_dir),
        tasks=("aime24",),
        data_dir=str(link),
        limit=2,
        sampling=SamplingOverrides(n=2, temperature=0.0, max_tokens=3),
    )
    messages: list[str] = []
    results = run_eval(config, run, RuntimeOptions(cache_path=str(cache)), log=messages.append)
    assert results["status"] == "complete" and any("nothing to generate" in m for m in messages)
    assert len(read_samples(run)) == 4


def _intra_package_imports(package: Path) -> dict[str, set[str]]:
    """Module -> modules of the same package it imports, at any depth (function-level imports too)."""
    name = f"limkit.{package.name}"
    graph: dict[str, set[str]] = {}
    for path in package.glob("*.py"):
        module = f"{name}.{path.stem}"
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(name + "."):
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names if alias.name.startswith(name + "."))
        graph[module] = found - {module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    reach: dict[str, set[str]] = {}
    for start in graph:
        seen, todo = set(), list(graph[start])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(graph.get(node, ()))
        reach[start] = seen
    return sorted((a, b) for a in graph for b in reach[a] if a < b and a in reach.get(b, set()))


def test_eval_imports_point_one_way() -> None:
    graph = _intra_package_imports(SRC / "eval")
    graph.pop("limkit.eval.__init__", None)
    assert "limkit.eval._backend" in graph["limkit.eval._judge"]
    assert _cycles(graph) == []
