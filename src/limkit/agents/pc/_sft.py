"""Planner training data from completed trajectories: one chat sample per step (fact sheet section 5).

A sample is what the planner sees at that step and what it should answer:

    {"messages": [
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": PROMPT}]},
        {"role": "assistant", "content": [{"type": "text", "text": "THOUGHT\\n\\nAction: ACTION"}]}],
     "images": ["/abs/path/DIR/refined/0003.png"]}

This is the form TRL's SFTTrainer reads for vision-language models (an `images` column, one
`{"type": "image"}` placeholder per image in the user turn, filled in order by
`trl.data_utils.prepare_multimodal_messages`): no converter is needed between limkit and TRL. Images are
absolute paths to the refined, *unmarked* screenshot (the planner never sees markers at run time); load
the file with `datasets.load_dataset("json", ...)` and cast `images` to `Sequence(Image())` to decode them.

PROMPT is the planner's own prompt (`_prompts.planner_prompt`): the task, and the thought and action of
the last `history` steps, clicks said as `click element: DESC`. ACTION is in the planner's dialect. A step
without a thought, a click without a description, or a step without a screenshot is skipped and counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from limkit.agents.pc._actions import CLICK_KINDS, parse_action
from limkit.agents.pc._complete import planned_action
from limkit.agents.pc._prompts import planner_prompt, planner_target
from limkit.agents.pc._trajectory import COMPLETED_FILE, Step, read_steps, read_task
from limkit.errors import LimkitError


@dataclass
class SftStats:
    trajectories: int = 0
    steps: int = 0
    samples: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


def _skip_reason(step: Step) -> str | None:
    if step.screenshot is None:
        return "no screenshot"
    if not step.thought:
        return "no thought"
    if parse_action(step.action).kind in CLICK_KINDS and not (step.description_checked or step.description):
        return "click without description"
    return None


def step_sample(task: str, steps: list[Step], position: int, directory: Path, history: int) -> dict[str, Any]:
    """The training sample of `steps[position]` (which must not be skipped)."""
    step = steps[position]
    assert step.screenshot is not None and step.thought
    first = max(0, position - history)
    past = [
        (earlier.thought or "(no thought recorded)", planned_action(earlier))
        for earlier in steps[first:position]
    ]
    prompt = planner_prompt(task, past, first + 1)
    return {
        "messages": [
            {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]},
            {
                "role": "assistant",
                "content": [{"type": "text", "text": planner_target(step.thought, planned_action(step))}],
            },
        ],
        "images": [str((directory / step.screenshot).resolve())],
    }


def to_sft(
    directories: list[Path], out: Path, history: int = 10, on_trajectory: Callable[[], None] | None = None
) -> SftStats:
    """Writes one sample per usable step of every completed trajectory to `out` (JSONL, atomically);
    `on_trajectory` is called after each trajectory (a progress bar)."""
    from limkit.data import write_jsonl

    if history < 0:
        raise LimkitError("the history window must be >= 0", field="history")
    stats = SftStats()
    rows: list[dict[str, Any]] = []
    for directory in directories:
        path = directory / COMPLETED_FILE
        if not path.is_file():
            raise LimkitError("not completed yet: run `limkit pc complete` on it first", path=path)
        task, steps = read_task(directory).task, read_steps(path)
        stats.trajectories += 1
        stats.steps += len(steps)
        for position, step in enumerate(steps):
            reason = _skip_reason(step)
            if reason is not None:
                stats.skipped[reason] += 1
                continue
            if not (directory / str(step.screenshot)).is_file():
                raise LimkitError("screenshot not found", path=directory / str(step.screenshot))
            rows.append(step_sample(task, steps, position, directory, history))
        if on_trajectory is not None:
            on_trajectory()
    stats.samples = write_jsonl(out, rows)
    return stats
