"""The Ray executor against the local one: decontamination's prepare phase, an LLM step, and a resume.

One local Ray instance serves the whole module (starting Ray costs seconds); the LLM step talks to the
fitted solver behind `transformers serve`, so Ray's workers need no torch of their own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from curate_helpers import run_steps

from limkit.curate import Decontaminate, Difficulty, Load, Pipeline, RayExecutor


@pytest.fixture(scope="module")
def ray_session() -> Iterator[None]:
    import ray

    yield
    ray.shutdown()


def _finished(out: Path) -> dict[str, float]:
    return {
        str(path.relative_to(out)): json.loads(path.read_text())["finished"]
        for path in out.glob("work/*/*.json")
        if path.name.startswith(("done-", "prepare"))
    }


def _same_outputs(one: Any, other: Any) -> None:
    assert one.kept_path.read_bytes() == other.kept_path.read_bytes()
    assert one.dropped_path.read_bytes() == other.dropped_path.read_bytes()


def test_decontamination_prepares_and_decides_on_ray_as_locally(
    ray_session: None, pool_rows: list[Any], benchmarks_dir: Path, tmp_path: Path, write_pool: Any
) -> None:
    rows = [{"id": r["id"], "problem": r["prompt"]} for r in pool_rows[:1500]]
    steps = [
        Load(path=str(write_pool(rows))),
        Decontaminate(benchmarks=["math500"], data_dir=str(benchmarks_dir)),
    ]
    on_ray = RayExecutor(tasks=2).run(Pipeline(steps), tmp_path / "ray")
    local = run_steps(steps, tmp_path / "local", tasks=2)
    ray_step, local_step = on_ray.stats["steps"][1], local.stats["steps"][1]
    assert (
        ray_step["counters"] == local_step["counters"] and ray_step["counters"]["benchmark_documents"] == 500
    )
    assert ray_step["reasons"] == local_step["reasons"] and ray_step["dropped"] > 0, "the pool has leaks"
    assert ray_step["seconds"]["prepare"] > 0
    _same_outputs(on_ray, local)

    # Resume on Ray, as after a kill during the last shard: its marker and the final outputs are not
    # there yet. That shard alone runs again; everything else is reused.
    before = _finished(tmp_path / "ray")
    lost = "work/01_decontaminate/done-00001.json"
    for name in (lost, "kept.jsonl", "dropped.jsonl", "stats.json"):
        (tmp_path / "ray" / name).unlink()
    again = RayExecutor(tasks=2).run(Pipeline(steps), tmp_path / "ray")
    after = _finished(tmp_path / "ray")
    assert {k: v for k, v in after.items() if k != lost} == {k: v for k, v in before.items() if k != lost}
    assert after[lost] > before[lost]
    _same_outputs(again, local)


def test_an_llm_step_on_ray_gives_the_local_result(
    ray_session: None, solver_dir: Path, solver_server: str, tmp_path: Path, write_pool: Any
) -> None:
    from fitting import free_form_rows

    pool = write_pool(free_form_rows())
    step = Difficulty(
        model=str(solver_dir), backend="openai", base_url=solver_server, n=2, max_tokens=24, max_pass=1
    )
    steps = [Load(path=str(pool)), step]
    on_ray = RayExecutor(tasks=2).run(Pipeline(steps, cache=str(tmp_path / "ray.sqlite")), tmp_path / "ray")
    local = run_steps(steps, tmp_path / "local", tasks=2)
    assert on_ray.stats["steps"][1]["counters"]["samples_generated"] == 6
    _same_outputs(on_ray, local)
