"""A small GTK3 app for the PC tests: known widgets at known places, and its state in a JSON file.

Run: `python gtk_app.py STATE.json` on an X display with an AT-SPI bus (see conftest.py). The window sits
at screen (0, 0), 640x480, undecorated, so the right and lower parts of a 1280x720 screen are bare root
window (no accessible element there). Widgets, each with an accessible name:

    push buttons "Save", "Open", "Cancel"; a text entry "Name"; a password entry "Password" (AT-SPI role
    "password text"); a scrolled list "Rows" of 40 labels "Row 1".."Row 40"; an event box "Canvas"
    (records double clicks and drags); a colour swatch whose RGB shows how many mouse presses, scroll
    notches and key presses the app has seen *so far*: (SWATCH_STEP * n) % 256 for each, red/green/blue.

The swatch changes on the press itself (a global GDK handler sees every event before any widget), the
hardest case for a recorder that must keep the frame from just *before* the action.

STATE.json is rewritten atomically after each change: {"ready", "widgets": {name: [left, top, right, bottom]}
in screen pixels, "clicked": {button: count}, "entry": text, "password_length" (never the password itself),
"presses", "scrolls", "keys", "double_clicks", "drags": [[x1, y1, x2, y2]], "list_scroll"}.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

# GTK is imported by main() only: tests import this module for `swatch_colour`, and GTK in the pytest
# process would open the display and the accessibility bus of whatever desktop is current.
Gdk: Any = None
GLib: Any = None
Gtk: Any = None

SWATCH_STEP = 8
BUTTONS = ("Save", "Open", "Cancel")


def swatch_colour(presses: int, scrolls: int, keys: int) -> tuple[int, int, int]:
    """The swatch's RGB after these counts; tests decode screenshots with the same formula."""
    return (SWATCH_STEP * presses) % 256, (SWATCH_STEP * scrolls) % 256, (SWATCH_STEP * keys) % 256


def _paint(
    widget: Gtk.Widget, colour: tuple[int, int, int], style: Gtk.CssProvider | None = None
) -> Gtk.CssProvider:
    """A solid CSS background (no cairo: pycairo is not in the venv), exact in a 24-bit Xvfb."""
    if style is None:
        style = Gtk.CssProvider()
        widget.get_style_context().add_provider(style, Gtk.STYLE_PROVIDER_PRIORITY_APPLICATION)
    red, green, blue = colour
    style.load_from_data(f"* {{ background-color: rgb({red}, {green}, {blue}); }}".encode())
    return style


class App:
    def __init__(self, state_path: Path) -> None:
        self.path = state_path
        self.state: dict = {
            "ready": False,
            "widgets": {},
            "clicked": dict.fromkeys(BUTTONS, 0),
            "entry": "",
            "password_length": 0,
            "presses": 0,
            "scrolls": 0,
            "keys": 0,
            "double_clicks": 0,
            "drags": [],
            "list_scroll": 0.0,
            "pid": os.getpid(),
        }
        self.drag_start: tuple[int, int] | None = None
        self.window = Gtk.Window(title="limkit test app")
        self.window.set_decorated(False)
        self.window.set_default_size(640, 480)
        self.window.move(0, 0)
        self.window.connect("destroy", Gtk.main_quit)
        self.fixed = Gtk.Fixed()
        self.window.add(self.fixed)
        self.named: dict[str, Gtk.Widget] = {}
        self._build()
        Gdk.event_handler_set(self._on_any_event)
        self.window.show_all()
        GLib.timeout_add(300, self._ready)

    def _place(self, name: str, widget: Gtk.Widget, x: int, y: int, width: int, height: int) -> None:
        widget.set_size_request(width, height)
        widget.get_accessible().set_name(name)
        self.fixed.put(widget, x, y)
        self.named[name] = widget

    def _build(self) -> None:
        for index, label in enumerate(BUTTONS):
            button = Gtk.Button(label=label)
            button.connect("clicked", self._on_clicked, label)
            self._place(label, button, 20 + 100 * index, 20, 80, 32)
        entry = Gtk.Entry()
        entry.connect("changed", lambda widget: self._set("entry", widget.get_text()))
        self._place("Name", entry, 20, 80, 300, 32)
        password = Gtk.Entry(visibility=False)
        password.connect("changed", lambda widget: self._set("password_length", len(widget.get_text())))
        self._place("Password", password, 20, 130, 300, 32)
        rows = Gtk.ListBox()
        for number in range(1, 41):
            rows.add(Gtk.Label(label=f"Row {number}"))
        scrolled = Gtk.ScrolledWindow()
        scrolled.add(rows)
        scrolled.get_vadjustment().connect("value-changed", lambda a: self._set("list_scroll", a.get_value()))
        self._place("Rows", scrolled, 20, 180, 300, 200)
        canvas = Gtk.EventBox()
        canvas.connect("button-press-event", self._on_canvas_press)
        canvas.connect("button-release-event", self._on_canvas_release)
        _paint(canvas, (216, 230, 216))
        self._place("Canvas", canvas, 340, 180, 280, 200)
        self.swatch = Gtk.EventBox()
        self.swatch_style = _paint(self.swatch, swatch_colour(0, 0, 0))
        self._place("Swatch", self.swatch, 520, 20, 100, 50)

    def _ready(self) -> bool:
        gdk_window = self.window.get_window()
        origin_x, origin_y = gdk_window.get_origin()[1:]
        for name, widget in self.named.items():
            x, y = widget.translate_coordinates(self.window, 0, 0)
            box = widget.get_allocation()
            left, top = origin_x + x, origin_y + y
            self.state["widgets"][name] = [left, top, left + box.width, top + box.height]
        self._set("ready", True)
        return False

    def _on_any_event(self, event: Gdk.Event) -> None:
        kind = event.get_event_type()
        counted = {Gdk.EventType.BUTTON_PRESS: "presses", Gdk.EventType.KEY_PRESS: "keys"}
        if kind in counted:
            self.state[counted[kind]] += 1
        elif kind == Gdk.EventType.SCROLL and event.get_scroll_direction()[1] != Gdk.ScrollDirection.SMOOTH:
            self.state["scrolls"] += 1
        if kind in counted or kind == Gdk.EventType.SCROLL:
            colour = swatch_colour(self.state["presses"], self.state["scrolls"], self.state["keys"])
            _paint(self.swatch, colour, self.swatch_style)
            self._write()
        Gtk.main_do_event(event)

    def _on_clicked(self, button: Gtk.Button, label: str) -> None:
        self.state["clicked"][label] += 1
        self._write()

    def _on_canvas_press(self, widget: Gtk.Widget, event: Gdk.EventButton) -> bool:
        if event.type == Gdk.EventType._2BUTTON_PRESS:
            self.state["double_clicks"] += 1
            self._write()
        elif event.type == Gdk.EventType.BUTTON_PRESS:
            self.drag_start = (int(event.x_root), int(event.y_root))
        return True

    def _on_canvas_release(self, widget: Gtk.Widget, event: Gdk.EventButton) -> bool:
        end = (int(event.x_root), int(event.y_root))
        if self.drag_start is not None and end != self.drag_start:
            self.state["drags"].append([*self.drag_start, *end])
            self._write()
        self.drag_start = None
        return True

    def _set(self, key: str, value: object) -> None:
        self.state[key] = value
        self._write()

    def _write(self) -> None:
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(self.state), encoding="utf-8")
        os.replace(temporary, self.path)


def _import_gtk() -> None:
    global Gdk, GLib, Gtk
    try:
        import gi
    except ImportError:  # a venv: Debian's python3-gi, appended so that venv packages still win
        sys.path.append("/usr/lib/python3/dist-packages")
        import gi
    gi.require_version("Gtk", "3.0")
    gi.require_version("Gdk", "3.0")
    from gi.repository import Gdk, GLib, Gtk


def main() -> None:
    _import_gtk()
    App(Path(sys.argv[1]))
    Gtk.main()


if __name__ == "__main__":
    main()
