"""`limkit pc track` end to end: a real tracker process on its own Xvfb + AT-SPI desktop, the GTK test app,
driven by xdotool. Expected actions are built from the app's own widget geometry; the swatch in each kept
frame must show the app's event counts from *before* that step's first input."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from gtk_app import swatch_colour
from pc_desktop import Desktop, TestApp, start_desktop, stop_process
from PIL import Image

from limkit.agents.pc import read_steps, read_task

WAIT = 2.5  # --wait for these runs: short, yet longer than any gap between two driven inputs


def _start_tracker(desktop: Desktop, out: Path, *args: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from limkit.cli import main; main()",
            "pc",
            "track",
            "--out",
            str(out),
            *args,
        ],
        env=desktop.env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not (out / ".track.pid").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process(process)
            pytest.fail(f"the tracker did not start: {process.communicate()[1][-2000:]}")
        time.sleep(0.05)
    return process


def _stop_tracker(process: subprocess.Popen[str], number: int = signal.SIGINT) -> str:
    time.sleep(0.3)  # let the tracker see the last input before the signal
    process.send_signal(number)
    try:
        out, err = process.communicate(timeout=30)
    finally:
        stop_process(process)
    assert process.returncode == 0, err
    assert out == "", "the tracker writes nothing to stdout"
    return err


def _counts(app: TestApp) -> tuple[int, int, int]:
    state = app.state()
    return state["presses"], state["scrolls"], state["keys"]


def _swatch(path: Path, app: TestApp) -> tuple[int, int, int]:
    with Image.open(path) as image:
        pixel: Any = image.convert("RGB").getpixel(app.centre("Swatch"))
    return tuple(pixel)


def _settle(app: TestApp, before: tuple[int, int, int]) -> None:
    """Waits until the app has seen the input just sent (its counts moved) and the screen caught up."""
    app.wait_for(lambda state: (state["presses"], state["scrolls"], state["keys"]) != before)
    time.sleep(0.25)


def test_tracks_clicks_drag_scroll_typing_hotkeys_wait_finish(
    x_desktop: Desktop, gtk_app: TestApp, tmp_path: Path
) -> None:
    out = tmp_path / "trajectory"
    task = "Save the report,\nthen type a greeting into Name.\n"
    tracker = _start_tracker(x_desktop, out, "--task", task, "--wait", str(WAIT))
    x = x_desktop.xdotool
    app = gtk_app
    save, name, rows, canvas = (app.centre(widget) for widget in ("Save", "Name", "Rows", "Canvas"))
    drag_from, drag_to = (canvas[0] - 60, canvas[1] - 40), (canvas[0] + 70, canvas[1] + 50)
    expected: list[tuple[str, str | None, tuple[int, int, int]]] = []  # action, element, counts before

    def drive(action: str | None, element: str | None, *commands: tuple[Any, ...]) -> None:
        before = _counts(app)
        for command in commands:
            x(*command)
        if action is not None:
            expected.append((action, element, before))
        _settle(app, before)

    drive(f"click ({save[0]}, {save[1]})", "Save", ("mousemove", *save, "click", 1))
    drive(
        f"double click ({canvas[0]}, {canvas[1]})",
        "Canvas",
        ("mousemove", *canvas, "click", "--repeat", 2, "--delay", 80, 1),
    )
    before_drag = _counts(app)
    drive(
        f"press ({drag_from[0]}, {drag_from[1]})",
        "Canvas",
        ("mousemove", *drag_from, "mousedown", 1),
        ("mousemove", drag_to[0] - 30, drag_to[1] - 20),
        ("mousemove", *drag_to, "mouseup", 1),
    )
    expected.append((f"drag to ({drag_to[0]}, {drag_to[1]})", None, before_drag))  # the press's frame
    drive("scroll (0, -3)", None, ("mousemove", *rows, "click", "--repeat", 3, "--delay", 60, 5))
    drive(f"click ({name[0]}, {name[1]})", "Name", ("mousemove", *name, "click", 1))
    drive(
        "type text: hello World",
        "Name",
        ("type", "--delay", 40, "hello Worlx"),
        ("key", "BackSpace"),
        ("type", "d"),
    )
    drive("hotkey (ctrl, c)", None, ("key", "ctrl+c"))
    drive("hotkey (ctrl, shift, a)", None, ("key", "ctrl+shift+a"))
    drive("hotkey (alt, tab)", None, ("key", "alt+Tab"))
    time.sleep(WAIT + 0.8)  # one wait, not two
    expected.append(("wait", None, _counts(app)))
    x("mousemove", 900, 600, "click", 3)  # bare root window: no accessible element
    expected.append(("right click (900, 600)", "root", _counts(app)))
    err = _stop_tracker(tracker)
    expected.append(("finish", None, _counts(app)))

    steps = read_steps(out / "steps.jsonl")
    assert [step.action for step in steps] == [action for action, _, _ in expected], err
    info = read_task(out)
    assert info.task == task and info.status == "finished" and info.screen == (1280, 720)
    assert task.strip() in (out / "steps.md").read_text()
    for step, (_, element, before) in zip(steps, expected, strict=True):
        if element == "root":
            assert step.element is not None and (step.element.name, step.element.role) == (
                "Unknown",
                "unknown",
            )
        elif element is not None:
            assert step.element is not None, step
            assert (step.element.name, step.element.rect) == (element, app.rect(element)), step
        assert step.screenshot is not None and (out / step.screenshot).is_file()
        assert _swatch(out / step.screenshot, app) == swatch_colour(*before), step.action
    roles = {step.element.name: step.element.role for step in steps if step.element is not None}
    assert roles == {"Save": "push button", "Canvas": "panel", "Name": "text", "Unknown": "unknown"}
    state = app.state()  # what the app itself saw happen
    assert state["clicked"]["Save"] == 1 and state["double_clicks"] == 1 and state["entry"] == "hello World"
    assert state["drags"] == [[*drag_from, *drag_to]] and state["list_scroll"] > 0
    assert not (out / ".track.pid").exists()


def test_password_text_and_blanked_regions_never_reach_disk(
    x_desktop: Desktop, gtk_app: TestApp, tmp_path: Path
) -> None:
    out = tmp_path / "private"
    secret = "hunter2-Secret"
    left, top, right, bottom = gtk_app.rect("Save")[0], 10, gtk_app.rect("Cancel")[2], 64
    region = f"{left},{top},{right - left},{bottom - top}"
    tracker = _start_tracker(x_desktop, out, "--blank", region, "--wait", "60")
    password, name = gtk_app.centre("Password"), gtk_app.centre("Name")
    x_desktop.xdotool("mousemove", *password, "click", 1)
    x_desktop.xdotool("type", "--delay", 30, secret)
    gtk_app.wait_for(lambda state: state["password_length"] == len(secret))
    x_desktop.xdotool("mousemove", *name, "click", 1)
    x_desktop.xdotool("type", "--delay", 30, "public")
    gtk_app.wait_for(lambda state: state["entry"] == "public")
    _stop_tracker(tracker)

    steps = read_steps(out / "steps.jsonl")
    actions = [step.action for step in steps]
    assert actions == [
        f"click ({password[0]}, {password[1]})",
        "type text: ***",
        f"click ({name[0]}, {name[1]})",
        "type text: public",
        "finish",
    ]
    assert steps[1].element is not None and steps[1].element.role == "password text"
    files = [path for path in out.rglob("*") if path.is_file()]
    assert len(files) == 3 + len(steps)  # task.json, steps.jsonl, steps.md and one PNG a step
    for path in files:
        data = path.read_bytes()
        assert secret.encode() not in data and b"hunter2" not in data, path
    for path in sorted((out / "screens").iterdir()):
        with Image.open(path) as image:
            picture = image.convert("RGB")
            assert picture.crop((left, top, right, bottom)).getextrema() == ((0, 0), (0, 0), (0, 0)), path
            assert picture.getpixel(name) != (0, 0, 0), "only the region is blanked"


def test_pause_resume_fail_and_discard(x_desktop: Desktop, gtk_app: TestApp, tmp_path: Path) -> None:
    out = tmp_path / "paused"
    tracker = _start_tracker(x_desktop, out, "--wait", "60")
    save, open_, cancel = (gtk_app.centre(name) for name in ("Save", "Open", "Cancel"))
    x_desktop.xdotool("mousemove", *save, "click", 1)
    gtk_app.wait_for(lambda state: state["clicked"]["Save"] == 1)
    time.sleep(0.3)
    tracker.send_signal(signal.SIGUSR1)  # pause
    time.sleep(0.4)
    x_desktop.xdotool("mousemove", *open_, "click", 1)
    x_desktop.xdotool("type", "--delay", 20, "unseen")
    gtk_app.wait_for(lambda state: state["clicked"]["Open"] == 1)
    time.sleep(0.3)
    tracker.send_signal(signal.SIGUSR1)  # resume
    time.sleep(0.4)
    x_desktop.xdotool("mousemove", *cancel, "click", 1)
    gtk_app.wait_for(lambda state: state["clicked"]["Cancel"] == 1)
    _stop_tracker(tracker, signal.SIGUSR2)
    steps = read_steps(out / "steps.jsonl")
    assert [step.action for step in steps] == [
        f"click ({save[0]}, {save[1]})",
        f"click ({cancel[0]}, {cancel[1]})",
        "fail",
    ]
    assert read_task(out).status == "failed"

    discarded = tmp_path / "discarded"
    tracker = _start_tracker(x_desktop, discarded)
    x_desktop.xdotool("mousemove", *save, "click", 1)
    gtk_app.wait_for(lambda state: state["clicked"]["Save"] == 2)
    err = _stop_tracker(tracker, signal.SIGQUIT)
    assert not discarded.exists() and "discarded" in err


def test_excluded_window_is_not_recorded(x_desktop: Desktop, gtk_app: TestApp, tmp_path: Path) -> None:
    window = x_desktop.xdotool("search", "--name", "limkit test app").split()[0]
    out = tmp_path / "excluded"
    tracker = _start_tracker(x_desktop, out, "--exclude-window", window, "--wait", "60")
    x_desktop.xdotool("mousemove", *gtk_app.centre("Name"), "click", 1)
    x_desktop.xdotool("type", "--delay", 20, "typed into the excluded window")
    gtk_app.wait_for(lambda state: state["entry"] == "typed into the excluded window")
    x_desktop.xdotool("mousemove", 900, 600, "click", 1)
    x_desktop.xdotool("click", "--repeat", 2, "--delay", 60, 4)  # up, on the bare root: not excluded
    _stop_tracker(
        tracker, signal.SIGTERM
    )  # the scroll just before stop is flushed, not lost as in the original
    actions = [step.action for step in read_steps(out / "steps.jsonl")]
    assert actions == ["click (900, 600)", "scroll (0, 2)", "finish"]


def test_cli_errors(
    run_cli: Any, x_desktop: Desktop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "steps.jsonl").write_text("")
    result = run_cli("pc", "track", "--out", str(tmp_path / "used"))
    assert result.code == 1 and "not empty" in result.err
    result = run_cli("pc", "track", "--out", str(tmp_path / "new"), "--blank", "1,2,3")
    assert result.code == 2 and "X,Y,W,H" in result.err
    monkeypatch.delenv("DISPLAY")
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    result = run_cli("pc", "track", "--out", str(tmp_path / "new"))
    assert result.code == 1 and "Wayland is unsupported" in result.err and "xvfb-run" in result.err
    assert not (tmp_path / "new").exists()


def test_killed_tracker_leaves_what_it_recorded(x_desktop: Desktop, gtk_app: TestApp, tmp_path: Path) -> None:
    out = tmp_path / "killed"
    tracker = _start_tracker(x_desktop, out, "--wait", "60")
    save, open_ = gtk_app.centre("Save"), gtk_app.centre("Open")
    x_desktop.xdotool("mousemove", *save, "click", 1, "mousemove", *open_, "click", 1)
    gtk_app.wait_for(lambda state: state["clicked"]["Open"] == 1)
    time.sleep(0.5)  # the Save click is written once the Open click arrives (one action stays buffered)
    tracker.send_signal(signal.SIGKILL)
    tracker.communicate(timeout=30)
    steps = read_steps(out / "steps.jsonl")  # every file parses: all writes are atomic
    assert [step.action for step in steps] == [f"click ({save[0]}, {save[1]})"]
    assert steps[0].screenshot is not None and (out / steps[0].screenshot).is_file()
    assert (
        read_task(out).status == "recording"
        and f"`click ({save[0]}, {save[1]})`" in (out / "steps.md").read_text()
    )


def test_caps_lock_typing_is_recorded_as_the_app_received_it(
    x_desktop: Desktop, gtk_app: TestApp, tmp_path: Path
) -> None:
    """pynput's X11 backend applies Shift but not Caps Lock to characters: the tracker does."""
    out = tmp_path / "caps"
    tracker = _start_tracker(x_desktop, out, "--wait", "60")
    x_desktop.xdotool("mousemove", *gtk_app.centre("Name"), "click", 1)
    x_desktop.xdotool("key", "Caps_Lock", "type", "--delay", 30, "abC d")
    x_desktop.xdotool("key", "Caps_Lock", "type", "--delay", 30, "ef")
    x_desktop.xdotool("key", "Return")
    entry = gtk_app.wait_for(lambda state: len(state["entry"]) == 7)["entry"]
    _stop_tracker(tracker)
    actions = [step.action for step in read_steps(out / "steps.jsonl")]
    assert actions[1:] == [f"type text: {entry}", "press key enter", "finish"] and entry != "abC def"


TK_APP = """
import sys, tkinter
root = tkinter.Tk()
root.title("tk over gtk")
root.geometry("300x120+0+0")
tkinter.Button(root, text="Save", command=lambda: print("saved", flush=True)).pack(fill="both", expand=True)
root.after(200, lambda: print("ready", flush=True))
root.mainloop()
"""


def test_a_window_without_accessibility_is_unknown_even_over_an_accessible_one(
    x_desktop: Desktop, gtk_app: TestApp, tmp_path: Path
) -> None:
    """Tk exposes no AT-SPI tree and sets no _NET_WM_PID; its window lies over the GTK app's Save button,
    which must not be reported for a click on Tk's own "Save"."""
    tk = subprocess.Popen(
        [sys.executable, "-c", TK_APP],
        env=x_desktop.env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert tk.stdout is not None and tk.stdout.readline().strip() == "ready"
        out = tmp_path / "tk"
        tracker = _start_tracker(x_desktop, out, "--wait", "60")
        save = gtk_app.centre("Save")
        x_desktop.xdotool("mousemove", *save, "click", 1)
        assert tk.stdout.readline().strip() == "saved"  # Tk got the click, not GTK
        _stop_tracker(tracker)
    finally:
        stop_process(tk)
    steps = read_steps(out / "steps.jsonl")
    assert [step.action for step in steps] == [f"click ({save[0]}, {save[1]})", "finish"]
    assert steps[0].element is not None and steps[0].element.name == "Unknown"
    assert gtk_app.state()["clicked"]["Save"] == 0


def test_display_lost_mid_recording_fails_cleanly(tmp_path: Path) -> None:
    """Its own desktop, since the X server is killed: the tracker exits 1 with one error line, and what it
    had recorded is on disk with status failed."""
    desktop = start_desktop(tmp_path / "desktop")
    try:
        app = desktop.start_app(tmp_path / "app.json")
        out = tmp_path / "lost"
        tracker = _start_tracker(desktop, out, "--wait", "60")
        save = app.centre("Save")
        desktop.xdotool("mousemove", *save, "click", 1)
        app.wait_for(lambda state: state["clicked"]["Save"] == 1)
        time.sleep(0.3)
        stop_process(desktop.processes[0])  # Xvfb
        _, err = tracker.communicate(timeout=30)
        stop_process(app.process)
    finally:
        for process in reversed(desktop.processes):
            stop_process(process)
    assert tracker.returncode == 1 and "Traceback" not in err
    assert "error: recording stopped early: the X display" in err
    steps = read_steps(out / "steps.jsonl")
    assert [step.action for step in steps] == [f"click ({save[0]}, {save[1]})", "fail"]
    assert read_task(out).status == "failed" and not (out / ".track.pid").exists()
