"""The X11 infrastructure of limkit pc on a real Xvfb + AT-SPI desktop with the GTK test app: the element
under a point (name, role, extents, "Unknown" on bare root), element search and text read-back, the X window
at a point, the no-display error, and the frame ring (the newest frame before a moment)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from gtk_app import swatch_colour
from pc_desktop import Desktop, TestApp

from limkit.errors import LimkitError

QUERY = """
import json, sys
from limkit.agents.pc import _a11y
out = {}
for name, (x, y) in json.loads(sys.argv[1]).items():
    element = _a11y.element_at(x, y)
    out[name] = [element.name, element.role, element.rect]
nodes = _a11y.find_nodes("name", role="text")
out["found"] = [[n.name, n.role, n.rect] for n in nodes]
out["text"] = _a11y.text_of(nodes[0]) if nodes else None
out["partial"] = sorted(n.name for n in _a11y.find_nodes("row 1", exact=False))
rows = {n.name: n for n in _a11y.visible_nodes() if n.role == "label"}
pane = _a11y.find_nodes("Rows")[0]
out["rows"] = sorted(rows, key=lambda name: int(name.split()[1]))
out["inside"] = all(pane.rect[1] <= n.visible[1] < n.visible[3] <= pane.rect[3] for n in rows.values())
out["cut"] = any(n.visible != n.rect for n in rows.values())
print(json.dumps(out))
"""


def _query(desktop: Desktop, points: dict[str, tuple[int, int]]) -> dict[str, list]:
    """Runs the AT-SPI queries in a child (libatspi binds a process to one desktop for good)."""
    done = subprocess.run(
        [sys.executable, "-c", QUERY, json.dumps(points)],
        env=desktop.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_element_at_and_search(x_desktop: Desktop, gtk_app: TestApp) -> None:
    x_desktop.xdotool("mousemove", *gtk_app.centre("Name"), "click", 1)
    x_desktop.xdotool("type", "--delay", 20, "hello")
    gtk_app.wait_for(lambda state: state["entry"] == "hello")
    points = {name: gtk_app.centre(name) for name in ("Save", "Name", "Password")}
    points["root"] = (900, 600)  # the app is 640x480 at (0, 0): bare root window here
    out = _query(x_desktop, points)
    assert out["Save"] == ["Save", "push button", list(gtk_app.rect("Save"))]
    assert out["Name"] == ["Name", "text", list(gtk_app.rect("Name"))]
    assert out["Password"][:2] == ["Password", "password text"]
    assert out["root"] == ["Unknown", "unknown", None]
    assert out["found"] == [["Name", "text", list(gtk_app.rect("Name"))]]
    assert out["text"] == "hello"
    # The 200 px pane shows the first rows only, the last one in part: boxes are clipped to the pane.
    shown = out["rows"]
    assert shown == [f"Row {number}" for number in range(1, len(shown) + 1)] and 5 <= len(shown) < 20
    assert out["inside"] and out["cut"]  # the last row shown is cut by the pane's edge (200 px, 21 px rows)
    assert out["partial"] == [name for name in shown if name.startswith("Row 1")]


def test_window_at_names_the_app(x_desktop: Desktop, gtk_app: TestApp) -> None:
    from limkit.agents.pc._x11 import open_display, screen_size, window_at

    connection = open_display()
    try:
        window = window_at(connection, *gtk_app.centre("Save"))
        assert window is not None and window.pid == gtk_app.state()["pid"]
        assert window.title == "limkit test app"
        assert window_at(connection, 900, 600) is None
        assert screen_size(connection) == (1280, 720)
    finally:
        connection.close()


def test_require_x11_explains_wayland(monkeypatch: pytest.MonkeyPatch) -> None:
    from limkit.agents.pc._x11 import require_x11

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    with pytest.raises(LimkitError, match=r"Wayland session.*Wayland is unsupported.*xvfb-run"):
        require_x11()
    monkeypatch.setenv("DISPLAY", ":1999")
    with pytest.raises(LimkitError, match="cannot open X display ':1999'"):
        require_x11()


def test_frame_ring_keeps_the_frame_before(x_desktop: Desktop, gtk_app: TestApp) -> None:
    from limkit.agents.pc._screen import FrameRing

    ring = FrameRing(interval=0.05).start()
    try:
        left, top, right, bottom = gtk_app.rect("Swatch")
        centre = ((left + right) // 2, (top + bottom) // 2)
        time.sleep(0.2)
        moment = time.monotonic()
        x_desktop.xdotool("mousemove", *gtk_app.centre("Canvas"), "click", 1)
        gtk_app.wait_for(lambda state: state["presses"] == 1)
        time.sleep(0.3)
        before, after = ring.before(moment), ring.latest()
        assert before is not None and after is not None and before.time <= moment < after.time
        assert before.image().getpixel(centre) == swatch_colour(0, 0, 0)
        assert after.image().getpixel(centre) == swatch_colour(1, 0, 0)
        blanked = after.image(blank=((left, top, right - left, bottom - top),))
        assert blanked.getpixel(centre) == (0, 0, 0) and blanked.getpixel((right, bottom)) != (0, 0, 0)
    finally:
        ring.stop()
    assert ring.error is None
