"""A real X11 desktop for the PC tests: Xvfb, a D-Bus session bus, the AT-SPI bus, and a GTK3 test app.

Fixtures (for any test module under tests/agents/pc/):

- `x_desktop` (module scope) starts its own `Xvfb` on a free display (a random one in 300-999, 1280x720x24,
  no TCP), a session `dbus-daemon --nofork` and `/usr/libexec/at-spi-bus-launcher --launch-immediately`
  (it starts the accessibility bus; the registry daemon is D-Bus-activated on that). Each runs in its own
  process group, and teardown ends each group by its leader's pid (SIGTERM, then SIGKILL), never by name.
  While the module runs, `os.environ` carries DISPLAY, XAUTHORITY (a fresh MIT cookie, as xvfb-run
  makes) and DBUS_SESSION_BUS_ADDRESS, so in-process python-xlib, mss and pynput and any
  subprocess see this desktop; `Desktop.env` is the same environment for `subprocess` calls. The `Desktop`
  has `xdotool(*args)` (xdotool on this display, checked) and `start_app(state_path)`.
- `gtk_app` (function scope) starts a fresh `gtk_app.py` on `x_desktop` for each test, so each test begins
  with a clean app (see gtk_app.py: buttons Save/Open/Cancel, entry "Name", password entry "Password", list
  "Rows", event box "Canvas", a swatch whose colour counts presses, scroll notches and keys). It yields a
  `TestApp`: `state()` (the app's JSON state file), `rect(name)`, `centre(name)` in screen pixels,
  `wait_for(predicate)`; the app is killed by its pid after the test.

The helpers (`Desktop`, `TestApp`, `start_desktop`, `stop_process`) live in pc_desktop.py: import them from
there by name (`from pc_desktop import Desktop`), never from conftest.

In-process AT-SPI: libatspi binds a process to the first accessibility bus it meets and cannot re-attach
(`limkit.agents.pc._a11y.atspi` raises if DISPLAY or the bus changed). One pytest process runs many
modules, each with its own desktop, so call `_a11y` from a subprocess (as these tests do: the tracker runs
as `limkit pc track` in a child) or from exactly one module. Typical timing: desktop ~0.3 s, app ~1 s.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pc_desktop import Desktop, TestApp, start_desktop, stop_process


@pytest.fixture(scope="module")
def x_desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desktop]:
    desktop = start_desktop(tmp_path_factory.mktemp("xdesktop"))
    saved = {key: os.environ.get(key) for key in ("DISPLAY", "XAUTHORITY", "DBUS_SESSION_BUS_ADDRESS")}
    for key in saved:
        os.environ[key] = desktop.env[key]
    try:
        yield desktop
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        for process in reversed(desktop.processes):
            stop_process(process)


@pytest.fixture
def gtk_app(x_desktop: Desktop, tmp_path: Path) -> Iterator[TestApp]:
    app = x_desktop.start_app(tmp_path / "app-state.json")
    try:
        yield app
    finally:
        stop_process(app.process)
