"""`limkit retrieve index CORPUS... --out IDX` and `limkit retrieve query IDX TEXT... -k 5`."""

from __future__ import annotations

import enum
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from limkit.errors import LimkitError

retrieve_app = typer.Typer(
    name="retrieve",
    help="Build BM25, embedding or hybrid indexes over documents, and query them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


class Kind(enum.StrEnum):
    """limkit.retrieve.KINDS, spelled out so `--help` need not import the pillar."""

    bm25 = "bm25"
    embedding = "embedding"
    hybrid = "hybrid"


Verbose = Annotated[bool, typer.Option("--verbose", help="Show the libraries' own logs and bars.")]


def _quiet_libraries(verbose: bool) -> None:
    """Model-loading bars and warnings from transformers would bury our own progress bars."""
    if verbose:
        return
    import logging
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)
    for name in ("sentence_transformers", "transformers", "bm25s"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


@retrieve_app.command("index")
def index_command(
    corpus: Annotated[
        list[Path],
        typer.Argument(
            metavar="CORPUS...",
            help="JSONL/JSON/Parquet record files, .md/.txt files, or folders of them.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="IDX", help="Index folder (written atomically).")
    ],
    kind: Annotated[
        Kind, typer.Option(help="Ranker: bm25, embedding, or hybrid (both, fused by rank).")
    ] = Kind.bm25,
    field: Annotated[
        str, typer.Option(help="Text field(s) of record rows, comma-separated; the first present wins.")
    ] = "text",
    id_field: Annotated[str, typer.Option(help="Id field of record rows (missing: FILE:LINE).")] = "id",
    max_words: Annotated[int, typer.Option(min=1, help="Words per chunk at most.")] = 200,
    overlap: Annotated[
        int, typer.Option(min=0, help="Words shared by windows of an over-long paragraph.")
    ] = 30,
    model: Annotated[
        str, typer.Option(help="sentence-transformers model: the packaged MiniLM or a local folder.")
    ] = "all-MiniLM-L6-v2",
    k1: Annotated[float, typer.Option(min=0.0, help="BM25 term-frequency saturation.")] = 1.5,
    b: Annotated[float, typer.Option(min=0.0, max=1.0, help="BM25 length normalisation.")] = 0.75,
    verbose: Verbose = False,
) -> None:
    """Chunk a corpus and build an index folder (manifest.json with checksums, chunks, ranker files).

    Chunks: paragraphs packed up to --max-words words, never across a Markdown heading.

    An over-long paragraph becomes windows sharing --overlap words. Chunks keep document id and offsets.
    """
    from rich.console import Console

    from limkit.retrieve import ChunkRule, build_index, read_corpus

    _quiet_libraries(verbose)
    fields = tuple(name.strip() for name in field.split(",") if name.strip())
    rule = ChunkRule(max_words=max_words, overlap=overlap)
    started = time.perf_counter()
    documents = read_corpus(corpus, fields=fields, id_field=id_field)
    index = build_index(documents, kind.value, rule=rule, model=model, k1=k1, b=b)
    index.save(out)
    Console().print(
        f"{kind.value} index of {index.info['doc_count']} documents ({len(index)} chunks) written to {out} "
        f"in {time.perf_counter() - started:.1f} s",
        soft_wrap=True,
        highlight=False,
    )


def _queries(texts: list[str], queries_file: Path | None, query_field: str) -> list[str]:
    queries = list(texts)
    if queries_file is not None:
        from limkit.data import read_jsonl

        for line, row in read_jsonl(queries_file):
            value = row.get(query_field)
            if not isinstance(value, str):
                raise LimkitError("expected a string", path=queries_file, line=line, field=query_field)
            queries.append(value)
    if not queries:
        raise LimkitError("give at least one query text or --queries FILE", field="query")
    return queries


def _print_table(query: str, hits: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=query if len(query) <= 80 else query[:77] + "...", title_justify="left")
    for column in ("rank", "score", "chunk", "text"):
        table.add_column(column, justify="right" if column in ("rank", "score") else "left")
    for rank, hit in enumerate(hits, start=1):
        snippet = " ".join(hit.text.split())
        snippet = snippet if len(snippet) <= 100 else snippet[:97] + "..."
        table.add_row(str(rank), f"{hit.score:.4f}", hit.chunk_id, snippet)
    Console().print(table)


@retrieve_app.command("query")
def query_command(
    index_dir: Annotated[Path, typer.Argument(metavar="IDX", help="An index folder.", show_default=False)],
    texts: Annotated[
        list[str] | None, typer.Argument(metavar="TEXT...", help="Query texts.", show_default=False)
    ] = None,
    k: Annotated[int, typer.Option("-k", "--k", min=1, help="Hits per query.")] = 5,
    queries_file: Annotated[
        Path | None, typer.Option("--queries", help="JSONL file of queries (field --query-field).")
    ] = None,
    query_field: Annotated[str, typer.Option(help="Query field of --queries rows.")] = "query",
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON line per query: {query, hits: [...]}.")
    ] = False,
    verbose: Verbose = False,
) -> None:
    """Print the best k chunks for each query (a table, or JSON lines with --json)."""
    import json

    from limkit.retrieve import load_index

    _quiet_libraries(verbose)
    queries = _queries(texts or [], queries_file, query_field)
    index = load_index(index_dir)
    for query, hits in zip(queries, index.search_many(queries, k), strict=True):
        if as_json:
            row = {"query": query, "hits": [hit.as_dict() for hit in hits]}
            typer.echo(json.dumps(row, ensure_ascii=False))
        else:
            _print_table(query, hits)
