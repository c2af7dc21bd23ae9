"""Synthetic trajectories for the refine/complete/to-sft tests: Pillow-made screenshots, written through
limkit's own record writers. Frames are numbered: equal numbers give pixel-identical images, different
numbers differ (a colour and a drawn box that depend on the number)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
