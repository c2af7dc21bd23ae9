"""Canonical key names to X keysyms and back, through the grammar, and the xdotool commands per action."""

from __future__ import annotations

import pytest

from limkit.agents.pc import NAMED_KEYS, Action, format_action, parse_action
from limkit.agents.pc._execute import KEYSYMS, commands, key_from_keysym, keysym

PRINTABLE = [chr(code) for code in range(33, 127)] + ["é", "ß", "€"]


@pytest.mark.parametrize("key", [*NAMED_KEYS, *PRINTABLE])
def test_every_key_maps_to_a_keysym_and_back(key: str) -> None:
    action = parse_action(f"press key: {key}")
    assert parse_action(format_action(action)) == action
    (canonical,) = action.keys
    (argv,) = commands(action)
    assert argv[:3] == ["xdotool", "key", "--clearmodifiers"]
    assert key_from_keysym(argv[3]) == canonical == key_from_keysym(keysym(canonical))


def test_named_keys_are_x_keysyms() -> None:
    assert set(KEYSYMS) == set(NAMED_KEYS)
    assert [keysym(key) for key in ("page_down", "page_up", "enter", "esc", "super", "print_screen")] == [
        "Next",
        "Prior",
        "Return",
        "Escape",
        "Super_L",
        "Print",
    ]
    assert (keysym("+"), keysym("é"), keysym("a"), keysym("7")) == ("plus", "U00E9", "a", "7")


def test_recorder_names_replay_as_the_same_keys() -> None:
    """What the tracker writes from pynput names (ctrl_l, cmd, page_down, uppercase hotkey letters)."""
    action = parse_action("hotkey (Ctrl_L, Shift, S)")
    assert commands(action) == [["xdotool", "key", "--clearmodifiers", "Control_L+Shift_L+s"]]
    assert commands(parse_action("hotkey (cmd, d)"))[0][3] == "Super_L+d"
    assert key_from_keysym("Control_R") == "ctrl" and key_from_keysym("Page_Down") == "page_down"


def test_pointer_actions() -> None:
    assert commands(Action("click", target="Save"), (10, 20)) == [
        ["xdotool", "mousemove", "10", "20", "sleep", "0.05", "click", "1"]
    ]
    assert commands(Action("right click", target="x"), (1, 2))[0][-1] == "3"
    assert commands(Action("double click", target="x"), (1, 2))[0][-5:] == [
        "--repeat",
        "2",
        "--delay",
        "80",
        "1",
    ]
    drag = commands(parse_action("drag from (10, 20) to (30, 60)"))
    assert drag[0][:7] == ["xdotool", "mousemove", "10", "20", "sleep", "0.05", "mousedown"]
    assert drag[1][2:4] == ["20", "40"] and drag[2][2:4] == ["30", "60"] and drag[2][-2:] == ["mouseup", "1"]


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        ((0, 3), [("3", "4")]),
        ((0, -2), [("2", "5")]),
        ((-1, 0), [("1", "6")]),
        ((4, -1), [("1", "5"), ("4", "7")]),
    ],
)
def test_scroll_notches_follow_the_recorded_sign(
    delta: tuple[int, int], expected: list[tuple[str, str]]
) -> None:
    runs = commands(Action("scroll", delta=delta))
    assert [(argv[3], argv[-1]) for argv in runs] == expected


def test_typed_text_is_passed_whole_after_end_of_options() -> None:
    assert commands(parse_action("type text: -n héllo wörld"))[0][-2:] == ["--", "-n héllo wörld"]
    assert commands(Action("wait")) == [] and commands(Action("finish")) == []
