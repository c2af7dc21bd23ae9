"""`limkit pc track`: record human computer use on X11 as a PC Agent trajectory (arXiv 2412.17589)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from limkit.errors import LimkitError, UsageError

SIGNALS_HELP = (
    "Ctrl-C (SIGINT) or SIGTERM finishes, SIGUSR2 fails, SIGUSR1 pauses/resumes, Ctrl-\\ (SIGQUIT) "
    "discards; the pid is in DIR/.track.pid while recording."
)


def _say(text: str) -> None:
    from limkit.progress import stderr_console

    stderr_console.print(text, soft_wrap=True, markup=False, highlight=False)


def _window_id(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise UsageError(
            f"--exclude-window {text!r}: expected an X window id (0x1e00003 or 31457283)"
        ) from None


def track_command(
    out: Annotated[Path, typer.Option("--out", help="New trajectory directory (must be empty or absent).")],
    task: Annotated[str, typer.Option(help="The task being done, whole (may span lines).")] = "",
    wait: Annotated[float, typer.Option(help="Seconds without input before a `wait` step.")] = 6.0,
    blank: Annotated[
        list[str] | None, typer.Option(help="X,Y,W,H screen region painted black in every PNG; repeat.")
    ] = None,
    exclude_window: Annotated[
        list[str] | None,
        typer.Option(help="X window id whose presses and typed keys are not recorded (e.g. your terminal)."),
    ] = None,
    interval: Annotated[float, typer.Option(help="Seconds between screen grabs.")] = 0.1,
    a11y: Annotated[
        bool, typer.Option("--a11y/--no-a11y", help="Ask AT-SPI for the element clicked.")
    ] = True,
) -> None:
    """Record mouse, keyboard and screenshots on X11 (a real session or Xvfb) until a signal stops it.

    Ctrl-C (SIGINT) or SIGTERM finishes, SIGUSR2 fails, SIGUSR1 pauses/resumes, Ctrl-\\ (SIGQUIT) discards.
    Typed passwords (AT-SPI role "password text") are recorded as `type text: ***`.
    """
    import signal

    from limkit.agents.pc._track import Tracker, TrackOptions, parse_region

    if wait <= 0 or not 0.02 <= interval <= 5:
        raise UsageError("--wait must be > 0 and --interval within 0.02..5 seconds")
    options = TrackOptions(
        out=out,
        task=task,
        wait=wait,
        interval=interval,
        blank=tuple(parse_region(region) for region in blank or ()),
        exclude_windows=frozenset(_window_id(text) for text in exclude_window or ()),
        a11y=a11y,
    )
    tracker = Tracker(options)
    controls = {
        signal.SIGINT: "finish",
        signal.SIGTERM: "finish",
        signal.SIGUSR2: "fail",
        signal.SIGUSR1: "pause",
        signal.SIGQUIT: "discard",
    }
    previous = {number: signal.getsignal(number) for number in controls}

    def on_signal(number: int, _frame: object) -> None:
        tracker.control(controls[signal.Signals(number)])

    for number in controls:
        signal.signal(number, on_signal)
    _say(f"recording to {out}. {SIGNALS_HELP}")
    try:
        result = tracker.run()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if result.discarded:
        _say(f"discarded: nothing kept in {out}")
        return
    skipped = "".join(f", {count} {reason} skipped" for reason, count in result.skipped.items())
    _say(f"{result.status}: {result.steps} steps in {out}{skipped}")
    if result.error is not None:
        raise LimkitError(result.error)
