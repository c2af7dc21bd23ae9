"""The `retrieve_evidence` step: numbered, cleaned snippets for knowledge-intensive tasks.

Backends behind one small interface (`queries -> snippets per query`):
- `local`: a saved `limkit.retrieve` index over the user's own corpus (BM25, embedding or hybrid);
- `web`: a Serper-compatible Google search API (what the paper used, A.4), keyed by an API key read
  from the environment variable `api_key_env` (never stored); not exercised by the test suite;
- `none`: retrieval off (the released code could not switch it off, A.9.4).
Snippets are cleaned the way the paper's were (placeholders and "Missing:/Duration:/Posted:" lines
dropped), whitespace collapsed, duplicates removed, each cut to `max_chars`, and the top `k` kept.
A record with nothing left gets no `evidence` field, so the rewrite uses the prompt without evidence.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limkit.curate._options import OptionError, doc
from limkit.curate._realign._taxonomy import RETRIEVAL_TASKS, taxonomy
from limkit.curate._record import Record
from limkit.curate._step import Step, file_stamps, register_step

BACKENDS = ("local", "web", "none")
_JUNK_PREFIXES = ("missing:", "duration:", "posted:")
_PLACEHOLDERS = ("no good search result", "no good google search result")
_SPACE = re.compile(r"\s+")

Snippet = dict[str, Any]


def clean_snippets(raw: Iterable[tuple[str, str]], k: int, max_chars: int) -> list[Snippet]:
    """Numbered `{"n", "text", "source"}` snippets from (text, source) pairs, cleaned, at most `k`."""
    out: list[Snippet] = []
    seen: set[str] = set()
    for text, source in raw:
        text = _SPACE.sub(" ", text or "").strip()
        lowered = text.lower()
        if not text or lowered.startswith(_JUNK_PREFIXES) or any(p in lowered for p in _PLACEHOLDERS):
            continue
        if lowered in seen:
            continue
        seen.add(lowered)
        if len(text) > max_chars:
            text = text[:max_chars].rsplit(" ", 1)[0] + " ..."
        out.append({"n": len(out) + 1, "text": text, "source": source})
        if len(out) >= k:
            break
    return out


def serper_snippets(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """(text, source) pairs from a Serper search response, in the paper's order (A.4): the answer box,
    the knowledge graph (title and type, description, attributes), then the organic results."""
    pairs: list[tuple[str, str]] = []
    box = payload.get("answerBox") or {}
    box_text = box.get("answer") or box.get("snippet") or box.get("snippetHighlighted")
    if isinstance(box_text, list):
        box_text = " ".join(map(str, box_text))
    if box_text:
        pairs.append((str(box_text), str(box.get("link") or "answer box")))
    graph = payload.get("knowledgeGraph") or {}
    if graph.get("title") and graph.get("type"):
        pairs.append((f"{graph['title']}: {graph['type']}", "knowledge graph"))
    if graph.get("description"):
        pairs.append((str(graph["description"]), str(graph.get("descriptionLink") or "knowledge graph")))
    for name, value in (graph.get("attributes") or {}).items():
        pairs.append((f"{graph.get('title', '')} {name}: {value}".strip(), "knowledge graph"))
    for result in payload.get("organic") or []:
        link = str(result.get("link") or "")
        if result.get("snippet"):
            pairs.append((str(result["snippet"]), link))
        for name, value in (result.get("attributes") or {}).items():
            pairs.append((f"{name}: {value}", link))
    return pairs


@register_step("retrieve_evidence")
@dataclass
class RetrieveEvidence(Step):
    """Attaches numbered evidence snippets to records of knowledge-intensive tasks (`evidence`)."""

    backend: str = dataclasses.field(
        default="local", metadata=doc("local (a limkit.retrieve index), web (search API) or none.", BACKENDS)
    )
    index: str | None = dataclasses.field(
        default=None, metadata=doc("Index directory (`limkit retrieve index CORPUS --out DIR`) for local.")
    )
    tasks: list[str] = dataclasses.field(
        default_factory=lambda: list(RETRIEVAL_TASKS),
        metadata=doc("Tasks that get evidence (default: the paper's five knowledge-intensive tasks)."),
    )
    k: int = dataclasses.field(default=5, metadata=doc("Snippets kept per record."))
    max_chars: int = dataclasses.field(default=600, metadata=doc("Longest snippet kept, in characters."))
    web_url: str = dataclasses.field(
        default="https://google.serper.dev/search", metadata=doc("Search endpoint for the web backend.")
    )
    api_key_env: str = dataclasses.field(
        default="SERPER_API_KEY", metadata=doc("Environment variable holding the web search API key.")
    )

    def validate(self) -> None:
        unknown = [task for task in self.tasks if task not in taxonomy()]
        if unknown:
            raise OptionError("tasks", f"unknown tasks {unknown}; see the ReAlign taxonomy")
        if self.k < 1 or self.max_chars < 20:
            raise OptionError("k", "k must be >= 1 and max_chars >= 20")
        if self.backend == "local" and not self.index:  # `backend: none` switches retrieval off
            raise OptionError("index", "the local backend needs an index directory (or backend: none)")

    def check(self) -> None:
        if self.backend == "local" and not (Path(self.index or "").expanduser() / "manifest.json").is_file():
            raise OptionError("index", f"not a limkit.retrieve index directory: {self.index}")
        if self.backend == "web" and not os.environ.get(self.api_key_env):
            raise OptionError(
                "api_key_env", f"set the environment variable {self.api_key_env} to the API key"
            )

    def fingerprint_options(self) -> dict[str, Any]:
        options = self.options()
        options.pop("api_key_env")
        if self.backend == "local" and self.index:
            options["_index"] = file_stamps(Path(self.index) / "manifest.json")
        return options

    def run(self, records: Iterable[Record], rank: int = 0, world_size: int = 1) -> Iterator[Record]:
        items = list(records)
        wanted = [r for r in items if self.backend != "none" and r.get("task") in self.tasks]
        found = self._search([r["problem"] for r in wanted]) if wanted else []
        evidence = {r["id"]: snippets for r, snippets in zip(wanted, found, strict=True)}
        for record in items:
            snippets = evidence.get(record["id"])
            if record["id"] in evidence:
                self.count("with_evidence" if snippets else "no_evidence_found")
            if snippets:
                yield {**record, "evidence": snippets}
            else:
                yield {key: value for key, value in record.items() if key != "evidence"}

    def _search(self, queries: list[str]) -> list[list[Snippet]]:
        if self.backend == "local":
            from limkit.retrieve import load_index

            index = load_index(self.index or "")
            hits = index.search_many(queries, self.k * 2)
            return [
                clean_snippets(((h.text, f"{h.doc_id}#{h.chunk_id}") for h in row), self.k, self.max_chars)
                for row in hits
            ]
        return [clean_snippets(self._web(query), self.k, self.max_chars) for query in queries]

    def _web(self, query: str) -> list[tuple[str, str]]:
        import httpx

        key = os.environ.get(self.api_key_env, "")
        for attempt in range(3):
            try:
                answer = httpx.post(
                    self.web_url,
                    json={"q": query, "gl": "us", "hl": "en"},
                    headers={"X-API-KEY": key},
                    timeout=30,
                )
                answer.raise_for_status()
                return serper_snippets(answer.json())
            except (httpx.HTTPError, ValueError):
                if attempt == 2:
                    self.count("web_failures")
        return []
