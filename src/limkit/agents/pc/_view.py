"""The Markdown view of a trajectory (DIR/steps.md): the whole task, then each step's screenshot and action.

The Windows tracker's pipeline read the task back from line 1 of its Markdown file, so a multi-line task lost
all but its first line (fact sheet notes/papers/pc_agent.md, section 1.4). Here the Markdown is only for
people: programs read task.json and the JSONL.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from limkit.agents.pc._trajectory import Step, TaskInfo
from limkit.data import atomic_write_text

MARKDOWN_FILE = "steps.md"


def _code(text: str) -> str:
    """`text` as an inline code span, whatever backticks it holds."""
    fence = "`"
    while fence in text:
        fence += "`"
    return (
        f"{fence} {text} {fence}" if text.startswith("`") or text.endswith("`") else f"{fence}{text}{fence}"
    )


def markdown_view(info: TaskInfo, steps: Iterable[Step]) -> str:
    task = info.task.strip() or "(no task given)"
    lines = ["# Task", "", task, "", f"Screen {info.screen[0]}x{info.screen[1]}, status {info.status}.", ""]
    for step in steps:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(step.time))
        lines += [f"### Step {step.index + 1} · {stamp}", ""]
        if step.screenshot:
            lines += [f"![before step {step.index + 1}]({step.screenshot})", ""]
        action = f"**Action:** {_code(step.action)}"
        if step.element is not None:
            action += f" on {step.element.role} {_code(step.element.name)}"
        lines += [action, ""]
    return "\n".join(lines)


def write_markdown(directory: Path, info: TaskInfo, steps: Iterable[Step]) -> None:
    atomic_write_text(directory / MARKDOWN_FILE, markdown_view(info, steps))
