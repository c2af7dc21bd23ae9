"""What the post-hoc judging commands (`eval process`, `eval safety`, `eval compare-judges`) share: reading a
finished run, pinning the judge a run directory's verdicts came from, and streaming structured requests
to a judge while each verdict is appended durably."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from limkit.errors import LimkitError
from limkit.eval._config import RuntimeOptions
from limkit.eval._runfiles import read_results, read_samples

if TYPE_CHECKING:
    from limkit.llm import Completion, Generator, Request


def read_run(run_dir: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A run's results and graded rows; a directory without them is an error naming it."""
    results = read_results(run_dir)
    if results is None:
        raise LimkitError("no results.json: not a limkit run directory", path=run_dir)
    rows = read_samples(run_dir)
    if not rows:
        raise LimkitError("the run has no graded samples", path=run_dir / "samples.jsonl")
    return results, rows


def pin_settings(folder: Path, wanted: dict[str, Any], what: str) -> None:
    """Records the settings behind `folder`'s verdicts, or refuses settings that differ from the record."""
    from limkit.data import atomic_write_text

    path = folder / "config.json"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(wanted, indent=2) + "\n")
        return
    stored = json.loads(path.read_text(encoding="utf-8"))
    for name, value in wanted.items():
        if stored.get(name) != value:
            raise LimkitError(
                f"this run's {what} came from {name}={stored.get(name)!r}, not {value!r}; refusing to mix "
                f"verdicts (remove {folder} to judge again)",
                path=path,
                field=name,
            )


def open_judge(backend: str, model: str, runtime: RuntimeOptions | None) -> Generator:
    from limkit.eval._backend import open_generator

    runtime = runtime or RuntimeOptions()
    return open_generator(backend, model, runtime, runtime.base_url)


async def stream_verdicts(
    generator: Generator,
    requests: Sequence[Request],
    to_row: Callable[[Completion], dict[str, Any]],
    path: Path,
    description: str,
    *,
    owned: bool,
) -> None:
    """Sends every request and appends `to_row(completion)` to `path` as each reply arrives."""
    from limkit.data import AppendWriter
    from limkit.progress import progress_bar

    try:
        with AppendWriter(path) as writer, progress_bar(len(requests), description) as advance:
            async for completion in generator.generate(list(requests)):
                writer.write(to_row(completion))
                advance(1)
    finally:
        if owned:
            await generator.aclose()
