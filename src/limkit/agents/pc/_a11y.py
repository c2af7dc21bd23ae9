"""Accessibility (AT-SPI2) on X11: the element under a screen point, the named elements on screen, and
read-back of an element's text.

The Windows tracker asked UI Automation for the element under each press (fact sheet notes/papers/
pc_agent.md, section 1.2); on Linux the same question goes to AT-SPI2 over the accessibility D-Bus. Apps
must expose a tree: GTK does by default, Qt with `QT_ACCESSIBILITY=1`, Chromium/Electron with
`--force-renderer-accessibility`; Tk exposes none, and its clicks are recorded as "Unknown".

The bindings: GObject introspection (`gi`, `gi.repository.Atspi`) is not on PyPI in a usable form (PyGObject
needs a C build against system libraries), so limkit uses Debian's python3-gi and gir1.2-atspi-2.0, built for
/usr/bin/python3. `import_gi` makes them importable from a virtualenv of the same Python minor version by
appending Debian's dist-packages at the *end* of `sys.path`, and only when `gi` is not importable already, so
every package installed in the venv still wins.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import Any

from limkit.agents.pc._trajectory import Element
from limkit.errors import LimkitError

DEBIAN_DIST_PACKAGES = "/usr/lib/python3/dist-packages"
UNKNOWN = "Unknown"
MAX_NODES = 5000  # a bound on one tree walk: a web page can expose tens of thousands of nodes
_atspi: ModuleType | None = None
_bound_to: tuple[str, str] | None = None


def import_gi() -> ModuleType:
    """The `gi` module, from the venv if it has one, else from Debian's python3-gi."""
    try:
        return importlib.import_module("gi")
    except ImportError:
        pass
    if DEBIAN_DIST_PACKAGES not in sys.path:
        sys.path.append(DEBIAN_DIST_PACKAGES)
    try:
        return importlib.import_module("gi")
    except ImportError:
        problem = "AT-SPI bindings not found: install python3-gi and gir1.2-atspi-2.0 (apt-get)"
        raise LimkitError(problem) from None


def atspi() -> ModuleType:
    """`gi.repository.Atspi`, imported once.

    libatspi connects to one accessibility bus per process, for good: after the desktop it first met is gone
    it cannot re-attach (atspi_exit + atspi_init leaves it broken). So a process that changes DISPLAY or
    its session bus later gets a `LimkitError` here rather than silent "Unknown" answers; tests that start
    one desktop per module call this module from a subprocess."""
    global _atspi, _bound_to
    desktop = (os.environ.get("DISPLAY", ""), os.environ.get("DBUS_SESSION_BUS_ADDRESS", ""))
    if _bound_to is not None and _bound_to != desktop:
        problem = f"AT-SPI here is bound to display {_bound_to[0]!r}; use a new process for {desktop[0]!r}"
        raise LimkitError(problem)
    if _atspi is None:
        gi = import_gi()
        try:
            gi.require_version("Atspi", "2.0")
            _atspi = importlib.import_module("gi.repository.Atspi")
        except (ValueError, ImportError):
            raise LimkitError("AT-SPI typelib not found: install gir1.2-atspi-2.0 (apt-get)") from None
        _bound_to = desktop
    return _atspi


Rect = tuple[int, int, int, int]


@dataclass(frozen=True)
class Node:
    """An accessible element. `rect` is its whole box (left, top, right, bottom); `visible` the part of it
    inside its ancestors' boxes (a list row scrolled half out of its pane), set by `visible_nodes`.
    `handle` is the live Atspi.Accessible (for `text_of`)."""

    name: str
    role: str
    rect: Rect | None
    pid: int
    handle: Any = field(default=None, compare=False, repr=False)
    visible: Rect | None = None

    def element(self) -> Element:
        return Element(self.name or UNKNOWN, self.role, self.rect)

    @property
    def center(self) -> tuple[int, int] | None:
        """The middle of the visible part (of the whole box when that is unknown): a point to click."""
        box = self.visible or self.rect
        if box is None:
            return None
        left, top, right, bottom = box
        return (left + right) // 2, (top + bottom) // 2


def applications() -> list[Any]:
    """The desktop's accessible applications (each an Atspi.Accessible of role "application")."""
    desktop = atspi().get_desktop(0)
    apps = []
    try:
        count = desktop.get_child_count()
    except Exception:  # the registry is gone (the desktop is shutting down)
        return []
    for index in range(count):
        try:
            app = desktop.get_child_at_index(index)
        except Exception:  # an app that exited while we asked
            continue
        if app is not None:
            apps.append(app)
    return apps


def element_at(x: int, y: int, *, pid: int | None = None) -> Element:
    """The deepest accessible element at screen point (x, y), "Unknown" where no app exposes one.

    With `pid` (the owner of the top-level X window at the point, from `_x11.window_at`) only that app is
    asked, which is right when windows overlap; without it, the first showing window containing the point."""
    node = node_at(x, y, pid=pid)
    return Element(UNKNOWN, "unknown", None) if node is None else node.element()


def node_at(x: int, y: int, *, pid: int | None = None) -> Node | None:
    coords = atspi().CoordType.SCREEN
    for app, app_pid in _apps(pid):
        for window in _children(app):
            if not _showing(window) or not _contains(_rect(window), x, y):
                continue
            deepest = _descend(window, x, y, coords)
            return _node(deepest, app_pid)
    return None


def _descend(accessible: Any, x: int, y: int, coords: Any) -> Any:
    for _ in range(64):
        try:
            component = accessible.get_component_iface()
            child = None if component is None else component.get_accessible_at_point(x, y, coords)
        except Exception:
            child = None
        if child is None or child == accessible:
            return accessible
        accessible = child
    return accessible


def visible_nodes(*, pid: int | None = None, limit: int = MAX_NODES) -> list[Node]:
    """Every named element that is on screen, across the showing windows of the desktop's apps (or of one
    app), in tree order: what the agent's a11y grounder matches descriptions against.

    Each box is clipped to its ancestors' boxes, and elements clipped away entirely (with their subtrees)
    are left out: a toolkit may keep a list row scrolled out of its pane SHOWING."""
    found = []
    for accessible, app_pid, visible in _walk(pid, limit, clip=True):
        node = _node(accessible, app_pid)
        if node.name and node.rect is not None and visible is not None:
            found.append(replace(node, visible=visible))
    return found


def find_nodes(
    name: str, *, role: str | None = None, exact: bool = True, pid: int | None = None
) -> list[Node]:
    """Visible elements named `name` (case-insensitive; a substring unless `exact`), optionally of `role`."""
    wanted = name.strip().casefold()
    matches = []
    for node in visible_nodes(pid=pid):
        have = node.name.strip().casefold()
        if (have == wanted if exact else wanted in have) and (role is None or node.role == role):
            matches.append(node)
    return matches


def focused_node(*, pid: int | None = None, limit: int = 2000) -> Node | None:
    """The showing element with the keyboard focus (of one app, or of any), None if none says so."""
    focused = atspi().StateType.FOCUSED
    for accessible, app_pid, _ in _walk(pid, limit):
        try:
            if accessible.get_state_set().contains(focused):
                return _node(accessible, app_pid)
        except Exception:
            continue
    return None


def text_of(node: Node) -> str | None:
    """The text an element holds (an entry's content, a label's text), None if it has no text interface."""
    try:
        text = node.handle.get_text_iface()
        return None if text is None else str(text.get_text(0, -1))
    except Exception:
        return None


def _apps(pid: int | None) -> Iterator[tuple[Any, int]]:
    """(application, its pid), all of them or only the one whose process is `pid`."""
    for app in applications():
        try:
            app_pid = int(app.get_process_id())
        except Exception:  # exited meanwhile
            continue
        if pid is None or app_pid == pid:
            yield app, app_pid


def _walk(pid: int | None, limit: int, *, clip: bool = False) -> Iterator[tuple[Any, int, Rect | None]]:
    """Showing elements depth first, each with its box clipped to its ancestors' (with `clip`; a subtree
    clipped away is not entered). Boxless containers pass their parent's clip on."""
    count = 0
    for app, app_pid in _apps(pid):
        windows = [window for window in reversed(_children(app)) if _showing(window)]
        stack: list[tuple[Any, Rect | None]] = [
            (window, _rect(window) if clip else None) for window in windows
        ]
        while stack and count < limit:
            accessible, visible = stack.pop()
            count += 1
            yield accessible, app_pid, visible
            for child in reversed(_children(accessible)):
                if not _showing(child):
                    continue
                if not clip:
                    stack.append((child, None))
                    continue
                own = _rect(child)
                inside = visible if own is None else _intersect(own, visible)
                if inside is not None:
                    stack.append((child, inside))


def _intersect(box: Rect, clip: Rect | None) -> Rect | None:
    if clip is None:
        return None
    left, top = max(box[0], clip[0]), max(box[1], clip[1])
    right, bottom = min(box[2], clip[2]), min(box[3], clip[3])
    return (left, top, right, bottom) if left < right and top < bottom else None


def _children(accessible: Any) -> list[Any]:
    try:
        count = accessible.get_child_count()
        return [child for i in range(count) if (child := accessible.get_child_at_index(i)) is not None]
    except Exception:
        return []


def _showing(accessible: Any) -> bool:
    try:
        return bool(accessible.get_state_set().contains(atspi().StateType.SHOWING))
    except Exception:
        return False


def _rect(accessible: Any) -> Rect | None:
    try:
        component = accessible.get_component_iface()
        if component is None:
            return None
        box = component.get_extents(atspi().CoordType.SCREEN)
    except Exception:
        return None
    if box.width <= 0 or box.height <= 0:
        return None
    return int(box.x), int(box.y), int(box.x + box.width), int(box.y + box.height)


def _contains(rect: Rect | None, x: int, y: int) -> bool:
    return rect is not None and rect[0] <= x < rect[2] and rect[1] <= y < rect[3]


def _node(accessible: Any, pid: int) -> Node:
    try:
        name = str(accessible.get_name() or "")
        role = str(accessible.get_role_name() or "unknown")
    except Exception:
        name, role = "", "unknown"
    return Node(name, role, _rect(accessible), pid, accessible)
