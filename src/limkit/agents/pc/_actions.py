"""The PC Agent action grammar: one parser and one formatter for tracker, refinement, completion and agent.

Two dialects of the same actions (fact sheet notes/papers/pc_agent.md, sections 1.5 and 4):

- *recorded* actions carry screen coordinates: `click (x, y)`, `right click (x, y)`, `double click (x, y)`,
  `press (x, y)` + `drag to (x, y)` (fused by refinement into `drag from (x1, y1) to (x2, y2)`),
  `scroll (dx, dy)`, `press key K`, `hotkey (K1, K2[, K3])`, `type text: T`, `wait`, `finish`, `fail`;
- *planned* actions name click targets by description, since the planner never sees coordinates:
  `click element: DESC`, `right click element: DESC`, `double click element: DESC`, `press key: K`, and the
  coordinate forms above for everything else.

Key names are limkit's own canonical set (lower case: `ctrl`, `shift`, `alt`, `super`, `enter`, `page_down`,
...): the tracker maps pynput names into it and the executor maps it onto xdotool keysyms, so what is
recorded is what can be replayed. `parse_action` is strict: a model's reply that is not exactly one action
raises `ActionSyntaxError`, which callers count and retry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from limkit.errors import LimkitError

CLICK_KINDS = ("click", "right click", "double click")
KINDS = (
    *CLICK_KINDS,
    "press",
    "drag to",
    "drag",
    "scroll",
    "press key",
    "hotkey",
    "type",
    "wait",
    "finish",
    "fail",
)
MODIFIERS = ("ctrl", "shift", "alt", "super")
NAMED_KEYS = (
    *MODIFIERS,
    "enter",
    "esc",
    "tab",
    "space",
    "backspace",
    "delete",
    "insert",
    "home",
    "end",
    "page_up",
    "page_down",
    "up",
    "down",
    "left",
    "right",
    "caps_lock",
    "print_screen",
    "menu",
    *(f"f{number}" for number in range(1, 25)),
)


class ActionSyntaxError(LimkitError):
    """A string that is not exactly one action of the grammar."""


@dataclass(frozen=True)
class Action:
    """One action. `point` for clicks, press and `drag to`; `end` for a fused drag; `delta` for scroll;
    `keys` for press key (one key) and hotkey (two or three); `text` for typing; `target` for a planned click
    (an element description instead of a point)."""

    kind: str
    point: tuple[int, int] | None = None
    end: tuple[int, int] | None = None
    delta: tuple[int, int] | None = None
    keys: tuple[str, ...] = ()
    text: str | None = None
    target: str | None = None

    @property
    def is_click(self) -> bool:
        return self.kind in CLICK_KINDS

    def scaled(self, sx: float, sy: float) -> Action:
        """The same action with every coordinate pair scaled (both ends of a drag, not scroll notches)."""

        def scale(pair: tuple[int, int] | None) -> tuple[int, int] | None:
            return None if pair is None else (round(pair[0] * sx), round(pair[1] * sy))

        return replace(self, point=scale(self.point), end=scale(self.end))


def normalize_key(name: str) -> str:
    """A key name in limkit's canonical form: named keys from `NAMED_KEYS`, or one printable character."""
    key = name.strip()
    lowered = key.lower().replace("-", "_")
    aliases = {
        "control": "ctrl",
        "ctrl_l": "ctrl",
        "ctrl_r": "ctrl",
        "shift_l": "shift",
        "shift_r": "shift",
        "alt_l": "alt",
        "alt_r": "alt",
        "alt_gr": "alt",
        "cmd": "super",
        "cmd_l": "super",
        "cmd_r": "super",
        "win": "super",
        "meta": "super",
        "return": "enter",
        "escape": "esc",
        "pagedown": "page_down",
        "pageup": "page_up",
        "page down": "page_down",
        "page up": "page_up",
        "del": "delete",
        "prtsc": "print_screen",
    }
    lowered = aliases.get(lowered, lowered)
    if lowered in NAMED_KEYS:
        return lowered
    if len(key) == 1 and key.isprintable():
        return key.lower() if key.isalpha() else key
    known = ", ".join(NAMED_KEYS[:12])
    raise ActionSyntaxError(f"unknown key name {name!r}; expected one of {known}, ... or one character")


_INT = r"(-?\d+)"
_PAIR = rf"\(\s*{_INT}\s*,\s*{_INT}\s*\)"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("drag", re.compile(rf"drag from {_PAIR} to {_PAIR}")),
    ("drag to", re.compile(rf"drag to {_PAIR}")),
    ("scroll", re.compile(rf"scroll {_PAIR}")),
    ("press key", re.compile(r"press key:? (\S.*)")),
    ("hotkey", re.compile(r"hotkey \(([^()]+)\)")),
    ("type", re.compile(r"type text: (.*)", re.DOTALL)),
    ("press", re.compile(rf"press {_PAIR}")),
    *((kind, re.compile(rf"{kind} {_PAIR}")) for kind in CLICK_KINDS),
    *((f"{kind} element", re.compile(rf"{kind} element: (\S.*)")) for kind in CLICK_KINDS),
)


def parse_action(text: str) -> Action:
    """The one action `text` spells, in either dialect; `ActionSyntaxError` for anything else."""
    line = text.strip() if not text.lstrip().startswith("type text: ") else text.lstrip()
    if line in ("wait", "finish", "fail"):
        return Action(line)
    for kind, pattern in _PATTERNS:
        match = pattern.fullmatch(line)
        if match is None:
            continue
        groups = match.groups()
        if kind == "drag":
            return Action("drag", point=_pair(groups[0:2]), end=_pair(groups[2:4]))
        if kind == "scroll":
            return Action("scroll", delta=_pair(groups))
        if kind == "press key":
            return Action("press key", keys=(normalize_key(groups[0]),))
        if kind == "hotkey":
            return Action("hotkey", keys=_hotkey_keys(groups[0], text))
        if kind == "type":
            if not groups[0]:
                raise ActionSyntaxError("type text: needs the text to type")
            return Action("type", text=groups[0])
        if kind.endswith(" element"):
            return Action(kind.removesuffix(" element"), target=groups[0].strip())
        return Action(kind, point=_pair(groups))
    raise ActionSyntaxError(f"not an action: {text[:120]!r}")


def _pair(groups: tuple[str | None, ...]) -> tuple[int, int]:
    return int(groups[0] or 0), int(groups[1] or 0)


def _hotkey_keys(inner: str, text: str) -> tuple[str, ...]:
    keys = tuple(normalize_key(part) for part in inner.split(","))
    if not 2 <= len(keys) <= 3:
        raise ActionSyntaxError(f"a hotkey has two or three keys: {text[:120]!r}")
    return keys


def format_action(action: Action, *, planned: bool = False) -> str:
    """The canonical string of `action`; `parse_action(format_action(a)) == a` for every valid action.

    `planned` writes the planner's dialect (`press key: K`); clicks follow their own `target`/`point`."""
    kind = action.kind
    if kind in ("wait", "finish", "fail"):
        return kind
    if kind == "type":
        return f"type text: {action.text}"
    if kind == "press key":
        return f"press key: {action.keys[0]}" if planned else f"press key {action.keys[0]}"
    if kind == "hotkey":
        return f"hotkey ({', '.join(action.keys)})"
    if kind == "scroll":
        return f"scroll {_fmt(action.delta)}"
    if kind == "drag":
        return f"drag from {_fmt(action.point)} to {_fmt(action.end)}"
    if action.target is not None:
        return f"{kind} element: {action.target}"
    return f"{kind} {_fmt(action.point)}"


def _fmt(pair: tuple[int, int] | None) -> str:
    if pair is None:
        raise ActionSyntaxError("this action needs a coordinate pair")
    return f"({pair[0]}, {pair[1]})"
