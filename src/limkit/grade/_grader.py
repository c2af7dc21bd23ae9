"""The Grader: fast paths in the calling process, a memo of repeated pairs, a worker pool for the rest."""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from limkit.grade._engine import compare_light, locate_for
from limkit.grade._gold import Gold, prepare_gold
from limkit.grade._nodes import LIMITS
from limkit.grade._pool import WorkerPool
from limkit.grade._text import canonical_string
from limkit.grade._types import canonical_type
from limkit.grade._verdict import GradeItem, Verdict, verdict

GoldInput = str | Sequence[str]
MEMO_SIZE = 200_000


def _gold_key(gold: Any) -> str | tuple[str, ...]:
    if isinstance(gold, str):
        return gold
    if isinstance(gold, (int, float)) and not isinstance(gold, bool):
        return repr(gold)
    if isinstance(gold, (list, tuple)):
        return tuple(str(item) for item in gold)
    raise TypeError(f"gold must be a string or a list of strings, got {type(gold).__name__}")


class _Memo:
    """A thread-safe LRU of verdicts keyed by (extracted answer, gold, requested type)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[tuple[Any, ...], Verdict] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Verdict | None:
        with self._lock:
            found = self._data.get(key)
            if found is not None:
                self._data.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], found: Verdict) -> None:
        if found.status == "timeout":
            return
        with self._lock:
            self._data[key] = found
            if len(self._data) > self.size:
                self._data.popitem(last=False)


class _Pending:
    """A pair the calling process could not decide: it waits for a worker."""

    def __init__(
        self, index: int, extracted: str, gold: Gold, key: tuple[Any, ...], spent: float, source: str
    ) -> None:
        self.index = index
        self.source = source
        self.extracted = extracted
        self.gold = gold
        self.key = key
        self.spent = spent


class Grader:
    """Grades (prediction, gold) pairs safely: bounded inputs, a hard time budget per pair, one code path.

    Thread-safe; usable from any thread or from inside a running event loop (it never uses signals in
    the calling process). Close it (or use it as a context manager) to stop its worker processes; they
    also exit on their own when the calling process ends.

    Args:
        workers: worker processes for pairs that need numeric or symbolic algebra.
        timeout: wall-clock budget in seconds per pair; a pair over budget gets status `timeout`.
        memo: remember outcomes of repeated (answer, gold, type) pairs.
    """

    def __init__(self, workers: int = 2, timeout: float = 5.0, memo: bool = True) -> None:
        self.workers = workers
        self.timeout = _positive_timeout(timeout)
        self._pool = WorkerPool(workers)
        self._memo = _Memo(MEMO_SIZE) if memo else None
        self._finalizer = weakref.finalize(self, self._pool.close)

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stops the worker processes (also done when the Grader is garbage-collected or Python exits)."""
        self._finalizer()

    def grade(
        self,
        prediction: str,
        gold: GoldInput,
        answer_type: str | None = None,
        *,
        require_box: bool = False,
        timeout: float | None = None,
    ) -> Verdict:
        """Grades one pair; see `limkit.grade.grade`."""
        gold_value = list(gold) if isinstance(gold, tuple) else gold
        item = GradeItem(prediction, gold_value, answer_type, require_box)  # type: ignore[arg-type]
        return self.grade_many([item], timeout=timeout)[0]

    def grade_many(self, items: Sequence[GradeItem], *, timeout: float | None = None) -> list[Verdict]:
        """Grades pairs; fast ones in this process, the rest on the worker pool in parallel.

        Args:
            items: the pairs.
            timeout: the budget per pair for this call (default: the Grader's).

        Raises:
            ValueError: an item names an unknown answer type, or `timeout` is not positive.
            TypeError: an item's gold is not a string or a list of strings.
        """
        budget = self.timeout if timeout is None else _positive_timeout(timeout)
        verdicts: list[Verdict | None] = [None] * len(items)
        pending: list[_Pending] = []
        for index, item in enumerate(items):
            result = self._light(index, GradeItem(*item))
            if isinstance(result, _Pending):
                pending.append(result)
            else:
                verdicts[index] = result
        if pending:
            self._heavy(pending, verdicts, budget)
        return [verdict for verdict in verdicts if verdict is not None]

    def _light(self, index: int, item: GradeItem) -> Verdict | _Pending:
        started = time.monotonic()
        key_gold = _gold_key(item.gold)
        canonical_type(item.answer_type)
        try:
            found = self._light_checked(index, item, key_gold, started)
        except Exception as error:  # a grading bug must not escape into an eval or RL loop
            found = verdict("incorrect", None, None, None, f"error:{type(error).__name__}", "unknown")
        if isinstance(found, _Pending):
            return found
        return replace(found, seconds=time.monotonic() - started)

    def _light_checked(
        self, index: int, item: GradeItem, key_gold: str | tuple[str, ...], started: float
    ) -> Verdict | _Pending:
        gold = prepare_gold(key_gold, item.answer_type)
        if item.letters and gold.letters:
            gold = replace(gold, letters=item.letters)
        prediction = item.prediction if isinstance(item.prediction, str) else str(item.prediction)
        if len(prediction) > LIMITS.max_text_chars:
            return verdict("over_limit", None, gold.answer, None, "limits", gold.answer_type)
        if (
            gold.canon
            and len(prediction) <= 2_000
            and not item.require_box
            and canonical_string(prediction) == gold.canon
        ):
            canon = gold.canon
            return verdict(
                "correct", prediction, gold.answer, canon, "string:string", gold.answer_type, 0, "whole"
            )
        extracted, source = locate_for(prediction, gold, item.require_box)
        if extracted is None:
            return replace(
                verdict("no_answer", None, gold.answer, None, "none", gold.answer_type), source=source
            )
        key = (extracted, key_gold, gold.requested)
        remembered = self._memo.get(key) if self._memo else None
        if remembered is not None:
            return replace(remembered, source=source)
        found = compare_light(extracted, gold)
        if found is None:
            return _Pending(index, extracted, gold, key, time.monotonic() - started, source)
        if self._memo:
            self._memo.put(key, found)
        return replace(found, source=source)

    def _heavy(self, pending: list[_Pending], verdicts: list[Verdict | None], timeout: float) -> None:
        """Runs the undecided pairs on the pool; each gets what is left of its budget after the light pass."""
        tasks = []
        for entry in pending:
            budget = max(timeout - entry.spent, 0.05)
            task = {
                "extracted": entry.extracted,
                "gold": entry.key[1],
                "answer_type": entry.key[2],
                "budget": budget,
            }
            tasks.append((task, budget))
        results = self._pool.run_many(tasks)
        for entry, (result, worked) in zip(pending, results, strict=True):
            if result is None:
                found = verdict(
                    "timeout", entry.extracted, entry.gold.answer, None, "timeout", entry.gold.answer_type
                )
            else:
                found = Verdict(**result)
                if self._memo:
                    self._memo.put(entry.key, found)
            verdicts[entry.index] = replace(found, seconds=entry.spent + worked, source=entry.source)


def _positive_timeout(timeout: float) -> float:
    if timeout <= 0:
        raise ValueError(f"timeout must be > 0, got {timeout}")
    return timeout


_DEFAULT: Grader | None = None
_DEFAULT_LOCK = threading.Lock()


def default_grader() -> Grader:
    """The module-level Grader used by `grade()` and the reward functions (created on first use)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = Grader()
        return _DEFAULT


def grade(
    prediction: str,
    gold: GoldInput,
    answer_type: str | None = None,
    *,
    require_box: bool = False,
    timeout: float = 5.0,
) -> Verdict:
    r"""Grades one model output (or bare answer) against a gold answer.

    Args:
        prediction: a full model output or a bare answer; the answer is extracted inside.
        gold: the gold answer in any form (bare LaTeX, `$...$`, `\boxed{...}`, `27.0`, `"['2']"`, a list
            of answers, a choice letter).
        answer_type: one of `ANSWER_TYPES` (OlympicArena codes included), or None to infer it from the gold.
        require_box: accept only a `\boxed{}` answer (no cue or last-number fallback).
        timeout: the wall-clock budget for this pair in seconds.
    """
    return default_grader().grade(prediction, gold, answer_type, require_box=require_box, timeout=timeout)
