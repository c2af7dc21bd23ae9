"""The tracker's event rules on hand-made event sequences: the edge cases an end-to-end run does not reach
(triple clicks, lone modifiers, ctrl+click, four-key combos, Caps Lock, backspace on an empty run, waits
during typing or a held button, a single masked password key)."""

from __future__ import annotations

from limkit.agents.pc import Element, parse_action
from limkit.agents.pc._events import EventRules, Pending, Raw

PASSWORD = Element("Password", "password text", (0, 0, 10, 10))


def _run(events: list[Raw], *, focused: Element | None = None, caps_lock: bool = False, stop: float = 99.0):
    out: list[Pending] = []
    rules = EventRules(out.append, focused=lambda: focused, wait=6.0, caps_lock=caps_lock)
    for event in events:
        if event.kind == "tick":
            rules.tick(event.time, "frame@tick")
        else:
            rules.feed(event)
    rules.stop("finish", stop, None)
    actions = [pending.action for pending in out]
    for action in actions:
        parse_action(action)  # everything emitted is in the grammar
    return actions, out


def _keys(start: float, *keys: str, step: float = 0.05) -> list[Raw]:
    events = []
    for index, key in enumerate(keys):
        events += [
            Raw("key_down", start + index * step, key=key),
            Raw("key_up", start + index * step + 0.01, key=key),
        ]
    return events


def _click(time: float, point: tuple[int, int], button: str = "left") -> list[Raw]:
    return [
        Raw("press", time, f"frame@{time}", point, button),
        Raw("release", time + 0.02, None, point, button),
    ]


def test_triple_click_is_one_double_click_and_fast_right_clicks_both_count() -> None:
    events = _click(1.0, (5, 5)) + _click(1.2, (5, 5)) + _click(1.4, (5, 5))
    events += _click(2.0, (9, 9), "right") + _click(2.2, (9, 9), "right")
    events += _click(3.0, (1, 1)) + _click(3.3, (2, 1))  # fast but elsewhere: two clicks
    actions, out = _run(events)
    assert actions == [
        "double click (5, 5)",
        "right click (9, 9)",
        "right click (9, 9)",
        "click (1, 1)",
        "click (2, 1)",
        "finish",
    ]
    assert out[0].frame == "frame@1.0"  # the first press's frame


def test_typing_edits_and_short_runs() -> None:
    events = _keys(1.0, "a", "backspace", "backspace")  # one char, edited away, then a real backspace
    events += _keys(2.0, " ", "esc")  # a lone space (a pause does not end a run; a non-typing key does)
    events += _keys(3.0, "x", "y", "backspace", "z", "enter")
    actions, out = _run(events)
    expected = ["press key backspace", "press key space", "press key esc", "type text: xz", "press key enter"]
    assert actions == [*expected, "finish"]
    assert out[3].time == 3.0


def test_modifiers_alone_with_clicks_and_in_long_combos() -> None:
    events = _keys(1.0, "shift") + _keys(1.5, "ctrl")  # tapped alone
    events += [Raw("key_down", 2.0, key="ctrl"), *_click(2.1, (3, 4)), Raw("key_up", 2.3, key="ctrl")]
    events += [
        Raw("key_down", 3.0 + i * 0.01, key=key) for i, key in enumerate(("ctrl", "alt", "shift", "X"))
    ]
    events += [Raw("key_up", 3.1 + i * 0.01, key=key) for i, key in enumerate(("X", "shift", "alt", "ctrl"))]
    events += [Raw("key_down", 4.0, key="shift"), *_keys(4.1, "H", "i"), Raw("key_up", 4.3, key="shift")]
    events += [Raw("key_down", 5.0, key="shift"), *_keys(5.1, "tab"), Raw("key_up", 5.3, key="shift")]
    actions, _ = _run(events)
    assert actions == [
        "press key shift",
        "press key ctrl",
        "press key ctrl",
        "click (3, 4)",
        "hotkey (ctrl, alt, x)",
        "type text: Hi",
        "hotkey (shift, tab)",
        "finish",
    ]


def test_caps_lock_flips_letters_and_is_not_recorded() -> None:
    actions, _ = _run(_keys(1.0, "caps_lock", "a", "B", "1", "caps_lock", "c"))
    assert actions == ["type text: Ab1c", "finish"]
    actions, _ = _run(_keys(1.0, "a", "b"), caps_lock=True)  # Caps Lock already on when recording started
    assert actions == ["type text: AB", "finish"]


def test_password_runs_are_masked_even_for_one_key() -> None:
    actions, out = _run(_keys(1.0, "s", "3", "c") + _keys(2.0, "tab"), focused=PASSWORD)
    assert actions == ["type text: ***", "press key tab", "finish"]
    assert out[0].element == PASSWORD
    actions, _ = _run(_keys(1.0, "q"), focused=PASSWORD)
    assert actions == ["type text: ***", "finish"]


def test_waits_repeat_but_not_while_typing_or_holding_a_button() -> None:
    ticks = [Raw("tick", t) for t in (7.0, 13.1)]
    actions, out = _run(_click(1.0, (1, 1)) + ticks)
    assert actions == ["click (1, 1)", "wait", "wait", "finish"]
    assert out[1].frame == "frame@tick"
    typing = [*_keys(1.0, "a", "b"), Raw("tick", 9.0)]
    held = [Raw("press", 1.0, None, (1, 1)), Raw("tick", 9.0), Raw("release", 9.5, None, (50, 50))]
    assert _run(typing)[0] == ["type text: ab", "finish"]
    assert _run(held)[0] == ["press (1, 1)", "drag to (50, 50)", "finish"]


def test_scroll_runs_merge_and_flush() -> None:
    notches = [Raw("scroll", 1.0 + i * 0.1, f"frame{i}", (5, 5), delta=(0, -1)) for i in range(4)]
    events = [*notches, Raw("scroll", 1.5, None, (5, 5), delta=(1, 0)), Raw("tick", 8.0)]
    events += [Raw("scroll", 9.0, None, (5, 5), delta=(0, 1))]
    actions, out = _run(events)
    assert actions == ["scroll (1, -4)", "wait", "scroll (0, 1)", "finish"]
    assert out[0].frame == "frame0"
