"""The trajectory record: it round-trips, and a bad line fails naming the file, the line and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from limkit.agents.pc import (
    SCHEMA_VERSION,
    Element,
    Step,
    TaskInfo,
    read_steps,
    read_task,
    write_steps,
    write_task,
)
from limkit.errors import LimkitError


def _good() -> dict[str, object]:
    return {
        "schema_version": SCHEMA_VERSION,
        "index": 0,
        "time": 1.5,
        "action": "click (1, 2)",
        "screenshot": "screens/0000.png",
        "element": {"name": "Save", "role": "push button", "rect": [0, 0, 10, 10]},
    }


def test_steps_round_trip(tmp_path: Path) -> None:
    steps = [
        Step(0, 1.0, "click (1, 2)", "screens/0000.png", Element("Save", "push button", (0, 1, 2, 3))),
        Step(1, 2.0, "type text: a\nb", None, None, thought="I type.", prompts={"thought": "why?"}),
    ]
    write_steps(tmp_path / "steps.jsonl", steps)
    assert read_steps(tmp_path / "steps.jsonl") == steps


def test_a_multi_line_task_is_read_whole(tmp_path: Path) -> None:
    write_task(tmp_path, TaskInfo("first line\nsecond line", (1280, 720), "finished"))
    assert read_task(tmp_path).task == "first line\nsecond line"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"schema_version": "limkit.pc/0"}, "schema_version"),
        ({"index": "0"}, "index"),
        ({"time": True}, "time"),
        ({"action": "clik (1, 2)"}, "action"),
        ({"screenshot": 3}, "screenshot"),
        ({"element": {"name": "Save"}}, "element"),
        ({"element": {"name": "S", "role": "r", "rect": [0, 0, 1]}}, "element.rect"),
        ({"prompts": {"thought": 1}}, "prompts"),
        ({"thought": ["x"]}, "thought"),
    ],
)
def test_a_bad_field_is_named_with_file_and_line(
    tmp_path: Path, change: dict[str, object], field: str
) -> None:
    path = tmp_path / "steps.jsonl"
    bad = {**_good(), **change}
    path.write_text(json.dumps(_good()) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(LimkitError) as caught:
        read_steps(path)
    assert (caught.value.path, caught.value.line, caught.value.field) == (str(path), 2, field)


def test_a_missing_field_and_broken_json_are_named(tmp_path: Path) -> None:
    path = tmp_path / "steps.jsonl"
    record = _good()
    del record["action"]
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    with pytest.raises(LimkitError, match="missing field") as caught:
        read_steps(path)
    assert (caught.value.line, caught.value.field) == (1, "action")
    path.write_text(json.dumps(_good()) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(LimkitError, match="not JSON") as caught:
        read_steps(path)
    assert caught.value.line == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [({"screen": [1280]}, "screen"), ({"task": None}, "task"), ({"status": "done"}, "status")],
)
def test_a_bad_task_file_names_its_field(tmp_path: Path, change: dict[str, object], field: str) -> None:
    write_task(tmp_path, TaskInfo("t", (1280, 720), "finished"))
    record = {**json.loads((tmp_path / "task.json").read_text()), **change}
    (tmp_path / "task.json").write_text(json.dumps(record))
    with pytest.raises(LimkitError) as caught:
        read_task(tmp_path)
    assert caught.value.field == field
