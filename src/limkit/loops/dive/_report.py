"""The DIVE report: accuracy and diversity per iteration per variant, pairs and filter drops, buckets.

Every number is read from `summary.json`'s rows, themselves read from the run's files.
"""

from __future__ import annotations

from typing import Any

from limkit import html
from limkit.data import atomic_write_text
from limkit.loops.dive._config import DiveConfig
from limkit.loops.dive._stages import RunPaths
from limkit.loops.dive._summary import LEVELS

QUALITY = ("acc@1", "avg@n")
DIVERSITY = ("pos_distinct_n", "neg_distinct_n", "pos_embedding", "neg_embedding", "all_distinct_answers")
PAIR_COUNTS = (
    "pool_responses",
    "duplicates_merged",
    "skipped_no_correct",
    "skipped_no_incorrect",
    "filter_dropped_pos",
    "filter_dropped_neg",
    "skipped_after_filter",
    "questions_paired",
    "pairs",
)


def write_report(config: DiveConfig, paths: RunPaths, summary: dict[str, Any]) -> Any:
    n = summary["n"]
    quality = (*QUALITY, f"pass@{n}")
    sections = [
        html.section("What ran", html.paragraph(_what_ran(config))),
        html.section("Accuracy and diversity per iteration", metrics_table(summary, quality)),
        html.section("Plots", *(_plot(summary, column) for column in (*quality, *DIVERSITY[:4]))),
        html.section("Pairs and filter drops per iteration", _pairs_table(summary)),
        html.section(
            "Diversity by difficulty (levels by the base model's correct ratio)",
            html.paragraph(
                "Questions per level: "
                + ", ".join(f"{name} {summary['levels'][name]}" for name, _, _ in LEVELS)
            ),
            _bucket_table(summary),
        ),
        html.section(
            "Sampling",
            html.paragraph(
                f"{summary['sampling']['generated']} samples generated, {summary['sampling']['cached']} "
                "answered from the run's cache (iteration 1 of every variant after the first, and reruns)."
            ),
        ),
    ]
    out = paths.root / "report.html"
    atomic_write_text(
        out, html.page("limkit dive: accuracy and diversity of iterative self-improvement", sections)
    )
    return out


def _what_ran(config: DiveConfig) -> str:
    dpo, nll = config.loss.weights()
    sampling, selection = config.sampling, config.selection
    return (
        f"Base model {config.model}; variants {', '.join(config.variants)}; "
        f"T = {config.iterations} iterations; K = {sampling.samples} samples per training question at "
        f"temperature {sampling.temperature}, top_p {sampling.top_p}; at most "
        f"P = {config.pairs_per_question} pairs per question; loss {dpo} x DPO + {nll} x length-normalised "
        f"NLL ({config.loss.weighting}); selection objective {selection.objective}, embedder "
        f"{selection.embedder}, Isolation Forest contamination {selection.contamination}. Evaluation: "
        f"greedy @1 and {config.eval.n} samples at temperature {config.eval.temperature} for pass@k and "
        "diversity (pos = correct responses, neg = incorrect), averaged over questions."
    )


def metrics_table(summary: dict[str, Any], quality: tuple[str, ...]) -> str:
    columns = ["variant", "iteration", *quality, *DIVERSITY]
    rows = [
        [variant, row["iteration"], *(row.get(column) for column in (*quality, *DIVERSITY))]
        for variant, variant_rows in summary["variants"].items()
        for row in variant_rows
    ]
    return html.table(columns, rows)


def _pairs_table(summary: dict[str, Any]) -> str:
    rows = [
        [variant, row["iteration"], *(row["pairs"].get(key, 0) for key in PAIR_COUNTS), row.get("train_loss")]
        for variant, variant_rows in summary["variants"].items()
        for row in variant_rows[1:]
    ]
    return html.table(["variant", "iteration", *PAIR_COUNTS, "train loss"], rows)


def _bucket_table(summary: dict[str, Any]) -> str:
    rows = []
    for variant, variant_rows in summary["variants"].items():
        for row in variant_rows:
            for name, _, _ in LEVELS:
                bucket = row["buckets"].get(name)
                if bucket:
                    rows.append(
                        [
                            variant,
                            row["iteration"],
                            name,
                            bucket["questions"],
                            bucket["pos_distinct_n"],
                            bucket["neg_distinct_n"],
                        ]
                    )
    return html.table(
        ["variant", "iteration", "level", "questions", "pos distinct-n", "neg distinct-n"], rows
    )


def _plot(summary: dict[str, Any], column: str) -> str:
    fig, axes = html.new_figure(5.0, 3.0)
    for variant, rows in summary["variants"].items():
        points = [(row["iteration"], row.get(column)) for row in rows if row.get(column) is not None]
        if points:
            axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=variant)
    axes.set_xlabel("iteration")
    axes.set_ylabel(column)
    axes.legend()
    return html.figure(fig, f"{column} per iteration")
