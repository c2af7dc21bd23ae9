"""One progress bar per stage (a phase, the shards, ...) with rows/s and ETA, whatever runs the jobs.

Jobs may run in worker processes or on Ray nodes, where a bar of their own would garble the terminal.
Each job instead writes how many rows it has done to a tiny file in the step directory (at most a few
times a second); the driver sums those files into the stage's single bar while it waits.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from limkit.progress import stderr_console

T = TypeVar("T")
_WRITE_EVERY = 0.5


def _progress_dir(step_dir: Path) -> Path:
    return step_dir / "progress"


@contextlib.contextmanager
def job_progress(step_dir: Path, name: str) -> Iterator[Callable[[int], None]]:
    """Yields `tick(k)`: adds k done rows; the running count reaches the driver through a file."""
    path = _progress_dir(step_dir) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"done": 0, "written": 0.0}

    def write() -> None:
        temporary = path.with_name(f".{name}.tmp")
        temporary.write_text(str(state["done"]))
        os.replace(temporary, path)
        state["written"] = time.monotonic()

    def tick(amount: int) -> None:
        state["done"] += amount
        if time.monotonic() - state["written"] >= _WRITE_EVERY:
            write()

    yield tick
    write()


def counted(records: Iterable[T], tick: Callable[[int], None]) -> Iterator[T]:
    for record in records:
        tick(1)
        yield record


class _RateColumn(ProgressColumn):
    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(
            f"{speed:,.0f} {self.unit}/s" if speed else f"- {self.unit}/s", style="progress.data.speed"
        )


@contextlib.contextmanager
def stage_progress(
    description: str, total: int, step_dir: Path, prefix: str, pending: Iterable[str], unit: str = "rows"
) -> Iterator[None]:
    """Shows one bar for the jobs whose progress files start with `prefix`, until the block ends.

    Args:
        description: The stage, e.g. `01_dedup signatures`.
        total: Rows (or parts) the stage handles in all.
        step_dir: The step's directory, where jobs write their progress files.
        prefix: Progress file prefix of this stage's jobs.
        pending: Progress file names of the jobs about to run (a killed job's count starts again).
        unit: What is counted.
    """
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(unit),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    folder = _progress_dir(step_dir)
    for name in pending:
        (folder / name).unlink(missing_ok=True)
    done = _running_total(folder, prefix)
    stop = threading.Event()
    with Progress(*columns, console=stderr_console, disable=not stderr_console.is_terminal) as bar:
        task = bar.add_task(description, total=total, completed=done)

        def poll() -> None:
            while not stop.wait(_WRITE_EVERY):
                bar.update(task, completed=_running_total(folder, prefix))

        watcher = threading.Thread(target=poll, daemon=True)
        watcher.start()
        try:
            yield
        finally:
            stop.set()
            watcher.join()
        bar.update(task, completed=total)


def _running_total(folder: Path, prefix: str) -> int:
    total = 0
    for path in folder.glob(f"{prefix}*"):
        with contextlib.suppress(OSError, ValueError):
            total += int(path.read_text() or 0)
    return total
