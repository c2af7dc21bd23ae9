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
