"""The Grader: verdict shape, batches, memo, threads, event loops, timeouts that replace a worker, close."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from limkit.grade import ANSWER_TYPES, GradeItem, Grader, Verdict, default_grader, grade
from limkit.grade._pool import WorkerError
from limkit.grade._types import canonical_type

VERDICT_KEYS = {
    "correct",
    "status",
    "extracted",
    "gold_normalized",
    "pred_normalized",
    "comparator",
    "answer_type",
    "seconds",
    "source",
}


def test_verdict_shape_and_json(grader: Grader) -> None:
    verdict = grader.grade(r"so \boxed{\frac{1}{2}}", "0.5")
    assert isinstance(verdict, Verdict)
    data = verdict.as_dict()
    assert set(data) == VERDICT_KEYS
    assert json.loads(json.dumps(data)) == data
    assert data["correct"] is True and data["status"] == "correct"
    assert data["extracted"] == r"\frac{1}{2}"
    with pytest.raises(AttributeError):
        verdict.correct = False  # type: ignore[misc]


def test_statuses(grader: Grader) -> None:
    assert grader.grade("I do not know.", "5").status == "no_answer"
    assert grader.grade(r"\boxed{6}", "5").status == "incorrect"
    assert grader.grade(r"\boxed{5}", "np.arcsin(10/13)").status == "unparseable_gold"
    assert grader.grade(r"\boxed{2^{2^{2^{49}}}}", "5").status == "over_limit"
    assert grader.grade("x" * 5_000_000, "5").status == "over_limit"


def test_module_level_grade_uses_the_default_grader_with_a_per_call_budget() -> None:
    assert default_grader() is default_grader()
    assert grade(r"\boxed{3\sqrt{13}}", r"\sqrt{117}").correct
    assert grade(r"\boxed{3\sqrt{13}}", r"\sqrt{117}", timeout=3.0).correct
    assert not grade("The answer is 4", "5").correct
    with pytest.raises(ValueError, match="timeout"):
        grade("1", "1", timeout=0)


def test_grade_many_keeps_order_and_mixes_paths(grader: Grader) -> None:
    items = [GradeItem(rf"\boxed{{{i}\sqrt{{2}}}}", rf"\sqrt{{{2 * i * i}}}") for i in range(1, 9)]
    items += [GradeItem(rf"\boxed{{{i}}}", str(i + (i % 2))) for i in range(8)]
    verdicts = grader.grade_many(items)
    assert [v.correct for v in verdicts] == [True] * 8 + [i % 2 == 0 for i in range(8)]


def test_memo_answers_repeated_pairs_and_close_stops_the_workers() -> None:
    fresh = Grader(workers=1)
    first = fresh.grade(r"\boxed{\sqrt{8}}", r"2\sqrt{2}")
    assert first.correct and first.comparator == "scalar:symbolic"  # decided by a worker
    workers = list(fresh._pool._all)
    assert workers and all(worker.alive for worker in workers)
    fresh.close()
    assert not any(worker.alive for worker in workers)
    # The same extracted answer is remembered, so it needs no worker; a new pair does, and the pool is closed.
    second = fresh.grade(r"So it is \boxed{\sqrt{8}}", r"2\sqrt{2}")
    assert second == replace(first, seconds=second.seconds)
    with pytest.raises(WorkerError, match="closed"):
        fresh.grade(r"\boxed{\sqrt{12}}", r"2\sqrt{3}")


def test_thread_safe(grader: Grader) -> None:
    results: dict[int, bool] = {}

    def work(index: int) -> None:
        results[index] = all(
            grader.grade(
                rf"\boxed{{{index}\sqrt{{3}} + {k}}}", rf"\sqrt{{{3 * index * index}}} + {k}"
            ).correct
            for k in range(3)
        )

    threads = [threading.Thread(target=work, args=(index,)) for index in range(1, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {index: True for index in range(1, 7)}


def test_works_inside_a_running_event_loop() -> None:
    async def main() -> list[bool]:
        loop = asyncio.get_running_loop()
        direct = grade(r"\boxed{\sqrt{12}}", r"2\sqrt{3}").correct
        threaded = await loop.run_in_executor(None, lambda: grade(r"\boxed{\pi/2}", r"90^\circ").correct)
        return [direct, threaded]

    assert asyncio.run(main()) == [True, True]


def test_a_hung_pair_costs_one_budget_and_close_releases_waiting_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIMKIT_GRADE_TEST_DELAY", "30")  # every worker of this Grader hangs on every pair
    slow = Grader(workers=1, timeout=1.0)
    pool = slow._pool
    verdict = slow.grade(r"\boxed{\sqrt{2}}", r"\sqrt{2}+0")
    assert verdict.status == "timeout" and not verdict.correct
    assert verdict.seconds <= 1.5
    assert len(pool._all) == 1 and all(worker.alive for worker in pool._all)  # killed, forgotten, replaced

    outcomes: dict[str, object] = {}

    def attempt(name: str, answer: str) -> None:
        try:
            outcomes[name] = slow.grade(rf"\boxed{{{answer}}}", rf"{answer}+0").status
        except WorkerError as error:
            outcomes[name] = error

    busy = threading.Thread(target=attempt, args=("busy", r"\sqrt{3}"))
    busy.start()
    time.sleep(0.2)  # `busy` holds the only worker; `waiting` queues for it
    waiting = threading.Thread(target=attempt, args=("waiting", r"\sqrt{5}"))
    waiting.start()
    time.sleep(0.2)
    closed_at = time.monotonic()
    slow.close()
    waiting.join(timeout=5)
    assert not waiting.is_alive() and time.monotonic() - closed_at < 1.0
    assert isinstance(outcomes["waiting"], WorkerError)
    busy.join(timeout=10)
    assert not busy.is_alive()
    assert outcomes["busy"] == "timeout" or isinstance(outcomes["busy"], WorkerError)
    assert not any(worker.alive for worker in pool._all)


def test_answer_type_names() -> None:
    for code in ("SC", "MC", "TF", "NV", "SET", "IN", "EX", "EQ", "TUP", "MPV", "MA", "OT"):
        assert code in ANSWER_TYPES
    assert canonical_type("Numerical") == "number"
    assert canonical_type(None) is None
    with pytest.raises(ValueError):
        canonical_type("bogus")


def test_bad_inputs_raise_clear_errors(grader: Grader) -> None:
    with pytest.raises(TypeError, match="gold must be"):
        grader.grade("1", {"a": 1})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="workers"):
        Grader(workers=0)
    with pytest.raises(ValueError, match="timeout"):
        Grader(timeout=0)


def test_works_inside_a_daemonic_pool_worker(tmp_path: Path) -> None:
    """Curation executors grade inside multiprocessing workers, which may not fork children of their own."""
    script = tmp_path / "pool_check.py"
    script.write_text(
        "import multiprocessing as mp\n\n"
        "def work(_):\n"
        "    from limkit.grade import grade\n"
        "    return grade(r'\\boxed{3\\sqrt{13}}', r'\\sqrt{117}').correct\n\n"
        "if __name__ == '__main__':\n"
        "    with mp.get_context('spawn').Pool(1) as pool:\n"
        "        assert pool.map(work, [0]) == [True]\n",
        encoding="utf-8",
    )
    subprocess.run([sys.executable, str(script)], check=True, timeout=180, cwd=tmp_path)
