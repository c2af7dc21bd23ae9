"""`load_task`: a registered name, a spec, or a local file, read from the hub, a data directory or a path."""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from limkit.errors import LimkitError
from limkit.tasks._choices import ChoiceMode
from limkit.tasks._registry import TASKS
from limkit.tasks._rows import rows_to_samples
from limkit.tasks._spec import FieldMap, PromptTemplate, TaskSpec
from limkit.tasks._task import Task

LOCAL_SUFFIXES = (".jsonl", ".json", ".parquet")
HUB_PROBE_SECONDS = 5.0
"""How long to wait for the hub to answer at all before giving up (datasets itself retries for ~30 s)."""
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")


class UnpinnedRevisionWarning(UserWarning):
    """A task was loaded from the hub without a pinned revision, so its data may change between runs."""


def load_task(
    task: str | Path | TaskSpec,
    data_dir: str | Path | None = None,
    limit: int | None = None,
    seed: int = 0,
    *,
    fields: Mapping[str, Any] | None = None,
    answer_type: str | None = None,
    prompt: PromptTemplate | None = None,
    shuffle_options: int | None = None,
    option_free: bool = False,
) -> Task:
    """Loads a task's samples.

    Args:
        task: A registered name (see `TASKS`), a `TaskSpec`, or a local `.jsonl`/`.json`/`.parquet` file.
        data_dir: Read a registered task from `DATA_DIR/<name>.jsonl` instead of the hub.
        limit: Keep only the first `limit` samples (the whole source is still validated).
        seed: Seeds the multiple-choice option shuffle (same seed, same order on every run).
        fields: For a local file, its column map, e.g. `{"id": "qid", "problem": "text", "answer": "gold"}`.
        answer_type: For a local file, the grader answer type of every sample (None: inferred per gold).
        prompt: Overrides the task's prompt template.
        shuffle_options: Permute each multiple-choice question's options with this seed, the gold letter
            remapped (a position-bias check); None keeps the dataset's order (GPQA always shuffles).
        option_free: Hide a multiple-choice task's options: each question is asked open-ended, its gold
            is the correct option's text (answer type OT, graded by the judge), and the task's
            option-free prompt is used.

    Raises:
        LimkitError: Unknown task, missing file or field, duplicate id, or an unreachable hub.
    """
    if limit is not None and limit < 1:
        raise LimkitError(f"limit must be >= 1, got {limit}", field="limit")
    spec = resolve_spec(task, fields=fields, answer_type=answer_type)
    if (shuffle_options is not None or option_free) and not spec.is_multiple_choice:
        flag = "--option-free" if option_free else "--shuffle-options"
        raise LimkitError(f"{flag} applies to multiple-choice tasks; {spec.name!r} is not one", field="tasks")
    rows, source, revision = _read_rows(spec, task, data_dir)
    samples = rows_to_samples(spec, rows, source, seed, ChoiceMode(shuffle_options, option_free))
    if not samples:
        raise LimkitError("no samples", path=source)
    if limit is not None:
        samples = samples[:limit]
    chosen = prompt or (spec.option_free_prompt if option_free else spec.prompt)
    return Task(spec.name, spec, samples, chosen, source=source, seed=seed, revision=revision)


def resolve_spec(
    task: str | Path | TaskSpec, *, fields: Mapping[str, Any] | None = None, answer_type: str | None = None
) -> TaskSpec:
    """The spec of a registered name, a `TaskSpec` as given, or a spec for a local file."""
    if isinstance(task, TaskSpec):
        return task
    path = _local_file(task)
    if path is None:
        return TASKS[str(task)]
    try:
        field_map = FieldMap.from_user(dict(fields)) if fields else FieldMap()
    except ValueError as error:
        raise LimkitError(str(error), field="fields") from None
    return TaskSpec(
        name=path.stem, title=path.name, fields=field_map, answer_type=answer_type, notes=f"local file {path}"
    )


def _local_file(task: str | Path) -> Path | None:
    """The file a task names, or None for a registered name; anything else is an unknown task."""
    if str(task) in TASKS and not isinstance(task, Path):
        return None
    path = Path(task).expanduser()
    if path.suffix in LOCAL_SUFFIXES:
        return path
    known = ", ".join(sorted(TASKS))
    raise LimkitError(
        f"unknown task {str(task)!r}; registered tasks: {known}; or give a .jsonl/.json/.parquet file",
        field="tasks",
    )


def _read_rows(
    spec: TaskSpec, task: str | Path | TaskSpec, data_dir: str | Path | None
) -> tuple[list[tuple[int, dict[str, Any]]], str, str | None]:
    """The rows, where they came from, and the hub revision they were read at (None for local data)."""
    from limkit.data import read_records

    path = None if isinstance(task, TaskSpec) else _local_file(task)
    if path is None and data_dir is not None:
        try:
            path = data_file(spec.name, data_dir)
        except LimkitError as error:
            if not spec.obtain:
                raise
            raise LimkitError(f"{error.message}. {spec.obtain}", path=error.path, field="data_dir") from None
    if path is not None:
        return read_records(path), str(path), None
    if spec.obtain:
        raise LimkitError(f"task {spec.name!r} is not downloadable. {spec.obtain}", field="data_dir")
    if spec.hub_id is None:
        raise LimkitError(f"task {spec.name!r} has no hub dataset; pass --data-dir", field="data_dir")
    rows, source = hub_rows(spec)
    return rows, source, None if Path(spec.hub_id).expanduser().is_dir() else spec.revision


def data_file(name: str, data_dir: str | Path) -> Path:
    """`DIR/<name>.jsonl` (or `.json` / `.parquet`); a missing file names what was expected."""
    directory = Path(data_dir).expanduser()
    if not directory.is_dir():
        raise LimkitError("data directory not found", path=directory, field="data_dir")
    for suffix in LOCAL_SUFFIXES:
        candidate = directory / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    raise LimkitError(f"no file for task {name!r} (expected {name}.jsonl)", path=directory, field="data_dir")


def hub_rows(spec: TaskSpec) -> tuple[list[tuple[int, dict[str, Any]]], str]:
    """Rows of `spec.hub_id` at the pinned revision through `datasets.load_dataset`.

    `hub_id` may also be a local dataset folder (parquet/JSON files laid out like a hub repo), which is
    how this path is tested offline.
    """
    assert spec.hub_id is not None
    source = f"{spec.hub_id}@{spec.revision or 'UNPINNED'}"
    if spec.revision is None:
        warnings.warn(
            f"task {spec.name!r}: {spec.hub_id} has no pinned revision yet (pin pending); its rows may "
            "change between runs. Pass --data-dir with a fixed copy for reproducible numbers.",
            UnpinnedRevisionWarning,
            stacklevel=3,
        )
    local_copy = f"pass --data-dir DIR with DIR/{spec.name}.jsonl (or a local task file)"
    offline = hub_offline()
    if not offline and not Path(spec.hub_id).expanduser().is_dir():
        _probe_hub(source, local_copy)
    import datasets

    try:
        dataset = datasets.load_dataset(
            spec.hub_id, name=spec.subset, split=spec.split, revision=spec.revision
        )
    except Exception as error:  # datasets raises many types for offline, gated and missing repos
        why = "HF_HUB_OFFLINE is set and no cached copy was found" if offline else "offline or gated?"
        raise LimkitError(
            f"cannot load split {spec.split!r} from the hub ({type(error).__name__}: {str(error)[:300]}); "
            f"{why} {local_copy}",
            path=source,
            field="data_dir",
        ) from None
    return [(index, dict(row)) for index, row in enumerate(dataset, start=1)], source


def hub_offline() -> bool:
    """Whether the user asked for offline hub access (`HF_HUB_OFFLINE` or `HF_DATASETS_OFFLINE`)."""
    return any(
        os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"} for name in OFFLINE_VARIABLES
    )


def _probe_hub(source: str, local_copy: str) -> None:
    """Fails within seconds when the hub does not answer, instead of after datasets' retries."""
    import httpx

    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    try:
        httpx.head(endpoint, timeout=HUB_PROBE_SECONDS)
    except httpx.HTTPError as error:
        raise LimkitError(
            f"the Hugging Face hub at {endpoint} cannot be reached ({type(error).__name__}); {local_copy}, "
            "or set HF_HUB_OFFLINE=1 to read a cached copy",
            path=source,
            field="data_dir",
        ) from None
