"""The ReAlign task taxonomy and the per-task response formats, read from package data.

The 46 tasks in 10 groups and the task names are the paper's (fact sheet A.2); descriptions and
formats are limkit's own wording. A task without a format is never rewritten: the released code looked
up the format before checking whether the task had one and crashed on those ten tasks (A.9.1), so here
"no format" is an ordinary outcome (`format_for` returns None).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from limkit.errors import LimkitError

DEFAULT_TASK = "default"

RETRIEVAL_TASKS = ("how_to_generation", "open_qa", "fact_verification", "recommendations", "explain_answer")
"""Knowledge-intensive tasks that get retrieved evidence by default (the paper's RAG_TASKS, A.4)."""


@dataclass(frozen=True)
class Task:
    name: str
    group: str
    description: str


def _package_yaml(name: str) -> Any:
    text = resources.files("limkit.curate._realign").joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


@functools.lru_cache(maxsize=1)
def taxonomy() -> dict[str, Task]:
    """Every task by name, in the order of the package file (group by group)."""
    tasks: dict[str, Task] = {}
    for group, members in _package_yaml("taxonomy.yaml").items():
        for name, description in members.items():
            tasks[name] = Task(name, group, description)
    return tasks


def task_names() -> tuple[str, ...]:
    return tuple(taxonomy())


def groups() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for task in taxonomy().values():
        out.setdefault(task.group, []).append(task.name)
    return out


def canonical_task(label: str | None) -> str:
    """A classifier's output as a known task name; anything unknown becomes `default` (A.2)."""
    if label is None:
        return DEFAULT_TASK
    cleaned = label.strip().strip("`'\".").strip().lower().replace(" ", "_").replace("-", "_")
    return cleaned if cleaned in taxonomy() else DEFAULT_TASK


def group_of(task: str) -> str:
    found = taxonomy().get(task)
    return found.group if found else taxonomy()[DEFAULT_TASK].group


@functools.lru_cache(maxsize=1)
def packaged_formats() -> dict[str, str]:
    formats = _package_yaml("formats.yaml")
    return {str(task): str(text).strip() for task, text in formats.items()}


def load_formats(override: str | Path | None) -> dict[str, str]:
    """The packaged formats with a user YAML file's entries laid over them (`task: null` removes one).

    Raises:
        LimkitError: the file is missing, is not a mapping, names an unknown task or has a non-text
            format; the message names the file and the task.
    """
    formats = dict(packaged_formats())
    if override is None:
        return formats
    path = Path(override).expanduser()
    if not path.is_file():
        raise LimkitError("formats file not found", path=path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise LimkitError(f"not valid YAML: {error}", path=path) from None
    if not isinstance(data, dict):
        raise LimkitError("expected a mapping of task: format text", path=path)
    for task, text in data.items():
        if task not in taxonomy():
            raise LimkitError("unknown task (see the ReAlign taxonomy)", path=path, field=str(task))
        if text is None:
            formats.pop(task, None)
        elif isinstance(text, str) and text.strip():
            formats[task] = text.strip()
        else:
            raise LimkitError("expected the format as text, or null to remove it", path=path, field=task)
    return formats
