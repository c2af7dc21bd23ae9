"""The shared action grammar: every form round-trips, near misses are refused, key names are canonical."""

from __future__ import annotations

import pytest

from limkit.agents.pc import Action, ActionSyntaxError, format_action, normalize_key, parse_action

RECORDED = [
    ("click (10, 20)", Action("click", point=(10, 20))),
    ("right click (0, 719)", Action("right click", point=(0, 719))),
    ("double click (1279, 3)", Action("double click", point=(1279, 3))),
    ("press (5, 6)", Action("press", point=(5, 6))),
    ("drag to (7, 8)", Action("drag to", point=(7, 8))),
    ("drag from (1, 2) to (300, 400)", Action("drag", point=(1, 2), end=(300, 400))),
    ("scroll (0, -3)", Action("scroll", delta=(0, -3))),
    ("press key enter", Action("press key", keys=("enter",))),
    ("hotkey (ctrl, c)", Action("hotkey", keys=("ctrl", "c"))),
    ("hotkey (ctrl, shift, t)", Action("hotkey", keys=("ctrl", "shift", "t"))),
    ("type text: Hello, world", Action("type", text="Hello, world")),
    ("wait", Action("wait")),
    ("finish", Action("finish")),
    ("fail", Action("fail")),
]
PLANNED = [
    ("click element: the Save button", Action("click", target="the Save button")),
    ("right click element: the file icon", Action("right click", target="the file icon")),
    ("double click element: a (1, 2) folder", Action("double click", target="a (1, 2) folder")),
    ("press key: page_down", Action("press key", keys=("page_down",))),
]


@pytest.mark.parametrize(("text", "action"), RECORDED)
def test_every_recorded_form_round_trips(text: str, action: Action) -> None:
    assert parse_action(text) == action
    assert format_action(action) == text
    assert parse_action(format_action(action)) == action


@pytest.mark.parametrize(("text", "action"), PLANNED)
def test_every_planned_form_round_trips(text: str, action: Action) -> None:
    assert parse_action(text) == action
    assert format_action(action, planned=True) == text


def test_planned_press_key_differs_only_by_its_colon() -> None:
    action = parse_action("press key esc")
    assert (
        format_action(action) == "press key esc" and format_action(action, planned=True) == "press key: esc"
    )
    assert parse_action("press key: esc") == action


def test_typed_text_keeps_its_spaces_and_lines() -> None:
    action = parse_action("type text:  two  spaces\nand a line ")
    assert action.text == " two  spaces\nand a line "


@pytest.mark.parametrize(
    "text",
    [
        "click(10, 20)",
        "click (10 20)",
        "click (10.5, 20)",
        "clicks (10, 20)",
        "click (10, 20) now",
        "Click (10, 20)",
        "drag from (1, 2)",
        "drag from (1, 2) to (3)",
        "scroll (1)",
        "press key",
        "press key: ",
        "press key hyperspace",
        "hotkey (ctrl)",
        "hotkey (ctrl, alt, shift, x)",
        "hotkey ctrl, c",
        "type text: ",
        "type text:",
        "waiting",
        "finish.",
        "click element:",
        "Action: click (1, 2)",
        "click (1, 2)\nfinish",
        "",
    ],
)
def test_near_misses_are_refused(text: str) -> None:
    with pytest.raises(ActionSyntaxError):
        parse_action(text)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("ctrl_l", "ctrl"),
        ("Control", "ctrl"),
        ("shift_r", "shift"),
        ("alt_gr", "alt"),
        ("cmd", "super"),
        ("win", "super"),
        ("Return", "enter"),
        ("escape", "esc"),
        ("pagedown", "page_down"),
        ("Page-Up", "page_up"),
        ("del", "delete"),
        ("F5", "f5"),
        ("C", "c"),
        ("%", "%"),
    ],
)
def test_key_names_map_onto_the_canonical_set(name: str, canonical: str) -> None:
    assert normalize_key(name) == canonical


def test_hotkey_letters_are_lower_case_and_modifiers_canonical() -> None:
    assert parse_action("hotkey (Ctrl_L, C)") == Action("hotkey", keys=("ctrl", "c"))
    assert format_action(parse_action("hotkey (cmd, D)")) == "hotkey (super, d)"


def test_scaling_moves_every_pair_but_not_scroll_notches() -> None:
    drag = parse_action("drag from (100, 200) to (2000, 1000)").scaled(0.5, 0.5)
    assert (drag.point, drag.end) == ((50, 100), (1000, 500))
    assert parse_action("scroll (0, 5)").scaled(0.5, 0.5).delta == (0, 5)
