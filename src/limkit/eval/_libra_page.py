"""`limkit leaderboard`: the Libra board as one self-contained HTML page, from runs or score tables.

A run directory contributes its avg@n per task under its run label; a score table (CSV or JSON of
model x task, see `read_score_table`) contributes one model per row. The page shows the dimension scores,
the Libra score and its rank next to the plain-average rank (rows that move are highlighted), a scatter of
the first two dimensions with iso-score curves, and the per-task scores the board was built from.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from limkit.errors import LimkitError
from limkit.eval._libra import (
    Board,
    Dimension,
    Missing,
    Normalize,
    ScoreTable,
    balanced_score,
    build_board,
    read_score_table,
)

ISO_SCORES = (0.2, 0.4, 0.6, 0.8)


def scores_from_sources(sources: Sequence[str | Path]) -> ScoreTable:
    """Merges run directories (avg@n per task) and score-table files into one model x task table."""
    from limkit.eval._report import load_runs

    if not sources:
        raise LimkitError("give at least one run directory or score table", field="sources")
    table: ScoreTable = {}
    for source in map(Path, sources):
        if not source.exists():
            raise LimkitError("no such run directory or score table", path=source)
        if source.is_dir():
            (run,) = load_runs([source])
            if not run.complete:
                raise LimkitError(
                    f"the run is unfinished ({run.progress}): finish it or leave it out", path=source
                )
            part = {
                run.label: {task: s for task in run.results["metrics"] if (s := run.score(task)) is not None}
            }
        else:
            part = read_score_table(source)
        for model, scores in part.items():
            if model in table:
                raise LimkitError(f"model {model!r} is given twice", path=source, field="model")
            table[model] = scores
    return table


def write_leaderboard(
    sources: Sequence[str | Path],
    dimensions: Sequence[Dimension],
    out: str | Path,
    *,
    weights: dict[str, float] | None = None,
    normalize: Normalize = "none",
    missing: Missing = "error",
) -> Board:
    """Builds the board and writes its page atomically (nothing is written when the board fails)."""
    from limkit.data import atomic_write_text

    table = scores_from_sources(sources)
    board = build_board(table, dimensions, weights=weights, normalize=normalize, missing=missing)
    atomic_write_text(out, leaderboard_page(board, table))
    return board


def leaderboard_page(board: Board, table: ScoreTable) -> str:
    from limkit import html

    sections = [_board_section(board)]
    if len(board.dimensions) >= 2:
        sections.append(_scatter_section(board))
    sections.append(_tasks_section(board, table))
    sections.append(html.section("How to read this board", *_notes(board)))
    return html.page("limkit leaderboard (Libra score)", sections)


def _board_section(board: Board) -> str:
    from limkit import html

    names = [dimension.name for dimension in board.dimensions]
    rows = []
    classes: list[str | None] = []
    for row in board.rows:
        change = row.rank_change
        rows.append(
            [row.rank, row.model, *row.dimensions, row.score, row.mean, row.mean_rank, _change_text(change)]
        )
        classes.append("rank-up" if change > 0 else "rank-down" if change < 0 else None)
    table = html.table(
        ["rank", "model", *names, "Libra score", "mean", "rank by mean", "rank change"],
        rows,
        caption="ranked by 1 - ||1 - x||_2 / sqrt(n) over the dimension scores x"
        + (" (min-max normalised over this pool)" if board.normalize == "minmax" else ""),
        row_classes=classes,
    )
    moved = sum(row.rank_change != 0 for row in board.rows)
    note = html.paragraph(
        f"{moved} of {len(board.rows)} models rank differently by Libra score than by plain mean "
        "(green: moved up, red: moved down).",
        "note",
    )
    return html.section("Leaderboard", table, note)


def _change_text(change: int) -> str:
    return f"▲ {change}" if change > 0 else f"▼ {-change}" if change < 0 else "="


def _scatter_section(board: Board) -> str:
    """The first two dimensions, one point per model, over circles of equal Libra score around (1, 1)."""
    import numpy as np

    from limkit import html

    x_name, y_name = board.dimensions[0].name, board.dimensions[1].name
    fig, axes = html.new_figure(6.0, 6.0)
    angles = np.linspace(np.pi, 1.5 * np.pi, 200)
    for level in ISO_SCORES:
        radius = (1 - level) * np.sqrt(2)
        xs, ys = 1 + radius * np.cos(angles), 1 + radius * np.sin(angles)
        inside = (xs >= 0) & (ys >= 0)
        axes.plot(xs[inside], ys[inside], color="#999", linewidth=0.8)
        axes.annotate(f"{level:.1f}", (1 - radius / np.sqrt(2), 1 - radius / np.sqrt(2)), fontsize="x-small")
    for level in ISO_SCORES:  # equal plain mean, for contrast: straight lines reward any mix alike
        axes.plot([0, 2 * level], [2 * level, 0], color="#ccc", linewidth=0.6, linestyle="--")
    for row in board.rows:
        axes.scatter(row.dimensions[0], row.dimensions[1], zorder=3)
        axes.annotate(
            row.model,
            (row.dimensions[0], row.dimensions[1]),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize="small",
        )
    axes.set_xlim(-0.02, 1.02)
    axes.set_ylim(-0.02, 1.02)
    axes.set_aspect("equal")
    axes.set_xlabel(x_name)
    axes.set_ylabel(y_name)
    axes.set_title("Libra score iso-curves (solid); equal plain mean (dashed)")
    parts = [html.figure(fig, f"{x_name} against {y_name} with Libra iso-score curves")]
    if len(board.dimensions) > 2:
        parts.append(
            html.paragraph(
                f"Only the first two of {len(board.dimensions)} dimensions are drawn; the curves are the 2-D "
                "score, so a point's position against them does not give its n-dimensional score.",
                "note",
            )
        )
    return html.section(f"{x_name} against {y_name}", *parts)


def _tasks_section(board: Board, table: ScoreTable) -> str:
    from limkit import html

    tasks = [task for dimension in board.dimensions for task in dimension.tasks]
    heads = [
        f"{dimension.name}: {task}" + (f" (w={board.weights[task]:g})" if task in board.weights else "")
        for dimension in board.dimensions
        for task in dimension.tasks
    ]
    rows = [[row.model, *(table[row.model].get(task, "—") for task in tasks), *row.raw] for row in board.rows]
    raw_heads = [f"{dimension.name} (raw)" for dimension in board.dimensions]
    return html.section(
        "Task scores",
        html.table(["model", *heads, *raw_heads], rows, caption="per-task scores and raw dimension means"),
    )


def _notes(board: Board) -> list[str]:
    from limkit import html

    notes = [
        "Libra-Leaderboard (Li et al., arXiv 2412.18551) scores a model by its distance to the optimum: "
        "1 - sqrt(((1 - c)^2 + (1 - s)^2) / 2) for capability c and safety s; over n dimensions limkit uses "
        "1 - ||1 - x||_2 / sqrt(n) (our extension). It rewards balance: (0.7, 0.7) scores "
        f"{balanced_score([0.7, 0.7]):.3f} and (0.9, 0.5) {balanced_score([0.9, 0.5]):.3f}, though both "
        "average 0.7.",
        "A dimension's score is the weighted mean of its tasks' scores (weight 1 unless --weight says "
        "otherwise); a run directory's task score is its avg@n.",
    ]
    if board.normalize == "minmax":
        notes.append(
            "Dimension scores are min-max normalised over the models on this page: the best model in each "
            "dimension gets 1 and the worst 0. These scores depend on the pool: adding or removing a model "
            "can change every other model's score and re-rank them. The raw means are in the task table."
        )
    if board.filled:
        pairs = ", ".join(f"{model} / {task}" for model, task in board.filled)
        verb = "scored as 0" if board.missing == "zero" else "left out of their dimension's mean"
        notes.append(f"Missing scores {verb} (--missing {board.missing}): {pairs}.")
    return [html.paragraph(text, "note") for text in notes]
