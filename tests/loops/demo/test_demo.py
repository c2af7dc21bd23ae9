"""The demo end to end (reduced size): real pool, curation, training, evaluation and a report in Chromium.

Two reduced runs happen here: one in-process, one through the CLI in a subprocess (its terminal output is
the point). They must agree to the last digit, and the report must say what their files say.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from browser import render
from limkit.loops.demo import MODELS, DemoConfig, run_demo, seed_dir
from limkit.loops.demo._pool import (
    FAMILY_NAMES,
    SINGLE_STEP,
    eval_problems,
    foundation_rows,
    training_pool,
)
from limkit.loops.demo._stages import DemoPaths
from limkit.loops.demo._summary import per_problem

REDUCED = DemoConfig().reduced()
CLI_TIMEOUT = 900


def _cli_demo(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "limkit", "demo", "--reduced", "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "run"
    run_demo(out, REDUCED, log=lambda message: None)
    return out


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A second reduced run with the same seed, through `limkit demo` as a user types it."""
    out = tmp_path_factory.mktemp("demo-cli") / "run"
    done = _cli_demo(out)
    assert done.returncode == 0, done.stderr[-3000:]
    return out, done


def test_pool_has_correct_chains_near_duplicates_and_leaks() -> None:
    from limkit.grade import grade

    held_out = eval_problems(0, 40)
    pool = training_pool(0, 400, held_out)
    texts = [str(row["problem"]) for row in pool]
    assert len(set(texts)) < len(texts)  # repeats exist for dedup to find
    leaked = {problem.text for problem in held_out} & set(texts)
    assert leaked  # copies of evaluation items exist for decontamination to find
    assert {row["style"] for row in pool} == {"rich", "plain", "terse"}
    assert {row["domain"] for row in pool} == set(FAMILY_NAMES)
    for row in pool[:120]:
        assert grade(str(row["solution"]), str(row["answer"]), require_box=True).correct, row


def test_foundation_holds_every_computation_and_no_chained_solution() -> None:
    """LIMO's premise: the knowledge is there (each step of every family), the reasoning format is not."""
    held_out = eval_problems(0, 40)
    rows = foundation_rows(
        0,
        400,
        held_out,
        REDUCED.foundation_drill_share,
        REDUCED.facts_per_drill,
        REDUCED.foundation_worded_share,
    )
    answers = [str(row["messages"][1]["content"]) for row in rows]  # type: ignore[index]
    drilled = {line.rstrip(".") for text in answers if "\\boxed" not in text for line in text.splitlines()}
    one_step = [text for text in answers if "\\boxed" in text]
    worded = [text for text in one_step if "\n" in text]  # the rich chains' words, on one step
    assert drilled and worded and len(worded) < len(one_step)
    for text in one_step:  # never two computations chained (a verification line is not a step)
        worked = [line for line in text.splitlines() if not line.startswith("Let me verify")]
        assert sum(line.count("=") for line in worked) == 1, text
    pool = training_pool(0, 600, held_out)
    for family in FAMILY_NAMES:
        chains = [str(row["solution"]) for row in pool if row["domain"] == family and row["style"] == "plain"]
        steps = {step.strip() for chain in chains for step in re.findall(r"[\d+\-*/ ]+= \d+", chain)}
        assert steps & drilled, family  # this family's computations are drilled facts
        if family not in SINGLE_STEP:
            assert all(chain.count("=") >= 2 for chain in chains), family


def test_every_pool_record_ends_kept_or_dropped_and_leaks_are_removed(demo_dir: Path) -> None:
    root = seed_dir(demo_dir, REDUCED.seed)
    stats = json.loads((root / "curate" / "stats.json").read_text())
    assert stats["input"] == REDUCED.pool_size == stats["kept"] + stats["dropped"]
    by_step = {step["step"]: step for step in stats["steps"]}
    assert by_step["dedup"]["dropped"] > 0
    assert by_step["decontaminate"]["reasons"].get("benchmark_overlap", 0) > 0
    assert stats["kept"] == REDUCED.select_k
    eval_texts = {json.loads(line)["problem"] for line in (root / "data" / "eval.jsonl").open()}
    for name in ("curated", "random", "full"):
        rows = [json.loads(line) for line in (root / "data" / f"sft_{name}.jsonl").open()]
        assert not eval_texts & {row["messages"][0]["content"] for row in rows}, name


def test_every_model_was_trained_and_evaluated_the_same_way(demo_dir: Path) -> None:
    paths = DemoPaths(seed_dir(demo_dir, REDUCED.seed))
    protocols = set()
    for name in MODELS:
        losses = [json.loads(line) for line in (paths.model(name) / "loss.jsonl").open()]
        assert any("loss" in row for row in losses), name
        results = json.loads((paths.eval_run(name) / "results.json").read_text())
        assert results["status"] == "complete"
        (metrics,) = results["metrics"].values()
        assert metrics["problems"] == REDUCED.eval_size and metrics["n"] == REDUCED.eval_n
        config = dict(results["protocol"]["config"])
        config.pop("model")
        protocols.add(json.dumps(config, sort_keys=True))
    assert len(protocols) == 1
    sizes = {name: sum(1 for _ in paths.sft_data(name).open()) for name in ("curated", "random", "full")}
    assert sizes["curated"] == sizes["random"] == REDUCED.select_k < sizes["full"]


def report_mismatches(out: Path) -> list[str]:
    """Every number of summary.json and report.html checked against the runs' own results files."""
    summary = json.loads((out / "summary.json").read_text())
    page = (out / "report.html").read_text()
    problems = []
    for seed in summary["seeds"]:
        root = seed_dir(out, seed)
        scores = {}
        for name in MODELS:
            (metrics,) = json.loads((root / "eval" / name / "results.json").read_text())["metrics"].values()
            if summary["per_seed"][name][str(seed)] != metrics["avg"]:
                problems.append(f"seed {seed} {name}: summary avg differs from results.json")
            if f"{metrics['avg']:.3f}" not in page:
                problems.append(f"seed {seed} {name}: avg {metrics['avg']:.3f} not in the report")
            scores[name] = per_problem(root / "eval" / name / "samples.jsonl")
        for key, estimate in summary["differences"].items():
            left, right = key.split("-")
            deltas = [scores[left][i] - scores[right][i] for i in scores[left]]
            if len(summary["seeds"]) == 1 and abs(estimate["mean"] - sum(deltas) / len(deltas)) > 1e-12:
                problems.append(f"{key}: mean differs from the samples")
            if not estimate["low"] <= estimate["mean"] <= estimate["high"]:
                problems.append(f"{key}: interval does not hold its mean")
            if f"{estimate['mean']:.3f}" not in page:
                problems.append(f"{key}: mean not in the report")
    if html_escape(summary["conclusion"]) not in page:
        problems.append("the conclusion sentence is not in the report")
    if html_escape(summary["premise"]) not in page:
        problems.append("the premise check is not in the report")
    if f"{_one_step_share(out, summary['seeds']):.3f} of the one-step" not in summary["premise"]:
        problems.append("the premise check's one-step share differs from the base model's samples")
    return problems


def _one_step_share(out: Path, seeds: list[int]) -> float:
    scores = []
    for seed in seeds:
        root = seed_dir(out, seed)
        family = {
            json.loads(line)["id"]: json.loads(line)["domain"]
            for line in (root / "data" / "eval.jsonl").open()
        }
        base = per_problem(root / "eval" / "base" / "samples.jsonl")
        scores += [score for key, score in base.items() if family[key] in SINGLE_STEP]
    return sum(scores) / len(scores)


def html_escape(text: str) -> str:
    import html

    return html.escape(text)


def test_report_numbers_are_the_runs_numbers(demo_dir: Path) -> None:
    assert report_mismatches(demo_dir) == []


def test_report_opens_in_chromium_with_its_tables_and_plots(demo_dir: Path, tmp_path: Path) -> None:
    page = render(demo_dir / "report.html", tmp_path)
    assert page.census.tables == 5  # results, paired differences, families, funnel, timings
    assert len(page.census.images) == 2  # pass@k and loss curves
    assert all(int(image["data-natural-width"] or 0) > 100 for image in page.census.images)
    for heading in ("Accuracy on the held-out split", "Accuracy by family", "Curation funnel (seed 0)"):
        assert heading in page.census.headings
    assert "SFT on the curated set" in page.dom and "02_decontaminate" in page.dom
    assert page.screenshot_std > 0.05


def _run_files(out: Path) -> dict[str, str]:
    """What must be identical between two runs with one seed: numbers, completions, losses, selections."""
    root = seed_dir(out, REDUCED.seed)
    files = {"summary.json": (out / "summary.json").read_text()}
    for name in MODELS:
        files[f"{name}/samples"] = json.dumps(
            [json.loads(line)["completion"] for line in (root / "eval" / name / "samples.jsonl").open()]
        )
        files[f"{name}/loss"] = json.dumps(
            [json.loads(line).get("loss") for line in (root / "models" / name / "loss.jsonl").open()]
        )
    kept = [json.loads(line) for line in (root / "curate" / "kept.jsonl").open()]
    files["curated"] = json.dumps(
        [(row["id"], row["score"], row["pass_counts"]["base"]["passes"]) for row in kept]
    )
    return files


def test_two_runs_with_one_seed_match_exactly(
    demo_dir: Path, cli_run: tuple[Path, subprocess.CompletedProcess[str]]
) -> None:
    first, second = _run_files(demo_dir), _run_files(cli_run[0])
    assert [key for key in first if first[key] != second[key]] == []


def test_terminal_shows_no_library_noise_and_ends_with_the_results(
    cli_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, done = cli_run
    terminal = done.stdout + done.stderr
    assert not re.search(r"\{'(loss|train_runtime|grad_norm)'", terminal)  # TRL's printed log dictionaries
    assert not re.search(r"it/s\]|examples/s\]", terminal)  # tqdm bars of transformers and datasets
    assert "warn" not in terminal.lower()
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    summary = json.loads((out / "summary.json").read_text())
    table_start = next(i for i, line in enumerate(lines) if line.startswith(f"avg@{REDUCED.eval_n} on the"))
    tail = "\n".join(lines[table_start:])
    for name in MODELS:
        assert f"{summary['pooled'][name]['mean']:.3f}" in tail
    assert "paired differences" in tail and "curated - random" in tail
    assert " ".join(summary["conclusion"].split()) in " ".join(tail.split())
    assert lines[-1] == f"report: {out / 'report.html'}"


def test_a_rerun_through_the_cli_redoes_nothing(demo_dir: Path) -> None:
    paths = DemoPaths(seed_dir(demo_dir, REDUCED.seed))
    watched = [paths.model(name) / "limkit_run.json" for name in MODELS]
    watched += [paths.eval_run(name) / "samples.jsonl" for name in MODELS]
    watched += [paths.curate / "kept.jsonl", paths.pool]
    before = {path: path.stat().st_mtime_ns for path in watched}
    done = _cli_demo(demo_dir)
    assert done.returncode == 0, done.stderr[-3000:]
    assert {path: path.stat().st_mtime_ns for path in watched} == before
    assert "report:" in done.stderr
