"""Synthetic trajectories for the refine/complete/to-sft tests: Pillow-made screenshots, written through
limkit's own record writers. Frames are numbered: equal numbers give pixel-identical images, different
numbers differ (a colour and a drawn box that depend on the number)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from limkit.agents.pc import Element, Step, TaskInfo, write_steps, write_task


@dataclass(frozen=True)
class Raw:
    """One recorded step: its action, the frame number of its screenshot, and the element (if any)."""

    action: str
    frame: int
    element: Element | None = None


def frame_image(number: int, screen: tuple[int, int]) -> Image.Image:
    image = Image.new("RGB", screen, ((number * 53) % 256, (number * 101) % 256, 90))
    draw = ImageDraw.Draw(image)
    side = screen[0] // 20
    draw.rectangle(
        (number * side % screen[0], side, number * side % screen[0] + side, 2 * side), fill="white"
    )
    return image


def make_trajectory(
    directory: Path, raw: list[Raw], *, screen: tuple[int, int] = (1280, 720), task: str = "Save the report"
) -> Path:
    """Writes task.json, screens/NNNN.png and steps.jsonl the way the tracker lays them out."""
    (directory / "screens").mkdir(parents=True, exist_ok=True)
    write_task(directory, TaskInfo(task, screen, "finished", "2026-12-02T00:00:00"))
    steps = []
    for index, item in enumerate(raw):
        name = f"screens/{index:04d}.png"
        frame_image(item.frame, screen).save(directory / name)
        steps.append(Step(index, 1000.0 + index, item.action, name, item.element))
    write_steps(directory / "steps.jsonl", steps)
    return directory


def button(name: str, rect: tuple[int, int, int, int]) -> Element:
    return Element(name, "push button", rect)


def refined_trajectory(directory: Path, raw: list[Raw], **options: Any) -> Path:
    """A trajectory recorded by `make_trajectory` and refined by limkit's own refinement."""
    from limkit.agents.pc._refine import RefineConfig, refine_trajectory

    make_trajectory(directory, raw, **options)
    refine_trajectory(directory, RefineConfig())
    return directory


SCRIPT = str(Path(__file__).with_name("pc_data_scripts.py")) + ":reply"
"""The scripted completion model (`pc_data_scripts.reply`), as `--model` takes it."""

TASK = "Write hello into the report\nand then save it (the second line matters too)"
COMPLETION_RAW = [
    Raw("click (100, 100)", 1, button("Save", (80, 90, 120, 110))),
    Raw("type text: hello", 2),
    Raw("click (200, 200)", 3, button("wrong place", (180, 190, 220, 210))),
    Raw("click (300, 300)", 4, button("Refuse", (280, 290, 320, 310))),
    Raw("click (400, 400)", 5, button("Garbled", (380, 390, 420, 410))),
    Raw("press key enter", 6),
    Raw("scroll (0, -2)", 7),
    Raw("type text: refuse me", 8),
    Raw("finish", 9),
]
