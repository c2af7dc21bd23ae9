"""The demo's report: per-seed and pooled accuracy, paired differences, per-family accuracy, the funnel.

Every number comes from the `DemoSummary` (itself read from the runs' files) or from the runs' own
files; the conclusion is the summary's sentence, so the page never claims more than its intervals.
Curves and the funnel show the first seed; the tables cover every seed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from limkit import html
from limkit.data import atomic_write_text, read_jsonl
from limkit.loops.demo._config import DemoConfig
from limkit.loops.demo._stages import DemoPaths
from limkit.loops.demo._summary import LABELS, MODELS, DemoSummary


def write_demo_report(
    out_dir: Path,
    config: DemoConfig,
    summary: DemoSummary,
    curation: dict[int, dict[str, Any]],
    timings: dict[int, dict[str, tuple[float, float]]],
) -> Path:
    first = summary.seeds[0]
    paths = DemoPaths(out_dir / f"seed-{first}")
    sections = [
        html.section("What ran", html.paragraph(_what_ran(config, summary, curation[first]))),
        html.section(
            "Accuracy on the held-out split",
            html.paragraph(summary.premise),
            html.paragraph(summary.conclusion),
            results_table(summary, paths),
            differences_table(summary),
        ),
        html.section("Accuracy by family", _family_table(summary)),
        html.section(f"Curation funnel (seed {first})", _funnel_table(curation[first])),
        html.section(f"pass@k (seed {first})", _pass_at_k_figure(paths)),
        html.section(f"Training loss (seed {first})", _loss_figure(paths)),
        html.section(
            "Time per stage (this invocation, seconds; CPU of the main process)", _timings_table(timings)
        ),
        html.section(
            "Files",
            html.paragraph(
                f"Per seed S, under {out_dir}/seed-S: recipes/ (curation and training recipes), curate/ "
                f"(kept, dropped with reasons, stats), models/, eval/NAME/ (results.json, samples.jsonl). "
                f"All numbers above: {out_dir / 'summary.json'}."
            ),
        ),
    ]
    out = out_dir / "report.html"
    atomic_write_text(out, html.page("limkit demo: less is more, measured", sections))
    return out


def _what_ran(config: DemoConfig, summary: DemoSummary, curation: dict[str, Any]) -> str:
    seeds = ", ".join(str(seed) for seed in summary.seeds)
    return (
        f"For each seed ({seeds}): a procedural pool of {curation['input']} arithmetic word problems of "
        f"eight families, four of them needing two or three chained computations, with chains of uneven "
        f"quality (rich ones that reason step by step and verify, plain ones, bare answers), near-duplicates "
        f"and copies of evaluation items. A tiny model ({config.model.num_layers} layers, hidden "
        f"{config.model.hidden_size}, every integer below {config.model.number_tokens} one token) was "
        f"first trained on {config.foundation_size} rows that hold the "
        f"knowledge and none of the reasoning: {config.foundation_drill_share:.0%} drill the single "
        f"computations that every family's solutions use, the rest are one-step word problems answered in "
        f"one line or ({config.foundation_worded_share:.0%} of them) in the rich chains' words, never with "
        f"two computations chained. The LIMO recipe's steps curated the pool down to {curation['kept']} "
        f"problems (the difficulty step dropped problems this foundation model solved more than "
        f"{config.difficulty_max_pass} of {config.difficulty_n} times; the chain score ranked the rest). "
        f"From the foundation model, SFT ran on the curated set, on a random set of the same size, and on "
        f"the whole clean pool (deduplicated and decontaminated). Every model was evaluated on "
        f"{config.eval_size} held-out problems of all eight families, {config.eval_n} samples each at "
        f"temperature {config.eval_temperature}, graded by limkit.grade."
    )


def results_table(summary: DemoSummary, paths: DemoPaths) -> str:
    seeds = [str(seed) for seed in summary.seeds]
    rows = []
    for name in MODELS:
        pooled = summary.pooled[name]
        data = paths.foundation if name == "base" else paths.sft_data(name)
        per_seed = [summary.per_seed[name][seed] for seed in seeds]
        rows.append((LABELS[name], _rows_in(data), *per_seed, pooled.mean, pooled.interval()))
    columns = ["model", "SFT rows", *(f"avg@{summary.n} seed {s}" for s in seeds), "mean", "95% CI"]
    note = html.paragraph(
        "SFT rows are the first seed's; the base model's rows are its foundation-training rows. The interval "
        "resamples seeds, then problems within each seed.",
        "note",
    )
    return html.table(columns, rows) + note


def differences_table(summary: DemoSummary) -> str:
    rows = [
        (f"{key.replace('-', ' − ')}", d.mean, d.interval(), d.count)
        for key, d in summary.differences.items()
    ]
    return html.table(["paired difference in accuracy", "mean", "95% CI", "(seed, problem) pairs"], rows)


def _family_table(summary: DemoSummary) -> str:
    families = list(summary.by_family["base"])
    rows = [(LABELS[name], *(summary.by_family[name][f] for f in families)) for name in MODELS]
    return html.table(["model", *families], rows)


def _timings_table(timings: dict[int, dict[str, tuple[float, float]]]) -> str:
    seeds = list(timings)
    stages = list(timings[seeds[0]])
    rows = [
        (stage, *(round(value, 1) for s in seeds for value in timings[s].get(stage, (0.0, 0.0))))
        for stage in stages
    ]
    columns = [label for s in seeds for label in (f"seed {s} wall", f"seed {s} CPU")]
    return html.table(["stage", *columns], rows)


def _rows_in(path: Path) -> int:
    return sum(1 for _ in read_jsonl(path))


def _funnel_table(curation: dict[str, Any]) -> str:
    rows = []
    for step in curation["steps"]:
        reasons = ", ".join(f"{code}: {count}" for code, count in step["reasons"].items())
        rows.append((step["label"], step["in"], step["kept"], step["dropped"], reasons))
    return html.table(["step", "in", "kept", "dropped", "drop reasons"], rows)


def _pass_at_k_figure(paths: DemoPaths) -> str:
    fig, axes = html.new_figure()
    ks: list[int] = []
    for name in MODELS:
        results = json.loads((paths.eval_run(name) / "results.json").read_text(encoding="utf-8"))
        (metrics,) = results["metrics"].values()
        curve = metrics["pass_at_k"]
        ks = sorted(int(k) for k in curve)
        axes.errorbar(
            ks,
            [curve[str(k)]["value"] for k in ks],
            yerr=[curve[str(k)]["stderr"] for k in ks],
            marker="o",
            capsize=3,
            label=LABELS[name],
        )
    axes.set_xlabel("k")
    axes.set_ylabel("pass@k")
    axes.set_xticks(ks)
    axes.legend()
    return html.figure(fig, "pass@k for each model")


def _loss_curve(path: Path) -> list[tuple[int, float]]:
    if not path.exists():
        return []
    return [(int(row["step"]), float(row["loss"])) for _, row in read_jsonl(path) if "loss" in row]


def _loss_figure(paths: DemoPaths) -> str:
    fig, axes = html.new_figure()
    for name in MODELS:
        losses = _loss_curve(paths.model(name) / "loss.jsonl")
        if losses:
            steps, values = zip(*losses, strict=True)
            axes.plot(steps, values, label=LABELS[name])
    axes.set_xlabel("optimizer step")
    axes.set_ylabel("training loss")
    axes.legend()
    return html.figure(fig, "training loss curves")
