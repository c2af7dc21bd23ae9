"""The run's final files: kept.jsonl, dropped.jsonl, stats.json and report.html, all written atomically.

They are assembled from the step shards only after every step finished (in parallel parts, see
`_final_parts`), so a killed run never leaves a partial `kept.jsonl` behind; the assembly also proves the
central promise: every input record is in exactly one of the two files.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from limkit import html
from limkit.curate._executor import Executor, step_context
from limkit.curate._final_parts import FINAL_DIR, Part, join_parts, part_ids, plan_parts
from limkit.curate._ids import repeated_ids
from limkit.curate._jobs import FINALIZE_MARKER, PREPARE_MARKER, Job, read_marker, shard_markers
from limkit.curate._pipeline import Pipeline
from limkit.curate._progress import stage_progress
from limkit.curate._realign._report import realign_sections
from limkit.curate._record import Record
from limkit.data import atomic_write_text, atomic_writer
from limkit.errors import LimkitError


@dataclass
class PassCounts:
    """One difficulty step's pass counts, split by that step's own decision (not the final outcome)."""

    model: str
    n: int = 0
    window: list[float] | None = None
    kept: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)

    def title(self, key: str) -> str:
        return self.model if key == self.model else f"{self.model} (pass_counts.{key})"

    def summary(self, key: str) -> str:
        window = f" (window {self.window[0]:g}..{self.window[1]:g} passes)" if self.window else ""
        return (
            f"{self.title(key)}: {len(self.kept)} problems kept and {len(self.dropped)} dropped by this step"
            f"{window}, out of {self.n} samples each."
        )


class Observations:
    """What the report plots, gathered while the records stream past once."""

    def __init__(self) -> None:
        self.pass_counts: dict[str, PassCounts] = {}
        self.scores: list[tuple[float, bool]] = []

    def see(self, record: Record, kept: bool) -> None:
        for key, count in (record.get("pass_counts") or {}).items():
            if isinstance(count, dict) and "passes" in count:
                self._see_count(str(key), count, kept)
        score = record.get("score")
        if isinstance(score, int | float):
            self.scores.append((float(score), kept))

    def merge(self, later: Observations) -> None:
        """Adds what `later` saw after everything this one saw, as if one object had seen both."""
        for key, theirs in later.pass_counts.items():
            mine = self.pass_counts.get(key)
            if mine is None:
                self.pass_counts[key] = theirs
                continue
            mine.n = max(mine.n, theirs.n)
            mine.window = theirs.window or mine.window
            mine.kept.extend(theirs.kept)
            mine.dropped.extend(theirs.dropped)
        self.scores.extend(later.scores)

    def _see_count(self, key: str, count: dict[str, Any], kept: bool) -> None:
        counts = self.pass_counts.setdefault(key, PassCounts(model=str(count.get("model") or key)))
        counts.n = max(counts.n, int(count["n"]))
        counts.window = count.get("window") or counts.window
        # Records written before steps recorded their own decision fall back to the final outcome.
        step_kept = count["kept"] if isinstance(count.get("kept"), bool) else kept
        (counts.kept if step_kept else counts.dropped).append(int(count["passes"]))


def write_outputs(
    pipeline: Pipeline, out_dir: Path, executor: Executor, walls: list[float], seconds: float
) -> dict[str, Any]:
    work = out_dir / "work"
    labels = pipeline.labels
    parts = plan_parts(work, labels)
    _write_parts(pipeline, out_dir, executor, parts)
    with (
        atomic_writer(out_dir / "kept.jsonl") as kept_file,
        atomic_writer(out_dir / "dropped.jsonl") as dropped_file,
    ):
        joined = join_parts(parts, kept_file, dropped_file)
        repeats = repeated_ids(part_ids(parts), joined.hashes)
        if repeats:
            raise LimkitError(f"internal error: record {repeats[0]!r} would appear twice in the outputs")
    kept, dropped = joined.kept, joined.dropped
    observed = Observations()
    for part_observations in joined.observations:
        observed.merge(part_observations)
    steps = [_step_stats(pipeline, index, work / label, walls[index]) for index, label in enumerate(labels)]
    records_in = steps[0]["in"]
    if kept + dropped != records_in:
        raise LimkitError(f"internal error: {records_in} input records but {kept} kept + {dropped} dropped")
    stats = {
        "name": pipeline.name,
        "recipe": pipeline.origin,
        "input": records_in,
        "kept": kept,
        "dropped": dropped,
        "seconds": round(seconds, 3),
        "executor": executor.describe(),
        "steps": steps,
    }
    atomic_write_text(out_dir / "stats.json", json.dumps(stats, indent=2, ensure_ascii=False) + "\n")
    _write_report(out_dir / "report.html", stats, observed)
    return stats


def _write_parts(pipeline: Pipeline, out_dir: Path, executor: Executor, parts: list[Part]) -> None:
    """Runs the part jobs that have no marker yet, on the run's executor, under one progress bar."""
    index = len(pipeline.labels) - 1
    context = step_context(pipeline, index, out_dir)
    todo = [part for part in parts if not part.marker.is_file()]
    jobs = [Job("output", pipeline.steps[index], index, context, part=part) for part in todo]
    total = sum(part.records for part in parts)
    folder = out_dir / "work" / FINAL_DIR
    with stage_progress("final files", total, folder, "part-", [part.name for part in todo]):
        executor.map(jobs)


def _step_stats(pipeline: Pipeline, index: int, step_dir: Path, wall: float) -> dict[str, Any]:
    step = pipeline.steps[index]
    markers = shard_markers(step_dir)
    prepare = read_marker(step_dir, PREPARE_MARKER)
    finalize = read_marker(step_dir, FINALIZE_MARKER)
    reasons: Counter[str] = Counter()
    counters: Counter[str] = Counter(prepare.get("counters", {}))
    notes: dict[str, Any] = dict(prepare.get("notes", {}))
    for marker in markers:
        reasons.update(marker["reasons"])
        counters.update(marker["counters"])
        notes.update(marker["notes"])
    counters.update(finalize.get("counters", {}))
    notes.update(finalize.get("notes", {}))
    return {
        "index": index,
        "step": step.step_name,
        "label": pipeline.labels[index],
        "key": pipeline.key(index),
        "options": step.options(),
        "in": sum(int(m["records_in"]) for m in markers),
        "kept": sum(int(m["kept"]) for m in markers),
        "dropped": sum(int(m["dropped"]) for m in markers),
        "reasons": dict(reasons.most_common()),
        "shards": len(markers),
        "seconds": {
            "prepare": prepare.get("seconds", 0.0),
            "shards": round(sum(float(m["seconds"]) for m in markers), 4),
            "finalize": finalize.get("seconds", 0.0),
            "wall_this_run": round(wall, 4),
        },
        "counters": {key: _number(value) for key, value in counters.items()},
        "notes": notes,
    }


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 4)


def _write_report(path: Path, stats: dict[str, Any], observed: Observations) -> None:
    sections = [
        html.paragraph(
            f"{stats['input']} input records: {stats['kept']} kept, {stats['dropped']} dropped "
            f"in {stats['seconds']:.1f} s ({_executor(stats['executor'])}).",
        ),
        html.section("Records per step", _counts_table(stats["steps"])),
        html.section("Why records were dropped", _reasons_table(stats["steps"])),
    ]
    sections.extend(realign_sections(stats["steps"]))
    if observed.pass_counts:
        sections.append(html.section("Pass counts", *_pass_count_figures(observed)))
    if observed.scores:
        sections.append(html.section("Chain quality scores", _score_figure(observed)))
    atomic_write_text(path, html.page(f"limkit curate: {stats['name']}", sections))


def _executor(info: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value}" for key, value in info.items() if value is not None)


def _counts_table(steps: list[dict[str, Any]]) -> str:
    rows = [
        (
            step["label"],
            step["in"],
            step["kept"],
            step["dropped"],
            step["shards"],
            float(step["seconds"]["prepare"])
            + float(step["seconds"]["shards"])
            + float(step["seconds"]["finalize"]),
        )
        for step in steps
    ]
    return html.table(["step", "in", "kept", "dropped", "shards", "seconds (all jobs)"], rows)


def _reasons_table(steps: list[dict[str, Any]]) -> str:
    rows = [(step["label"], code, count) for step in steps for code, count in step["reasons"].items()]
    if not rows:
        return html.paragraph("Nothing was dropped.", "note")
    return html.table(["step", "reason", "records"], rows)


def _pass_count_figures(observed: Observations) -> list[str]:
    from matplotlib.ticker import MaxNLocator

    parts = []
    for key, counts in sorted(observed.pass_counts.items()):
        fig, axes = html.new_figure(6.4, 3.4)
        bins = [b - 0.5 for b in range(counts.n + 2)]
        axes.hist(
            [counts.kept, counts.dropped],
            bins=bins,
            stacked=True,
            label=["kept by this step", "dropped by this step"],
            color=["#3a7", "#c55"],
        )
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel(f"correct samples out of {counts.n}")
        axes.set_ylabel("problems")
        axes.set_title(counts.title(key))
        axes.legend()
        parts.append(html.figure(fig, f"pass-count histogram for {counts.title(key)}"))
        parts.append(html.paragraph(counts.summary(key), "note"))
    return parts


def _score_figure(observed: Observations) -> str:
    from matplotlib.ticker import MaxNLocator

    fig, axes = html.new_figure(6.4, 3.4)
    kept = [score for score, was_kept in observed.scores if was_kept]
    dropped = [score for score, was_kept in observed.scores if not was_kept]
    axes.hist([kept, dropped], bins=20, stacked=True, label=["kept", "dropped"], color=["#3a7", "#c55"])
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("score")
    axes.set_ylabel("records")
    axes.legend()
    return html.figure(fig, "score histogram")
