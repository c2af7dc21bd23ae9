"""Reading a corpus (record files, Markdown, plain text, or folders of them) into documents.

Document ids are what later features cite, so the rule is fixed: a record's id is its `id_field` value
(or `NAME:LINE` when the row has none); a Markdown or text file is one document whose id is its path.
When a corpus spans more than one file, record ids are prefixed with the file's path (`PATH:ID`), so
two benchmarks that both number their rows 0, 1, 2... never collide. Duplicate ids are an error.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limkit.errors import LimkitError

RECORD_SUFFIXES = (".jsonl", ".json", ".parquet")
TEXT_SUFFIXES = (".md", ".markdown", ".txt")


@dataclass(frozen=True)
class Document:
    """One document of a corpus: `text` is what gets chunked; `source` is the file it came from."""

    doc_id: str
    text: str
    source: str
    line: int | None = None
    markdown: bool = False


def corpus_files(paths: Sequence[str | Path]) -> list[tuple[Path, str]]:
    """(file, name used in ids) for every corpus file, folders walked in sorted order."""
    found: list[tuple[Path, str]] = []
    for given in map(Path, paths):
        if given.is_dir():
            inside = sorted(
                path
                for path in given.rglob("*")
                if path.is_file() and path.suffix.lower() in RECORD_SUFFIXES + TEXT_SUFFIXES
            )
            if not inside:
                raise LimkitError(
                    f"no corpus files in this folder (expected {', '.join(RECORD_SUFFIXES + TEXT_SUFFIXES)})",
                    path=given,
                )
            found.extend((path, path.relative_to(given).as_posix()) for path in inside)
        elif given.is_file():
            if given.suffix.lower() not in RECORD_SUFFIXES + TEXT_SUFFIXES:
                raise LimkitError(
                    f"unsupported corpus file type '{given.suffix}' "
                    f"(expected {', '.join(RECORD_SUFFIXES + TEXT_SUFFIXES)})",
                    path=given,
                )
            found.append((given, given.name))
        else:
            raise LimkitError("corpus file not found", path=given)
    return found


def _record_text(row: dict[str, Any], fields: Sequence[str], path: Path, line: int) -> str:
    for field in fields:
        if field in row:
            value = row[field]
            if not isinstance(value, str):
                raise LimkitError(
                    f"expected a string, got {type(value).__name__}", path=path, line=line, field=field
                )
            return value
    expected = " or ".join(f"'{field}'" for field in fields)
    raise LimkitError(f"missing text field (expected {expected})", path=path, line=line, field=fields[0])


def _record_id(row: dict[str, Any], id_field: str, name: str, path: Path, line: int) -> str:
    if id_field not in row:
        return f"{name}:{line}"
    value = row[id_field]
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise LimkitError(
            f"expected a non-empty string or an integer id, got {value!r}",
            path=path,
            line=line,
            field=id_field,
        )
    return str(value)


def _records(
    path: Path, name: str, fields: Sequence[str], id_field: str, qualify: bool
) -> Iterator[Document]:
    from limkit.data import read_records

    for line, row in read_records(path):
        doc_id = _record_id(row, id_field, name, path, line)
        if qualify and id_field in row:
            doc_id = f"{name}:{doc_id}"
        yield Document(doc_id, _record_text(row, fields, path, line), name, line)


def _text_file(path: Path, name: str) -> Document:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise LimkitError("not a UTF-8 text file", path=path) from None
    return Document(name, text, name, None, markdown=path.suffix.lower() in (".md", ".markdown"))


def read_corpus(
    paths: str | Path | Sequence[str | Path],
    *,
    fields: Sequence[str] = ("text",),
    id_field: str = "id",
) -> list[Document]:
    """Reads every document of a corpus; a bad row raises naming file, line and field.

    Args:
        paths: one path or several; each a record file (.jsonl/.json/.parquet), a .md/.txt file or a folder.
        fields: text fields of record rows, tried in order (the first present wins),
            e.g. ("problem", "question").
        id_field: the id field of record rows.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if not fields:
        raise LimkitError("at least one text field is needed", field="field")
    files = corpus_files(paths)
    qualify = len(files) > 1
    documents: list[Document] = []
    seen: dict[str, tuple[Path, int | None]] = {}
    for path, name in files:
        batch = (
            [_text_file(path, name)]
            if path.suffix.lower() in TEXT_SUFFIXES
            else _records(path, name, fields, id_field, qualify)
        )
        for document in batch:
            if document.doc_id in seen:
                first, first_line = seen[document.doc_id]
                where = f"{first}:{first_line}" if first_line is not None else str(first)
                raise LimkitError(
                    f"duplicate document id {document.doc_id!r} (first seen at {where})",
                    path=path,
                    line=document.line,
                    field=id_field if document.line is not None else None,
                )
            seen[document.doc_id] = (path, document.line)
            documents.append(document)
    return documents
