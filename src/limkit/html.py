"""Self-contained HTML pages: tables and matplotlib figures embedded as data URIs (no external files).

Shared by every pillar that writes a report (eval, curate, train, demo), so all pages look alike.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Sequence
from typing import Any

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;line-height:1.45}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:0.8rem 0;font-size:0.92rem}
th,td{border:1px solid #ccc;padding:0.3rem 0.6rem;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
figure{margin:1rem 0}img{max-width:100%}.note{color:#555;font-size:0.9rem}
.warning{color:#9a3b00;font-weight:600}pre{white-space:pre-wrap;background:#f7f7f7;padding:0.5rem}
#browser-table tr.sample{cursor:pointer}.browser-list{max-height:28rem;overflow:auto}
tr.rank-up td{background:#e3f4e1}tr.rank-down td{background:#fbe4e0}
"""


def escape(value: Any) -> str:
    return html.escape(str(value))


def fmt(value: Any, digits: int = 3) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return "" if value is None else str(value)


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    caption: str | None = None,
    row_classes: Sequence[str | None] = (),
) -> str:
    """`row_classes[i]`, when given and not None, becomes row i's CSS class (e.g. to highlight it)."""
    head = "".join(f"<th>{escape(column)}</th>" for column in columns)
    classes = list(row_classes)
    body = "".join(
        (f'<tr class="{escape(classes[i])}">' if i < len(classes) and classes[i] else "<tr>")
        + "".join(f"<td>{escape(fmt(cell))}</td>" for cell in row)
        + "</tr>"
        for i, row in enumerate(rows)
    )
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def figure(fig: Any, alt: str) -> str:
    """Embeds a matplotlib figure as a PNG data URI and closes it."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<figure><img alt="{escape(alt)}" src="data:image/png;base64,{data}"></figure>'


def new_figure(width: float = 6.4, height: float = 3.8) -> tuple[Any, Any]:
    """A figure and axes on the non-interactive Agg backend (works with no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(figsize=(width, height))
    return fig, axes


def page(title: str, sections: Iterable[str]) -> str:
    body = "\n".join(sections)
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>\n{body}\n</body></html>"
    )


def section(heading: str, *parts: str) -> str:
    return f"<section><h2>{escape(heading)}</h2>{''.join(parts)}</section>"


def paragraph(text: str, css_class: str | None = None) -> str:
    klass = f' class="{css_class}"' if css_class else ""
    return f"<p{klass}>{escape(text)}</p>"
