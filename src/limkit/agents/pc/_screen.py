"""Screenshots of the X display (mss) and a timestamped ring buffer of recent frames.

The Windows tracker grabbed the desktop every 0.1 s into one "latest frame" slot and gave each event the frame
current at event time, so the observation is the screen *just before* the action (fact sheet notes/papers/
pc_agent.md, section 1.2). One slot is racy: a frame grabbed a moment after the event may already show the
action's effect. `FrameRing` keeps the last few frames with the time each grab *started* and answers "the
newest frame that started at or before t", so the caller can ask for a frame strictly before the action.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INTERVAL = 0.1
CAPACITY = 20  # 2 s of frames at 10 Hz: enough for the event worker, at most ~170 MB at 1920x1080


@dataclass(frozen=True)
class Frame:
    """One screenshot: `time` is time.monotonic() when the grab started, `bgra` mss's raw pixels."""

    time: float
    size: tuple[int, int]
    bgra: bytes

    def image(self, blank: tuple[tuple[int, int, int, int], ...] = ()) -> Any:
        """A PIL RGB image; each (x, y, w, h) region of `blank` painted black."""
        from PIL import Image, ImageDraw

        picture = Image.frombuffer("RGB", self.size, self.bgra, "raw", "BGRX", 0, 1).copy()
        if blank:
            draw = ImageDraw.Draw(picture)
            for x, y, width, height in blank:
                draw.rectangle((x, y, x + width - 1, y + height - 1), fill=(0, 0, 0))
        return picture


class Screen:
    """An mss grabber of the whole X screen. mss keeps an X connection per object: use one per thread."""

    def __init__(self, display: str | None = None) -> None:
        import mss

        self._mss = mss.mss(display=display) if display else mss.mss()
        self._monitor = self._mss.monitors[0]

    def grab(self) -> Frame:
        started = time.monotonic()
        shot = self._mss.grab(self._monitor)
        return Frame(started, (int(shot.width), int(shot.height)), bytes(shot.bgra))

    def close(self) -> None:
        self._mss.close()


def save_png(frame: Frame, path: Path, blank: tuple[tuple[int, int, int, int], ...] = ()) -> None:
    """`frame` as a PNG at `path`, atomically (a reader never sees half an image)."""
    from limkit.data import atomic_writer

    with atomic_writer(path, "wb") as handle:
        frame.image(blank).save(handle, format="PNG")


class FrameRing:
    """A daemon thread that grabs the screen every `interval` seconds into a bounded deque."""

    def __init__(self, display: str | None = None, interval: float = INTERVAL, capacity: int = CAPACITY):
        self._display = display
        self._interval = interval
        self._frames: deque[Frame] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="limkit-pc-frames", daemon=True)

    def start(self) -> FrameRing:
        """Starts grabbing and returns once the first frame is in (or the grabber failed)."""
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        try:
            screen = Screen(self._display)
        except BaseException as error:
            self._error = error
            self._ready.set()
            return
        try:
            while not self._stop.is_set():
                frame = screen.grab()
                with self._lock:
                    self._frames.append(frame)
                self._ready.set()
                self._stop.wait(max(0.0, frame.time + self._interval - time.monotonic()))
        except BaseException as error:  # the display went away: keep what we have, report on stop
            self._error = error
            self._ready.set()
        finally:
            with contextlib.suppress(Exception):  # closing a connection to a dead display raises
                screen.close()

    @property
    def error(self) -> BaseException | None:
        return self._error

    def latest(self) -> Frame | None:
        with self._lock:
            return self._frames[-1] if self._frames else None

    def before(self, moment: float) -> Frame | None:
        """The newest frame whose grab started at or before `moment`; the oldest frame if all are newer
        (the event came before the ring's first grab), None while empty."""
        with self._lock:
            frames = list(self._frames)
        if not frames:
            return None
        chosen = frames[0]
        for frame in frames:
            if frame.time <= moment:
                chosen = frame
            else:
                break
        return chosen
