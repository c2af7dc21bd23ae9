"""Reports: the Libra balanced-score leaderboard, and real report pages opened in headless Chromium."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from browser import PageTables, render
from limkit.eval import (
    BudgetForcing,
    EvalConfig,
    RuntimeOptions,
    SamplingOverrides,
    balanced_score,
    leaderboard,
    run_eval,
    write_report,
)
from limkit.eval._report import RunInfo


def _fake_run(name: str, scores: dict[str, float]) -> RunInfo:
    metrics = {task: {"problems": 10, "avg": value} for task, value in scores.items()}
    results = {"protocol": {"config": {"model": f"models/{name}"}}, "metrics": metrics}
    return RunInfo(Path(name), results)


def test_leaderboard_ranks_by_balanced_score() -> None:
    runs = [
        _fake_run("spiky", {"a": 0.9, "b": 0.1}),
        _fake_run("even", {"a": 0.5, "b": 0.5}),
        _fake_run("best", {"a": 0.8, "b": 0.7}),
    ]
    rows = leaderboard(runs, ["a", "b"])
    assert [row["run"].split(" ")[0] for row in rows] == ["best", "even", "spiky"]
    spiky = 1 - math.sqrt(((1 - 0.9) ** 2 + (1 - 0.1) ** 2) / 2)  # Libra's formula (paper note C.1)
    assert rows[1]["balanced"] == pytest.approx(0.5) and rows[2]["balanced"] == pytest.approx(spiky)
    assert rows[1]["mean"] == rows[2]["mean"] == pytest.approx(0.5)


@pytest.fixture(scope="module")
def two_runs(
    tiny_model_dir: Path, benchmarks_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> list[Path]:
    root = tmp_path_factory.mktemp("report-runs")
    runtime = RuntimeOptions(cache_path=str(root / "cache.sqlite"))
    common: dict[str, Any] = dict(
        backend="hf", model=str(tiny_model_dir), data_dir=str(benchmarks_dir), limit=3
    )
    sampled = EvalConfig(
        tasks=("aime24", "amc23"), sampling=SamplingOverrides(n=3, temperature=0.9, max_tokens=8), **common
    )
    forcing = BudgetForcing(
        max_thinking_tokens=8, num_waits=1, think_end=tuple("\n eonita."), max_answer_tokens=3
    )
    swept = EvalConfig(
        tasks=("aime24", "amc23"),
        sampling=SamplingOverrides(n=1, max_tokens=16),
        budget=forcing,
        budgets=(2, 8),
        **common,
    )
    run_eval(sampled, root / "sampled", runtime, log=lambda message: None)
    run_eval(swept, root / "swept", runtime, log=lambda message: None)
    return [root / "sampled", root / "swept"]


def test_report_page_renders_in_headless_chromium(two_runs: list[Path], tmp_path: Path, run_cli: Any) -> None:
    out = tmp_path / "report.html"
    result = run_cli("report", *map(str, two_runs), "--out", str(out))
    assert result.code == 0, result.err
    page = out.read_text()
    assert 'src="http' not in page and "<link" not in page  # self-contained
    rendered = render(out, tmp_path)
    census = rendered.census
    # side by side, protocols differ, a leaderboard per protocol, (protocol + metrics) per run, sweep, browser
    assert census.tables == 1 + 1 + 2 + 2 * 2 + 1 + 1
    assert len(census.images) == 3  # pass@k per run and accuracy against tokens
    assert all(int(img["data-natural-width"] or 0) > 100 for img in census.images), census.images
    assert "Protocols differ" in census.headings and sum(h.startswith("Run ") for h in census.headings) == 2
    assert rendered.screenshot_std > 0.05  # not a blank page

    cells = PageTables()
    cells.feed(rendered.dom)
    boards = cells.headed("rank")  # n=3 sampling and a budget sweep: two protocols, each ranked apart
    assert [rows[0] for rows in boards] == [["rank", "run", "aime24", "amc23", "mean", "balanced"]] * 2
    results = [json.loads((run / "results.json").read_text()) for run in two_runs]
    balanced = [balanced_score([r["metrics"][t]["avg"] for t in ("aime24", "amc23")]) for r in results]
    assert [[row[0] for row in rows[1:]] for rows in boards] == [["1"], ["1"]]
    assert [float(rows[1][-1]) for rows in boards] == pytest.approx(balanced, abs=5e-4)
    per_task = [[row[:3] for row in rows[1:]] for rows in cells.headed("task", "problems", "n")]
    assert per_task == [
        [["aime24", "3", "3"], ["amc23", "3", "3"]],
        [["aime24", "3", "1"], ["amc23", "3", "1"]],
    ]
    ((_, *sweep),) = cells.headed("task", "thinking budget")
    assert [row[:2] for row in sweep] == [["aime24", "2"], ["aime24", "8"], ["amc23", "2"], ["amc23", "8"]]


def test_report_dimensions_and_bad_runs(two_runs: list[Path], tmp_path: Path, run_cli: Any) -> None:
    out = tmp_path / "r.html"
    assert run_cli("report", *map(str, two_runs), "--out", str(out), "--dimensions", "amc23").code == 0
    assert "<th>amc23</th>" in out.read_text() and "<th>aime24</th><th>mean" not in out.read_text()
    result = run_cli("report", str(two_runs[0]), "--out", str(out), "--dimensions", "gpqa_diamond")
    assert result.code == 1 and "dimension 'gpqa_diamond'" in result.err
    result = run_cli("report", str(tmp_path), "--out", str(tmp_path / "none.html"))
    assert result.code == 1 and "not a limkit run directory" in result.err
    assert not (tmp_path / "none.html").exists()


class _FailsAfterFirstChunk:
    """A file handle that writes its first chunk and then fails, as a full disk would."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle

    def write(self, text: str) -> int:
        self._handle.write(text[:64])
        self._handle.flush()
        raise OSError(28, "No space left on device")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)

    def __enter__(self) -> _FailsAfterFirstChunk:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()


def test_write_report_is_atomic_and_single_run(
    two_runs: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_report(two_runs[1:], tmp_path / "single.html")
    text = path.read_text()
    assert "token-budget sweep" in text and text.count("<img") == 2
    assert not list(tmp_path.glob(".single.html.*"))

    # A write that fails midway, however the file is opened: the finished page survives byte for byte.
    import builtins
    import io
    import os

    def failing(opener: Any) -> Any:
        def open_(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            handle = opener(file, mode, *args, **kwargs)
            writing = any(flag in mode for flag in "wax+")
            return _FailsAfterFirstChunk(handle) if writing else handle

        return open_

    before = path.read_bytes()
    for module, name in ((builtins, "open"), (io, "open"), (os, "fdopen")):
        monkeypatch.setattr(module, name, failing(getattr(module, name)))
    with pytest.raises(OSError, match="No space left"):
        write_report(two_runs[:1], path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["single.html"], "no temporary file is left"
