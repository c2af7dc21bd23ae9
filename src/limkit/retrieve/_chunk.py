"""Cutting documents into chunks that keep where they came from, so a retrieved passage can be cited.

The rule (`ChunkRule`), applied to each document on its own:

1. A word is a run of non-space characters. A *block* is a paragraph: blocks are separated by a blank line.
   In Markdown a heading line (1-6 `#` then a space) also starts a new block and a new *section*.
2. Consecutive blocks of one section are packed into a chunk while it has at most `max_words` words; a
   chunk never crosses a Markdown heading, so a heading always opens the chunk of its section.
3. A block longer than `max_words` words is cut into windows of `max_words` words, each starting
   `max_words - overlap` words after the previous one (the last window ends at the block's last word).
4. A chunk's text is exactly `document.text[start:end]` (from its first word's first character to its
   last word's last character), so offsets always point back into the source.

Chunk ids are `DOC_ID#N`, N counting from 0 within the document.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from limkit.errors import LimkitError
from limkit.retrieve._corpus import Document

WORD = re.compile(r"\S+")
BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
HEADING_LINE = re.compile(r"^[^\S\n]*#{1,6}[ \t]", re.MULTILINE)


@dataclass(frozen=True)
class ChunkRule:
    """How documents are cut: at most `max_words` words a chunk, `overlap` words shared by windows."""

    max_words: int = 200
    overlap: int = 30

    def __post_init__(self) -> None:
        if self.max_words < 1:
            raise LimkitError(f"must be at least 1, got {self.max_words}", field="max_words")
        if not 0 <= self.overlap < self.max_words:
            raise LimkitError(
                f"must be at least 0 and below max_words ({self.max_words}), got {self.overlap}",
                field="overlap",
            )

    def as_dict(self) -> dict[str, int | str]:
        return {"rule": "paragraphs-v1", "max_words": self.max_words, "overlap": self.overlap}


@dataclass(frozen=True)
class Chunk:
    """A passage of a document with its place in it: `text == document.text[start:end]`."""

    chunk_id: str
    doc_id: str
    source: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class _Block:
    first: int  # index of its first word
    stop: int  # one past its last word
    section: int


def _blocks(text: str, words: list[re.Match[str]], markdown: bool) -> list[_Block]:
    """Blocks as word ranges: a blank line or (Markdown) a heading line starts a new one."""
    if not words:
        return []
    starts = [word.start() for word in words]
    paragraph_starts = {bisect.bisect_left(starts, match.end()) for match in BLANK_LINE.finditer(text)}
    heading_starts = (
        {bisect.bisect_left(starts, match.start()) for match in HEADING_LINE.finditer(text)}
        if markdown
        else set()
    )
    cuts = sorted((paragraph_starts | heading_starts | {0}) - {len(words)})
    blocks: list[_Block] = []
    section = 0
    for first, stop in zip(cuts, [*cuts[1:], len(words)], strict=True):
        section += first in heading_starts and first > 0
        blocks.append(_Block(first, stop, section))
    return blocks


def _word_spans(blocks: list[_Block], rule: ChunkRule) -> Iterator[tuple[int, int]]:
    """(first word, stop word) of every chunk, following rules 2 and 3."""
    pending: list[_Block] = []
    for block in blocks:
        size = block.stop - block.first
        pending_words = sum(item.stop - item.first for item in pending)
        if pending and (pending[-1].section != block.section or pending_words + size > rule.max_words):
            yield pending[0].first, pending[-1].stop
            pending = []
        if size <= rule.max_words:
            pending.append(block)
            continue
        step = rule.max_words - rule.overlap
        start = block.first
        while True:
            stop = min(start + rule.max_words, block.stop)
            yield start, stop
            if stop == block.stop:
                break
            start += step
    if pending:
        yield pending[0].first, pending[-1].stop


def _is_one_block(text: str, markdown: bool) -> bool:
    return BLANK_LINE.search(text) is None and not (markdown and HEADING_LINE.search(text))


def _whole(document: Document) -> list[Chunk]:
    """The common case, a short single paragraph, without per-word work (same result as the general path)."""
    text = document.text
    start, end = len(text) - len(text.lstrip()), len(text.rstrip())
    if start >= end:
        return []
    return [Chunk(f"{document.doc_id}#0", document.doc_id, document.source, text[start:end], start, end)]


def chunk_document(document: Document, rule: ChunkRule | None = None) -> list[Chunk]:
    """The chunks of one document under `rule` (default `ChunkRule()`); none for a blank document."""
    rule = rule or ChunkRule()
    text = document.text
    if _is_one_block(text, document.markdown) and len(text.split()) <= rule.max_words:
        return _whole(document)
    words = list(WORD.finditer(text))
    chunks = []
    for number, (first, stop) in enumerate(_word_spans(_blocks(text, words, document.markdown), rule)):
        start, end = words[first].start(), words[stop - 1].end()
        chunks.append(
            Chunk(
                f"{document.doc_id}#{number}", document.doc_id, document.source, text[start:end], start, end
            )
        )
    return chunks
