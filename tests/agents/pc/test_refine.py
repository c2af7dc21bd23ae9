"""Refinement golden tests on synthetic trajectories (Pillow-made screenshots).

Every expected value is derived from the inputs: scaled coordinates from the scale factors, kept steps
from the pass rules, marker pixels from the marker geometry."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest
from data_fixtures import Raw, button, make_trajectory
from PIL import Image

from limkit.agents.pc import read_steps
from limkit.agents.pc._markers import ARROW_ANGLE, ARROW_LENGTH, RED, RING_RADIUS
from limkit.agents.pc._refine import RefineConfig, refine_trajectory
from limkit.errors import LimkitError

KEEP_ALL = frozenset({"unchanged"})


def _actions(directory: Path) -> list[str]:
    return [step.action for step in read_steps(directory / "refined.jsonl")]


def _digest(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_a_short_press_and_drag_is_a_click_a_long_one_a_drag(tmp_path: Path) -> None:
    raw = [
        Raw("press (100, 100)", 1, button("Save", (90, 90, 130, 110))),
        Raw("drag to (103, 101)", 1),  # Manhattan 3 + 1 = 4 <= 5
        Raw("press (200, 200)", 2),
        Raw("drag to (204, 202)", 2),  # 4 + 2 = 6 > 5
        Raw("finish", 3),
    ]
    directory = make_trajectory(tmp_path / "t", raw)
    result = refine_trajectory(directory, RefineConfig())
    assert _actions(directory) == ["click (100, 100)", "drag from (200, 200) to (204, 202)", "finish"]
    assert result.counts["fuse-drags"] == 2
    (click, *_) = read_steps(directory / "refined.jsonl")
    assert click.element == button("Save", (90, 90, 130, 110)) and click.index == 0
    refine_trajectory(directory, RefineConfig(click_radius=6))
    assert _actions(directory)[:2] == ["click (100, 100)", "click (200, 200)"]


@pytest.mark.parametrize("target", [(1920, 1080), (1280, 720)])
def test_resize_scales_both_drag_ends_the_rects_and_the_images(
    tmp_path: Path, target: tuple[int, int]
) -> None:
    screen = (2560, 1440)
    raw = [
        Raw("press (100, 200)", 1),
        Raw("drag to (2000, 1000)", 1),
        Raw("click (2559, 1439)", 2, button("Close", (-9, 10, 2570, 1450))),
        Raw("scroll (0, -4)", 3),
        Raw("finish", 4),
    ]
    directory = make_trajectory(tmp_path / "t", raw, screen=screen)
    result = refine_trajectory(directory, RefineConfig(target=target))
    sx, sy = target[0] / screen[0], target[1] / screen[1]

    def pair(x: int, y: int) -> str:
        return f"({round(x * sx)}, {round(y * sy)})"

    assert _actions(directory) == [
        f"drag from {pair(100, 200)} to {pair(2000, 1000)}",
        f"click {pair(2559, 1439)}",
        "scroll (0, -4)",
        "finish",
    ]
    steps = read_steps(directory / "refined.jsonl")
    assert steps[1].element is not None
    assert steps[1].element.rect == (round(-9 * sx), round(10 * sy), round(2570 * sx), round(1450 * sy))
    assert result.counts["resize"] == 2
    for step in steps:
        assert step.screenshot is not None
        with Image.open(directory / step.screenshot) as image:
            assert image.size == target


def test_resize_switched_off_keeps_the_recorded_numbers(tmp_path: Path) -> None:
    raw = [Raw("click (2000, 1000)", 1), Raw("finish", 2)]
    directory = make_trajectory(tmp_path / "t", raw, screen=(2560, 1440))
    refine_trajectory(directory, RefineConfig(skip=frozenset({"resize"})))
    assert _actions(directory)[0] == "click (2000, 1000)"
    with Image.open(directory / "refined/0000.png") as image:
        assert image.size == (2560, 1440)


def test_redundant_modifiers_and_leading_waits_go(tmp_path: Path) -> None:
    raw = [
        Raw("wait", 1),
        Raw("wait", 2),
        Raw("click (5, 5)", 3),
        Raw("press key ctrl", 4),  # leads into a hotkey holding ctrl
        Raw("hotkey (ctrl, c)", 5),
        Raw("press key shift", 6),  # leads into typed text
        Raw("type text: Hi", 7),
        Raw("press key caps_lock", 8),  # always
        Raw("press key ctrl", 9),  # a lone ctrl + shift pair
        Raw("press key shift", 10),
        Raw("press key shift", 11),  # followed by another shift
        Raw("press key shift", 12),  # kept: followed by enter
        Raw("press key enter", 13),
        Raw("finish", 14),
    ]
    directory = make_trajectory(tmp_path / "t", raw)
    result = refine_trajectory(directory, RefineConfig())
    assert _actions(directory) == [
        "click (5, 5)",
        "hotkey (ctrl, c)",
        "type text: Hi",
        "press key shift",
        "press key enter",
        "finish",
    ]
    assert result.counts["leading-waits"] == 2 and result.counts["modifiers"] == 6


def test_a_modifier_that_ends_the_record_goes_too(tmp_path: Path) -> None:
    directory = make_trajectory(tmp_path / "t", [Raw("click (1, 1)", 1), Raw("press key ctrl", 2)])
    refine_trajectory(directory, RefineConfig(skip=frozenset({"finish"})))
    assert _actions(directory) == ["click (1, 1)"]


def test_clicks_and_waits_that_changed_no_pixel_go(tmp_path: Path) -> None:
    raw = [
        Raw("click (10, 10)", 1),  # next frame identical: dropped
        Raw("type text: abc", 1),  # not a click or wait: kept though identical
        Raw("wait", 2),  # next frame identical: dropped
        Raw("press key enter", 2),
        Raw("double click (30, 30)", 3),  # next frame differs: kept
        Raw("finish", 4),
    ]
    directory = make_trajectory(tmp_path / "t", raw)
    result = refine_trajectory(directory, RefineConfig())
    assert _actions(directory) == ["type text: abc", "press key enter", "double click (30, 30)", "finish"]
    assert result.counts["unchanged"] == 2
    refine_trajectory(directory, RefineConfig(skip=frozenset({"unchanged"})))
    assert len(_actions(directory)) == 6


def test_one_changed_pixel_is_a_change(tmp_path: Path) -> None:
    directory = make_trajectory(tmp_path / "t", [Raw("click (10, 10)", 1), Raw("finish", 1)])
    with Image.open(directory / "screens/0001.png") as image:
        changed = image.copy()
    changed.putpixel((700, 400), (0, 0, 0))
    changed.save(directory / "screens/0001.png")
    refine_trajectory(directory, RefineConfig())
    assert _actions(directory) == ["click (10, 10)", "finish"]


def test_the_last_action_is_forced_to_finish_and_failed_records_are_dropped(tmp_path: Path) -> None:
    directory = make_trajectory(
        tmp_path / "a", [Raw("click (1, 1)", 1), Raw("click (2, 2)", 2, button("X", (0, 0, 4, 4)))]
    )
    result = refine_trajectory(directory, RefineConfig())
    assert _actions(directory) == ["click (1, 1)", "finish"] and result.counts["finish"] == 1
    assert read_steps(directory / "refined.jsonl")[-1].element is None
    failed = make_trajectory(tmp_path / "b", [Raw("click (1, 1)", 1), Raw("fail", 2)])
    result = refine_trajectory(failed, RefineConfig())
    assert result.dropped_by == "drop-failed" and result.steps_out == 0
    assert not (failed / "refined.jsonl").exists() and not (failed / "refined").exists()
    result = refine_trajectory(failed, RefineConfig(skip=frozenset({"drop-failed"})))
    assert _actions(failed) == ["click (1, 1)", "fail"] and result.dropped_by is None


def _red(image: Image.Image, point: tuple[int, int]) -> bool:
    return image.getpixel(point) == RED


def _red_near(image: Image.Image, point: tuple[float, float]) -> bool:
    """Red within a pixel of `point` (a thin line drawn at a slant)."""
    x, y = round(point[0]), round(point[1])
    return any(_red(image, (x + dx, y + dy)) for dx in (-1, 0, 1) for dy in (-1, 0, 1))


def test_markers_show_the_box_the_point_the_ring_and_drag_ends(tmp_path: Path) -> None:
    raw = [
        Raw("click (400, 300)", 1, button("OK", (370, 285, 430, 315))),  # apart from ring and arrow
        Raw("press (100, 500)", 2),
        Raw("drag to (700, 500)", 2),
        Raw("type text: x", 3),
        Raw("finish", 4),
    ]
    directory = make_trajectory(tmp_path / "t", raw)
    result = refine_trajectory(directory, RefineConfig())
    click, drag, typing, _ = read_steps(directory / "refined.jsonl")
    assert result.counts["markers"] == 2
    assert click.marked_screenshot == "refined/0000_marked.png"
    assert drag.marked_screenshot == "refined/0001_marked.png"
    assert typing.marked_screenshot is None and not (directory / "refined/0003_marked.png").exists()
    with (
        Image.open(directory / click.marked_screenshot) as marked,
        Image.open(directory / "refined/0000.png") as plain,
    ):
        assert _red(marked, (400, 300))  # the dot
        assert _red(marked, (400 + RING_RADIUS, 300)) and _red(marked, (400, 300 + RING_RADIUS))  # the ring
        assert _red(marked, (370, 300)) and _red(marked, (430, 295)) and _red(marked, (400, 285))  # the box
        assert not _red(marked, (390, 300))  # inside the ring, off the dot: the element stays visible
        back = RING_RADIUS + ARROW_LENGTH / 2  # the middle of the arrow, up and left of the ring
        middle = (400 - back * math.cos(ARROW_ANGLE), 300 - back * math.sin(ARROW_ANGLE))
        beyond = RING_RADIUS + ARROW_LENGTH + 10  # past the tail of the arrow
        outside = (400 - beyond * math.cos(ARROW_ANGLE), 300 - beyond * math.sin(ARROW_ANGLE))
        assert _red_near(marked, middle) and not _red_near(marked, outside)
        far = (np.asarray(marked)[600:, :] == np.asarray(plain)[600:, :]).all()
        assert far  # nothing drawn away from the marks
    with Image.open(directory / drag.marked_screenshot) as marked:
        assert _red(marked, (100, 500)) and _red(marked, (700, 500)) and _red(marked, (400, 500))
        assert _red(marked, (100 + RING_RADIUS, 500)) and _red(marked, (700 - RING_RADIUS, 500))


def test_markers_are_drawn_at_the_resized_coordinates(tmp_path: Path) -> None:
    raw = [Raw("click (2000, 1000)", 1, button("B", (1900, 950, 2100, 1050))), Raw("finish", 2)]
    directory = make_trajectory(tmp_path / "t", raw, screen=(2560, 1440))
    refine_trajectory(directory, RefineConfig(target=(1280, 720)))
    with Image.open(directory / "refined/0000_marked.png") as marked:
        assert marked.size == (1280, 720) and _red(marked, (1000, 500)) and _red(marked, (950, 500))


def test_raw_files_are_untouched_and_a_rerun_gives_the_same_output(tmp_path: Path) -> None:
    raw = [Raw("press (10, 10)", 1), Raw("drag to (300, 300)", 1), Raw("click (5, 5)", 2), Raw("finish", 3)]
    directory = make_trajectory(tmp_path / "t", raw, screen=(1920, 1080))
    before = _digest(directory)
    refine_trajectory(directory, RefineConfig())
    first = _digest(directory)
    assert {name: digest for name, digest in first.items() if name in before} == before
    (directory / "refined" / "9999.png").write_bytes(b"stale")
    refine_trajectory(directory, RefineConfig())
    assert _digest(directory) == first


def test_a_failed_rerun_leaves_no_finished_looking_output(tmp_path: Path) -> None:
    directory = make_trajectory(tmp_path / "t", [Raw("click (5, 5)", 1), Raw("finish", 2)])
    refine_trajectory(directory, RefineConfig())
    (directory / "screens/0001.png").unlink()
    with pytest.raises(LimkitError, match="screenshot not found"):
        refine_trajectory(directory, RefineConfig(skip=KEEP_ALL))
    assert not (directory / "refined.jsonl").exists()


def test_a_press_without_its_drag_names_file_line_and_field(tmp_path: Path) -> None:
    raw = [Raw("click (1, 1)", 1), Raw("press (5, 5)", 2), Raw("click (9, 9)", 3), Raw("finish", 4)]
    directory = make_trajectory(tmp_path / "t", raw)
    with pytest.raises(LimkitError, match="followed by `drag to`") as caught:
        refine_trajectory(directory, RefineConfig())
    assert (caught.value.path, caught.value.line, caught.value.field) == (
        str(directory / "steps.jsonl"),
        2,
        "action",
    )


def test_a_screenshot_of_another_size_is_named(tmp_path: Path) -> None:
    directory = make_trajectory(tmp_path / "t", [Raw("click (5, 5)", 1), Raw("finish", 2)])
    Image.new("RGB", (640, 480)).save(directory / "screens/0001.png")
    with pytest.raises(LimkitError, match="640x480") as caught:
        refine_trajectory(directory, RefineConfig())
    assert caught.value.path == str(directory / "screens/0001.png")


def test_the_cli_refines_a_folder_of_trajectories_and_reports_each_pass(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    make_trajectory(tmp_path / "all" / "a", [Raw("wait", 1), Raw("click (5, 5)", 2), Raw("finish", 3)])
    make_trajectory(tmp_path / "all" / "b", [Raw("click (5, 5)", 1), Raw("fail", 2)])
    done = run_cli("pc", "refine", str(tmp_path / "all"), "--skip", "unchanged", "--resolution", "1920x1080")
    assert done.code == 0, done.err
    assert "1 of 2 trajectories refined" in done.err and "dropped" in done.err
    assert "leading-waits 1" in done.err and "unchanged" not in done.err.split("changes by pass:")[1]
    assert (
        json.loads((tmp_path / "all/a/refined.jsonl").read_text().splitlines()[0])["action"] == "click (8, 8)"
    )
    bad = run_cli("pc", "refine", str(tmp_path / "all"), "--skip", "nonsense")
    assert bad.code == 2 and "unknown pass 'nonsense'" in bad.err
    bad = run_cli("pc", "refine", str(tmp_path / "all"), "--resolution", "big")
    assert bad.code == 2 and "1280x720" in bad.err


def test_a_path_that_holds_no_trajectory_is_named(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "empty").mkdir()
    for path in (tmp_path / "empty", tmp_path / "missing"):
        done = run_cli("pc", "refine", str(path))
        assert done.code == 1 and str(path) in done.err and "task.json" in done.err
