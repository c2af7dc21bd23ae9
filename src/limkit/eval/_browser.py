"""The report's failure browser: every graded sample of the runs, filtered in the page itself.

Filters: run, task, correctness, grader status and answer source (where the grader found the answer:
box, cue, fallback, as recorded in each row's `answer_source`). Picking a sample shows its prompt,
completion, extracted answer and gold. The page stays self-contained: the samples travel as JSON inside
it and a few lines of script filter them; completions and prompts are inserted as text, never as HTML,
since model output is untrusted. Filters can be preset from the address (`report.html#task=aime24&
correct=incorrect&open=2`), so a link can point at one failure.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

MAX_SAMPLES_PER_RUN = 2000
"""Samples embedded per run (failures first), so a 500-problem n=16 run does not make a 100 MB page."""
HEAD_CHARS = 1500
TAIL_CHARS = 4500
"""A long completion keeps its start and its end (where the answer is); the middle is cut, and says so."""
LISTED = 500
"""Rows listed at once; the count above the table says how many matched."""
FILTERS = (
    ("run", "run"),
    ("task", "task"),
    ("correct", "correct"),
    ("status", "status"),
    ("source", "answer source"),
)
COLUMNS = (
    "run",
    "task",
    "problem",
    "sample",
    "budget",
    "correct",
    "status",
    "answer source",
    "extracted",
    "gold",
)

_SCRIPT = """
(function () {
  const data = JSON.parse(document.getElementById('browser-data').textContent);
  const keys = %(keys)s, limit = %(limit)d;
  const selects = {};
  document.querySelectorAll('#browser-filters select').forEach(s => { selects[s.dataset.key] = s; });
  const value = (e, k) => k === 'correct' ? (e.correct ? 'correct' : 'incorrect') : String(e[k]);
  keys.forEach(k => {
    selects[k].add(new Option('all', ''));
    [...new Set(data.map(e => value(e, k)))].sort().forEach(v => selects[k].add(new Option(v, v)));
    selects[k].addEventListener('change', () => render(0));
  });
  const wanted = new URLSearchParams(location.hash.slice(1));
  keys.forEach(k => { if (wanted.has(k)) selects[k].value = wanted.get(k); });
  const body = document.querySelector('#browser-table tbody');
  const detail = document.getElementById('browser-detail');
  const count = document.getElementById('browser-count');
  function block(title, text) {
    const h = document.createElement('h3'); h.textContent = title;
    const pre = document.createElement('pre'); pre.textContent = text === null ? '(none)' : String(text);
    detail.append(h, pre);
  }
  function show(e) {
    detail.replaceChildren();
    detail.dataset.shown = e.run + '/' + e.task + '/' + e.id + '/' + e.sample;
    block('prompt', e.prompt); block('completion', e.completion);
    block('extracted answer', e.extracted); block('gold', e.gold);
  }
  function render(open) {
    const shown = data.filter(e => keys.every(k => !selects[k].value || value(e, k) === selects[k].value));
    body.replaceChildren();
    shown.slice(0, limit).forEach(e => {
      const tr = body.insertRow();
      tr.className = 'sample';
      [e.run, e.task, e.id, e.sample, e.budget, e.correct ? 'yes' : 'no', e.status, e.source, e.extracted,
       e.gold].forEach(v => { tr.insertCell().textContent = v === null ? '' : String(v); });
      tr.addEventListener('click', () => show(e));
    });
    count.textContent = shown.length + ' of ' + data.length + ' samples match' +
      (shown.length > limit ? '; the first ' + limit + ' are listed' : '') + '. Pick a row to read it.';
    if (shown.length) { show(shown[Math.min(open, shown.length - 1)]); }
    else { detail.replaceChildren(); delete detail.dataset.shown; }
  }
  render(Number(wanted.get('open') || 0));
})();
"""


def browser_section(runs: Sequence[tuple[str, Sequence[dict[str, Any]]]]) -> str:
    """The browser over `(run label, sample rows)` pairs, as one report section."""
    from limkit import html

    entries: list[dict[str, Any]] = []
    left_out = 0
    for label, rows in runs:
        ordered = sorted(rows, key=_order)
        entries.extend(_entry(label, row) for row in ordered[:MAX_SAMPLES_PER_RUN])
        left_out += max(0, len(ordered) - MAX_SAMPLES_PER_RUN)
    selects = "".join(
        f'<label>{html.escape(title)} <select data-key="{key}"></select></label> ' for key, title in FILTERS
    )
    head = "".join(f"<th>{html.escape(column)}</th>" for column in COLUMNS)
    note = (
        f"Failures first; {left_out} further samples were not embedded (at most {MAX_SAMPLES_PER_RUN} per "
        "run)."
        if left_out
        else "Every sample of every run, failures first."
    )
    script = _SCRIPT % {"keys": json.dumps([key for key, _ in FILTERS]), "limit": LISTED}
    parts = [
        html.paragraph(
            f"{note} Completions longer than {HEAD_CHARS + TAIL_CHARS} characters keep their first "
            f"{HEAD_CHARS} and last {TAIL_CHARS}.",
            "note",
        ),
        f'<form id="browser-filters" onsubmit="return false">{selects}</form>',
        '<p id="browser-count" class="note"></p>',
        f'<div class="browser-list"><table id="browser-table"><thead><tr>{head}</tr></thead><tbody></tbody>'
        "</table></div>",
        '<div id="browser-detail"></div>',
        f'<script type="application/json" id="browser-data">{_embedded(entries)}</script>',
        f"<script>{script}</script>",
    ]
    return html.section("Failure browser", *parts)


def _order(row: dict[str, Any]) -> tuple[Any, ...]:
    return bool(row["correct"]), str(row["task"]), str(row["id"]), int(row["sample"]), row.get("budget") or 0


def _entry(label: str, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "run": label,
        "task": row["task"],
        "id": row["id"],
        "sample": row["sample"],
        "budget": row.get("budget"),
        "correct": bool(row["correct"]),
        "status": row["status"],
        "source": row.get("answer_source") or "not recorded",
        "extracted": row.get("extracted"),
        "gold": row["gold"],
        "prompt": _prompt_text(row.get("prompt")),
        "completion": clip(str(row["completion"])),
    }


def _prompt_text(prompt: Any) -> str:
    if isinstance(prompt, list):
        return "\n\n".join(
            f"[{turn.get('role')}]\n{turn.get('content')}" for turn in prompt if isinstance(turn, dict)
        )
    return "" if prompt is None else str(prompt)


def clip(text: str) -> str:
    """The start and end of a long text, with how much of the middle was cut."""
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text
    cut = len(text) - HEAD_CHARS - TAIL_CHARS
    return f"{text[:HEAD_CHARS]}\n[… {cut} characters cut …]\n{text[-TAIL_CHARS:]}"


def _embedded(entries: list[dict[str, Any]]) -> str:
    """JSON that cannot close its <script> element, whatever the completions contain."""
    text = json.dumps(entries, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
