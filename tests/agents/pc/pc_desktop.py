"""Starting and ending a real X11 desktop for the PC tests (Xvfb, D-Bus, AT-SPI) and the GTK test app.

The fixtures that use this live in conftest.py (its docstring says how to use them); test modules import the
types from here by this module's own name, never from conftest."""

from __future__ import annotations

import contextlib
import json
import os
import random
import secrets
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
GTK_APP = HERE / "gtk_app.py"
SCREEN = (1280, 720)
AT_SPI_LAUNCHER = "/usr/libexec/at-spi-bus-launcher"


def stop_process(process: subprocess.Popen[Any]) -> None:
    """Ends `process` and its group (it leads one: start_new_session) by its own pid."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(3)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(3)
    with contextlib.suppress(ProcessLookupError, PermissionError):  # children left in the group
        os.killpg(process.pid, signal.SIGKILL)


def _read_line(process: subprocess.Popen[str], what: str, timeout: float = 10) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        raise RuntimeError(f"{what} printed nothing within {timeout} s")
    line = process.stdout.readline().strip()
    if not line:
        raise RuntimeError(f"{what} exited: {process.poll()}")
    return line


@dataclass
class TestApp:
    __test__ = False
    process: subprocess.Popen[Any]
    state_path: Path

    def state(self) -> dict[str, Any]:
        return json.loads(self.state_path.read_text(encoding="utf-8"))

    def rect(self, name: str) -> tuple[int, int, int, int]:
        left, top, right, bottom = self.state()["widgets"][name]
        return left, top, right, bottom

    def centre(self, name: str) -> tuple[int, int]:
        left, top, right, bottom = self.rect(name)
        return (left + right) // 2, (top + bottom) // 2

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            state = self.state() if self.state_path.exists() else {}
            if state and predicate(state):
                return state
            if time.monotonic() > deadline:
                pytest.fail(f"the test app never reached the expected state; last state: {state}")
            time.sleep(0.05)


@dataclass
class Desktop:
    display: str
    env: dict[str, str]
    root: Path
    processes: list[subprocess.Popen[Any]] = field(default_factory=list)

    def xdotool(self, *args: str | int) -> str:
        done = subprocess.run(
            ["xdotool", *map(str, args)], env=self.env, capture_output=True, text=True, timeout=30
        )
        if done.returncode != 0:
            pytest.fail(f"xdotool {args} failed: {done.stderr.strip()}")
        return done.stdout

    def start_app(self, state_path: Path) -> TestApp:
        log = state_path.with_suffix(".log")
        with log.open("w") as sink:
            process = subprocess.Popen(
                [sys.executable, str(GTK_APP), str(state_path)],
                env=self.env,
                start_new_session=True,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        app = TestApp(process, state_path)
        deadline = time.monotonic() + 20
        while not (state_path.exists() and app.state().get("ready")):
            if process.poll() is not None or time.monotonic() > deadline:
                stop_process(process)
                pytest.fail(f"gtk_app.py did not start (exit {process.poll()}): {log.read_text()[-2000:]}")
            time.sleep(0.05)
        return app


def _start_xvfb(root: Path, xauthority: Path) -> tuple[subprocess.Popen[Any], str]:
    """Xvfb on a random display in 300-999 (fixed low numbers like :0 or :99 are what people start by hand,
    and a clash would let another session's cleanup end ours); it writes the number on -displayfd once it
    accepts connections, and exits at once if the display is taken, so try another. Clients need the
    MIT cookie written to `xauthority` (as xvfb-run does), so nothing else on the machine can connect."""
    options = ["-auth", str(xauthority), "-nolisten", "tcp", "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24"]
    for attempt in range(20):
        number = str(random.Random(os.getpid() * 1000 + attempt).randint(300, 999))
        xauthority.touch()
        subprocess.run(
            ["xauth", "-q", "-f", str(xauthority), "add", f":{number}", ".", secrets.token_hex(16)],
            check=True,
            timeout=10,
        )
        read_fd, write_fd = os.pipe()
        xvfb = subprocess.Popen(
            ["Xvfb", f":{number}", "-displayfd", str(write_fd), *options],
            pass_fds=(write_fd,),
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=(root / f"xvfb-{number}.log").open("w"),
        )
        os.close(write_fd)
        reported = _read_display_number(read_fd)
        if reported == number:
            return xvfb, number
        stop_process(xvfb)
    raise RuntimeError(f"Xvfb did not start on any of 20 displays (logs in {root})")


def _read_display_number(read_fd: int, timeout: float = 15) -> str:
    """Reads up to the newline: Xvfb writes the number and the newline in two writes, and dies of EPIPE
    if the pipe is closed between them."""
    text = b""
    deadline = time.monotonic() + timeout
    try:
        while not text.endswith(b"\n"):
            ready, _, _ = select.select([read_fd], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(read_fd, 32) if ready else b""
            if not chunk:
                break
            text += chunk
    finally:
        os.close(read_fd)
    return text.decode().strip()


def start_desktop(root: Path) -> Desktop:
    root.mkdir(parents=True, exist_ok=True)
    xauthority = root / "Xauthority"
    xvfb, number = _start_xvfb(root, xauthority)
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "NO_AT_BRIDGE")}
    env.update(DISPLAY=f":{number}", XAUTHORITY=str(xauthority))
    desktop = Desktop(f":{number}", env, root, [xvfb])
    try:
        _start_buses(desktop)
    except BaseException:
        for process in reversed(desktop.processes):
            stop_process(process)
        raise
    return desktop


def _start_buses(desktop: Desktop) -> None:
    env = desktop.env
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    desktop.processes.append(bus)
    env["DBUS_SESSION_BUS_ADDRESS"] = _read_line(bus, "dbus-daemon")
    launcher = subprocess.Popen(
        [AT_SPI_LAUNCHER, "--launch-immediately"],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    desktop.processes.append(launcher)
    _wait_for_a11y_bus(env)


def _wait_for_a11y_bus(env: dict[str, str]) -> None:
    """Waits until the launcher owns org.a11y.Bus on the session bus. NameHasOwner, not a call to the bus
    itself: a call would D-Bus-activate a second launcher that no test started."""
    command = [
        "dbus-send",
        "--session",
        "--print-reply",
        "--dest=org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus.NameHasOwner",
        "string:org.a11y.Bus",
    ]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=10)
        if "boolean true" in done.stdout:
            return
        time.sleep(0.05)
    raise RuntimeError("at-spi-bus-launcher did not take org.a11y.Bus within 10 s")
