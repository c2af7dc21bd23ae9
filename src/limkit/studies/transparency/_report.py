"""The TTI report: a ranked table, a stacked bar chart per dimension, the rubric, and each work's answers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from limkit.studies.transparency._rubric import Rubric, load_rubric
from limkit.studies.transparency._score import Rating, ranked

SCORING_NOTE = (
    "Each item is yes or no. A yes earns the item's points; so does an explicit statement that the work "
    'does not use the technique the item asks about ("not used"). Works rated from published subtotals '
    "have no per-item answers: only their dimension totals are known."
)


def leaderboard_rows(ratings: Sequence[Rating], rubric: Rubric | None = None) -> list[list[object]]:
    rubric = rubric or load_rubric()
    return [
        [
            rank,
            rating.work,
            *(rating.subtotals[dim.id] for dim in rubric.dimensions),
            rating.total,
            rating.basis,
        ]
        for rank, rating in enumerate(ranked(ratings), 1)
    ]


def leaderboard_columns(rubric: Rubric | None = None) -> list[str]:
    rubric = rubric or load_rubric()
    dims = [f"{dim.title} /{dim.max_points}" for dim in rubric.dimensions]
    return ["rank", "work", *dims, f"total /{rubric.max_points}", "basis"]


def markdown_leaderboard(ratings: Sequence[Rating]) -> str:
    """The ranked table as GitHub markdown (what `limkit transparency score` prints, and the README shows)."""
    columns = leaderboard_columns()
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in leaderboard_rows(ratings)]
    return "\n".join(lines)


def build_report(ratings: Sequence[Rating]) -> str:
    from limkit import html

    rubric = load_rubric()
    board = html.table(
        leaderboard_columns(rubric), leaderboard_rows(ratings, rubric), caption="ranked by total"
    )
    sections = [
        html.section("Leaderboard", board, _chart(ratings, rubric), html.paragraph(SCORING_NOTE, "note")),
        _rubric_section(rubric),
    ]
    sections += [_answers_section(rating, rubric) for rating in ranked(ratings) if rating.answers is not None]
    return html.page(f"{rubric.name}", sections)


def write_report(ratings: Sequence[Rating], out: str | Path) -> Path:
    from limkit.data import atomic_write_text

    atomic_write_text(out, build_report(ratings))
    return Path(out)


def _chart(ratings: Sequence[Rating], rubric: Rubric) -> str:
    from limkit import html

    order = list(reversed(ranked(ratings)))  # barh draws bottom-up: best work on top
    fig, axes = html.new_figure(7.2, 0.5 * len(order) + 1.6)
    left = [0] * len(order)
    names = [rating.work for rating in order]
    for dim in rubric.dimensions:
        widths = [rating.subtotals[dim.id] for rating in order]
        axes.barh(names, widths, left=left, label=f"{dim.title} ({dim.max_points})")
        left = [a + b for a, b in zip(left, widths, strict=True)]
    for y, total in enumerate(left):
        axes.annotate(str(total), (total, y), xytext=(3, -3), textcoords="offset points", fontsize="small")
    axes.set_xlim(0, rubric.max_points + 8)
    axes.set_xlabel("transparency points")
    axes.set_title("Technical Transparency Index by dimension")
    axes.legend(fontsize="small", loc="lower right")
    return html.figure(fig, "stacked transparency points per dimension for each work")


def _rubric_section(rubric: Rubric) -> str:
    from limkit import html

    rows = [
        [dim.title, item.id, item.criterion, item.points] for dim in rubric.dimensions for item in dim.items
    ]
    table = html.table(["dimension", "item", "criterion", "points"], rows, caption=rubric.source)
    return html.section("Rubric", table)


def _answers_section(rating: Rating, rubric: Rubric) -> str:
    from limkit import html

    assert rating.answers is not None
    rows = [
        [
            item.id,
            item.criterion,
            rating.answers[item.id].answer,
            item.points if rating.answers[item.id].earns else 0,
            "; ".join(filter(None, [rating.answers[item.id].note, *rating.answers[item.id].evidence])),
        ]
        for item in rubric.items
    ]
    table = html.table(
        ["item", "criterion", "answer", "earned", "note and evidence"], rows, caption=str(rating.path)
    )
    return html.section(f"Answers: {rating.work}", table)
