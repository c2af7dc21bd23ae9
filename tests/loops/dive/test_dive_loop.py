"""Two iterations of vanilla ISI and of DIVE on 16 GSM8K questions with a fitted tiny model, on the CPU.

DPO really trains (weights move, steps are counted), checkpoints chain (iteration 2 starts from iteration
1's model) and the reference is the starting checkpoint (TRL's first logged reward margin is exactly 0
only when the reference equals the policy it starts from). Then a run is SIGKILLed during sampling and
during training, and rerun: it finishes with every sample generated exactly once and the same pairs.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from dive_recipes import tiny_recipe, write_recipe

from limkit.data import read_jsonl
from limkit.loops.dive import load_dive_recipe, run_dive

# About 2 minutes on a quiet machine; the timeout leaves room for a machine shared by many jobs.
pytestmark = [pytest.mark.usefixtures("one_torch_thread"), pytest.mark.timeout(2400)]


@pytest.fixture(scope="module")
def dive_run(
    mixed_solver: Path, questions_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    work = tmp_path_factory.mktemp("dive-run")
    recipe = write_recipe(work / "recipe.yaml", tiny_recipe(mixed_solver, questions_file))
    out = work / "run"
    summary = run_dive(load_dive_recipe(recipe), out, log=lambda message: None)
    return out, summary


def _rows(path: Path) -> list[dict[str, Any]]:
    return [row for _, row in read_jsonl(path)]


def _weights(model_dir: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    return load_file(str(model_dir / "model.safetensors"))


@pytest.mark.parametrize("variant", ["vanilla", "dive"])
def test_checkpoints_chain_and_the_reference_is_the_previous_one(
    dive_run: tuple[Path, dict[str, Any]], mixed_solver: Path, variant: str
) -> None:
    out, _ = dive_run
    starts = [yaml.safe_load((out / variant / f"iter-{t}" / "dpo.yaml").read_text())["model"] for t in (1, 2)]
    assert starts == [str(mixed_solver), str(out / variant / "iter-1" / "model")]
    previous = _weights(mixed_solver)
    for t in (1, 2):
        model = out / variant / f"iter-{t}" / "model"
        info = json.loads((model / "limkit_run.json").read_text())
        pairs = len(_rows(out / variant / f"iter-{t}" / "pairs.jsonl"))
        assert info["finished_at"] and info["global_step"] == -(-pairs // 8)
        logged = [row for row in _rows(model / "loss.jsonl") if "rewards/margins" in row]
        assert logged[0]["rewards/margins"] == pytest.approx(0.0, abs=1e-6)  # reference == starting policy
        weights = _weights(model)
        assert any(not weights[name].equal(previous[name]) for name in weights)  # DPO moved the model
        previous = weights


@pytest.mark.parametrize("variant", ["vanilla", "dive"])
def test_pairs_are_correct_over_incorrect_at_most_p_per_question(
    dive_run: tuple[Path, dict[str, Any]], variant: str
) -> None:
    out, _ = dive_run
    for t in (1, 2):
        graded = {}
        for source in (1, 2)[:t]:
            for row in _rows(out / variant / f"iter-{source}" / "samples.jsonl"):
                graded[f"{row['id']}/t{row['iteration']}s{row['sample']}"] = row
        pairs = _rows(out / variant / f"iter-{t}" / "pairs.jsonl")
        assert pairs
        for pair in pairs:
            chosen, rejected = (
                graded[f"{pair['question']}/{pair['chosen_origin']}"],
                graded[f"{pair['question']}/{pair['rejected_origin']}"],
            )
            assert chosen["correct"] and not rejected["correct"]
            assert (chosen["completion"], rejected["completion"]) == (pair["chosen"], pair["rejected"])
        per_question: dict[str, int] = {}
        for pair in pairs:
            per_question[pair["question"]] = per_question.get(pair["question"], 0) + 1
        assert max(per_question.values()) <= 2
        counts = json.loads((out / variant / f"iter-{t}" / "pairs.json").read_text())
        assert counts["pairs"] == len(pairs)
        expected_pool = 16 * 4 * (t if variant == "dive" else 1)
        assert counts["pool_responses"] == expected_pool  # dive's pool is the union of the iterations


def test_dive_selects_from_the_global_pool_and_filters(dive_run: tuple[Path, dict[str, Any]]) -> None:
    out, _ = dive_run

    def origins(variant: str) -> set[str]:
        pairs = _rows(out / variant / "iter-2" / "pairs.jsonl")
        return {pair[side][:2] for pair in pairs for side in ("chosen_origin", "rejected_origin")}

    # Iteration 2 of dive draws on iteration 1's samples too (vanilla only on its own). Whether a t2
    # response is also picked depends on whether the tiny model said anything new: exact repeats are
    # merged into their first occurrence, which is t1's.
    assert "t1" in origins("dive") and origins("dive") <= {"t1", "t2"}
    assert origins("vanilla") == {"t2"}
    dive_counts = json.loads((out / "dive" / "iter-1" / "pairs.json").read_text())
    vanilla_counts = json.loads((out / "vanilla" / "iter-1" / "pairs.json").read_text())
    # The filter ran on every dive pool (it removes planted outliers in test_dive_select; with two or three
    # distinct replies per question here, an Isolation Forest has nothing to isolate).
    assert {"filter_dropped_pos", "filter_dropped_neg"} <= set(dive_counts)
    assert "filter_dropped_pos" not in vanilla_counts
    vanilla = _rows(out / "vanilla" / "iter-1" / "samples.jsonl")
    assert vanilla == _rows(out / "dive" / "iter-1" / "samples.jsonl")  # same base model, same seeds


def test_summary_and_report_have_every_iteration(dive_run: tuple[Path, dict[str, Any]]) -> None:
    out, summary = dive_run
    for variant in ("vanilla", "dive"):
        rows = summary["variants"][variant]
        assert [row["iteration"] for row in rows] == [0, 1, 2]
        for row in rows:
            assert 0.0 <= row["acc@1"] <= 1.0 and row["pos_distinct_n"] is not None
        print(
            variant,
            [
                (
                    r["acc@1"],
                    r["avg@n"],
                    r["pos_distinct_n"],
                    r["neg_distinct_n"],
                    r["pos_embedding"],
                    r["neg_embedding"],
                )
                for r in rows
            ],
        )
    assert summary["sampling"]["cached"] >= 16 * 4  # dive's iteration 1 came from the cache
    page = (out / "report.html").read_text()
    assert "Pairs and filter drops per iteration" in page and page.count("<img") >= 7
    assert json.loads((out / "summary.json").read_text())["variants"].keys() == {"vanilla", "dive"}


def _cache_rows(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM completions").fetchone()[0])
    except sqlite3.Error:
        return 0


def _run_until(command: list[str], condition: Any, timeout: float = 600) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if condition():
                process.send_signal(signal.SIGKILL)
                process.wait()
                return
            time.sleep(0.02)
        _, err = process.communicate(timeout=5)
        raise AssertionError(
            f"the run ended before the kill point (exit {process.returncode}): {err[-2000:]}"
        )
    finally:
        if process.poll() is None:
            process.kill()


def _generate_events(out: Path) -> list[dict[str, Any]]:
    if not (out / "events.jsonl").exists():
        return []
    return [row for _, row in read_jsonl(out / "events.jsonl") if row["event"] == "generate"]


@pytest.mark.slow
def test_sigkill_during_sampling_and_training_then_rerun(
    dive_run: tuple[Path, dict[str, Any]], mixed_solver: Path, questions_file: Path, tmp_path: Path
) -> None:
    reference, _ = dive_run
    recipe = write_recipe(
        tmp_path / "recipe.yaml", tiny_recipe(mixed_solver, questions_file, variants=["vanilla"])
    )
    out = tmp_path / "run"
    command = [sys.executable, "-m", "limkit", "dive", str(recipe), "--out", str(out)]
    iteration = out / "vanilla" / "iter-1"
    base_rows: list[int] = []

    def sampling_started() -> bool:
        if not base_rows:
            if (out / "base" / "eval" / "metrics.json").exists():
                base_rows.append(_cache_rows(out / "cache.sqlite"))
            return False
        return _cache_rows(out / "cache.sqlite") > base_rows[0] and not (iteration / "samples.jsonl").exists()

    _run_until(command, sampling_started)
    assert not (iteration / "samples.jsonl").exists()
    # What the killed run sampled is in the cache but in no event (a stage logs when it ends), so the
    # later runs must have generated exactly the rows added after this point: none twice.
    logged_at_kill = len(_generate_events(out))
    rows_at_kill = _cache_rows(out / "cache.sqlite")
    _run_until(command, lambda: (iteration / "model" / "limkit_run.json").exists())
    assert not json.loads((iteration / "model" / "limkit_run.json").read_text()).get("finished_at")
    done = subprocess.run(
        command, env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    events = _generate_events(out)[logged_at_kill:]
    assert sum(row["generated"] for row in events) == _cache_rows(out / "cache.sqlite") - rows_at_kill
    assert any(row["cached"] > 0 for row in events)
    # Iteration 1 samples the same base model: its samples and pairs match the uninterrupted run's.
    assert _rows(iteration / "samples.jsonl") == _rows(reference / "vanilla" / "iter-1" / "samples.jsonl")
    assert _rows(iteration / "pairs.jsonl") == _rows(reference / "vanilla" / "iter-1" / "pairs.jsonl")
    assert json.loads((out / "vanilla" / "iter-2" / "model" / "limkit_run.json").read_text())["finished_at"]
