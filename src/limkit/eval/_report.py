"""`limkit report`: one self-contained HTML page for one or more runs, with a balanced-score leaderboard.

Runs are ranked by Libra-Leaderboard's balanced score 1 - sqrt(mean_i (1 - s_i)^2) over the chosen
dimensions (tasks, scored by avg@n), shown next to the plain mean: a model strong on one task and weak on
another ranks below one that is even at the same mean. Only runs made with the same protocol are ranked
together (`_compare`): others get their own group, and the settings that differ are listed. Two runs of
one group get per-task paired differences. Unfinished runs are shown, marked partial, and never ranked;
runs sharing no task are shown side by side. A failure browser lists every sample (`_browser`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from limkit.errors import LimkitError
from limkit.eval._browser import browser_section
from limkit.eval._compare import paired_difference, problem_scores, protocol_differences, protocol_groups
from limkit.eval._config import thinking_budgets
from limkit.eval._libra import balanced_score
from limkit.eval._process_page import process_sections
from limkit.eval._runfiles import read_results, read_samples
from limkit.eval._summary import summarize

METRIC_NOTES = (
    "avg@n: mean over problems of the share of a problem's n samples graded correct; ± is its standard "
    "error over problems, and its 95% interval is the Wilson score interval with the number of problems as "
    "the sample size (valid at 0% and 100%; conservative for n > 1). Paired differences between two runs "
    "use a percentile bootstrap over the problems both scored (2,000 resamples, seed 0). pass@k: unbiased "
    "estimator 1 - C(n-c,k)/C(n,k). maj@k: majority vote over the first k samples' normalised answers, "
    "ties to the earliest answer, no answer counts as wrong. Shares count samples: no answer extracted, "
    "grader timeout, input over the grader's limits, unreadable gold, and truncated (the backend stopped "
    "at max_tokens). Under budget forcing, thinking and answer tokens are counted apart: the thinking "
    "budget caps the first, --max-answer-tokens the second. Mean tokens are per sample; tokens per "
    "problem sum a problem's n samples (what maj@n costs), averaged over problems."
)


@dataclass(frozen=True)
class RunInfo:
    """One run directory as the report reads it: its results and its graded samples."""

    path: Path
    results: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list, compare=False)

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.results["protocol"]["config"])

    @property
    def label(self) -> str:
        model = str(self.config.get("model", "?")).rstrip("/")
        return f"{self.path.name} ({model.rsplit('/', 1)[-1]})"

    @property
    def complete(self) -> bool:
        return self.results.get("status") == "complete"

    @property
    def expected_samples(self) -> int:
        """Samples the protocol asks for: problems x n x thinking budgets, over every task."""
        budgets = max(1, len(thinking_budgets(self.config)))
        tasks = self.results["protocol"]["tasks"].values()
        return sum(int(task["samples"]) * int(task["params"]["n"]) * budgets for task in tasks)

    @property
    def progress(self) -> str:
        """`status, graded of expected samples`, for marking an unfinished run."""
        return (
            f"status {self.results.get('status')}, {len(self.rows)} of {self.expected_samples} samples graded"
        )

    def score(self, task: str) -> float | None:
        metrics = self.results.get("metrics", {}).get(task)
        return float(metrics["avg"]) if metrics and metrics.get("problems") else None


def load_runs(run_dirs: Sequence[str | Path]) -> list[RunInfo]:
    """Reads each run; an unfinished one (running, failed, interrupted) gets metrics of what it graded."""
    if not run_dirs:
        raise LimkitError("give at least one run directory", field="run_dirs")
    runs = []
    for run_dir in run_dirs:
        path = Path(run_dir)
        results = read_results(path)
        if results is None:
            raise LimkitError("no results.json: not a limkit run directory", path=path)
        rows = read_samples(path)
        if results.get("status") != "complete" or "metrics" not in results:
            tasks = list(results["protocol"]["tasks"])
            results = {**results, **summarize(rows, tasks, thinking_budgets(results["protocol"]["config"]))}
        runs.append(RunInfo(path, results, rows))
    return runs


def choose_dimensions(runs: Sequence[RunInfo], dimensions: Sequence[str] | None) -> list[str]:
    """The tasks to rank on: the given ones (every run must have them), else those all runs share."""
    if dimensions:
        for run in runs:
            for task in dimensions:
                if run.score(task) is None:
                    raise LimkitError(
                        f"run has no score for dimension {task!r}", path=run.path, field="dimensions"
                    )
        return list(dimensions)
    if not runs:
        return []
    return [task for task in runs[0].results["metrics"] if all(run.score(task) is not None for run in runs)]


def leaderboard(runs: Sequence[RunInfo], dimensions: Sequence[str]) -> list[dict[str, Any]]:
    """Rows sorted by balanced score (ties: plain mean, then label)."""
    rows: list[dict[str, Any]] = []
    for run in runs:
        scores = [run.score(task) or 0.0 for task in dimensions]
        rows.append(
            {
                "run": run.label,
                "scores": scores,
                "mean": sum(scores) / len(scores),
                "balanced": balanced_score(scores),
            }
        )
    rows.sort(key=lambda row: (-row["balanced"], -row["mean"], row["run"]))
    return rows


def build_report(run_dirs: Sequence[str | Path], dimensions: Sequence[str] | None = None) -> str:
    """The HTML page for the given runs."""
    page, _ = _assemble(load_runs(run_dirs), dimensions)
    return page


def write_report(
    run_dirs: Sequence[str | Path],
    out: str | Path,
    dimensions: Sequence[str] | None = None,
    *,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Writes the page atomically; `log` receives what a reader must know (partial runs, split rankings)."""
    from limkit.data import atomic_write_text

    page, notes = _assemble(load_runs(run_dirs), dimensions)
    atomic_write_text(out, page)
    for note in notes if log else ():
        log(note)  # type: ignore[misc]
    return Path(out)


def _assemble(runs: list[RunInfo], dimensions: Sequence[str] | None) -> tuple[str, list[str]]:
    """The page and the notes about it: partial runs are shown but never ranked; runs are ranked only
    against runs with the same protocol; runs sharing no task are shown side by side."""
    from limkit import html

    ranked = [run for run in runs if run.complete]
    notes = [
        f"{run.label} is unfinished ({run.progress}): shown as partial, not ranked"
        for run in runs
        if not run.complete
    ]
    sections = []
    if len(runs) > 1:
        sections.append(_side_by_side(runs))
    chosen = choose_dimensions(ranked, dimensions)
    if chosen:
        groups = [
            [ranked[i] for i in group] for group in protocol_groups([r.results for r in ranked], chosen)
        ]
        if len(groups) > 1:
            differences = protocol_differences([run.results for run in ranked], chosen)
            notes.append(
                f"the runs were made with different protocols, so they are ranked in {len(groups)} separate "
                "groups; differs: "
                + "; ".join(_difference_text(name, values, ranked) for name, values in differences[:4])
            )
            sections.append(_protocols_section(ranked, differences))
        for number, group in enumerate(groups, 1):
            sections.append(_leaderboard_section(group, chosen, number if len(groups) > 1 else None))
        pairs = _pairs_section(groups, chosen)
        if pairs:
            sections.append(pairs)
    elif len(ranked) > 1:
        notes.append("the runs share no task: shown side by side, not ranked")
    sections.extend(_run_section(run) for run in runs)
    sections.extend(process_sections([(run.label, run.path) for run in runs]))
    sections.append(browser_section([(run.label, run.rows) for run in runs]))
    sections.append(html.section("How to read these numbers", html.paragraph(METRIC_NOTES, "note")))
    title = "limkit evaluation report" if len(runs) > 1 else f"limkit evaluation: {runs[0].label}"
    return html.page(title, sections), notes


def _difference_text(name: str, values: list[Any], runs: Sequence[RunInfo]) -> str:
    return f"{name}: " + ", ".join(
        f"{_short(value)} ({run.path.name})" for value, run in zip(values, runs, strict=True)
    )


def _short(value: Any, limit: int = 60) -> str:
    text = (
        json.dumps(value, ensure_ascii=False, sort_keys=True)
        if isinstance(value, dict | list)
        else str(value)
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _side_by_side(runs: Sequence[RunInfo]) -> str:
    """Every task of every run, avg@n with its interval; nothing is ranked here."""
    from limkit import html

    tasks: list[str] = []
    for run in runs:
        tasks.extend(task for task in run.results["metrics"] if task not in tasks)
    rows = []
    for task in tasks:
        cells = []
        for run in runs:
            metrics = run.results["metrics"].get(task)
            if not metrics or not metrics.get("problems"):
                cells.append("—")
                continue
            low, high = metrics["ci95"]
            cells.append(
                f"{metrics['avg']:.3f} [{low:.3f}, {high:.3f}] ({metrics['problems']} × n={metrics['n']})"
            )
        rows.append([task, *cells])
    labels = [run.label + ("" if run.complete else " (partial)") for run in runs]
    return html.section(
        "Runs side by side",
        html.table(["task", *labels], rows, caption="avg@n [95% Wilson interval] (problems × samples)"),
        html.paragraph(
            "A dash: the run has no samples of that task. Only runs with the same protocol are ranked.",
            "note",
        ),
    )


def _protocols_section(runs: Sequence[RunInfo], differences: list[tuple[str, list[Any]]]) -> str:
    from limkit import html

    rows = [[name, *(_short(value) for value in values)] for name, values in differences]
    return html.section(
        "Protocols differ",
        html.paragraph(
            "These runs were not made with the same protocol, so ranking them together would compare "
            "different measurements. Each group of runs with one protocol is ranked on its own.",
            "note",
        ),
        html.table(["setting", *(run.label for run in runs)], rows, caption="settings that differ"),
    )


def _leaderboard_section(runs: Sequence[RunInfo], dimensions: Sequence[str], group: int | None) -> str:
    from limkit import html

    rows = leaderboard(runs, dimensions)
    table = html.table(
        ["rank", "run", *dimensions, "mean", "balanced"],
        [
            [rank, row["run"], *row["scores"], row["mean"], row["balanced"]]
            for rank, row in enumerate(rows, 1)
        ],
        caption="avg@n per task; ranked by balanced score 1 - sqrt(mean (1 - s)^2)",
    )
    note = html.paragraph(
        "The balanced score (Libra-Leaderboard) penalises uneven strength: scores (0.5, 0.5) give 0.5, "
        "(0.9, 0.1) give 0.36, though both average 0.5.",
        "note",
    )
    heading = "Leaderboard" if group is None else f"Leaderboard, protocol group {group}"
    return html.section(heading, table, note)


def _pairs_section(groups: Sequence[Sequence[RunInfo]], dimensions: Sequence[str]) -> str | None:
    """Per task, A − B for every two runs of one protocol group, over the problems both scored."""
    from limkit import html

    rows = []
    for group in groups:
        for a, left in enumerate(group):
            budgets = thinking_budgets(left.config)
            budget = max(budgets) if budgets else None
            for right in group[a + 1 :]:
                for task in dimensions:
                    found = paired_difference(
                        task,
                        problem_scores(left.rows, task, budget),
                        problem_scores(right.rows, task, budget),
                    )
                    if found is not None:
                        rows.append(
                            [
                                task,
                                left.label,
                                right.label,
                                found.left,
                                found.right,
                                found.mean,
                                f"[{found.low:.3f}, {found.high:.3f}]",
                                found.problems,
                            ]
                        )
    if not rows:
        return None
    table = html.table(
        ["task", "run A", "run B", "A", "B", "A − B", "95% CI (paired bootstrap)", "problems"],
        rows,
        caption="paired differences in avg@n over the problems both runs scored",
    )
    note = html.paragraph(
        "Each problem's score is the share of its samples graded correct; the interval resamples problems, "
        "keeping each problem's pair together. An interval that covers 0 shows no difference.",
        "note",
    )
    return html.section("Paired differences", table, note)


def _run_section(run: RunInfo) -> str:
    from limkit import html

    parts = []
    if not run.complete:
        parts.append(
            html.paragraph(
                f"Partial: this run is unfinished ({run.progress}); its numbers cover only what was "
                "graded. Rerun its `limkit eval` command to finish it.",
                "warning",
            )
        )
    parts.extend(
        html.paragraph(f"Warning: {warning['message']}", "warning")
        for warning in run.results.get("warnings", [])
    )
    parts.extend([_config_table(run), _metrics_table(run), _pass_figure(run)])
    sweep = run.results.get("budget_sweep")
    if sweep:
        parts.append(_sweep_table(sweep))
        parts.append(_sweep_figure(sweep))
    heading = f"Run {run.label}" + ("" if run.complete else " (partial)")
    return html.section(heading, *parts)


def _config_table(run: RunInfo) -> str:
    from limkit import html

    config = run.config
    sampling = config.get("sampling", {})
    versions = run.results.get("versions", {})
    rows = [
        ["run directory", str(run.path)],
        ["backend / model", f"{config.get('backend')} / {config.get('model')}"],
        ["tasks", ", ".join(config.get("tasks", []))],
        [
            "sampling overrides",
            ", ".join(f"{k}={v}" for k, v in sampling.items() if v is not None) or "presets",
        ],
        ["budget forcing", _describe_budget(config)],
        [
            "grader",
            f"timeout {config.get('grader', {}).get('timeout')} s, judge: {config.get('judge') or 'none'}",
        ],
        ["versions", ", ".join(f"{k} {v}" for k, v in versions.items())],
    ]
    per_task = run.results["protocol"]["tasks"]
    for name, described in per_task.items():
        params = described["params"]
        rows.append(
            [
                f"{name} protocol",
                f"{described['samples']} problems from {described['source']}; n={params['n']}, "
                f"T={params['temperature']}, top_p={params['top_p']}, max_tokens={params['max_tokens']}, "
                f"seed={params['seed']}",
            ]
        )
    return html.table(["setting", "value"], rows, caption="protocol")


def _describe_budget(config: dict[str, Any]) -> str:
    budget = config.get("budget")
    if not budget:
        return "off"
    caps = ", ".join(str(cap) for cap in thinking_budgets(config))
    return (
        f"thinking cap {caps} tokens, min {budget['min_thinking_tokens']}, "
        f"suppress end {budget['num_waits']}x with {budget['wait']!r}"
    )


def _metrics_table(run: RunInfo) -> str:
    from limkit import html

    rows = []
    for task, metrics in run.results["metrics"].items():
        if not metrics.get("problems"):
            rows.append([task, 0] + [""] * 14)
            continue
        n = str(metrics["n"])
        shares = metrics["shares"]
        low, high = metrics["ci95"]
        rows.append(
            [
                task,
                metrics["problems"],
                metrics["n"],
                metrics["avg"],
                metrics["stderr"],
                f"[{low:.3f}, {high:.3f}]",
                metrics["pass_at_k"]["1"]["value"],
                metrics["pass_at_k"][n]["value"],
                metrics["maj_at_k"][n]["value"],
                shares["no_answer"]["share"],
                shares["timeout"]["share"],
                shares["over_limit"]["share"],
                shares["unparseable_gold"]["share"],
                shares["truncated"]["share"],
                metrics["lengths"]["completion_tokens_mean"],
                metrics["lengths"].get("completion_tokens_per_problem", ""),
            ]
        )
    columns = [
        "task",
        "problems",
        "n",
        "avg@n",
        "± se",
        "95% CI",
        "pass@1",
        "pass@n",
        "maj@n",
        "no answer",
        "timeout",
        "over limit",
        "bad gold",
        "truncated",
        "mean tokens",
        "tokens per problem (n samples)",
    ]
    return html.table(columns, rows, caption="per-task metrics (shares are of samples)")


def _pass_figure(run: RunInfo) -> str:
    from limkit import html

    fig, axes = html.new_figure()
    for task, metrics in run.results["metrics"].items():
        if not metrics.get("problems"):
            continue
        ks = sorted(int(k) for k in metrics["pass_at_k"])
        line = axes.plot(
            ks, [metrics["pass_at_k"][str(k)]["value"] for k in ks], marker="o", label=f"{task} pass@k"
        )
        axes.plot(
            ks,
            [metrics["maj_at_k"][str(k)]["value"] for k in ks],
            linestyle="--",
            marker="x",
            color=line[0].get_color(),
            label=f"{task} maj@k",
        )
    from matplotlib.ticker import MaxNLocator

    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("k (samples)")
    axes.set_ylabel("accuracy")
    axes.set_ylim(-0.02, 1.02)
    axes.set_title("pass@k (solid) and maj@k (dashed)")
    if axes.get_legend_handles_labels()[0]:
        axes.legend(fontsize="small")
    return html.figure(fig, "pass@k and maj@k curves per task")


def _sweep_table(sweep: dict[str, list[dict[str, Any]]]) -> str:
    from limkit import html

    rows = [
        [
            task,
            p["budget"],
            p["avg"],
            "[{:.3f}, {:.3f}]".format(*p.get("ci95", (0.0, 1.0))),
            p["thinking_tokens_mean"],
            p.get("answer_tokens_mean", ""),
            p["completion_tokens_mean"],
            p["waits_mean"],
            p["truncated_share"],
        ]
        for task, points in sweep.items()
        for p in points
    ]
    return html.table(
        [
            "task",
            "thinking budget",
            "accuracy",
            "95% CI",
            "mean thinking tokens",
            "mean answer tokens",
            "mean tokens (both)",
            "mean waits",
            "truncated",
        ],
        rows,
        caption="token-budget sweep",
    )


def _sweep_figure(sweep: dict[str, list[dict[str, Any]]]) -> str:
    from limkit import html

    fig, axes = html.new_figure()
    for task, points in sweep.items():
        xs = [p["completion_tokens_mean"] for p in points]
        axes.plot(xs, [p["avg"] for p in points], marker="o", label=task)
        for x, p in zip(xs, points, strict=True):
            axes.annotate(
                str(p["budget"]), (x, p["avg"]), textcoords="offset points", xytext=(3, 4), fontsize="x-small"
            )
    axes.set_xlabel("mean tokens used per sample")
    axes.set_ylabel("accuracy (avg@n)")
    axes.set_ylim(-0.02, 1.02)
    axes.set_title("accuracy against tokens used (labels: thinking budget)")
    axes.legend(fontsize="small")
    return html.figure(fig, "accuracy against tokens used for each thinking budget")
