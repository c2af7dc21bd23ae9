"""The pipeline contract on the real 8.5k pool: one output per record, stats, resume, checks at start."""

from __future__ import annotations

import itertools
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from curate_helpers import LosesRecords, YieldsTwice, keep_short, kill_when, outputs, read_jsonl, run_steps

from limkit.curate import (
    CurateResult,
    Decontaminate,
    Dedup,
    Filter,
    Load,
    LocalExecutor,
    Pipeline,
    Predicate,
    RayExecutor,
    run_recipe,
)
from limkit.errors import LimkitError


def pool_steps(pool_path: Path, benchmarks_dir: Path) -> list[Any]:
    return [
        Load(path=str(pool_path), fields={"problem": "prompt"}),
        Filter(drop_patterns={"figure_reference": r"(?i)shown (below|above|in the figure)"}, max_words=250),
        Predicate(function="curate_helpers:keep_short", code="too_long_text"),
        Dedup(threshold=0.8),
        Decontaminate(benchmarks=["all"], data_dir=str(benchmarks_dir), ngram=13),
    ]


@pytest.fixture(scope="module")
def full_run(pool_path: Path, benchmarks_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> CurateResult:
    """The whole pool through five steps, two shards each, in two spawned worker processes."""
    return run_steps(pool_steps(pool_path, benchmarks_dir), tmp_path_factory.mktemp("full"), workers=2)


def markers(out: Path) -> dict[str, float]:
    return {
        str(p.relative_to(out)): json.loads(p.read_text())["finished"] for p in out.glob("work/*/done-*.json")
    }


def test_every_input_record_ends_in_exactly_one_output(full_run: CurateResult, pool_rows: list[Any]) -> None:
    kept, dropped = outputs(full_run)
    assert not set(kept) & set(dropped)
    assert set(kept) | set(dropped) == {row["id"] for row in pool_rows}
    assert len(kept) + len(dropped) == 8523
    steps = {row["reason"]["step"] for row in dropped.values()}
    assert steps == {"filter", "predicate", "dedup", "decontaminate"}
    assert all(row["reason"]["code"] for row in dropped.values())
    assert all("reason" not in row for row in kept.values())
    order = [row["id"] for row in read_jsonl(full_run.kept_path)]
    position = {row["id"]: i for i, row in enumerate(pool_rows)}
    assert order == sorted(order, key=position.__getitem__), "shards are reassembled in input order"


def test_stats_count_every_step_and_the_report_shows_them(full_run: CurateResult) -> None:
    stats = json.loads(full_run.stats_path.read_text())
    assert (stats["input"], stats["kept"] + stats["dropped"]) == (8523, 8523)
    steps = stats["steps"]
    assert [s["step"] for s in steps] == ["load", "filter", "predicate", "dedup", "decontaminate"]
    for before, after in itertools.pairwise(steps):
        assert after["in"] == before["kept"]
    assert steps[0]["in"] == 8523
    _, dropped = outputs(full_run)
    for step in steps:
        assert step["in"] == step["kept"] + step["dropped"]
        assert sum(step["reasons"].values()) == step["dropped"]
        written = Counter(
            row["reason"]["code"] for row in dropped.values() if row["reason"]["step"] == step["step"]
        )
        assert written == Counter({code: count for code, count in step["reasons"].items() if count})
        assert step["shards"] == 2 and step["seconds"]["shards"] > 0
    assert steps[-1]["kept"] == stats["kept"]
    assert steps[1]["reasons"].keys() <= {"pattern", "too_long"} and steps[1]["dropped"] > 0
    assert steps[3]["seconds"]["prepare"] > 0
    report = full_run.report_path.read_text()
    assert "<table>" in report and "04_decontaminate" in report and "benchmark_overlap" in report


def test_a_rerun_reuses_everything_and_a_changed_option_reruns_from_that_step(
    full_run: CurateResult, pool_path: Path, benchmarks_dir: Path
) -> None:
    out = full_run.out_dir
    before, kept_before = markers(out), full_run.kept_path.read_bytes()
    written = {path: path.stat().st_mtime_ns for path in out.iterdir() if path.is_file()}
    again = run_steps(pool_steps(pool_path, benchmarks_dir), out, workers=2)
    assert markers(out) == before and again.kept_path.read_bytes() == kept_before
    assert again.stats == full_run.stats  # nothing ran, so the finished run's stats stand
    assert {path: path.stat().st_mtime_ns for path in written} == written  # and no output was rewritten
    changed = pool_steps(pool_path, benchmarks_dir)
    changed[-1] = Decontaminate(benchmarks=["all"], data_dir=str(benchmarks_dir), ngram=8)
    third = run_steps(changed, out, workers=2)
    after = markers(out)
    assert {k: v for k, v in after.items() if "04_" not in k} == {
        k: v for k, v in before.items() if "04_" not in k
    }
    assert all(after[k] > before[k] for k in after if "04_" in k)
    assert third.stats["dropped"] > full_run.stats["dropped"], "8-grams find more than 13-grams"


def test_a_different_shard_count_gives_the_same_result(
    pool_path: Path, benchmarks_dir: Path, tmp_path: Path
) -> None:
    steps = pool_steps(pool_path, benchmarks_dir)[:2]
    one = run_steps(steps, tmp_path / "x", workers=1, tasks=3)
    assert [s["shards"] for s in one.stats["steps"]] == [3, 3]
    single = run_steps(steps, tmp_path / "y", workers=1, tasks=1)
    assert [s["shards"] for s in single.stats["steps"]] == [1, 1]
    assert single.kept_path.read_bytes() == one.kept_path.read_bytes()
    assert single.dropped_path.read_bytes() == one.dropped_path.read_bytes()


def test_an_edited_pool_is_read_again(tmp_path: Path, write_pool: Any) -> None:
    rows = [{"id": str(i), "problem": f"problem number {i}"} for i in range(3)]
    path = write_pool(rows)
    assert run_steps([Load(path=str(path)), Dedup()], tmp_path / "out").stats["input"] == 3
    write_pool([*rows, {"id": "3", "problem": "a fourth problem"}])
    assert run_steps([Load(path=str(path)), Dedup()], tmp_path / "out").stats["input"] == 4


def test_a_prepare_killed_before_its_marker_runs_again(
    tmp_path: Path, write_pool: Any, benchmarks_dir: Path
) -> None:
    """The marker is written last: without it the prepare job counts as unfinished, so its stats survive."""
    path = write_pool([{"id": str(i), "problem": f"problem number {i}"} for i in range(4)])
    steps = [Load(path=str(path)), Decontaminate(benchmarks=["math500"], data_dir=str(benchmarks_dir))]
    first = run_steps(steps, tmp_path / "out")
    (tmp_path / "out" / "work" / "01_decontaminate" / "prepare.json").unlink()
    again = run_steps(steps, tmp_path / "out")
    assert again.stats["steps"][1]["counters"] == first.stats["steps"][1]["counters"]
    assert again.stats["steps"][1]["counters"]["benchmark_documents"] == 500
    assert again.stats["steps"][1]["notes"] == {"benchmarks": ["math500"]}


def test_a_changed_pipeline_removes_the_previous_results_first(tmp_path: Path, write_pool: Any) -> None:
    path = write_pool([{"id": str(i), "problem": f"problem number {i}"} for i in range(9)])
    done = run_steps([Load(path=str(path)), Dedup()], tmp_path / "out")
    assert done.kept_path.exists() and done.stats_path.exists()
    with pytest.raises(LimkitError):
        run_steps([Load(path=str(path)), Dedup(threshold=0.9), LosesRecords()], tmp_path / "out")
    assert not done.kept_path.exists() and not done.stats_path.exists(), "no stale result passes for new"


def _broken_step_errors(step: Any, tmp_path: Path, write_pool: Any) -> str:
    path = write_pool([{"id": str(i), "problem": f"problem {i}"} for i in range(9)])
    with pytest.raises(LimkitError) as error:
        run_steps([Load(path=str(path)), step], tmp_path / "out")
    assert not (tmp_path / "out" / "kept.jsonl").exists()
    return error.value.message


def test_a_step_that_loses_or_repeats_records_is_stopped(tmp_path: Path, write_pool: Any) -> None:
    assert "lost 3 record(s)" in _broken_step_errors(LosesRecords(), tmp_path / "a", write_pool)
    assert "twice" in _broken_step_errors(YieldsTwice(), tmp_path / "b", write_pool)


def test_an_unpicklable_pipeline_fails_at_start(tmp_path: Path, write_pool: Any) -> None:
    path = write_pool([{"id": "1", "problem": "p"}])
    pipeline = Pipeline([Load(path=str(path)), Predicate(function=lambda record: True)])
    with pytest.raises(LimkitError) as error:
        LocalExecutor(workers=2).run(pipeline, tmp_path / "out")
    assert "cannot be pickled" in error.value.message and error.value.field == "steps.1.predicate"
    assert not (tmp_path / "out").exists(), "nothing ran and nothing was written"
    picklable = Pipeline([Load(path=str(path)), Predicate(function=keep_short)])
    assert LocalExecutor(workers=2).run(picklable, tmp_path / "ok").stats["kept"] == 1


def test_the_ray_executor_says_how_to_get_ray(
    tmp_path: Path, write_pool: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where Ray is not installed the error says how to get it (the next test runs it installed)."""
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets where Ray is absent
    pipeline = Pipeline([Load(path=str(write_pool([{"id": "1", "problem": "p"}])))])
    with pytest.raises(LimkitError) as error:
        RayExecutor(tasks=2).run(pipeline, tmp_path / "out")
    assert "limkit[ray]" in error.value.message


def test_the_ray_executor_gives_the_local_result(
    pool_rows: list[Any], tmp_path: Path, write_pool: Any
) -> None:
    """A local Ray instance, two tasks (the test set-up installs the `ray` extra)."""
    import ray

    rows = [{"id": r["id"], "problem": r["prompt"]} for r in pool_rows[:400]]
    rows += [{**row, "id": f"copy-{row['id']}"} for row in rows[:20]]
    steps = [Load(path=str(write_pool(rows))), Filter(max_words=60), Dedup(threshold=0.8)]
    try:
        on_ray = RayExecutor(tasks=2).run(Pipeline(steps), tmp_path / "ray")
    finally:
        ray.shutdown()
    local = run_steps(steps, tmp_path / "local", tasks=2)
    assert [step["shards"] for step in on_ray.stats["steps"]] == [2, 2, 2]
    assert on_ray.stats["steps"][2]["reasons"]["exact_duplicate"] > 0
    assert on_ray.kept_path.read_bytes() == local.kept_path.read_bytes()
    assert on_ray.dropped_path.read_bytes() == local.dropped_path.read_bytes()


def test_a_killed_run_resumes_without_redoing_finished_work(
    pool_path: Path, benchmarks_dir: Path, tmp_path: Path
) -> None:
    """SIGKILL the CLI while dedup is deciding, rerun: load is not redone and the result is complete."""
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        "name: kill\n"
        f"input: {{path: {pool_path}, fields: {{problem: prompt}}}}\n"
        "steps:\n"
        "  - dedup: {threshold: 0.8}\n"
        f"  - decontaminate: {{benchmarks: [math500], data_dir: {benchmarks_dir}}}\n"
    )
    out = tmp_path / "out"
    command = [sys.executable, "-m", "limkit", "curate", str(recipe), "--out", str(out)]
    load_done = out / "work" / "00_load" / "done-00000.json"
    kill_when(command, load_done.exists)
    assert load_done.exists() and not (out / "work" / "01_dedup" / "done-00000.json").exists()
    assert not (out / "kept.jsonl").exists(), "no final output from a killed run"
    finished = json.loads(load_done.read_text())["finished"]
    run_recipe(recipe, out)
    assert json.loads(load_done.read_text())["finished"] == finished, "the load shard was not run again"
    stats = json.loads((out / "stats.json").read_text())
    assert stats["kept"] + stats["dropped"] == 8523
    assert len(read_jsonl(out / "kept.jsonl")) == stats["kept"]
