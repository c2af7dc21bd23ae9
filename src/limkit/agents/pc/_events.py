"""The tracker's event rules: raw mouse and keyboard events in, actions of the grammar out. Pure logic (no
X, no threads), so every rule can be fed a hand-made event sequence.

The rules follow the Windows tracker (fact sheet notes/papers/pc_agent.md, section 1.3), with its Linux
divergences fixed and its gaps closed:

- click / right click at the press (middle button ignored); the frame and element are the press's.
- double click: a second *left* press less than `double_click` s after a left click at the identical point
  rewrites that click; a third fast press there is dropped (a triple click stays one double click). A fast
  second right click is a second right click (the original dropped it).
- drag: a left release away from its press rewrites the click to `press (A)` and adds `drag to (B)`
  carrying the press's frame; refinement fuses the pair. No wait is emitted while a button is held.
- scroll: consecutive notches add up into one `scroll (dx, dy)` (+dy = up), frame at the first notch;
  flushed by a click, a key, a pause long enough for a wait, pause/stop of the tracker (the original lost a
  scroll right before Finish).
- typing: a run starts at a printable character (frame there). Shift is swallowed (pynput already applies
  it to the character), Caps Lock flips letter case and is itself swallowed, backspace edits the buffer
  (on an empty buffer it is `press key backspace`). When the run ends (any other key, a click, a scroll,
  a modifier combo, stop) a run that saw two or more characters becomes one `type text: T`, a single
  character `press key c`. Text typed while the focused element is a password field (AT-SPI role
  "password text") is recorded as `type text: ***`: the step stays (the trajectory still shows that a
  password was entered) but neither the text nor its length is kept.
- hotkeys by explicit modifier state, not by control characters (on X11 ctrl+c arrives as ctrl, then 'c'):
  a non-modifier key while ctrl/alt/super (or shift, for non-printing keys) is held is `hotkey (mods...,
  key)`, modifiers in the order pressed, at most three keys (extra modifiers beyond two are left out). A
  modifier pressed and released alone is `press key ctrl` (shift alone inside a typing run is swallowed);
  a modifier still unused when a click comes is emitted before the click (shift+click selects a range).
- wait: after `wait` seconds with no press, key or scroll, repeated every `wait` seconds; not while a
  typing run is open (people pause to think mid-word) nor while a button is held.
- finish / fail at stop, after everything pending is flushed.

One action stays buffered (`last`) so that a double click or a drag can still rewrite it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from limkit.agents.pc._actions import MODIFIERS
from limkit.agents.pc._trajectory import Element

DOUBLE_CLICK = 0.5
WAIT = 6.0
PASSWORD_ROLE = "password text"
MASK = "***"


@dataclass(frozen=True)
class Raw:
    """One input event. `time` is time.monotonic() in the input callback, `frame` the screen frame taken
    just before it (opaque here). `key` is a canonical key name or one character."""

    kind: str  # press | release | scroll | key_down | key_up
    time: float
    frame: Any = None
    point: tuple[int, int] = (0, 0)
    button: str = "left"
    delta: tuple[int, int] = (0, 0)
    key: str = ""


@dataclass(frozen=True)
class Pending:
    """An action ready for disk: its grammar string, when it started, the frame and element to keep."""

    action: str
    time: float
    frame: Any = None
    element: Element | None = None
    point: tuple[int, int] | None = None
    kind: str = ""


@dataclass
class _Typing:
    time: float
    frame: Any
    element: Element | None
    text: str = ""
    typed: int = 0


@dataclass
class _Held:
    key: str
    time: float
    frame: Any
    used: bool = False


def _pair(point: tuple[int, int]) -> str:
    return f"({point[0]}, {point[1]})"


class EventRules:
    """Feed `Raw` events in time order to `feed`, call `tick(now)` when idle and `stop(status)` at the end;
    finished actions go to `emit` in order.

    `element_at(x, y)` names the element under a press; `focused()` the element that has the keyboard
    focus (asked once per typing run, to spot password fields). Both may return None."""

    def __init__(
        self,
        emit: Callable[[Pending], None],
        *,
        element_at: Callable[[int, int], Element | None] = lambda x, y: None,
        focused: Callable[[], Element | None] = lambda: None,
        wait: float = WAIT,
        double_click: float = DOUBLE_CLICK,
        caps_lock: bool = False,
    ) -> None:
        self._emit = emit
        self._element_at = element_at
        self._focused = focused
        self.wait = wait
        self.double_click = double_click
        self.caps_lock = caps_lock
        self.last: Pending | None = None
        self.typing: _Typing | None = None
        self.scroll: tuple[float, Any, tuple[int, int]] | None = None  # (time, frame, (dx, dy))
        self.held: list[_Held] = []
        self.buttons: dict[str, tuple[int, int]] = {}  # held button -> press point
        self.last_left_press: tuple[float, tuple[int, int]] | None = None
        self.idle_since: float | None = None
        self.paused = False

    # -- input ------------------------------------------------------------------------------------------
    def feed(self, event: Raw) -> None:
        if event.kind in ("press", "key_down", "scroll"):
            self.idle_since = event.time
        if event.kind == "key_up":
            self._key_up(event)
        elif event.kind == "key_down":
            self._key_down(event)
        elif event.kind == "press":
            self._press(event)
        elif event.kind == "release":
            self._release(event)
        elif event.kind == "scroll":
            self._scroll(event)

    def tick(self, now: float, frame: Any = None) -> None:
        """Emits a wait (with `frame`, the screen at `now`) when the user has been idle long enough."""
        if self.paused or self.idle_since is None or self.typing is not None or self.buttons:
            return
        if now - self.idle_since >= self.wait:
            self._flush_scroll()
            self._push(Pending("wait", now, frame, kind="wait"))
            self.idle_since = now

    def pause(self, now: float) -> None:
        """Flushes what is pending and ignores input until `resume` (modifier state is still tracked)."""
        self._flush_all()
        self.paused = True

    def resume(self, now: float) -> None:
        self.paused = False
        self.idle_since = now
        self.last_left_press = None

    def stop(self, status: str, now: float, frame: Any) -> None:
        """Flushes everything, then emits `finish` or `fail` with the frame current at stop."""
        self._flush_all()
        self._push(Pending(status, now, frame, kind=status))
        self._release_last()

    # -- mouse ------------------------------------------------------------------------------------------
    def _press(self, event: Raw) -> None:
        if event.button not in ("left", "right"):
            return
        self.buttons[event.button] = event.point
        if self.paused:
            return
        self._flush_typing()
        self._flush_scroll()
        self._emit_unused_modifiers()
        if event.button == "left" and self._fast_repeat(event):
            return
        element = self._element_at(*event.point)
        kind = "click" if event.button == "left" else "right click"
        action = f"{kind} {_pair(event.point)}"
        self._push(Pending(action, event.time, event.frame, element, event.point, kind))
        if event.button == "left":
            self.last_left_press = (event.time, event.point)

    def _fast_repeat(self, event: Raw) -> bool:
        """A double click rewrites the buffered click; a third fast press is dropped."""
        previous, self.last_left_press = self.last_left_press, (event.time, event.point)
        if previous is None or self.last is None:
            return False
        fast = event.time - previous[0] < self.double_click and event.point == previous[1]
        if not fast or self.last.point != event.point:
            return False
        if self.last.kind == "click":
            self.last = replace(self.last, action=f"double click {_pair(event.point)}", kind="double click")
            return True
        return self.last.kind == "double click"

    def _release(self, event: Raw) -> None:
        start = self.buttons.pop(event.button, None)
        if self.paused or event.button != "left" or start is None or event.point == start:
            return
        last = self.last
        if last is None or last.kind != "click" or last.point != start:
            return
        self.last = replace(last, action=f"press {_pair(start)}", kind="press")
        drag = Pending(f"drag to {_pair(event.point)}", event.time, last.frame, None, event.point, "drag to")
        self._push(drag)
        self.last_left_press = None

    def _scroll(self, event: Raw) -> None:
        if self.paused:
            return
        self._flush_typing()
        if self.scroll is None:
            self.scroll = (event.time, event.frame, event.delta)
        else:
            started, frame, (dx, dy) = self.scroll
            self.scroll = (started, frame, (dx + event.delta[0], dy + event.delta[1]))

    # -- keyboard ---------------------------------------------------------------------------------------
    def _key_down(self, event: Raw) -> None:
        key = event.key
        if key in MODIFIERS:
            if all(held.key != key for held in self.held):
                self.held.append(_Held(key, event.time, event.frame))
                if key != "shift" and not self.paused:
                    self._flush_typing()
                    self._flush_scroll()
            return
        if key == "caps_lock":
            self.caps_lock = not self.caps_lock
            return
        if self.paused:
            return
        self._flush_scroll()
        shift = any(held.key == "shift" for held in self.held)
        if any(held.key != "shift" for held in self.held) or (shift and not _printable(key)):
            self._hotkey(key)
        elif _printable(key):
            self._type_char(key, event)
        elif key == "backspace" and self.typing is not None and self.typing.text:
            self.typing.text = self.typing.text[:-1]
        else:
            self._flush_typing()
            self._push(Pending(f"press key {key}", event.time, event.frame, kind="press key"))

    def _key_up(self, event: Raw) -> None:
        for index, held in enumerate(self.held):
            if held.key != event.key:
                continue
            del self.held[index]
            in_typing = held.key == "shift" and self.typing is not None
            if not held.used and not self.paused and not in_typing:
                self._flush_typing()
                self._push(Pending(f"press key {held.key}", held.time, held.frame, kind="press key"))
            return

    def _hotkey(self, key: str) -> None:
        """`hotkey (mods..., key)` with the held modifiers in press order (two at most), the frame from
        before the first of them went down."""
        self._flush_typing()
        for held in self.held:
            held.used = True
        modifiers = [held.key for held in self.held][:2]
        first = self.held[0]
        action = f"hotkey ({', '.join([*modifiers, _key_name(key)])})"
        self._push(Pending(action, first.time, first.frame, kind="hotkey"))

    def _type_char(self, char: str, event: Raw) -> None:
        for held in self.held:  # shift that produced this character
            held.used = True
        if self.caps_lock and char.isalpha():
            char = char.lower() if char.isupper() else char.upper()
        if self.typing is None:
            self.typing = _Typing(event.time, event.frame, self._focused())
        self.typing.text += char
        self.typing.typed += 1

    # -- flushing ---------------------------------------------------------------------------------------
    def _flush_typing(self) -> None:
        run, self.typing = self.typing, None
        if run is None or not run.text:
            return
        secret = run.element is not None and run.element.role == PASSWORD_ROLE
        if secret:
            self._push(Pending(f"type text: {MASK}", run.time, run.frame, run.element, kind="type"))
        elif run.typed >= 2:
            self._push(Pending(f"type text: {run.text}", run.time, run.frame, run.element, kind="type"))
        else:
            self._push(Pending(f"press key {_key_name(run.text)}", run.time, run.frame, kind="press key"))

    def _flush_scroll(self) -> None:
        run, self.scroll = self.scroll, None
        if run is None:
            return
        started, frame, delta = run
        if delta != (0, 0):
            self._push(Pending(f"scroll {_pair(delta)}", started, frame, kind="scroll"))

    def _emit_unused_modifiers(self) -> None:
        for held in self.held:
            if not held.used:
                held.used = True
                self._push(Pending(f"press key {held.key}", held.time, held.frame, kind="press key"))

    def _flush_all(self) -> None:
        self._flush_typing()
        self._flush_scroll()

    def _push(self, pending: Pending) -> None:
        self._release_last()
        self.last = pending

    def _release_last(self) -> None:
        if self.last is not None:
            self._emit(self.last)
            self.last = None


def _key_name(key: str) -> str:
    """A key as the grammar spells it: letters lower case (the shifted 'T' of ctrl+shift+t is t), ' ' is
    space."""
    if key == " ":
        return "space"
    return key.lower() if len(key) == 1 and key.isalpha() else key


def _printable(key: str) -> bool:
    return len(key) == 1 and key.isprintable()
