"""A recorded trajectory on disk: one directory per task, shared by tracker, refinement, completion, to-sft.

    DIR/task.json      {"schema_version", "task" (whole, multi-line), "screen": [w, h], "status", "started"}
    DIR/steps.jsonl    one step a line, as the tracker wrote it
    DIR/screens/       the PNG kept for each step (the frame just before its action)
    DIR/steps.md       a Markdown view for people

Later stages never edit an earlier stage's file: refinement writes `refined.jsonl` (and `refined/` images),
completion writes `completed.jsonl`. Every step line carries `schema_version`; readers check it and every
field, and a bad line fails with the file, the line and the field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from limkit.agents.pc._actions import ActionSyntaxError, parse_action
from limkit.data import atomic_write_text
from limkit.errors import LimkitError

SCHEMA_VERSION = "limkit.pc/1"
TASK_FILE = "task.json"
STEPS_FILE = "steps.jsonl"
REFINED_FILE = "refined.jsonl"
COMPLETED_FILE = "completed.jsonl"
STATUSES = ("recording", "finished", "failed")


@dataclass(frozen=True)
class Element:
    """What sat under a click: its accessible name ("Unknown" where the app exposes none), role and box
    (left, top, right, bottom) in screen pixels."""

    name: str
    role: str
    rect: tuple[int, int, int, int] | None


@dataclass(frozen=True)
class Step:
    """One action with the screenshot taken just before it. Completion fills the last three fields."""

    index: int
    time: float
    action: str
    screenshot: str | None
    element: Element | None = None
    marked_screenshot: str | None = None
    description: str | None = None
    description_checked: str | None = None
    thought: str | None = None
    prompts: dict[str, str] = field(default_factory=dict)

    def with_(self, **changes: Any) -> Step:
        return replace(self, **changes)


@dataclass(frozen=True)
class TaskInfo:
    task: str
    screen: tuple[int, int]
    status: str = "recording"
    started: str = ""


def step_to_json(step: Step) -> dict[str, Any]:
    record = {"schema_version": SCHEMA_VERSION, **asdict(step)}
    if step.element is not None and step.element.rect is not None:
        record["element"]["rect"] = list(step.element.rect)
    return record


def step_from_json(record: Any, *, path: Path, line: int) -> Step:
    """A validated `Step`; `LimkitError` naming the field otherwise."""
    if not isinstance(record, dict):
        raise LimkitError("a step must be a JSON object", path=path, line=line)
    if record.get("schema_version") != SCHEMA_VERSION:
        raise LimkitError(
            f"schema_version {record.get('schema_version')!r}, expected {SCHEMA_VERSION!r}",
            path=path,
            line=line,
            field="schema_version",
        )
    _expect(record, "index", int, path, line)
    _expect(record, "time", (int, float), path, line)
    _expect(record, "action", str, path, line)
    try:
        parse_action(record["action"])
    except ActionSyntaxError as error:
        raise LimkitError(str(error), path=path, line=line, field="action") from None
    for name in ("screenshot", "marked_screenshot", "description", "description_checked", "thought"):
        _expect(record, name, (str, type(None)), path, line, required=False)
    return Step(
        index=record["index"],
        time=float(record["time"]),
        action=record["action"],
        screenshot=record.get("screenshot"),
        element=_element(record.get("element"), path, line),
        marked_screenshot=record.get("marked_screenshot"),
        description=record.get("description"),
        description_checked=record.get("description_checked"),
        thought=record.get("thought"),
        prompts=_prompts(record.get("prompts", {}), path, line),
    )


def _expect(
    record: dict[str, Any], name: str, kind: Any, path: Path, line: int, *, required: bool = True
) -> None:
    if name not in record:
        if required:
            raise LimkitError("missing field", path=path, line=line, field=name)
        return
    value = record[name]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise LimkitError(f"wrong type {type(value).__name__}", path=path, line=line, field=name)


def _element(value: Any, path: Path, line: int) -> Element | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(value.get(key), str) for key in ("name", "role")):
        raise LimkitError("element needs a string name and role", path=path, line=line, field="element")
    rect = value.get("rect")
    if rect is not None:
        if not (isinstance(rect, list) and len(rect) == 4 and all(isinstance(v, int) for v in rect)):
            problem = "rect must be [left, top, right, bottom] integers"
            raise LimkitError(problem, path=path, line=line, field="element.rect")
        rect = tuple(rect)
    return Element(value["name"], value["role"], rect)


def _prompts(value: Any, path: Path, line: int) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise LimkitError("prompts must map names to strings", path=path, line=line, field="prompts")
    return dict(value)


def read_steps(path: Path) -> list[Step]:
    """Every step of a steps/refined/completed JSONL file, validated, in file order."""
    steps = []
    with path.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as error:
                raise LimkitError(f"not JSON: {error.msg}", path=path, line=number) from None
            steps.append(step_from_json(record, path=path, line=number))
    return steps


def write_steps(path: Path, steps: Iterable[Step]) -> None:
    """All of `steps`, atomically: a reader sees the old file or the whole new one."""
    text = "".join(json.dumps(step_to_json(step), ensure_ascii=False) + "\n" for step in steps)
    atomic_write_text(path, text)


def read_task(directory: Path) -> TaskInfo:
    path = directory / TASK_FILE
    if not path.is_file():
        raise LimkitError("not a trajectory directory (no task.json)", path=directory)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise LimkitError(f"not JSON: {error.msg}", path=path, line=error.lineno) from None
    if not isinstance(record, dict) or record.get("schema_version") != SCHEMA_VERSION:
        raise LimkitError(f"expected schema_version {SCHEMA_VERSION!r}", path=path, field="schema_version")
    screen = record.get("screen")
    if not (isinstance(screen, list) and len(screen) == 2 and all(_positive_int(v) for v in screen)):
        raise LimkitError("screen must be [width, height]", path=path, field="screen")
    if not isinstance(record.get("task"), str):
        raise LimkitError("task must be a string", path=path, field="task")
    if record.get("status") not in STATUSES:
        raise LimkitError(f"status must be one of {STATUSES}", path=path, field="status")
    return TaskInfo(record["task"], (screen[0], screen[1]), record["status"], str(record.get("started", "")))


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def write_task(directory: Path, info: TaskInfo) -> None:
    record = {"schema_version": SCHEMA_VERSION, **asdict(info), "screen": list(info.screen)}
    atomic_write_text(directory / TASK_FILE, json.dumps(record, ensure_ascii=False, indent=1) + "\n")
