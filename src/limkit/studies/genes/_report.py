"""The HTML report of one or more ranking runs (rankers compared side by side), via `limkit.html`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from limkit.html import figure, new_figure, page, paragraph, section, table

METRIC_COLUMNS = ("hit@1", "hit@3", "hit@5", "hit@10", "mrr")


def run_label(config: dict[str, Any]) -> str:
    study = config["study"]
    method = "divide-and-conquer" if study["method"] == "dc" else "whole-list"
    agents = f" x{study['agents']} agents (Borda)" if study["agents"] > 1 else ""
    return f"{method}{agents}, {study['strategy']} decoys, {config['model']}"


def _cell(metrics: dict[str, Any], name: str) -> str:
    low, high = metrics[f"{name}_ci"]
    return f"{metrics[name]:.3f} [{low:.3f}, {high:.3f}]"


def _metrics_rows(groups: dict[str, dict[str, Any]]) -> list[list[Any]]:
    return [[key, m["cases"], *(_cell(m, name) for name in METRIC_COLUMNS)] for key, m in groups.items()]


def _metrics_table(groups: dict[str, dict[str, Any]], first: str, caption: str) -> str:
    return table([first, "cases", *METRIC_COLUMNS], _metrics_rows(groups), caption=caption)


def _accuracy_vs_n(runs: Sequence[tuple[str, dict[str, Any]]]) -> str:
    fig, axes = new_figure()
    for label, summary in runs:
        sizes = [int(n) for n in summary["by_n"]]
        order = sorted(range(len(sizes)), key=lambda i: sizes[i])
        values = list(summary["by_n"].values())
        hits = [values[i]["hit@1"] for i in order]
        low = [values[i]["hit@1"] - values[i]["hit@1_ci"][0] for i in order]
        high = [values[i]["hit@1_ci"][1] - values[i]["hit@1"] for i in order]
        axes.errorbar([sizes[i] for i in order], hits, yerr=[low, high], marker="o", capsize=3, label=label)
    axes.set_xscale("log")
    axes.set_xlabel("candidate-set size n")
    axes.set_ylabel("top-1 accuracy (95% Wilson)")
    axes.set_ylim(0, 1.05)
    axes.legend(fontsize=7)
    return figure(fig, "top-1 accuracy against candidate-set size")


def _position_bias(summary: dict[str, Any]) -> str:
    fig, axes = new_figure()
    for n, points in summary["position_bias"].items():
        axes.plot([p["slot"] + 1 for p in points], [p["top1"] for p in points], marker=".", label=f"n = {n}")
    axes.set_xlabel("slot the causal gene was shown in (1 = first)")
    axes.set_ylabel("top-1 rate")
    axes.set_ylim(0, 1.05)
    axes.legend(fontsize=7)
    return figure(fig, "position bias: top-1 rate against the causal gene's slot")


def _order_sensitivity(summary: dict[str, Any]) -> str:
    sizes = list(summary["order_sensitivity"])
    fig, axes = new_figure(5.0, 3.0)
    axes.bar(sizes, [summary["order_sensitivity"][n] for n in sizes])
    axes.set_xlabel("candidate-set size n")
    axes.set_ylabel("variance of the causal rank")
    return figure(fig, "order sensitivity: variance of the causal gene's rank over shuffled orders")


def _popularity(summary: dict[str, Any]) -> str:
    genes = summary["popularity"]["genes"]
    fig, axes = new_figure()
    axes.scatter([g["case_count"] for g in genes], [g["top1_rate"] for g in genes], s=10)
    axes.set_xlabel("the gene's case count in the store")
    axes.set_ylabel("top-1 predictions per appearance")
    return figure(fig, "popularity bias: top-1 rate against case count")


def _repair_text(repairs: dict[str, int]) -> str:
    def get(name: str) -> int:
        return repairs.get(name, 0)

    return (
        f"{get('asks')} asks; {get('repaired')} answers repaired into a permutation ({get('invalid')} never "
        f"valid JSON, {get('invented')} invented genes dropped, {get('duplicates')} repeats dropped, "
        f"{get('missing')} missing genes appended in shown order)."
    )


def _run_section(label: str, summary: dict[str, Any]) -> str:
    parts = [
        _metrics_table({"all": summary["overall"]}, "cases", "overall (95% intervals)"),
        paragraph(_repair_text(summary["repairs"])),
        _metrics_table(summary["by_n"], "n", "by candidate-set size"),
        _position_bias(summary),
    ]
    if summary["order_sensitivity"]:
        rows = [[n, v] for n, v in summary["order_sensitivity"].items()]
        parts.append(table(["n", "mean variance of the causal rank"], rows, caption="order sensitivity"))
        parts.append(_order_sensitivity(summary))
    if "by_confidence" in summary:
        parts.append(_metrics_table(summary["by_confidence"], "agents' top-1", "by confidence class"))
    spearman = summary["popularity"]["spearman"]
    parts += [_popularity(summary), paragraph(f"Spearman(case count, top-1 rate) = {spearman:.3f}")]
    for key, caption in (
        ("by_known_association", "by known association (gene annotated to a patient term or an ancestor)"),
        ("by_mean_ic", "by HPO specificity: mean information content (tertiles)"),
        ("by_max_ic", "by HPO specificity: max information content (tertiles)"),
    ):
        if key in summary:
            parts.append(_metrics_table(summary[key], "stratum", caption))
    return section(label, *parts)


def render_report(runs: Sequence[tuple[str, dict[str, Any]]]) -> str:
    intro = paragraph(
        "LLM gene prioritization on phenopacket cases (after Neeley et al., Bioinformatics Advances 2025): "
        "the causal gene among n - 1 decoys; hit@k with Wilson intervals, MRR with a bootstrap interval.",
        "note",
    )
    comparison = section("Accuracy against candidate-set size", intro, _accuracy_vs_n(runs))
    return page("Gene prioritization", [comparison, *(_run_section(label, s) for label, s in runs)])
