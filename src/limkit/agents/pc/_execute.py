"""The executor: actions of the grammar carried out on an X display with xdotool.

xdotool (a subprocess, on the display named by `$DISPLAY`) is used rather than pyautogui, which the
released agent used: it types any Unicode text (pyautogui.write is ASCII only, fact sheet section 4), it
needs no Python X bindings, and its key names are X keysyms, which limkit's canonical key names map onto
one to one (`KEYSYMS`; `key_from_keysym` maps back, so a recorded key replays as itself).

How each action runs (`commands` builds the argument lists; `--dry-run` builds them and runs none):
- click / right click / double click: move, then button 1 / 3 / two presses of button 1. No
  `mousemove --sync`: xdotool 3.20160805 (Debian 12) waits ~15 s when the pointer is already at the target
  (measured here), and the warp and the button events travel on one X connection, so the server applies
  them in order anyway;
- drag: move to the start, button 1 down, move halfway and to the end (apps see motion), button 1 up;
- scroll (dx, dy): one button click per notch at the pointer, pynput's sign convention as the tracker
  records it: dy > 0 up (button 4), dy < 0 down (5), dx < 0 left (6), dx > 0 right (7);
- press key / hotkey: `xdotool key` with keysyms joined by "+";
- type text: `xdotool type` (non-ASCII included; a newline types Return);
- wait: sleeps `wait_seconds` (the released agent waits 3 s).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from limkit.agents.pc._actions import Action, normalize_key
from limkit.errors import LimkitError

Point = tuple[int, int]

KEYSYMS: dict[str, str] = {
    "ctrl": "Control_L",
    "shift": "Shift_L",
    "alt": "Alt_L",
    "super": "Super_L",
    "enter": "Return",
    "esc": "Escape",
    "tab": "Tab",
    "space": "space",
    "backspace": "BackSpace",
    "delete": "Delete",
    "insert": "Insert",
    "home": "Home",
    "end": "End",
    "page_up": "Prior",
    "page_down": "Next",
    "up": "Up",
    "down": "Down",
    "left": "Left",
    "right": "Right",
    "caps_lock": "Caps_Lock",
    "print_screen": "Print",
    "menu": "Menu",
    **{f"f{number}": f"F{number}" for number in range(1, 25)},
}
# Printable ASCII characters whose keysym is a name (letters and digits are their own keysym).
_PUNCTUATION = {
    " ": "space",
    "!": "exclam",
    '"': "quotedbl",
    "#": "numbersign",
    "$": "dollar",
    "%": "percent",
    "&": "ampersand",
    "'": "apostrophe",
    "(": "parenleft",
    ")": "parenright",
    "*": "asterisk",
    "+": "plus",
    ",": "comma",
    "-": "minus",
    ".": "period",
    "/": "slash",
    ":": "colon",
    ";": "semicolon",
    "<": "less",
    "=": "equal",
    ">": "greater",
    "?": "question",
    "@": "at",
    "[": "bracketleft",
    "\\": "backslash",
    "]": "bracketright",
    "^": "asciicircum",
    "_": "underscore",
    "`": "grave",
    "{": "braceleft",
    "|": "bar",
    "}": "braceright",
    "~": "asciitilde",
}
_FROM_KEYSYM = {
    **{keysym: name for name, keysym in KEYSYMS.items()},
    **{keysym: char for char, keysym in _PUNCTUATION.items() if char != " "},
    "Control_R": "ctrl",
    "Shift_R": "shift",
    "Alt_R": "alt",
    "Super_R": "super",
    "KP_Enter": "enter",
    "Page_Up": "page_up",
    "Page_Down": "page_down",
}
_BUTTONS = {"click": "1", "right click": "3"}


def keysym(key: str) -> str:
    """The X keysym for a canonical key name (`normalize_key` form): page_down -> Next, enter -> Return,
    "+" -> plus, "é" -> U00E9."""
    if key in KEYSYMS:
        return KEYSYMS[key]
    if len(key) != 1:
        raise LimkitError(f"not a canonical key name: {key!r}", field="key")
    if key in _PUNCTUATION:
        return _PUNCTUATION[key]
    if key.isascii() and key.isalnum():
        return key
    return f"U{ord(key):04X}"


def key_from_keysym(name: str) -> str:
    """The canonical key name of an X keysym (the inverse of `keysym`, plus the right-hand modifiers)."""
    if name in _FROM_KEYSYM:
        return _FROM_KEYSYM[name]
    if len(name) == 5 and name.startswith("U"):
        return normalize_key(chr(int(name[1:], 16)))
    return normalize_key(name)


def commands(action: Action, point: Point | None = None) -> list[list[str]]:
    """The xdotool argument lists that carry out `action`; clicks need the grounded `point`."""
    kind = action.kind
    if action.is_click:
        target = point or action.point
        if target is None:
            raise LimkitError(f"a {kind} needs a point", field="action")
        move = ["mousemove", str(target[0]), str(target[1]), "sleep", "0.05"]
        if kind == "double click":
            return [["xdotool", *move, "click", "--repeat", "2", "--delay", "80", "1"]]
        return [["xdotool", *move, "click", _BUTTONS[kind]]]
    if kind == "drag" and action.point and action.end:
        (x1, y1), (x2, y2) = action.point, action.end
        middle = [str((x1 + x2) // 2), str((y1 + y2) // 2)]
        return [
            ["xdotool", "mousemove", str(x1), str(y1), "sleep", "0.05", "mousedown", "1", "sleep", "0.1"],
            ["xdotool", "mousemove", *middle, "sleep", "0.1"],
            ["xdotool", "mousemove", str(x2), str(y2), "sleep", "0.1", "mouseup", "1"],
        ]
    if kind == "scroll" and action.delta:
        return _scroll(*action.delta)
    if kind in ("press key", "hotkey"):
        return [["xdotool", "key", "--clearmodifiers", "+".join(keysym(key) for key in action.keys)]]
    if kind == "type" and action.text is not None:
        return [["xdotool", "type", "--delay", "12", "--", action.text]]
    if kind in ("wait", "finish", "fail"):
        return []
    raise LimkitError(f"the executor cannot run {kind!r} actions", field="action")


def _scroll(dx: int, dy: int) -> list[list[str]]:
    out = []
    for amount, negative, positive in ((dy, "5", "4"), (dx, "6", "7")):
        if amount:
            button = positive if amount > 0 else negative
            out.append(["xdotool", "click", "--repeat", str(abs(amount)), "--delay", "30", button])
    return out


@dataclass
class Executor:
    """Runs actions with xdotool on `$DISPLAY`; `dry_run` runs nothing and only reports the commands."""

    dry_run: bool = False
    wait_seconds: float = 3.0
    settle_seconds: float = 1.0
    timeout: float = 30.0
    ran: list[list[str]] = field(default_factory=list)

    def check(self) -> None:
        """Fails early, before any step, when xdotool or the display is missing."""
        if self.dry_run:
            return
        if not os.environ.get("DISPLAY"):
            raise LimkitError(
                "DISPLAY is not set: the agent acts on an X display (Xvfb works)", field="DISPLAY"
            )
        if shutil.which("xdotool") is None:
            raise LimkitError("xdotool is not installed (apt-get install xdotool)", field="executor")

    def execute(self, action: Action, point: Point | None = None) -> list[list[str]]:
        """Carries out `action` (unless dry-run) and returns the commands; `LimkitError` if one fails."""
        planned = commands(action, point)
        if self.dry_run:
            return planned
        for argv in planned:
            self._run(argv)
        if action.kind == "wait":
            time.sleep(self.wait_seconds)
        elif planned:
            time.sleep(self.settle_seconds)
        return planned

    def _run(self, argv: Sequence[str]) -> None:
        self.ran.append(list(argv))
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired:
            raise LimkitError(f"{argv[0]} {argv[1]} did not finish in {self.timeout:.0f} s") from None
        if done.returncode != 0:
            problem = (done.stderr or done.stdout).strip()[:200]
            raise LimkitError(f"{' '.join(argv[:2])} failed with exit {done.returncode}: {problem}")
