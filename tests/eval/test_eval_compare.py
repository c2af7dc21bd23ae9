"""`limkit report` comparisons on real runs: a tiny model fitted to be right on known problems against the
random one. Runs are ranked only within one protocol (and the settings that differ are named), two runs of
one protocol get per-task paired differences, runs sharing no task sit side by side, unfinished runs are
marked partial, and the failure browser filters samples in headless Chromium."""

from __future__ import annotations

import json
import shutil
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from browser import PageTables, chromium
from fitting import fit_tiny_model
from limkit.eval import (
    EvalConfig,
    RuntimeOptions,
    SamplingOverrides,
    bootstrap_interval,
    read_samples,
    run_eval,
)

PROBLEMS = {
    "alpha": [
        ("a1", "What is 2 + 3?", "5", "The answer is \\boxed{5}."),
        ("a2", "What is 6 + 6?", "12", "The answer is \\boxed{13}."),
    ],
    "beta": [("b1", "What is 4 + 4?", "8", "Since 4 + 4 = 8, \\boxed{8}.")],
    "gamma": [("g1", "Name the colour of the sky.", "blue", "The sky is \\boxed{green}.")],
}
"""Per task: id, problem, gold, and what the solver is fitted to say (right on a1 and b1, wrong elsewhere)."""


@pytest.fixture(scope="module")
def runs(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("compare")
    for task, rows in PROBLEMS.items():
        lines = [
            json.dumps(
                {"id": i, "problem": q, "answer": gold, "answer_type": "OT" if task == "gamma" else None}
            )
            for i, q, gold, _ in rows
        ]
        (root / f"{task}.jsonl").write_text("\n".join(lines) + "\n")
    pairs = [(q, said) for rows in PROBLEMS.values() for _, q, _, said in rows]
    solver = fit_tiny_model(tiny_model_dir, root / "solver-model", pairs, steps=200)
    runtime = RuntimeOptions(cache_path=str(root / "cache.sqlite"))
    files = tuple(str(root / f"{task}.jsonl") for task in ("alpha", "beta"))
    greedy = SamplingOverrides(n=1, temperature=0.0, max_tokens=24)

    def run(name: str, model: Path, tasks: tuple[str, ...], sampling: SamplingOverrides = greedy) -> Path:
        config = EvalConfig(
            backend="hf",
            model=str(model),
            tasks=tasks,
            sampling=sampling,
            system_prompt="",
            fields=(("answer_type", "answer_type"),),
        )
        run_eval(config, root / name, runtime, log=lambda message: None)
        return root / name

    made = {
        "solver": run("solver", solver, files),
        "base": run("base", tiny_model_dir, files),
        "sampled": run(
            "sampled", tiny_model_dir, files, SamplingOverrides(n=2, temperature=0.8, max_tokens=24)
        ),
        "gamma": run("gamma", tiny_model_dir, (str(root / "gamma.jsonl"),)),
    }
    made["root"] = root
    made["solver_model"] = solver
    return made


def _report(run_cli: Any, out: Path, *runs: Path) -> tuple[PageTables, str]:
    result = run_cli("report", *map(str, runs), "--out", str(out))
    assert result.code == 0, result.err
    page = PageTables()
    page.feed(out.read_text())
    return page, result.err


def _scores(run: Path, task: str) -> dict[str, float]:
    outcomes: dict[str, list[bool]] = {}
    for row in read_samples(run):
        if row["task"] == task:
            outcomes.setdefault(row["id"], []).append(row["correct"])
    return {key: sum(values) / len(values) for key, values in outcomes.items()}


def test_the_fitted_solver_is_right_where_it_was_taught(runs: dict[str, Path]) -> None:
    assert _scores(runs["solver"], "alpha") == {"a1": 1.0, "a2": 0.0}
    assert _scores(runs["solver"], "beta") == {"b1": 1.0}


def test_runs_with_different_protocols_are_ranked_apart_naming_what_differs(
    runs: dict[str, Path], tmp_path: Path, run_cli: Any
) -> None:
    page, err = _report(run_cli, tmp_path / "r.html", runs["solver"], runs["base"], runs["sampled"])
    assert "different protocols, so they are ranked in 2 separate groups" in err
    assert "alpha.params.n: 1 (solver), 1 (base), 2 (sampled)" in err
    boards = page.headed("rank")
    assert [[row[1].split(" ")[0] for row in rows[1:]] for rows in boards] == [
        ["solver", "base"],
        ["sampled"],
    ]
    assert "Leaderboard, protocol group 2" in page.headings
    ((_, *settings),) = page.headed("setting", "solver (solver-model)")
    differing = {row[0]: row[1:] for row in settings}
    assert differing["alpha.params.n"] == ["1", "1", "2"]
    assert differing["beta.params.temperature"] == ["0.0", "0.0", "0.8"]
    assert not any(name.startswith(("alpha.data_sha256", "alpha.prompt")) for name in differing)
    page, err = _report(run_cli, tmp_path / "same.html", runs["solver"], runs["base"])
    assert (
        "Protocols differ" not in page.headings and "Leaderboard" in page.headings and "protocols" not in err
    )


def test_paired_differences_per_task_with_a_bootstrap_interval(
    runs: dict[str, Path], tmp_path: Path, run_cli: Any
) -> None:
    page, _ = _report(run_cli, tmp_path / "r.html", runs["solver"], runs["base"], runs["sampled"])
    ((header, *rows),) = page.headed("task", "run A", "run B")
    assert header[-2:] == ["95% CI (paired bootstrap)", "problems"]
    assert [row[:3] for row in rows] == [
        ["alpha", "solver (solver-model)", "base (model)"],
        ["beta", "solver (solver-model)", "base (model)"],
    ]  # never across protocols: `sampled` is in no pair
    for task, row in zip(("alpha", "beta"), rows, strict=True):
        left, right = _scores(runs["solver"], task), _scores(runs["base"], task)
        deltas = [left[key] - right[key] for key in sorted(left)]
        low, high = bootstrap_interval(deltas)
        assert float(row[5]) == pytest.approx(sum(deltas) / len(deltas), abs=5e-4)
        assert row[6] == f"[{low:.3f}, {high:.3f}]" and row[7] == str(len(deltas))
    assert float(rows[1][5]) == pytest.approx(1.0 - _scores(runs["base"], "beta")["b1"])


def test_runs_sharing_no_task_are_side_by_side_without_a_leaderboard(
    runs: dict[str, Path], tmp_path: Path, run_cli: Any
) -> None:
    page, err = _report(run_cli, tmp_path / "r.html", runs["solver"], runs["gamma"])
    assert "the runs share no task: shown side by side, not ranked" in err
    assert not page.headed("rank") and not any(h.startswith("Leaderboard") for h in page.headings)
    ((header, *rows),) = page.headed("task", "solver (solver-model)")
    assert header == ["task", "solver (solver-model)", "gamma (model)"]
    cells = {row[0]: row[1:] for row in rows}
    assert cells["alpha"][0].startswith("0.500 [") and cells["alpha"][1] == "—"
    assert cells["gamma"][0] == "—" and cells["gamma"][1].endswith("(1 × n=1)")


def test_unfinished_runs_are_recorded_and_reported_as_partial(
    runs: dict[str, Path], tmp_path: Path, run_cli: Any
) -> None:
    root = runs["root"]
    failed = tmp_path / "failed"
    result = run_cli(
        "eval",
        "--model",
        str(runs["solver_model"]),
        "--tasks",
        str(root / "gamma.jsonl"),
        "--fields",
        "answer_type=answer_type",
        "--system-prompt",
        "",
        "--temperature",
        "0",
        "--max-tokens",
        "24",
        "--judge-model",
        "judge",
        "--judge-base-url",
        "http://127.0.0.1:9/v1",
        "--out",
        str(failed),
        "--cache",
        str(tmp_path / "c.sqlite"),
    )  # the solver's "green" needs the judge (answer type OT), whose server is down
    assert result.code == 1 and "cannot reach the OpenAI-compatible server" in result.err
    stored = json.loads((failed / "results.json").read_text())
    assert stored["status"] == "failed" and "cannot reach" in stored["sessions"][-1]["error"]

    killed = tmp_path / "killed"  # what SIGKILL leaves: status "running", some rows, no metrics
    shutil.copytree(runs["solver"], killed)
    results = json.loads((killed / "results.json").read_text())
    results = {key: results[key] for key in ("format", "protocol")} | {"status": "running", "sessions": []}
    (killed / "results.json").write_text(json.dumps(results))
    lines = (killed / "samples.jsonl").read_text().splitlines(keepends=True)
    first = json.loads(lines[0])
    (killed / "samples.jsonl").write_text(lines[0])

    page, err = _report(run_cli, tmp_path / "r.html", killed, failed, runs["base"])
    assert "killed (solver-model) is unfinished (status running, 1 of 3 samples graded)" in err
    assert "failed (solver-model) is unfinished (status failed, 0 of 1 samples graded)" in err
    assert (
        "Run killed (solver-model) (partial)" in page.headings
        and "Run failed (solver-model) (partial)" in page.headings
    )
    assert [[row[1] for row in rows[1:]] for rows in page.headed("rank")] == [
        ["base (model)"]
    ]  # never ranked
    ((_, *side),) = page.headed("task", "killed (solver-model) (partial)")
    expected = "1.000" if first["correct"] else "0.000"
    assert {row[0]: row[1][:5] for row in side}[first["task"]] == expected


class _Browser(HTMLParser):
    """The failure browser's listed rows and its detail pane, as Chromium left them."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.detail: dict[str, str] = {}
        self.shown: str | None = None
        self._where: str | None = None
        self._title = ""
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr" and found.get("class") == "sample":
            self.rows.append([])
            self._where = "row"
        elif tag == "td" and self._where == "row":
            self._text = []
        elif tag == "div" and found.get("id") == "browser-detail":
            self._where, self.shown = "detail", found.get("data-shown")
        elif tag in ("h3", "pre") and self._where == "detail":
            self._text = []

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._where == "row":
            self.rows[-1].append("".join(self._text))
        elif tag == "tr" and self._where == "row":
            self._where = None
        elif tag == "h3" and self._where == "detail":
            self._title = "".join(self._text)
        elif tag == "pre" and self._where == "detail":
            self.detail[self._title] = "".join(self._text)
        elif tag == "div" and self._where == "detail":
            self._where = None


def _browse(page: Path, work: Path, **filters: str) -> _Browser:
    address = page.as_uri() + "#" + urllib.parse.urlencode(filters)
    dumped = chromium("--dump-dom", address, user_data=work / f"profile-{len(filters)}-{sorted(filters)}")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    found = _Browser()
    found.feed(dumped.stdout)
    return found


def test_failure_browser_filters_samples_and_shows_one(
    runs: dict[str, Path], tmp_path: Path, run_cli: Any
) -> None:
    out = tmp_path / "r.html"
    _report(run_cli, out, runs["solver"], runs["sampled"])
    rows = {name: read_samples(runs[name]) for name in ("solver", "sampled")}
    everything = _browse(out, tmp_path)
    assert len(everything.rows) == len(rows["solver"]) + len(rows["sampled"]) == 3 + 6
    for label in ("solver (solver-model)", "sampled (model)"):
        flags = [row[5] for row in everything.rows if row[0] == label]
        assert flags == sorted(flags)  # failures ("no") first

    wrong = _browse(out, tmp_path, run="solver (solver-model)", task="alpha", correct="incorrect")
    assert [(row[0], row[1], row[2], row[5]) for row in wrong.rows] == [
        ("solver (solver-model)", "alpha", "a2", "no")
    ]
    (a2,) = [row for row in rows["solver"] if row["id"] == "a2"]
    assert wrong.shown == "solver (solver-model)/alpha/a2/0"
    assert wrong.detail["completion"] == a2["completion"] and "\\boxed{13}" in a2["completion"]
    assert wrong.detail["gold"] == "12" and wrong.detail["extracted answer"] == "13"
    assert "What is 6 + 6?" in wrong.detail["prompt"]

    right = _browse(out, tmp_path, correct="correct", status="correct", open="1")
    expected = sorted(r["id"] for name in rows for r in rows[name] if r["status"] == "correct")
    assert sorted(row[2] for row in right.rows) == expected and {"a1", "b1"} <= set(expected)
    assert right.shown is not None and right.shown.endswith(f"/{right.rows[1][2]}/0")
    (b1,) = [row for row in rows["solver"] if row["id"] == "b1"]
    source = b1.get("answer_source") or "not recorded"
    by_source = _browse(out, tmp_path, source=source, task="beta", run="solver (solver-model)")
    assert [(row[2], row[7]) for row in by_source.rows] == [("b1", source)]
