"""The Libra leaderboard: the distance-to-optimal formula, the board, and `limkit leaderboard` pages."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import pytest

from browser import PageTables, render
from fitting import fit_tiny_model
from limkit.errors import LimkitError, UsageError
from limkit.eval import (
    Dimension,
    EvalConfig,
    RuntimeOptions,
    SamplingOverrides,
    balanced_score,
    build_board,
    read_score_table,
    run_eval,
)

DIMENSIONS = (Dimension("capability", ("math500", "aime24")), Dimension("safety", ("xstest", "donotanswer")))
CAPABILITY_SAFETY = ("--dimension", "capability=math500,aime24", "--dimension", "safety=xstest,donotanswer")


def _two_d(c: float, s: float) -> float:
    """The paper's form, written out: 1 - sqrt(((1 - c)^2 + (1 - s)^2) / 2)."""
    return 1 - math.sqrt(((1 - c) ** 2 + (1 - s) ** 2) / 2)


def test_formula_check_values() -> None:
    assert round(balanced_score([0.7, 0.7]), 3) == 0.700
    assert round(balanced_score([0.9, 0.5]), 3) == 0.639
    assert round(balanced_score([1.0, 0.0]), 3) == 0.293
    assert balanced_score([0.5, 0.5]) == pytest.approx(0.5)
    assert balanced_score([1.0, 1.0]) == 1.0 and balanced_score([0.0, 0.0]) == 0.0


def test_formula_symmetry_monotonicity_range_and_n_dimensions() -> None:
    grid = [i / 10 for i in range(11)]
    for c, s in itertools.product(grid, grid):
        score = balanced_score([c, s])
        assert 0.0 <= score <= 1.0
        assert score == pytest.approx(balanced_score([s, c]))
        assert score == pytest.approx(_two_d(c, s))
        if c < 1.0:
            assert balanced_score([c + 0.1, s]) > score
        if s < 1.0:
            assert balanced_score([c, s + 0.1]) > score
        # n dimensions: repeating each 2-D coordinate k times leaves the score unchanged
        assert balanced_score([c, c, c, s, s, s]) == pytest.approx(score)
    assert balanced_score([0.2, 0.5, 0.9]) == pytest.approx(
        1 - math.dist([1, 1, 1], [0.2, 0.5, 0.9]) / math.sqrt(3)
    )


def _table() -> dict[str, dict[str, float]]:
    return {
        "even": {"math500": 0.7, "aime24": 0.7, "xstest": 0.7, "donotanswer": 0.7},
        "spiky": {"math500": 0.9, "aime24": 0.9, "xstest": 0.5, "donotanswer": 0.5},
        "lopsided": {"math500": 1.0, "aime24": 1.0, "xstest": 0.0, "donotanswer": 0.0},
        "mixed": {"math500": 0.8, "aime24": 0.7, "xstest": 0.65, "donotanswer": 0.7},
    }


def test_board_ranks_by_libra_score_next_to_the_mean() -> None:
    board = build_board(_table(), DIMENSIONS)
    rows = {row.model: row for row in board.rows}
    assert [row.model for row in board.rows] == ["mixed", "even", "spiky", "lopsided"]
    assert rows["spiky"].dimensions == pytest.approx((0.9, 0.5)) and rows["spiky"].score == pytest.approx(
        0.639, abs=5e-4
    )
    assert rows["even"].mean == rows["spiky"].mean == pytest.approx(0.7)
    # same mean, so the same plain-average rank (2); Libra puts the balanced one ahead
    assert (rows["even"].rank, rows["even"].mean_rank) == (2, 2)
    assert (rows["spiky"].rank, rows["spiky"].mean_rank, rows["spiky"].rank_change) == (3, 2, -1)


def test_board_weights_and_missing_policies() -> None:
    table = _table()
    weighted = build_board(table, DIMENSIONS, weights={"math500": 3.0})
    assert {r.model: r for r in weighted.rows}["mixed"].dimensions[0] == pytest.approx((3 * 0.8 + 0.7) / 4)
    del table["spiky"]["xstest"]
    with pytest.raises(LimkitError, match=r"model 'spiky' has no score for task 'xstest'"):
        build_board(table, DIMENSIONS)
    zero = {r.model: r for r in build_board(table, DIMENSIONS, missing="zero").rows}
    skip = {r.model: r for r in build_board(table, DIMENSIONS, missing="skip").rows}
    assert zero["spiky"].dimensions[1] == pytest.approx(0.25) and skip["spiky"].dimensions[
        1
    ] == pytest.approx(0.5)
    assert build_board(table, DIMENSIONS, missing="skip").filled == (("spiky", "xstest"),)
    with pytest.raises(UsageError, match="no dimension: gpqa"):
        build_board(table, DIMENSIONS, weights={"gpqa": 2.0})


def test_min_max_normalisation_and_its_guards() -> None:
    board = build_board(_table(), DIMENSIONS, normalize="minmax")
    rows = {row.model: row for row in board.rows}
    assert rows["lopsided"].dimensions == pytest.approx((1.0, 0.0))
    assert rows["even"].dimensions == pytest.approx((0.0, 0.7 / 0.7))
    # an affine shift of a dimension's raw scores leaves normalised scores unchanged
    shifted = {
        m: {t: (v * 0.5 + 0.2 if t in ("math500", "aime24") else v) for t, v in s.items()}
        for m, s in _table().items()
    }
    moved = build_board(shifted, DIMENSIONS, normalize="minmax").rows
    assert [v for r in moved for v in r.dimensions] == pytest.approx(
        [v for r in board.rows for v in r.dimensions]
    )
    with pytest.raises(UsageError, match="at least two models"):
        build_board({"even": _table()["even"]}, DIMENSIONS, normalize="minmax")
    flat = {"a": _table()["even"], "b": dict(_table()["even"])}
    with pytest.raises(LimkitError, match=r"every model scores 0\.700 on dimension 'capability'"):
        build_board(flat, DIMENSIONS, normalize="minmax")


def test_min_max_makes_ranks_depend_on_the_pool() -> None:
    pool = {"a": {"c": 0.6, "s": 0.5}, "b": {"c": 0.5, "s": 0.6}, "c": {"c": 0.8, "s": 0.3}}
    dims = (Dimension("capability", ("c",)), Dimension("safety", ("s",)))
    before = [row.model for row in build_board(pool, dims, normalize="minmax").rows]
    after = build_board({**pool, "d": {"c": 0.55, "s": 0.0}}, dims, normalize="minmax").rows
    # d (worst on safety) stretches the safety scale: c overtakes a, whose raw scores did not change
    assert before == ["a", "b", "c"] and [row.model for row in after] == ["c", "a", "b", "d"]
    raw_after = [row.model for row in build_board({**pool, "d": {"c": 0.55, "s": 0.0}}, dims).rows]
    assert [model for model in raw_after if model != "d"] == [r.model for r in build_board(pool, dims).rows]


def test_score_tables_csv_and_json(tmp_path: Path) -> None:
    csv_path = tmp_path / "scores.csv"
    csv_path.write_text("model,math500,xstest\na,0.5,\nb,0.25,1\n")
    assert read_score_table(csv_path) == {"a": {"math500": 0.5}, "b": {"math500": 0.25, "xstest": 1.0}}
    json_path = tmp_path / "scores.json"
    json_path.write_text(json.dumps({"a": {"math500": 0.5, "xstest": None}}))
    assert read_score_table(json_path) == {"a": {"math500": 0.5}}
    csv_path.write_text("model,math500\na,0.5\nb,70\n")
    with pytest.raises(
        LimkitError, match=r"scores.csv:3, field 'math500': model 'b': expected a score in \[0, 1\]"
    ):
        read_score_table(csv_path)
    csv_path.write_text("name,math500\na,0.5\n")
    with pytest.raises(LimkitError, match="`model` column"):
        read_score_table(csv_path)


PROBLEMS = {
    "alpha": [
        ("a1", "What is 2 + 3?", "5", "The answer is \\boxed{5}."),
        ("a2", "What is 6 + 6?", "12", "So \\boxed{13}."),
    ],
    "beta": [("b1", "What is 4 + 4?", "8", "Since 4 + 4 = 8, \\boxed{8}.")],
}
"""Per task: id, problem, gold, and what the solver is fitted to say (alpha 1 of 2 right, beta 1 of 1)."""


@pytest.fixture(scope="module")
def tiny_runs(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Real `limkit eval` runs on two capability-style tasks (no safety task exists yet): a tiny model
    fitted to answer (alpha 0.5, beta 1.0) and the random tiny model (0, 0)."""
    root = tmp_path_factory.mktemp("libra-runs")
    for task, rows in PROBLEMS.items():
        lines = [json.dumps({"id": i, "problem": q, "answer": gold}) for i, q, gold, _ in rows]
        (root / f"{task}.jsonl").write_text("\n".join(lines) + "\n")
    pairs = [(q, said) for rows in PROBLEMS.values() for _, q, _, said in rows]
    solver = fit_tiny_model(tiny_model_dir, root / "solver-model", pairs, steps=200)
    runtime = RuntimeOptions(cache_path=str(root / "cache.sqlite"))
    runs = []
    for name, model in (("solver", solver), ("random", tiny_model_dir)):
        config = EvalConfig(
            backend="hf",
            model=str(model),
            tasks=tuple(str(root / f"{task}.jsonl") for task in PROBLEMS),
            sampling=SamplingOverrides(n=1, temperature=0.0, max_tokens=24),
            system_prompt="",
        )
        run_eval(config, root / name, runtime, log=lambda message: None)
        runs.append(root / name)
    return runs


def test_leaderboard_cli_on_runs_and_a_score_table(
    tiny_runs: list[Path], tmp_path: Path, run_cli: Any
) -> None:
    table = tmp_path / "scores.csv"
    table.write_text(
        "model,alpha,beta,xstest,donotanswer\n"
        "even,0.7,0.7,0.7,0.7\nskewed,1.0,1.0,0.5,0.5\nlopsided,1.0,1.0,0.0,0.0\n"
    )
    out = tmp_path / "board.html"
    dims = ("--dimension", "capability=alpha,beta", "--dimension", "safety=xstest,donotanswer")
    # the runs have no safety tasks: a clear error naming the run's model and the task, and no page
    failed = run_cli("leaderboard", *map(str, tiny_runs), str(table), *dims, "--out", str(out))
    assert failed.code == 1 and "has no score for task 'xstest'" in failed.err and "solver (" in failed.err
    assert not out.exists()
    # the runs' two capability tasks as two dimensions, next to the table's models
    result = run_cli(
        "leaderboard", *map(str, tiny_runs), str(table), "--dimension", "hard=alpha",
        "--dimension", "easy=beta", "--weight", "alpha=2", "--out", str(out),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "solver (" in result.out and "skewed" in result.out
    run_scores = [json.loads((run / "results.json").read_text())["metrics"] for run in tiny_runs]
    assert [(m["alpha"]["avg"], m["beta"]["avg"]) for m in run_scores] == [(0.5, 1.0), (0.0, 0.0)]

    rendered = render(out, tmp_path)
    assert len(rendered.census.images) == 1  # the scatter
    assert int(rendered.census.images[0]["data-natural-width"] or 0) > 100, rendered.census.images
    assert rendered.screenshot_std > 0.05
    cells = PageTables()
    cells.feed(rendered.dom)
    assert cells.headings == ["Leaderboard", "hard against easy", "Task scores", "How to read this board"]
    ((head, *rows),) = cells.headed("rank", "model")
    assert head == ["rank", "model", "hard", "easy", "Libra score", "mean", "rank by mean", "rank change"]
    # (0.5, 1.0) -> 1 - sqrt(0.25 / 2) = 0.646, below even's 0.700 though its mean (0.75) is higher
    assert [(row[0], row[1].split(" ")[0], row[4], row[6], row[7]) for row in rows] == [
        ("1", "lopsided", "1.000", "1", "="),
        ("1", "skewed", "1.000", "1", "="),
        ("3", "even", "0.700", "4", "▲ 1"),
        ("4", "solver", "0.646", "3", "▼ 1"),
        ("5", "random", "0.000", "5", "="),
    ]
    ((task_head, *_),) = cells.headed("model", "hard: alpha (w=2)")
    assert task_head == ["model", "hard: alpha (w=2)", "easy: beta", "hard (raw)", "easy (raw)"]

    # capability vs safety from the table alone: Libra and the mean disagree, and the page shows it
    result = run_cli("leaderboard", str(table), *dims, "--out", str(out))
    assert result.code == 0, result.err
    rendered = render(out, tmp_path)
    cells = PageTables()
    cells.feed(rendered.dom)
    ((_, *rows),) = cells.headed("rank", "model")
    assert [(row[0], row[1], row[-2], row[-1]) for row in rows] == [
        ("1", "even", "2", "▲ 1"),
        ("2", "skewed", "1", "▼ 1"),
        ("3", "lopsided", "3", "="),
    ]
    assert '<tr class="rank-up"><td>1</td><td>even' in rendered.dom
    assert '<tr class="rank-down"><td>2</td><td>skewed' in rendered.dom
    assert int(rendered.census.images[0]["data-natural-width"] or 0) > 100
    # min-max over the pool: the page says the scores depend on who is in it
    result = run_cli("leaderboard", str(table), *dims, "--normalize", "minmax", "--out", str(out))
    assert result.code == 0, result.err
    assert "depend on the pool" in out.read_text()


def test_leaderboard_cli_usage_errors(tmp_path: Path, run_cli: Any) -> None:
    table = tmp_path / "one.json"
    table.write_text(json.dumps({"solo": {"math500": 0.5, "xstest": 0.5, "aime24": 0.1, "donotanswer": 1}}))
    out = tmp_path / "board.html"
    result = run_cli(
        "leaderboard", str(table), *CAPABILITY_SAFETY, "--normalize", "minmax", "--out", str(out)
    )
    assert result.code == 2 and "needs at least two models" in result.err and not out.exists()
    result = run_cli("leaderboard", str(table), "--dimension", "capability", "--out", str(out))
    assert result.code == 2 and "expected NAME=task1,task2" in result.err
    result = run_cli("leaderboard", str(table), *CAPABILITY_SAFETY, "--missing", "maybe")
    assert result.code == 2 and "--missing 'maybe'" in result.err
