"""The HTML report of a detection run (and, when given, a resolution summary), via `limkit.html`."""

from __future__ import annotations

from typing import Any

from limkit.html import figure, new_figure, page, paragraph, section, table
from limkit.studies.conflicts._metrics import detector_table

GROUPS = ("E1-E2", "E1/E2-E3", "E1'-E1", "E1'-E2", "E1'-E3")


def _label(block: dict[str, Any]) -> str:
    rule = "" if block["rule"] in ("fc", "llm") else f" [{block['rule']}]"
    return f"{block['detector']}{rule}"


def _group_table(summary: dict[str, Any]) -> str:
    rows = []
    for b in summary["blocks"]:
        groups = b["groups"]
        unparsable = sum(b["unparsable"].values())
        rows.append(
            [
                _label(b),
                b["order"],
                b["mode"],
                *(groups.get(g, {}).get("accuracy") for g in GROUPS),
                unparsable,
            ]
        )
    return table(
        ["detector", "order", "mode", *GROUPS, "unparsable"], rows, caption="accuracy per pair group"
    )


def _factoid_plot(summary: dict[str, Any], prefix: str, axis: str) -> str | None:
    fig, axes = new_figure(5.5, 3.4)
    drawn = False
    for b in summary["blocks"]:
        points = sorted(
            (int(g.split("=")[1]), m["accuracy"]) for g, m in b["groups"].items() if g.startswith(prefix)
        )
        if points:
            axes.plot(
                [p for p, _ in points],
                [a for _, a in points],
                marker="o",
                label=f"{_label(b)} {b['order']} {b['mode']}",
            )
            drawn = True
    if not drawn:
        import matplotlib.pyplot as plt

        plt.close(fig)
        return None
    axes.set_xlabel(axis)
    axes.set_ylabel("accuracy (= recall)")
    axes.set_ylim(0, 1.05)
    axes.legend(fontsize=6)
    return figure(fig, f"factoid accuracy against {axis}")


def _f1_plot(rows: list[list[Any]]) -> str | None:
    if not rows:
        return None
    fig, axes = new_figure(6.4, 3.4)
    labels = [f"{r[0]} {r[1]}\n{r[2]} {r[3]}" for r in rows]
    axes.bar(range(len(rows)), [r[7] for r in rows])
    axes.set_xticks(range(len(rows)), labels, fontsize=6)
    axes.set_ylabel("F1 (conflict class)")
    axes.set_ylim(0, 1.05)
    return figure(fig, "F1 per detector and setting")


def render_report(summary: dict[str, Any], resolution: dict[str, Any] | None = None) -> str:
    intro = paragraph(
        "Evidence-conflict detection (after Cheng et al., EMNLP 2024): each pair scored in both orders, "
        f"with and without the question prefix; {summary['pairs']} pairs. "
        "Unparsable verdicts are counted apart.",
        "note",
    )
    rows = detector_table(summary)
    parts = [
        table(
            ["detector", "rule", "setting", "length", "n", "precision", "recall", "F1"],
            rows,
            caption="pooled P/R/F1 (order xy, with the question)",
        ),
    ]
    chart = _f1_plot(rows)
    if chart:
        parts.append(chart)
    for order in ("xy", "yx"):
        for mode in ("plain", "question"):
            more = detector_table(summary, order, mode)
            if more and (order, mode) != ("xy", "question"):
                parts.append(
                    table(
                        ["detector", "rule", "setting", "length", "n", "precision", "recall", "F1"],
                        more,
                        caption=f"pooled P/R/F1 (order {order}, {mode})",
                    )
                )
    sections = [section("Detectors", intro, *parts), section("Pair groups", _group_table(summary))]
    factoid = [
        p
        for p in (
            _factoid_plot(summary, "k=", "k (modified facts)"),
            _factoid_plot(summary, "j=", "j (corroborating facts)"),
        )
        if p
    ]
    if factoid:
        sections.append(section("Factoid conflicts", *factoid))
    if resolution:
        rows_ = [
            [
                v,
                *(
                    resolution[v]["categories"].get(c, 0)
                    for c in ("follows E1", "follows E2", "declines or both", "unparsable")
                ),
                resolution[v]["agrees_with_belief"],
            ]
            for v in ("explained", "answer_only")
        ]
        sections.append(
            section(
                "Resolution",
                table(
                    [
                        "variant",
                        "follows E1",
                        "follows E2",
                        "declines or both",
                        "unparsable",
                        "agrees with belief",
                    ],
                    rows_,
                ),
            )
        )
    return page("Evidence conflicts", sections)
