"""The curation report: each pass-count chart shows its own step's decision and names the model that ran."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from curate_helpers import outputs

from limkit.curate import Difficulty, Load, LocalExecutor, Pipeline

ROWS = [{"id": f"p{i}", "problem": f"What is {i} + {i}?", "answer": str(2 * i)} for i in range(1, 4)]
SAMPLING = {"temperature": 1.0, "max_tokens": 4, "system": None, "require_box": True}


def test_pass_count_charts_follow_each_steps_own_decision(
    tiny_model_dir: Path, write_pool: Any, tmp_path: Path
) -> None:
    """LIMO's two stages on a model that never boxes an answer: stage 1 (at most 0 passes) keeps all,
    stage 2 (at least 1 pass) drops all. Stage 1's chart must show all kept, though all end up dropped."""
    model = str(tiny_model_dir)
    stage1 = Difficulty(model=model, n=2, max_pass=0, key="cheap", **SAMPLING)  # type: ignore[arg-type]
    stage2 = Difficulty(model=model, n=2, min_pass=1, key="strong", **SAMPLING)  # type: ignore[arg-type]
    pipeline = Pipeline([Load(path=str(write_pool(ROWS))), stage1, stage2], cache=str(tmp_path / "c.sqlite"))
    result = LocalExecutor().run(pipeline, tmp_path / "out")
    kept, dropped = outputs(result)
    assert not kept and {r["reason"]["step_index"] for r in dropped.values()} == {2}
    assert all(r["pass_counts"]["cheap"]["kept"] for r in dropped.values())

    report = html.unescape(result.report_path.read_text(encoding="utf-8"))
    assert f"{model} (pass_counts.cheap): 3 problems kept and 0 dropped by this step" in report
    assert f"{model} (pass_counts.strong): 0 problems kept and 3 dropped by this step" in report
    assert f'alt="pass-count histogram for {model} (pass_counts.cheap)"' in report


def test_observations_merged_from_parts_equal_one_pass_over_all_records() -> None:
    """The final files are written in parallel parts; their merged report data must be what one
    process seeing every record in order would gather (counts, windows, first model name, scores)."""
    import random

    from limkit.curate._outputs import Observations

    generator = random.Random(7)
    records = []
    for number in range(300):
        key = generator.choice(["qwen", "llama", "judge"])
        count: dict[str, Any] = {"passes": generator.randint(0, 8), "n": generator.choice([4, 8])}
        if generator.random() < 0.3:
            count["window"] = [generator.randint(0, 2), generator.randint(3, 8)]
        if generator.random() < 0.5:
            count["model"] = f"{key}-{number}"
        record: dict[str, Any] = {"id": str(number), "pass_counts": {key: count}}
        if generator.random() < 0.4:
            record["score"] = generator.random()
        records.append((record, generator.random() < 0.5))
    whole = Observations()
    for record, kept in records:
        whole.see(record, kept)
    merged = Observations()
    for start, end in ((0, 1), (1, 90), (90, 91), (91, 300)):
        part = Observations()
        for record, kept in records[start:end]:
            part.see(record, kept)
        merged.merge(part)
    assert list(merged.pass_counts) == list(whole.pass_counts)
    assert merged.pass_counts == whole.pass_counts and merged.scores == whole.scores


def test_a_rerun_rewrites_only_the_final_parts_that_were_not_finished(tmp_path: Path) -> None:
    import json

    from limkit.curate import Dedup

    pool = tmp_path / "pool.jsonl"
    rows = [
        {"id": str(i), "problem": f"What is {i % 40} plus {i % 40}?", "answer": str(i)} for i in range(120)
    ]
    pool.write_text("".join(json.dumps(row) + "\n" for row in rows))
    pipeline = Pipeline([Load(path=str(pool)), Dedup(threshold=0.8)])
    out = tmp_path / "run"
    LocalExecutor(workers=1, tasks=3).run(pipeline, out)
    first = {name: (out / name).read_bytes() for name in ("kept.jsonl", "dropped.jsonl")}
    parts = sorted((out / "work" / "final").glob("part-*.jsonl"))
    assert len(parts) == 3 + 3 + 3  # the last step's kept shards, then each step's dropped shards
    times = {path: path.stat().st_mtime_ns for path in parts}
    for name in ("kept.jsonl", "dropped.jsonl", "stats.json", "report.html"):
        (out / name).unlink()  # as if killed while the parts were being written
    parts[4].with_suffix(".done").unlink()
    LocalExecutor(workers=1, tasks=3).run(pipeline, out)
    assert {name: (out / name).read_bytes() for name in first} == first
    rewritten = [path for path in parts if path.stat().st_mtime_ns != times[path]]
    assert rewritten == [parts[4]]
