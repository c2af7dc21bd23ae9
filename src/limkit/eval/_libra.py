"""Libra-Leaderboard scoring: per-model dimension scores and the distance-to-optimal score.

Libra-Leaderboard (Li et al., arXiv 2412.18551) ranks models by 1 - ||(1, 1) - (c, s)||_2 / sqrt(2) over a
capability score c and a safety score s, both in [0, 1]; the sqrt(2) is the largest possible distance, so
the score stays in [0, 1]. limkit generalises it to n dimensions as 1 - ||1 - x||_2 / sqrt(n) (our
extension, not in the paper). Unlike the plain mean it rewards balance: (0.7, 0.7) scores 0.700 and
(0.9, 0.5) scores 0.639, though both average 0.7.

A dimension's score is the (weighted) mean of its tasks' scores. Min-max normalisation over the model pool
(what Libra's README does to Arena Elo) is optional: it makes every score depend on who else is in the pool.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from limkit.errors import LimkitError, UsageError

Missing = Literal["error", "zero", "skip"]
Normalize = Literal["none", "minmax"]
ScoreTable = dict[str, dict[str, float]]
"""model -> task -> score in [0, 1]."""


def balanced_score(scores: Sequence[float]) -> float:
    """Libra's distance-to-optimal score 1 - ||1 - x||_2 / sqrt(n) (= 1 - sqrt(mean_i (1 - x_i)^2)).

    It is 1 only at the optimum (all ones), 0 only at the origin, and it ranks an even model above a
    spiky one with the same mean, which is why Libra chose it over the sum.
    """
    if not scores:
        raise ValueError("balanced score of no dimensions")
    return 1.0 - math.sqrt(math.fsum((1.0 - s) ** 2 for s in scores) / len(scores))


@dataclass(frozen=True)
class Dimension:
    """A named group of tasks scored together, e.g. capability = math500, aime24."""

    name: str
    tasks: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Dimension:
        """`NAME=task1,task2` (the `--dimension` option)."""
        name, sep, rest = text.partition("=")
        tasks = tuple(task.strip() for task in rest.split(",") if task.strip())
        if not sep or not name.strip() or not tasks:
            raise UsageError(f"--dimension {text!r}: expected NAME=task1,task2", field="dimension")
        if len(set(tasks)) != len(tasks):
            raise UsageError(f"--dimension {text!r} names a task twice", field="dimension")
        return cls(name.strip(), tasks)


def parse_weights(items: Sequence[str]) -> dict[str, float]:
    """`task=w` pairs (the `--weight` option); a weight must be a positive finite number."""
    weights: dict[str, float] = {}
    for item in items:
        task, sep, value = item.partition("=")
        try:
            weight = float(value)
        except ValueError:
            weight = math.nan
        if not sep or not task.strip() or not (math.isfinite(weight) and weight > 0):
            raise UsageError(f"--weight {item!r}: expected TASK=W with W > 0", field="weight")
        weights[task.strip()] = weight
    return weights


@dataclass(frozen=True)
class BoardRow:
    """One model on the board: raw and used dimension scores, both scores and both ranks."""

    model: str
    raw: tuple[float, ...]
    dimensions: tuple[float, ...]
    score: float
    mean: float
    rank: int = 0
    mean_rank: int = 0

    @property
    def rank_change(self) -> int:
        """Places gained (positive) or lost (negative) by ranking on the Libra score instead of the mean."""
        return self.mean_rank - self.rank


@dataclass(frozen=True)
class Board:
    """The leaderboard, best Libra score first, with the choices it was built with."""

    dimensions: tuple[Dimension, ...]
    rows: tuple[BoardRow, ...]
    normalize: Normalize
    weights: Mapping[str, float]
    missing: Missing
    filled: tuple[tuple[str, str], ...] = ()
    """(model, task) pairs that were missing and were filled with 0 or skipped."""


def build_board(
    table: ScoreTable,
    dimensions: Sequence[Dimension],
    *,
    weights: Mapping[str, float] | None = None,
    normalize: Normalize = "none",
    missing: Missing = "error",
) -> Board:
    """Scores every model of `table` on `dimensions` and ranks them two ways (Libra score, plain mean)."""
    if not dimensions:
        raise UsageError("give at least one --dimension NAME=task1,task2", field="dimension")
    if not table:
        raise LimkitError("no models to rank", field="sources")
    names = [dimension.name for dimension in dimensions]
    if len(set(names)) != len(names):
        raise UsageError("two dimensions have the same name", field="dimension")
    weights = dict(weights or {})
    unused = set(weights) - {task for dimension in dimensions for task in dimension.tasks}
    if unused:
        raise UsageError(f"--weight for a task in no dimension: {', '.join(sorted(unused))}", field="weight")
    filled: list[tuple[str, str]] = []
    raw = {
        model: tuple(_dimension_score(model, scores, d, weights, missing, filled) for d in dimensions)
        for model, scores in table.items()
    }
    used = _min_max(raw, names) if normalize == "minmax" else raw
    rows = [
        BoardRow(
            model, raw[model], used[model], balanced_score(used[model]), math.fsum(used[model]) / len(names)
        )
        for model in table
    ]
    return Board(tuple(dimensions), _ranked(rows), normalize, weights, missing, tuple(filled))


def _dimension_score(
    model: str,
    scores: Mapping[str, float],
    dimension: Dimension,
    weights: Mapping[str, float],
    missing: Missing,
    filled: list[tuple[str, str]],
) -> float:
    total = weight_sum = 0.0
    for task in dimension.tasks:
        value = scores.get(task)
        if value is None:
            if missing == "error":
                raise LimkitError(
                    f"model {model!r} has no score for task {task!r} of dimension {dimension.name!r} "
                    "(use --missing zero or --missing skip to rank it anyway)",
                    field="dimension",
                )
            filled.append((model, task))
            if missing == "skip":
                continue
            value = 0.0
        weight = weights.get(task, 1.0)
        total += weight * value
        weight_sum += weight
    if weight_sum == 0:
        raise LimkitError(
            f"model {model!r} has no score for any task of dimension {dimension.name!r}", field="dimension"
        )
    return total / weight_sum


def _min_max(raw: Mapping[str, tuple[float, ...]], names: Sequence[str]) -> dict[str, tuple[float, ...]]:
    """(x - min) / (max - min) per dimension over the pool; undefined for one model or a flat dimension."""
    if len(raw) < 2:
        raise UsageError(
            "--normalize minmax needs at least two models: with one, every dimension's max equals its min",
            field="normalize",
        )
    columns = list(zip(*raw.values(), strict=True))
    spans = []
    for name, column in zip(names, columns, strict=True):
        low, high = min(column), max(column)
        if high == low:
            raise LimkitError(
                f"--normalize minmax: every model scores {low:.3f} on dimension {name!r}, so min-max is "
                "undefined; rank without normalisation",
                field="normalize",
            )
        spans.append((low, high - low))
    return {
        model: tuple((value - low) / span for value, (low, span) in zip(values, spans, strict=True))
        for model, values in raw.items()
    }


def _ranked(rows: list[BoardRow]) -> tuple[BoardRow, ...]:
    """Competition ranks ("1, 2, 2, 4") by Libra score and by mean; sorted by Libra score, then name."""
    by_score = sorted(rows, key=lambda row: (-row.score, row.model))

    def rank_of(value: float, values: list[float]) -> int:
        return 1 + sum(other > value + 1e-12 for other in values)

    scores = [row.score for row in rows]
    means = [row.mean for row in rows]
    return tuple(
        BoardRow(
            row.model,
            row.raw,
            row.dimensions,
            row.score,
            row.mean,
            rank_of(row.score, scores),
            rank_of(row.mean, means),
        )
        for row in by_score
    )


def read_score_table(path: str | Path) -> ScoreTable:
    """A model x task table of scores in [0, 1]: CSV with a `model` column, or JSON {model: {task: score}}.

    A blank CSV cell (or a JSON null) is a missing score.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise LimkitError(f"cannot read the score table: {error.strerror}", path=path) from error
    if path.suffix.lower() == ".json":
        records = _json_records(text, path)
    elif path.suffix.lower() == ".csv":
        records = _csv_records(text, path)
    else:
        raise UsageError("a score table must be a .csv or .json file", path=path)
    table: ScoreTable = {}
    for line, model, cells in records:
        if model in table:
            raise LimkitError(f"model {model!r} appears twice", path=path, line=line, field="model")
        table[model] = {
            task: _score(value, path, line, model, task) for task, value in cells.items() if value is not None
        }
    return table


def _json_records(text: str, path: Path) -> list[tuple[int | None, str, dict[str, object]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise LimkitError(f"not valid JSON: {error.msg}", path=path, line=error.lineno) from error
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise LimkitError('expected an object {"model": {"task": score, ...}, ...}', path=path)
    return [(None, str(model), dict(cells)) for model, cells in data.items()]


def _csv_records(text: str, path: Path) -> list[tuple[int | None, str, dict[str, object]]]:
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or "model" not in reader.fieldnames:
        raise LimkitError("the header must have a `model` column", path=path, line=1, field="model")
    records: list[tuple[int | None, str, dict[str, object]]] = []
    for line, row in enumerate(reader, 2):
        model = (row.pop("model") or "").strip()
        if not model:
            raise LimkitError("empty model name", path=path, line=line, field="model")
        records.append((line, model, {task: (v if v and v.strip() else None) for task, v in row.items()}))
    return records


def _score(value: object, path: Path, line: int | None, model: str, task: str) -> float:
    try:
        score = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        score = math.nan
    if isinstance(value, bool) or not 0.0 <= score <= 1.0:
        raise LimkitError(
            f"model {model!r}: expected a score in [0, 1], got {value!r}", path=path, line=line, field=task
        )
    return score
