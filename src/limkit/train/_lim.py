"""Learning Impact Measurement (LIMR): score training samples by how their reward curve follows the run's.

From rollout rows `{sample_id, epoch, reward}` (limkit's GRPO or any trainer), per sample i and epoch k,
r_ik is the share of rollouts that were correct (or the mean reward, when rewards lie in [0, 1]). The
average curve is r_k = mean_i r_ik and the LIM score s_i = 1 - sum_k (r_ik - r_k)^2 / sum_k (1 - r_k)^2:
1 for a sample that learns exactly as the model does, lower the further it strays.

Also here: LIMR's two baselines. LINEAR rewards samples whose curve climbs steadily (the paper gives no
formula; ours is the fitted gain of a least-squares line times its R^2), and RANDOM draws seeded scores.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from limkit.errors import LimkitError

METRICS = ("accuracy", "mean")
METHODS = ("lim", "linear", "random")
FILLS = ("none", "previous", "next", "drop")


@dataclass
class Curves:
    """Per-sample curves over a common list of epochs, plus what had to be filled or dropped."""

    epochs: list[int]
    by_sample: dict[Any, list[float]]
    filled: dict[Any, list[int]] = field(default_factory=dict)
    dropped: list[Any] = field(default_factory=list)

    def average(self) -> list[float]:
        if not self.by_sample:
            return []
        count = len(self.by_sample)
        return [sum(curve[k] for curve in self.by_sample.values()) / count for k in range(len(self.epochs))]


@dataclass(frozen=True)
class Selection:
    """Scores for every sample and the ones kept, best first, with anything that makes them suspect."""

    method: str
    scores: dict[Any, float]
    selected: list[Any]
    curves: Curves
    average: list[float]
    warnings: tuple[str, ...] = ()


@dataclass
class _Cell:
    rollouts: int = 0
    correct: int = 0
    reward_sum: float = 0.0


def iter_rollout_rows(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Streams rows from JSONL (or a JSON list) or Parquet without holding every row at once."""
    from limkit.data import read_json_or_jsonl, read_jsonl

    path = Path(path)
    if not path.is_file():
        raise LimkitError("rollouts file not found", path=path)
    if path.suffix == ".parquet":
        yield from _iter_parquet(path)
    elif path.suffix == ".json":
        yield from read_json_or_jsonl(path)
    else:
        yield from read_jsonl(path)


def _iter_parquet(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    import pyarrow.parquet as pq

    try:
        reader = pq.ParquetFile(path)
    except Exception as error:
        raise LimkitError(f"not a readable Parquet file ({error})", path=path) from None
    number = 0
    for batch in reader.iter_batches(batch_size=65536):
        for row in batch.to_pylist():
            number += 1
            yield number, row


def aggregate(path: str | Path, metric: str, correct_at: float = 1.0) -> dict[Any, dict[int, float]]:
    """Reduces rollout rows to r_ik: {sample_id: {epoch: value}}.

    A rollout counts as correct from its `correct` column when present, else when its reward is at least
    `correct_at` (LIMR's +1 for a correct answer). The `mean` metric needs rewards in [0, 1].
    """
    if metric not in METRICS:
        raise LimkitError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}", field="metric")
    cells: dict[Any, dict[int, _Cell]] = {}
    for line, row in iter_rollout_rows(path):
        sample_id, epoch, reward = _read_row(path, line, row)
        if metric == "mean" and not 0.0 <= reward <= 1.0:
            raise LimkitError(
                f"reward {reward} is outside [0, 1]; the mean metric needs rewards in [0, 1] "
                "(use --metric accuracy)",
                path=path,
                line=line,
                field="reward",
            )
        cell = cells.setdefault(sample_id, {}).setdefault(epoch, _Cell())
        cell.rollouts += 1
        cell.reward_sum += reward
        correct = row.get("correct")
        cell.correct += int(bool(correct) if isinstance(correct, bool) else reward >= correct_at)
    if not cells:
        raise LimkitError("no rollout rows", path=path)
    if metric == "mean":
        return {
            sid: {k: c.reward_sum / c.rollouts for k, c in by_epoch.items()}
            for sid, by_epoch in cells.items()
        }
    return {sid: {k: c.correct / c.rollouts for k, c in by_epoch.items()} for sid, by_epoch in cells.items()}


def _read_row(path: str | Path, line: int, row: dict[str, Any]) -> tuple[Any, int, float]:
    sample_id = row.get("sample_id")
    if sample_id is None or isinstance(sample_id, bool) or not isinstance(sample_id, str | int):
        raise LimkitError("missing or not a string/integer id", path=path, line=line, field="sample_id")
    epoch = row.get("epoch")
    if isinstance(epoch, float) and epoch.is_integer():
        epoch = int(epoch)
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        raise LimkitError(
            f"expected a whole epoch number >= 0, got {epoch!r}", path=path, line=line, field="epoch"
        )
    reward = row.get("reward")
    if isinstance(reward, bool) or not isinstance(reward, int | float) or not math.isfinite(reward):
        raise LimkitError(f"expected a finite number, got {reward!r}", path=path, line=line, field="reward")
    return sample_id, epoch, float(reward)


def build_curves(
    values: dict[Any, dict[int, float]], fill: str = "none", max_epochs: int | None = None
) -> Curves:
    """Lines every sample up on the same epochs; a missing epoch is an error unless `fill` says otherwise.

    Fill policies: `previous` carries the last seen value forward (the first epoch takes the next one),
    `next` takes the following epoch's value (LIMR's script), `drop` leaves the sample out.
    """
    if fill not in FILLS:
        raise LimkitError(f"unknown fill policy {fill!r}; choose one of {', '.join(FILLS)}", field="fill")
    epochs = sorted({epoch for by_epoch in values.values() for epoch in by_epoch})
    if max_epochs is not None:
        if max_epochs < 1:
            raise LimkitError(f"--max-epochs must be >= 1, got {max_epochs}", field="max_epochs")
        epochs = epochs[:max_epochs]
    curves = Curves(epochs=epochs, by_sample={})
    for sample_id in sorted(values, key=_sort_key):
        by_epoch = values[sample_id]
        missing = [k for k, epoch in enumerate(epochs) if epoch not in by_epoch]
        if not missing:
            curves.by_sample[sample_id] = [by_epoch[epoch] for epoch in epochs]
        elif fill == "none":
            raise LimkitError(
                f"sample {sample_id!r} has no rollouts in epoch {epochs[missing[0]]} "
                f"({len(missing)} of {len(epochs)} epochs missing); choose --fill previous|next|drop "
                "explicitly",
                field="epoch",
            )
        elif fill == "drop" or len(missing) == len(epochs):
            curves.dropped.append(sample_id)
        else:
            curves.by_sample[sample_id] = _filled([by_epoch.get(epoch) for epoch in epochs], fill)
            curves.filled[sample_id] = [epochs[k] for k in missing]
    return curves


def _filled(curve: list[float | None], fill: str) -> list[float]:
    order = range(len(curve)) if fill == "previous" else range(len(curve) - 1, -1, -1)
    out = list(curve)
    last: float | None = None
    for k in order:
        if out[k] is None:
            out[k] = last
        last = out[k]
    # The edge the fill direction cannot reach takes the nearest known value from the other side.
    nearest = next(value for value in (out if fill == "previous" else reversed(out)) if value is not None)
    return [nearest if value is None else value for value in out]


def lim_scores(curves: Curves) -> dict[Any, float]:
    """s_i = 1 - sum_k (r_ik - r_k)^2 / sum_k (1 - r_k)^2.

    When every r_k is 1 the denominator is zero; then every curve is all ones too (r_ik <= 1), so each
    sample matches the average exactly and scores 1.
    """
    average = curves.average()
    denominator = sum((1.0 - r_k) ** 2 for r_k in average)
    if denominator == 0.0:
        return dict.fromkeys(curves.by_sample, 1.0)
    return {
        sample_id: 1.0
        - sum((r_ik - r_k) ** 2 for r_ik, r_k in zip(curve, average, strict=True)) / denominator
        for sample_id, curve in curves.by_sample.items()
    }


def linear_scores(curves: Curves) -> dict[Any, float]:
    """LINEAR baseline: steady improvement, as the fitted gain over the run times the fit's R^2.

    A flat or falling curve scores 0; a curve climbing from 0 to 1 in a straight line scores 1.
    """
    count = len(curves.epochs)
    xs = list(range(count))
    mean_x = sum(xs) / count if count else 0.0
    sxx = sum((x - mean_x) ** 2 for x in xs)
    scores = {}
    for sample_id, curve in curves.by_sample.items():
        mean_y = sum(curve) / count
        syy = sum((y - mean_y) ** 2 for y in curve)
        if sxx == 0.0 or syy == 0.0:
            scores[sample_id] = 0.0
            continue
        sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, curve, strict=True))
        slope = sxy / sxx
        r_squared = sxy * sxy / (sxx * syy)
        scores[sample_id] = max(slope, 0.0) * (count - 1) * r_squared
    return scores


def random_scores(curves: Curves, seed: int) -> dict[Any, float]:
    """RANDOM baseline: a seeded uniform draw per sample, in a fixed sample order."""
    rng = random.Random(seed)
    return {sample_id: rng.random() for sample_id in curves.by_sample}


def select(
    curves: Curves,
    *,
    method: str = "lim",
    threshold: float | None = None,
    top: int | None = None,
    seed: int = 0,
) -> Selection:
    """Scores samples and keeps those at or above `threshold`, or the best `top`.

    Ties are broken by sample id so a selection is reproducible. RANDOM with a threshold keeps as many
    samples as LIM would at that threshold (LIMR's size-matched baseline).
    """
    if (threshold is None) == (top is None):
        raise LimkitError("choose exactly one of --threshold or --top")
    if top is not None and top < 0:
        raise LimkitError(f"--top must be >= 0, got {top}", field="top")
    if threshold is not None and not (math.isfinite(threshold) and threshold <= 1.0):
        raise LimkitError(
            f"--threshold must be a number <= 1 (no score exceeds 1), got {threshold}", field="threshold"
        )
    if not curves.by_sample:
        raise LimkitError("no sample has a complete curve to score")
    scores = _scores(curves, method, seed)
    order = ranked(scores)
    if top is not None:
        selected = order[:top]
    elif method == "random":
        assert threshold is not None
        matched = sum(1 for score in lim_scores(curves).values() if score >= threshold)
        selected = order[:matched]
    else:
        assert threshold is not None
        selected = [sid for sid in order if scores[sid] >= threshold]
    return Selection(
        method=method,
        scores=scores,
        selected=selected,
        curves=curves,
        average=curves.average(),
        warnings=_uninformative(curves),
    )


def _uninformative(curves: Curves) -> tuple[str, ...]:
    """A warning when every sample has the same curve: then no score can tell samples apart."""
    distinct = {tuple(curve) for curve in curves.by_sample.values()}
    if len(curves.by_sample) < 2 or len(distinct) > 1:
        return ()
    flat = len(set(next(iter(distinct)))) == 1
    shape = "the same value in every epoch" if flat else "the same curve"
    return (
        f"all {len(curves.by_sample)} samples have {shape} (e.g. every reward equal): the scores carry "
        "no information, so the selection is arbitrary; check the rollouts' rewards",
    )


def _scores(curves: Curves, method: str, seed: int) -> dict[Any, float]:
    if method == "lim":
        return lim_scores(curves)
    if method == "linear":
        return linear_scores(curves)
    if method == "random":
        return random_scores(curves, seed)
    raise LimkitError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}", field="method")


def ranked(scores: dict[Any, float]) -> list[Any]:
    """Sample ids best first; equal scores in sample-id order, so rankings are reproducible."""
    return sorted(scores, key=lambda sid: (-scores[sid], _sort_key(sid)))


def _sort_key(sample_id: Any) -> tuple[str, Any]:
    return (type(sample_id).__name__, sample_id)
