"""X11 plumbing shared by the tracker and the agent: is there an X display, which top-level window is at a
point, which process owns it, the screen size and the Caps Lock state.

limkit's PC Agent supports X11 (a real session or Xvfb) and nothing else: Wayland gives ordinary clients no
global input hooks, no synthetic input and no reliable desktop coordinates (fact sheet notes/papers/
pc_agent.md, section 1.7). `require_x11` turns a missing display into one clear error instead of a Xlib
traceback from deep inside pynput or mss.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limkit.errors import LimkitError

NO_X11_HELP = (
    "limkit pc needs an X11 display. Wayland is unsupported (no global input hooks or synthetic input for "
    "normal clients): log in to an 'X11'/'Xorg' session, or run under a virtual X server, e.g. "
    "`xvfb-run -s '-screen 0 1280x720x24' limkit pc ...`."
)


def require_x11() -> str:
    """The X display name to use; `LimkitError` with what to do when there is none."""
    display = os.environ.get("DISPLAY", "")
    if not display:
        wayland = os.environ.get("WAYLAND_DISPLAY") or os.environ.get("XDG_SESSION_TYPE") == "wayland"
        where = "DISPLAY is unset and this is a Wayland session. " if wayland else "DISPLAY is unset. "
        raise LimkitError(where + NO_X11_HELP)
    _ensure_xauthority()
    try:
        connection = open_display(display)
    except Exception as error:
        raise LimkitError(f"cannot open X display {display!r} ({error}). {NO_X11_HELP}") from None
    connection.close()
    return display


def _ensure_xauthority() -> None:
    """python-xlib raises XauthError when the authority file it looks for is absent, even for an X server
    that needs no authority (Xvfb started without -auth): give it an empty file then."""
    path = Path(os.environ.get("XAUTHORITY") or Path.home() / ".Xauthority")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        os.environ.setdefault("XAUTHORITY", str(path))


def open_display(name: str | None = None) -> Any:
    """A python-xlib connection (imported here: it is an optional extra)."""
    from Xlib import display

    _ensure_xauthority()
    return display.Display(name)


@dataclass(frozen=True)
class Window:
    """A top-level X window: the id a client set its properties on, its owner's pid (None when the client
    sets no _NET_WM_PID) and its title."""

    id: int
    pid: int | None
    title: str


def screen_size(connection: Any) -> tuple[int, int]:
    screen = connection.screen()
    return int(screen.width_in_pixels), int(screen.height_in_pixels)


def window_at(connection: Any, x: int, y: int) -> Window | None:
    """The topmost mapped top-level window containing (x, y), or None over the bare root window.

    Root's children come in stacking order, bottom first. Without a window manager they are the clients'
    windows; under one they are its frames, and the client window is the descendant that carries WM_STATE
    or _NET_WM_PID."""
    from Xlib import X

    root = connection.screen().root
    for child in reversed(root.query_tree().children):
        try:
            attributes = child.get_attributes()
            if attributes.map_state != X.IsViewable:
                continue
            geometry = child.get_geometry()
        except Exception:  # the window went away between the two requests
            continue
        if geometry.x <= x < geometry.x + geometry.width and geometry.y <= y < geometry.y + geometry.height:
            client = _client_window(connection, child)
            return Window(client.id, _pid(connection, client), _title(connection, client))
    return None


def focused_window(connection: Any) -> Window | None:
    """The top-level window holding the keyboard focus (where typed keys go). Without a window manager
    the focus is usually PointerRoot: keys go to the window under the pointer."""
    root = connection.screen().root
    focus = connection.get_input_focus().focus
    if not hasattr(focus, "query_tree"):
        focus = root.query_pointer().child
        if not hasattr(focus, "query_tree"):
            return None
    window = focus
    try:
        while True:
            parent = window.query_tree().parent
            if parent is None or parent.id == root.id:
                break
            window = parent
    except Exception:
        return None
    if window.id == root.id:
        return None
    client = _client_window(connection, window)
    return Window(client.id, _pid(connection, client), _title(connection, client))


def _client_window(connection: Any, window: Any) -> Any:
    """`window` itself or, breadth first within three levels, the first descendant marked as a client."""
    marks = (connection.intern_atom("WM_STATE"), connection.intern_atom("_NET_WM_PID"))
    level = [window]
    for _ in range(4):
        following = []
        for candidate in level:
            try:
                if any(candidate.get_full_property(atom, 0) is not None for atom in marks):
                    return candidate
                following.extend(candidate.query_tree().children)
            except Exception:  # destroyed meanwhile
                continue
        level = following
    return window


def _pid(connection: Any, window: Any) -> int | None:
    try:
        value = window.get_full_property(connection.intern_atom("_NET_WM_PID"), 0)
    except Exception:
        return None
    return int(value.value[0]) if value is not None and len(value.value) else None


def _title(connection: Any, window: Any) -> str:
    try:
        value = window.get_full_property(connection.intern_atom("_NET_WM_NAME"), 0)
        if value is not None:
            raw = value.value
            return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        name = window.get_wm_name()
    except Exception:
        return ""
    return name if isinstance(name, str) else ""


def caps_lock_on(connection: Any) -> bool:
    """Whether Caps Lock is lit (LED bit 0). pynput's X11 backend applies Shift to `char` but not Caps
    Lock, so the tracker flips letter case itself from this state."""
    return bool(connection.get_keyboard_control().led_mask & 1)
