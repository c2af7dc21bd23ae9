"""The chunking rule on fixed texts: packing, headings, windows with overlap, offsets that point back."""

from __future__ import annotations

import pytest

from limkit.errors import LimkitError
from limkit.retrieve import ChunkRule, Document, chunk_document


def words(count: int, prefix: str = "w") -> str:
    return " ".join(f"{prefix}{i}" for i in range(count))


def chunks_of(text: str, markdown: bool = False, **rule: int) -> list[str]:
    document = Document("doc", text, "doc.md" if markdown else "doc.txt", markdown=markdown)
    found = chunk_document(document, ChunkRule(**rule))
    for chunk in found:
        assert chunk.text == text[chunk.start : chunk.end]
        assert chunk.doc_id == "doc" and chunk.source == document.source
    assert [chunk.chunk_id for chunk in found] == [f"doc#{n}" for n in range(len(found))]
    return [chunk.text for chunk in found]


def test_paragraphs_are_packed_until_the_word_limit() -> None:
    text = f"{words(3, 'a')}\n\n{words(3, 'b')}\n  \n{words(3, 'c')}"
    assert chunks_of(text, max_words=6, overlap=0) == [f"{words(3, 'a')}\n\n{words(3, 'b')}", words(3, "c")]
    assert chunks_of(text, max_words=9, overlap=0) == [text]


def test_single_newlines_do_not_split_a_paragraph() -> None:
    text = "line one\nline two\nline three"
    assert chunks_of(text, max_words=4, overlap=0) == ["line one\nline two", "line three"]


def test_long_paragraph_becomes_overlapping_windows_ending_at_its_last_word() -> None:
    text = words(10)
    assert chunks_of(text, max_words=4, overlap=1) == [
        "w0 w1 w2 w3",
        "w3 w4 w5 w6",
        "w6 w7 w8 w9",
    ]
    assert chunks_of(text, max_words=4, overlap=2)[-1] == "w6 w7 w8 w9"
    assert chunks_of(words(5), max_words=4, overlap=0) == ["w0 w1 w2 w3", "w4"]


def test_a_long_paragraph_flushes_what_was_pending_before_it() -> None:
    text = f"short one\n\n{words(5)}\n\ntail end"
    assert chunks_of(text, max_words=4, overlap=0) == ["short one", "w0 w1 w2 w3", "w4", "tail end"]


def test_markdown_chunks_never_cross_a_heading() -> None:
    text = "# Title\nintro words here\n\n## Part two\nmore text\n\n#hashtag is not a heading"
    assert chunks_of(text, markdown=True, max_words=50, overlap=0) == [
        "# Title\nintro words here",
        "## Part two\nmore text\n\n#hashtag is not a heading",
    ]
    assert chunks_of(text, markdown=False, max_words=50, overlap=0) == [text]


def test_offsets_skip_surrounding_whitespace_and_blank_documents_have_no_chunks() -> None:
    text = "\n\n   hello world  \n\n\n"
    document = Document("d", text, "d.txt")
    [chunk] = chunk_document(document)
    assert (chunk.start, chunk.end, chunk.text) == (5, 16, "hello world")
    assert chunk_document(Document("e", " \n\t ", "e.txt")) == []
    [short] = chunk_document(Document("s", "  hi there \n", "s.txt"))  # one short paragraph
    assert (short.start, short.end, short.text) == (2, 10, "hi there")


@pytest.mark.parametrize(
    ("max_words", "overlap", "field"), [(0, 0, "max_words"), (5, 5, "overlap"), (5, -1, "overlap")]
)
def test_bad_rules_name_the_field(max_words: int, overlap: int, field: str) -> None:
    with pytest.raises(LimkitError) as error:
        ChunkRule(max_words=max_words, overlap=overlap)
    assert error.value.field == field
