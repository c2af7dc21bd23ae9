"""PC Tracker on X11: records human computer use as a trajectory (task.json, steps.jsonl, screens/, steps.md).

The Windows tracker (fact sheet notes/papers/pc_agent.md, section 1) hooked input with pynput, grabbed the
desktop at 10 Hz and asked UI Automation for the element under each press. Here:

- input: pynput's xorg backend (XRecord) for mouse and keyboard; each callback stamps its event with
  time.monotonic() and the newest frame that started at least `lag` seconds earlier, so the frame kept for
  an action shows the screen *before* it even when the app redraws within milliseconds of the press;
- screen: mss frames at `interval` seconds in a ring buffer (`_screen.FrameRing`);
- element: AT-SPI (`_a11y`) asked for the deepest element under each press, in the app that owns the X
  window there; "Unknown" where none is exposed;
- rules: `_events.EventRules` (double click, drag, merged scroll and typing, modifier-tracked hotkeys, wait,
  finish/fail, password masking).

The tracker is headless: it shows no window of its own, so none of its own UI can leak into a trajectory
(the original had to detect and cut its own screenshots afterwards). It is controlled by signals: SIGINT or
SIGTERM finish, SIGUSR2 fails, SIGUSR1 pauses and resumes, SIGQUIT (Ctrl-\\) discards everything this
session wrote. `exclude_windows` drops presses on, and keys typed into, chosen X windows (e.g. the terminal
running the tracker). `blank` regions are painted black in every saved PNG.

Every file is written atomically and rewritten after each step, so a killed tracker leaves a readable
trajectory with status "recording"; a stopped one leaves status "finished" or "failed".
"""

from __future__ import annotations

import collections
import contextlib
import os
import queue
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from limkit.agents.pc._actions import ActionSyntaxError, normalize_key, parse_action
from limkit.agents.pc._events import DOUBLE_CLICK, WAIT, EventRules, Pending, Raw
from limkit.agents.pc._trajectory import (
    STEPS_FILE,
    TASK_FILE,
    Element,
    Step,
    TaskInfo,
    write_steps,
    write_task,
)
from limkit.agents.pc._view import MARKDOWN_FILE, write_markdown
from limkit.errors import LimkitError, UsageError

SCREENS = "screens"
PID_FILE = ".track.pid"
LAG = 0.05
CONTROLS = ("finish", "fail", "discard", "pause")


@dataclass(frozen=True)
class TrackOptions:
    out: Path
    task: str = ""
    wait: float = WAIT
    double_click: float = DOUBLE_CLICK
    interval: float = 0.1
    lag: float = LAG
    blank: tuple[tuple[int, int, int, int], ...] = ()
    exclude_windows: frozenset[int] = frozenset()
    a11y: bool = True


@dataclass
class TrackResult:
    out: Path
    status: str
    steps: int
    discarded: bool = False
    skipped: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def parse_region(text: str) -> tuple[int, int, int, int]:
    """`X,Y,W,H` in screen pixels (W, H > 0)."""
    parts = text.split(",")
    try:
        x, y, width, height = (int(part) for part in parts)
    except ValueError:
        raise UsageError(f"--blank {text!r}: expected X,Y,W,H integers", field="blank") from None
    if width <= 0 or height <= 0 or x < 0 or y < 0:
        raise UsageError(f"--blank {text!r}: X, Y must be >= 0 and W, H > 0", field="blank")
    return x, y, width, height


class Recorder:
    """The trajectory directory: assigns indexes, saves PNGs, rewrites steps.jsonl and steps.md."""

    def __init__(self, options: TrackOptions, screen: tuple[int, int]) -> None:
        self.out = options.out
        self.blank = options.blank
        self.steps: list[Step] = []
        self.skipped: collections.Counter[str] = collections.Counter()
        self._clock = (time.time(), time.monotonic())
        started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        self.info = TaskInfo(options.task, screen, "recording", started)
        self._created = not self.out.exists()
        if not self._created and any(self.out.iterdir()):
            raise LimkitError("output directory is not empty; choose a new one", path=self.out)
        (self.out / SCREENS).mkdir(parents=True, exist_ok=True)
        write_task(self.out, self.info)
        self._write()

    def wall(self, moment: float) -> float:
        return self._clock[0] + (moment - self._clock[1])

    def add(self, pending: Pending) -> None:
        from limkit.agents.pc._screen import save_png

        try:
            parse_action(pending.action)
        except ActionSyntaxError:  # e.g. a hotkey on ',': the grammar cannot spell it; never write it
            self.skipped["unspellable action"] += 1
            return
        index = len(self.steps)
        screenshot = None
        if pending.frame is not None:
            screenshot = f"{SCREENS}/{index:04d}.png"
            save_png(pending.frame, self.out / screenshot, self.blank)
        step = Step(index, round(self.wall(pending.time), 3), pending.action, screenshot, pending.element)
        self.steps.append(step)
        self._write()

    def close(self, status: str) -> None:
        self.info = TaskInfo(self.info.task, self.info.screen, status, self.info.started)
        self._write()
        write_task(self.out, self.info)

    def discard(self) -> None:
        """Deletes what this session wrote (and the directory, if it created it)."""
        for name in (STEPS_FILE, MARKDOWN_FILE, TASK_FILE):
            (self.out / name).unlink(missing_ok=True)
        shutil.rmtree(self.out / SCREENS, ignore_errors=True)
        if self._created:
            shutil.rmtree(self.out, ignore_errors=True)

    def _write(self) -> None:
        write_steps(self.out / STEPS_FILE, self.steps)
        write_markdown(self.out, self.info, self.steps)


def _listener_classes() -> tuple[Any, Any]:
    """pynput's mouse and keyboard listeners, xorg (XRecord) backend; a clear error without the extra."""
    os.environ.setdefault("PYNPUT_BACKEND_KEYBOARD", "xorg")
    os.environ.setdefault("PYNPUT_BACKEND_MOUSE", "xorg")
    try:
        import mss  # noqa: F401
        from pynput import keyboard, mouse
    except ImportError as error:
        problem = f"limkit pc track needs the pc extra (pip install 'limkit[pc]'): {error}"
        raise LimkitError(problem) from None
    return mouse.Listener, keyboard.Listener


def pynput_key(key: Any) -> str | None:
    """A pynput key as a canonical key name or one character; None for keys the grammar has no name for
    (media keys, num lock, dead keys)."""
    from pynput import keyboard

    if isinstance(key, keyboard.Key):
        if key == keyboard.Key.space:
            return " "
        try:
            return normalize_key(key.name)
        except ActionSyntaxError:
            return None
    char = getattr(key, "char", None)
    if isinstance(char, str) and len(char) == 1 and char.isprintable():
        return char
    return None


class Tracker:
    """Run with `run()` (blocks until a control arrives); `control(name)` is safe from a signal handler."""

    def __init__(self, options: TrackOptions) -> None:
        self.options = options
        self._events: queue.SimpleQueue[Raw] = queue.SimpleQueue()
        self._controls: collections.deque[str] = collections.deque()
        self._ring: Any = None
        self._excluded_buttons: set[str] = set()
        self._thread_errors: list[BaseException] = []

    def _thread_error(self, args: Any) -> None:
        """pynput's and Xlib's threads die with tracebacks when the display goes away: keep the first
        error for the report instead of printing them."""
        self._thread_errors.append(args.exc_value)

    def control(self, name: str) -> None:
        """finish | fail | discard | pause (a toggle). Only appends to a deque: no lock a handler could
        deadlock on."""
        if name not in CONTROLS:
            raise ValueError(name)
        self._controls.append(name)

    # -- input callbacks (pynput threads) ---------------------------------------------------------------
    def _stamp(self, kind: str, **fields: Any) -> None:
        now = time.monotonic()
        frame = self._ring.before(now - self.options.lag)
        self._events.put(Raw(kind, now, frame, **fields))

    def _on_click(self, x: int, y: int, button: Any, pressed: bool, *_: Any) -> None:
        name = getattr(button, "name", "")
        if name in ("left", "right", "middle"):
            self._stamp("press" if pressed else "release", point=(int(x), int(y)), button=name)

    def _on_scroll(self, x: int, y: int, dx: int, dy: int, *_: Any) -> None:
        self._stamp("scroll", point=(int(x), int(y)), delta=(int(dx), int(dy)))

    def _on_press(self, key: Any, *_: Any) -> None:
        name = pynput_key(key)
        if name is not None:
            self._stamp("key_down", key=name)

    def _on_release(self, key: Any, *_: Any) -> None:
        name = pynput_key(key)
        if name is not None:
            self._stamp("key_up", key=name)

    # -- the run ----------------------------------------------------------------------------------------
    def run(self) -> TrackResult:
        from limkit.agents.pc._screen import FrameRing
        from limkit.agents.pc._x11 import caps_lock_on, open_display, require_x11, screen_size

        display = require_x11()
        listeners = _listener_classes()
        connection = open_display(display)
        hook, threading.excepthook = threading.excepthook, self._thread_error
        try:
            recorder = Recorder(self.options, screen_size(connection))
            rules = EventRules(
                recorder.add,
                element_at=lambda x, y: self._element_at(connection, x, y),
                focused=lambda: self._focused(connection),
                wait=self.options.wait,
                double_click=self.options.double_click,
                caps_lock=caps_lock_on(connection),
            )
            self._ring = FrameRing(display, self.options.interval).start()
            try:
                status = self._record(rules, connection, listeners)
                self._drain(rules, connection, time.monotonic())
                if status == "discard":
                    recorder.discard()
                    return TrackResult(self.options.out, "discarded", 0, True, dict(recorder.skipped))
                rules.stop(status, time.monotonic(), self._ring.latest())
            finally:
                self._ring.stop()
            recorder.close("finished" if status == "finish" else "failed")
        finally:
            threading.excepthook = hook
            with contextlib.suppress(Exception):  # the display may be gone: that is why we stopped
                connection.close()
        result = TrackResult(self.options.out, recorder.info.status, len(recorder.steps))
        result.skipped = dict(recorder.skipped)
        problem = self._ring.error or (self._thread_errors[0] if self._thread_errors else None)
        if problem is not None:
            cause = f"{type(problem).__name__}: {problem}".rstrip(": ")
            result.error = f"recording stopped early: the X display or its input hooks failed ({cause})"
        return result

    def _record(self, rules: EventRules, connection: Any, classes: tuple[Any, Any]) -> str:
        """Runs the input listeners until a control (or their death) ends the recording."""
        mouse_listener, keyboard_listener = classes
        listeners = [
            mouse_listener(on_click=self._on_click, on_scroll=self._on_scroll),
            keyboard_listener(on_press=self._on_press, on_release=self._on_release),
        ]
        pid_file = self.options.out / PID_FILE
        try:
            for listener in listeners:
                listener.start()
                listener.wait()
            pid_file.write_text(f"{os.getpid()}\n")
            return self._loop(rules, connection, listeners)
        finally:
            for listener in listeners:
                with contextlib.suppress(Exception):  # a listener whose display died raises here
                    listener.stop()
            pid_file.unlink(missing_ok=True)

    def _loop(self, rules: EventRules, connection: Any, listeners: list[Any]) -> str:
        while True:
            while self._controls:
                name = self._controls.popleft()
                if name != "pause":
                    return name
                self._drain(rules, connection, time.monotonic())
                now = time.monotonic()
                if rules.paused:
                    rules.resume(now)
                else:
                    rules.pause(now)
            try:
                event = self._events.get(timeout=0.05)
            except queue.Empty:
                event = None
            if event is not None:
                self._feed(rules, connection, event)
            now = time.monotonic()
            if rules.idle_since is not None and now - rules.idle_since >= rules.wait:
                rules.tick(now, self._ring.before(now - self.options.lag))
            if self._ring.error is not None or not all(listener.is_alive() for listener in listeners):
                return "fail"

    def _drain(self, rules: EventRules, connection: Any, until: float) -> None:
        while True:
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                return
            if event.time <= until:
                self._feed(rules, connection, event)

    def _feed(self, rules: EventRules, connection: Any, event: Raw) -> None:
        if self._excluded(connection, event):
            return
        rules.feed(event)

    def _excluded(self, connection: Any, event: Raw) -> bool:
        """Presses on an excluded window (and their releases), keys typed into one; key releases always
        pass, so modifier state stays right."""
        if not self.options.exclude_windows:
            return False
        try:
            return self._in_excluded_window(connection, event)
        except Exception:  # the display is going away
            return False

    def _in_excluded_window(self, connection: Any, event: Raw) -> bool:
        from limkit.agents.pc._x11 import focused_window, window_at

        excluded = self.options.exclude_windows
        if event.kind == "press":
            window = window_at(connection, *event.point)
            if window is not None and window.id in excluded:
                self._excluded_buttons.add(event.button)
                return True
        elif event.kind == "release" and event.button in self._excluded_buttons:
            self._excluded_buttons.discard(event.button)
            return True
        elif event.kind in ("key_down", "scroll"):
            window = (
                focused_window(connection)
                if event.kind == "key_down"
                else window_at(connection, *event.point)
            )
            return window is not None and window.id in excluded
        return False

    def _element_at(self, connection: Any, x: int, y: int) -> Element | None:
        from limkit.agents.pc import _a11y
        from limkit.agents.pc._x11 import window_at

        try:
            window = window_at(connection, x, y)
        except Exception:  # the display is going away: the click is still recorded
            window = None
        if window is None or window.pid is None or not self.options.a11y:
            # bare root, or a client that names no process (Tk): asking every app could name a widget
            # of another window *under* this one
            return Element(_a11y.UNKNOWN, "unknown", None)
        try:
            return _a11y.element_at(x, y, pid=window.pid)
        except LimkitError:  # no AT-SPI here: the click is still recorded
            return Element(_a11y.UNKNOWN, "unknown", None)

    def _focused(self, connection: Any) -> Element | None:
        from limkit.agents.pc import _a11y
        from limkit.agents.pc._x11 import focused_window

        if not self.options.a11y:
            return None
        try:
            window = focused_window(connection)
            node = _a11y.focused_node(pid=None if window is None else window.pid)
        except Exception:  # no AT-SPI, or the display is going away
            return None
        return None if node is None else node.element()
