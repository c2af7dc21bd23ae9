"""Difficulty and distill on a real tiny model, in-process (hf) and behind `transformers serve` (openai)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from curate_helpers import kill_when, outputs, read_jsonl
from curate_solver import MIXED, problem_rows, train_solver

from limkit.curate import (
    Difficulty,
    Distill,
    Load,
    LocalExecutor,
    ModelSpec,
    Pipeline,
    ScoreChains,
    Select,
    Write,
    run_recipe,
)
from serving import serve_model

SAMPLING = {"temperature": 1.0, "max_tokens": 40, "system": None}


@pytest.fixture(scope="module")
def solver_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_solver(tiny_model_dir, tmp_path_factory.mktemp("solver") / "model")


@pytest.fixture(scope="module")
def served_solver(solver_dir: Path) -> Iterator[str]:
    with serve_model(solver_dir) as base_url:
        yield base_url


@pytest.fixture()
def pool(write_pool: Any) -> Path:
    return write_pool([*problem_rows(), {"id": "no-gold", "problem": "What is 1 + 1?"}])


def run(steps: list[Any], out: Path, cache: Path) -> Any:
    return LocalExecutor().run(Pipeline(steps, cache=str(cache)), out)


def counters(result: Any, index: int) -> dict[str, float]:
    return dict(result.stats["steps"][index]["counters"])


def test_difficulty_keeps_the_pass_count_window_and_stores_counts(
    solver_dir: Path, pool: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache.sqlite"
    step = Difficulty(model=str(solver_dir), n=8, min_pass=1, max_pass=7, key="solver", **SAMPLING)
    result = run([Load(path=str(pool)), step], tmp_path / "a", cache)
    kept, dropped = outputs(result)
    assert set(kept) == {"mixed"}
    assert 1 <= kept["mixed"]["pass_counts"]["solver"]["passes"] <= 7
    expected = {"easy": ("too_easy", 8), "verbose": ("too_easy", 8), "hard": ("too_hard", 0)}
    for record_id, (code, passes) in expected.items():
        reason = dropped[record_id]["reason"]
        assert (reason["code"], reason["passes"], reason["n"], reason["window"]) == (code, passes, 8, [1, 7])
        assert dropped[record_id]["pass_counts"]["solver"]["passes"] == passes
    assert dropped["no-gold"]["reason"]["code"] == "no_gold_answer"
    assert counters(result, 1)["samples_generated"] == 32
    assert "Pass counts" in result.report_path.read_text()

    # A new window in the same directory: counts come from the measurement store, nothing is sampled.
    wider = Difficulty(model=str(solver_dir), n=8, min_pass=4, max_pass=8, key="solver", **SAMPLING)
    again = run([Load(path=str(pool)), wider], tmp_path / "a", cache)
    assert counters(again, 1) == {"problems_from_store": 4}
    mixed_passes = kept["mixed"]["pass_counts"]["solver"]["passes"]
    assert set(outputs(again)[0]) == {"easy", "verbose"} | ({"mixed"} if mixed_passes >= 4 else set())

    # A fresh directory: the store is empty, but every sample comes from the request cache.
    fresh = run([Load(path=str(pool)), wider], tmp_path / "b", cache)
    assert counters(fresh, 1)["samples_cached"] == 32 and counters(fresh, 1).get("samples_generated", 0) == 0
    assert outputs(fresh)[0].keys() == outputs(again)[0].keys()


def test_limo_two_stage_difficulty_through_transformers_serve(
    solver_dir: Path, served_solver: str, pool: Path, tmp_path: Path
) -> None:
    """Stage 1 drops what is solved at all in 4 tries; stage 2 keeps problems solved 1..7 of 8."""
    cheap = Difficulty(
        model=str(solver_dir),
        backend="openai",
        base_url=served_solver,
        n=4,
        max_pass=0,
        key="cheap",
        **SAMPLING,
    )
    strong = Difficulty(
        model=str(solver_dir),
        backend="openai",
        base_url=served_solver,
        n=8,
        min_pass=1,
        max_pass=7,
        key="strong",
        **SAMPLING,
    )
    result = run([Load(path=str(pool)), cheap, strong], tmp_path / "out", tmp_path / "cache.sqlite")
    kept, dropped = outputs(result)
    assert not kept, "the solver solves everything it can at least once in 4 tries, except 'hard'"
    assert dropped["hard"]["reason"]["step"] == "difficulty" and dropped["hard"]["reason"]["step_index"] == 2
    assert dropped["hard"]["pass_counts"]["cheap"]["passes"] == 0
    assert dropped["hard"]["pass_counts"]["strong"]["passes"] == 0
    for record_id in ("easy", "verbose"):
        assert dropped[record_id]["reason"]["step_index"] == 1
        assert dropped[record_id]["pass_counts"]["cheap"]["passes"] == 4
    assert counters(result, 1)["samples_generated"] == 16 and counters(result, 2)["samples_generated"] == 8


def test_distill_verifies_chains_from_two_teachers_then_score_select_write(
    solver_dir: Path, served_solver: str, pool: Path, tmp_path: Path
) -> None:
    teachers = [
        ModelSpec(model=str(solver_dir), name="local"),
        ModelSpec(model=str(solver_dir), backend="openai", base_url=served_solver, name="served"),
    ]
    steps = [
        Load(path=str(pool)),
        Distill(teachers=teachers, n=2, **SAMPLING),
        ScoreChains(),
        Select(method="top_k", k=2),
        Write(system="Think, then answer."),
    ]
    result = run(steps, tmp_path / "out", tmp_path / "cache.sqlite")
    kept, dropped = outputs(result)
    assert dropped["hard"]["reason"]["code"] == "no_verified_chain"
    assert dropped["hard"]["reason"]["attempts"] == 4 and dropped["hard"]["reason"]["verified"] == 0
    assert set(kept) == {"verbose", "easy"}, "the two longest, most reflective chains win"
    verbose = kept["verbose"]
    assert verbose["distill"]["by_teacher"] == {"local": 2, "served": 2}
    assert {chain["teacher"] for chain in verbose["chains"]} == {"local", "served"}
    assert all(chain["correct"] for chain in verbose["chains"])
    assert (
        verbose["chain"]["scores"]["self_verification"] > 0 and verbose["chain"]["scores"]["granularity"] > 0
    )
    assert verbose["score"] > kept["easy"]["score"]
    # MIXED's fate depends on what was sampled: count its verified chains from the request cache itself
    import sqlite3

    from limkit.grade import grade

    texts = [
        text
        for text, request in sqlite3.connect(tmp_path / "cache.sqlite").execute(
            "SELECT text, request FROM completions"
        )
        if MIXED[0] in request
    ]
    verified = sum(grade(text, MIXED[1], require_box=True).correct for text in texts)
    assert len(texts) == 4 and dropped["mixed"]["distill"]["verified"] == verified
    assert dropped["mixed"]["reason"]["code"] == ("not_selected" if verified else "no_verified_chain")
    rows = read_jsonl(tmp_path / "out" / "sft.jsonl")
    assert [row["id"] for row in rows] == [r for r in ("easy", "verbose")]
    assert [m["role"] for m in rows[0]["messages"]] == ["system", "user", "assistant"]
    assert "\\boxed{8}" in next(r for r in rows if r["id"] == "verbose")["messages"][2]["content"]
    import datasets

    saved = datasets.load_from_disk(str(tmp_path / "out" / "sft_dataset"))
    assert saved.num_rows == 2 and saved[0]["messages"] == rows[0]["messages"]


def test_a_killed_difficulty_run_never_samples_twice(solver_dir: Path, pool: Path, tmp_path: Path) -> None:
    """SIGKILL the CLI after the first graded problem; the rerun generates only what the cache lacks."""
    from limkit.llm import CompletionCache

    cache = tmp_path / "cache.sqlite"
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        "name: kill-llm\n"
        f"input: {{path: {pool}}}\n"
        f"cache: {cache}\n"
        "steps:\n"
        f"  - difficulty: {{model: {solver_dir}, n: 8, temperature: 1.0, max_tokens: 40, system: null,\n"
        "                  min_pass: 1, max_pass: 7, chunk_size: 1}\n"
    )
    out = tmp_path / "out"
    command = [sys.executable, "-m", "limkit", "curate", str(recipe), "--out", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}

    def one_problem_graded() -> bool:
        stores = list((out / "work" / "store").glob("difficulty-*/rank-*.jsonl"))
        return bool(stores) and stores[0].read_text().count("\n") >= 1

    kill_when(command, one_problem_graded, env=env)
    assert not (out / "stats.json").exists(), "the run was killed before it finished"
    cached_before = len(CompletionCache(cache))
    assert 8 <= cached_before < 32
    run_recipe(recipe, out)  # the rerun in this process, where torch is already imported
    stats = json.loads((out / "stats.json").read_text())
    step = stats["steps"][1]["counters"]
    assert step["problems_from_store"] >= 1
    assert step.get("samples_generated", 0) == 32 - cached_before
    assert len(CompletionCache(cache)) == 32
    assert stats["kept"] + stats["dropped"] == 5
