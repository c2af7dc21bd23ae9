"""Opening report pages in Debian's headless Chromium and counting what actually rendered."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--virtual-time-budget=10000",
)
# Runs after load: records each image's decoded width, so a broken data URI shows up as width 0.
PROBE = (
    "<script>window.addEventListener('load', () => {"
    "for (const img of document.images) { img.setAttribute('data-natural-width', img.naturalWidth); }"
    "document.body.setAttribute('data-probed', 'yes'); });</script>"
)


class Census(HTMLParser):
    """Tables, images (with their attributes) and headings of a page as Chromium left it."""

    def __init__(self) -> None:
        super().__init__()
        self.tables = 0
        self.images: list[dict[str, str | None]] = []
        self.headings: list[str] = []
        self.body: dict[str, str | None] = {}
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables += 1
        elif tag == "img":
            self.images.append(dict(attrs))
        elif tag == "body":
            self.body = dict(attrs)
        self._in_heading = tag in ("h1", "h2")

    def handle_data(self, data: str) -> None:
        if self._in_heading and data.strip():
            self.headings.append(data.strip())
            self._in_heading = False


def chromium(*args: str, user_data: Path) -> subprocess.CompletedProcess[str]:
    if not CHROMIUM.exists():
        pytest.fail(
            "headless Chromium is missing at /usr/bin/chromium: install Debian's `chromium` package "
            "(scripts/test.sh does this); report tests must not be skipped"
        )
    return subprocess.run(
        [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={user_data}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@dataclass
class RenderedPage:
    census: Census
    dom: str
    screenshot_std: float


def render(page: Path, work: Path) -> RenderedPage:
    """Loads `page` in Chromium (with the probe); returns what rendered and how varied a screenshot is."""
    probe = work / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dumped = chromium("--dump-dom", probe.as_uri(), user_data=work / "profile-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    census = Census()
    census.feed(dumped.stdout)
    assert census.body.get("data-probed") == "yes", "the page's load event never ran"
    shot = work / "shot.png"
    done = chromium(
        f"--screenshot={shot}", "--window-size=1200,1600", page.as_uri(), user_data=work / "profile-shot"
    )
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    import matplotlib.image

    pixels = matplotlib.image.imread(str(shot))
    return RenderedPage(census, dumped.stdout, float(pixels[..., :3].std()))


class PageTables(HTMLParser):
    """A page's h2 headings, and every table as rows of cell texts (header row first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.headings: list[str] = []
        self._cell: list[str] | None = None
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "h2":
            self._heading = []

    def handle_data(self, data: str) -> None:
        for part in (self._cell, self._heading):
            if part is not None:
                part.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "h2" and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def headed(self, *columns: str) -> list[list[list[str]]]:
        """The tables whose header row begins with `columns`."""
        return [rows for rows in self.tables if rows and tuple(rows[0][: len(columns)]) == columns]
