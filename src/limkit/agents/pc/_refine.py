"""Trajectory refinement: the recorded steps cleaned into what a planner should learn from.

Each pass is a pure function `(steps, context) -> (steps, changes)` over the step list (fact sheet
notes/papers/pc_agent.md, section 2), named so it can be switched off (`RefineConfig.skip`, CLI
`--skip PASS`), and counting what it changed. Images are only read by the passes (the unchanged-screen
test); they are resized and marked once, at the end, by `render`. Departures from the released code:

- every coordinate pair is scaled on resize, both ends of a drag included (the released regex wrote the
  first scaled pair into every slot), and element boxes with them;
- the task description lives whole in task.json (the released code read the first line of a Markdown file);
- a press followed by a short drag becomes a click at the *press* point, where the element was read;
- the target resolution defaults to 1280x720 (the successor PC-Agent-E's choice and the tracker's Xvfb
  screen): a quarter of the pixels of 1920x1080, so a planner's screenshots cost far fewer image tokens;
- no tracker-window pass: limkit's tracker drops events on its own window by window id.

Output: `refined.jsonl` and `refined/` beside the raw files, which are never touched. The old output is
removed before the new one is moved in, and `refined.jsonl` is written last, so a killed run leaves
either a finished refinement or none, and a rerun gives the same result.
"""

from __future__ import annotations

import functools
import itertools
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from limkit.agents.pc._actions import CLICK_KINDS, Action, format_action, parse_action
from limkit.agents.pc._trajectory import (
    REFINED_FILE,
    STEPS_FILE,
    TASK_FILE,
    Element,
    Step,
    read_steps,
    read_task,
    write_steps,
)
from limkit.errors import LimkitError

if TYPE_CHECKING:
    import numpy as np

REFINED_DIR = "refined"
RESOLUTIONS = ((1280, 720), (1920, 1080))
DEFAULT_TARGET = (1280, 720)


@dataclass(frozen=True)
class RefineConfig:
    """`click_radius`: a press and drag whose ends are at most this far apart (Manhattan, px) is a click.
    `target`: the resolution every screenshot and coordinate is scaled to. `skip`: pass names to switch off.
    """

    click_radius: int = 5
    target: tuple[int, int] = DEFAULT_TARGET
    skip: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.skip) - set(PASS_NAMES))
        if unknown:
            raise LimkitError(f"unknown pass {unknown[0]!r}; passes: {', '.join(PASS_NAMES)}", field="skip")
        if self.click_radius < 0:
            raise LimkitError("the click radius must be >= 0", field="click_radius")
        if min(self.target) < 1:
            raise LimkitError("the target resolution must be positive", field="target")


@dataclass
class RefineContext:
    """What passes may read besides the steps: where the record lives, its screen size, the options."""

    directory: Path
    screen: tuple[int, int]
    config: RefineConfig
    lines: dict[int, int] = field(default_factory=dict)

    def where(self, step: Step) -> dict[str, Any]:
        """The place of `step` in steps.jsonl, for an error message."""
        return {"path": self.directory / STEPS_FILE, "line": self.lines.get(step.index), "field": "action"}

    def pixels(self, step: Step) -> np.ndarray | None:
        return None if step.screenshot is None else _pixels(self.directory / step.screenshot)


@functools.lru_cache(maxsize=2)  # the unchanged pass compares neighbours: two frames at a time
def _pixels(path: Path) -> np.ndarray:
    import numpy as np
    from PIL import Image

    if not path.is_file():
        raise LimkitError("screenshot not found", path=path)
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


Pass = Callable[[list[Step], RefineContext], tuple[list[Step], int]]


def _kind(step: Step) -> str:
    return parse_action(step.action).kind


def drop_failed(steps: list[Step], context: RefineContext) -> tuple[list[Step], int]:
    """A record that ends in `fail` is no demonstration of the task: drop it whole (counted as 1)."""
    if steps and _kind(steps[-1]) == "fail":
        return [], 1
    return steps, 0


def fuse_drags(steps: list[Step], context: RefineContext) -> tuple[list[Step], int]:
    """`press (x1, y1)` + `drag to (x2, y2)` -> one click (ends within the radius) or one drag.

    The click keeps the press point, its element and its screenshot: that is where the element was read.
    A press without its drag (or a drag without its press) is a broken record and fails by line."""
    out: list[Step] = []
    changes = 0
    index = 0
    while index < len(steps):
        step = steps[index]
        action = parse_action(step.action)
        if action.kind == "drag to":
            raise LimkitError("`drag to` without the `press` before it", **context.where(step))
        if action.kind != "press":
            out.append(step)
            index += 1
            continue
        follower = steps[index + 1] if index + 1 < len(steps) else None
        if follower is None or _kind(follower) != "drag to":
            raise LimkitError("`press` must be followed by `drag to`", **context.where(step))
        start, end = action.point, parse_action(follower.action).point
        assert start is not None and end is not None
        if abs(start[0] - end[0]) + abs(start[1] - end[1]) <= context.config.click_radius:
            fused = Action("click", point=start)
        else:
            fused = Action("drag", point=start, end=end)
        out.append(step.with_(action=format_action(fused)))
        changes += 1
        index += 2
    return out, changes


def _lone_key(step: Step | None) -> str | None:
    if step is None:
        return None
    action = parse_action(step.action)
    return action.keys[0] if action.kind == "press key" else None


def _redundant_modifier(key: str, follower: Step | None) -> bool:
    """A lone ctrl/shift press is noise when it ends the record, repeats, or leads into what it modified
    (a hotkey holding it; for shift, typed text, whose case already carries it)."""
    if follower is None:
        return True
    action = parse_action(follower.action)
    if action.kind == "press key" and action.keys[0] == key:
        return True
    if action.kind == "hotkey" and key in action.keys:
        return True
    return key == "shift" and action.kind == "type"


def drop_modifiers(steps: list[Step], context: RefineContext) -> tuple[list[Step], int]:
    """Drops redundant modifier presses: caps_lock always (typed text already has its case), ctrl and shift
    by `_redundant_modifier`, and a ctrl+shift (or shift+ctrl) pair of lone presses together."""
    out: list[Step] = []
    changes = 0
    index = 0
    while index < len(steps):
        key = _lone_key(steps[index])
        follower = steps[index + 1] if index + 1 < len(steps) else None
        next_key = _lone_key(follower)
        if key == "caps_lock":
            changes, index = changes + 1, index + 1
        elif {key, next_key} == {"ctrl", "shift"}:
            changes, index = changes + 2, index + 2
        elif key in ("ctrl", "shift") and _redundant_modifier(key, follower):
            changes, index = changes + 1, index + 1
        else:
            out.append(steps[index])
            index += 1
    return out, changes


def drop_leading_waits(steps: list[Step], context: RefineContext) -> tuple[list[Step], int]:
    """Waits before the first real action only record the person reading the task."""
    first = next((i for i, step in enumerate(steps) if _kind(step) != "wait"), len(steps))
    return steps[first:], first


def drop_unchanged(steps: list[Step], context: RefineContext) -> tuple[list[Step], int]:
    """A click or wait (not the last step) after which the next frame is pixel-identical did nothing."""
    import numpy as np

    out: list[Step] = []
    for step, following in itertools.pairwise(steps):
        if _kind(step) in (*CLICK_KINDS, "wait"):
            before, after = context.pixels(step), context.pixels(following)
            if before is not None and after is not None and np.array_equal(before, after):
                continue
        out.append(step)
    out.extend(steps[-1:])
    return out, len(steps) - len(out)


def force_finish(steps: list[Step], context: RefineContext) -> tuple[list[Step], int]:
    """The last step must say the task is over: anything but `finish`/`fail` there becomes `finish`.

    It replaces the last action rather than adding a step, since no screenshot after it exists."""
    if not steps or _kind(steps[-1]) in ("finish", "fail"):
        return steps, 0
    return [*steps[:-1], steps[-1].with_(action="finish", element=None)], 1


def resize(steps: list[Step], context: RefineContext) -> tuple[list[Step], int]:
    """Scales every coordinate pair (click points, both drag ends) and element box to the target size.

    Scroll amounts are notches, not pixels, and stay. Counts the steps whose numbers changed."""
    (width, height), (target_w, target_h) = context.screen, context.config.target
    sx, sy = target_w / width, target_h / height
    out: list[Step] = []
    changes = 0
    for step in steps:
        action = parse_action(step.action)
        scaled = format_action(action.scaled(sx, sy)) if action.point is not None else step.action
        element = step.element
        if element is not None and element.rect is not None:
            left, top, right, bottom = element.rect
            rect = (round(left * sx), round(top * sy), round(right * sx), round(bottom * sy))
            element = Element(element.name, element.role, rect)
        changed = scaled != step.action or element != step.element
        changes += changed
        out.append(step.with_(action=scaled, element=element) if changed else step)
    return out, changes


def plan_markers(steps: list[Step], context: RefineContext) -> tuple[list[Step], int]:
    """Names a marked image for every click-like step and drag with a screenshot (`render` draws them)."""
    out: list[Step] = []
    changes = 0
    for step in steps:
        action = parse_action(step.action)
        if step.screenshot is not None and action.point is not None and action.kind in (*CLICK_KINDS, "drag"):
            out.append(step.with_(marked_screenshot=f"{REFINED_DIR}/{step.index:04d}_marked.png"))
            changes += 1
        else:
            out.append(step.with_(marked_screenshot=None))
    return out, changes


PASSES: tuple[tuple[str, Pass], ...] = (
    ("drop-failed", drop_failed),
    ("fuse-drags", fuse_drags),
    ("modifiers", drop_modifiers),
    ("leading-waits", drop_leading_waits),
    ("unchanged", drop_unchanged),
    ("finish", force_finish),
    ("resize", resize),
    ("markers", plan_markers),
)
PASS_NAMES = tuple(name for name, _ in PASSES)


def run_passes(steps: list[Step], context: RefineContext) -> tuple[list[Step], dict[str, int], str | None]:
    """The steps after every pass not skipped, the count of each pass, and which pass emptied the record."""
    counts: dict[str, int] = {}
    for name, function in PASSES:
        if name in context.config.skip:
            continue
        steps, counts[name] = function(steps, context)
        if not steps:
            return [], counts, name
    return steps, counts, None


@dataclass(frozen=True)
class RefineResult:
    directory: Path
    steps_in: int
    steps_out: int
    counts: dict[str, int]
    dropped_by: str | None = None


def refine_trajectory(directory: Path, config: RefineConfig) -> RefineResult:
    """Refines one trajectory into refined.jsonl + refined/; removes both if the record is dropped."""
    info = read_task(directory)
    raw = read_steps(directory / STEPS_FILE)
    _check_indexes(raw, directory)
    lines = {step.index: number for number, step in enumerate(raw, start=1)}
    context = RefineContext(directory, info.screen, config, lines)
    steps, counts, dropped_by = run_passes(list(raw), context)
    _pixels.cache_clear()
    (directory / REFINED_FILE).unlink(missing_ok=True)
    if dropped_by is not None:
        shutil.rmtree(directory / REFINED_DIR, ignore_errors=True)
        return RefineResult(directory, len(raw), 0, counts, dropped_by)
    size = config.target if "resize" not in config.skip else info.screen
    staging = directory / f".{REFINED_DIR}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    rendered = [render(step, directory, staging, info.screen, size) for step in steps]
    shutil.rmtree(directory / REFINED_DIR, ignore_errors=True)
    staging.rename(directory / REFINED_DIR)
    write_steps(directory / REFINED_FILE, rendered)
    return RefineResult(directory, len(raw), len(rendered), counts)


def _check_indexes(steps: list[Step], directory: Path) -> None:
    seen: set[int] = set()
    for number, step in enumerate(steps, start=1):
        if step.index in seen or step.index < 0:
            problem = "step index repeats" if step.index in seen else "step index must be >= 0"
            raise LimkitError(problem, path=directory / STEPS_FILE, line=number, field="index")
        seen.add(step.index)


def render(
    step: Step, directory: Path, staging: Path, screen: tuple[int, int], size: tuple[int, int]
) -> Step:
    """Writes the step's screenshot at `size` (Pillow LANCZOS) and its marked copy; the refined step."""
    from PIL import Image

    from limkit.agents.pc._markers import mark_click, mark_drag

    if step.screenshot is None:
        return step
    source = directory / step.screenshot
    if not source.is_file():
        raise LimkitError("screenshot not found", path=source)
    with Image.open(source) as opened:
        image = opened.convert("RGB")
    if image.size != screen:
        where = f"{TASK_FILE} says {screen[0]}x{screen[1]}, the image is {image.size[0]}x{image.size[1]}"
        raise LimkitError(f"screenshot size differs from the screen ({where})", path=source)
    if image.size != size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    name = f"{REFINED_DIR}/{step.index:04d}.png"
    image.save(staging / Path(name).name)
    if step.marked_screenshot is not None:
        action = parse_action(step.action)
        assert action.point is not None
        if action.kind == "drag":
            assert action.end is not None
            marked = mark_drag(image, action.point, action.end)
        else:
            marked = mark_click(image, action.point, step.element.rect if step.element else None)
        marked.save(staging / Path(step.marked_screenshot).name)
    return step.with_(screenshot=name)


def find_trajectories(paths: list[Path]) -> list[Path]:
    """Trajectory directories among `paths`: each one itself, or the ones directly inside it."""
    found: list[Path] = []
    for path in paths:
        if (path / TASK_FILE).is_file():
            found.append(path)
            continue
        inside = (
            sorted(child for child in path.iterdir() if (child / TASK_FILE).is_file())
            if path.is_dir()
            else []
        )
        if not inside:
            raise LimkitError("neither a trajectory directory (task.json) nor a folder of them", path=path)
        found.extend(inside)
    return found
