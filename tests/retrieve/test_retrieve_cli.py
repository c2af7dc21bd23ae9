"""`limkit retrieve index/query` through the real entry point: results, bad input, nothing half-written."""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from limkit.retrieve import load_index, read_corpus

ROOT = Path(__file__).resolve().parents[2]
Run = Callable[..., "object"]


def write_rows(path: Path, rows: list[dict[str, object]], tail: str = "") -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows) + tail, encoding="utf-8")
    return path


def facts(path: Path) -> Path:
    rows = [
        {"id": "sun", "text": "The sun is a star at the centre of the solar system."},
        {"id": "moon", "text": "The moon orbits the earth and causes the tides."},
        {"id": "mars", "text": "Mars is the fourth planet and has two small moons."},
    ]
    return write_rows(path, rows)


def one_error_line(result: object) -> str:
    assert result.code == 1, (result.out, result.err)  # type: ignore[attr-defined]
    lines = result.err.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.err  # type: ignore[attr-defined]
    return lines[0]


def no_leftovers(folder: Path) -> None:
    assert not [path.name for path in folder.iterdir() if path.name.startswith(".")]


def test_index_then_query_matches_the_python_api(run_cli: Run, benchmarks_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "idx"
    built = run_cli(
        "retrieve", "index", str(benchmarks_dir), "--out", str(out), "--field", "problem,question"
    )
    assert built.code == 0, built.err  # type: ignore[attr-defined]
    docs = read_corpus(benchmarks_dir, fields=("problem", "question"))
    assert f"bm25 index of {len(docs)} documents" in " ".join(built.out.split())  # type: ignore[attr-defined]
    target = next(doc for doc in docs if doc.source == "gsm8k_test.jsonl")
    queried = run_cli("retrieve", "query", str(out), target.text, "prime divisors", "-k", "3", "--json")
    assert queried.code == 0, queried.err  # type: ignore[attr-defined]
    rows = [json.loads(line) for line in queried.out.splitlines()]  # type: ignore[attr-defined]
    assert [row["query"] for row in rows] == [target.text, "prime divisors"]
    assert rows[0]["hits"][0]["doc_id"] == target.doc_id and len(rows[0]["hits"]) == 3
    expected = load_index(out).search("prime divisors", k=3)
    assert rows[1]["hits"] == [hit.as_dict() for hit in expected]
    table = run_cli("retrieve", "query", str(out), target.text, "-k", "1")
    assert table.code == 0 and target.doc_id.split(":")[0] in table.out  # type: ignore[attr-defined]
    no_leftovers(tmp_path)


def test_hybrid_index_of_markdown_files_and_a_queries_file(run_cli: Run, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    (notes / "sub").mkdir(parents=True)
    (notes / "tides.md").write_text("# Tides\nThe moon pulls the oceans.\n\n# Seasons\nAxial tilt.\n")
    (notes / "sub" / "stars.txt").write_text("Stars fuse hydrogen into helium.\n")
    queries = write_rows(
        tmp_path / "q.jsonl", [{"query": "why do oceans rise and fall"}, {"query": "helium"}]
    )
    out = tmp_path / "idx"
    built = run_cli("retrieve", "index", str(notes), "--out", str(out), "--kind", "hybrid")
    assert built.code == 0, built.err  # type: ignore[attr-defined]
    queried = run_cli("retrieve", "query", str(out), "--queries", str(queries), "-k", "2", "--json")
    assert queried.code == 0, queried.err  # type: ignore[attr-defined]
    first, second = (json.loads(line)["hits"] for line in queried.out.splitlines())  # type: ignore[attr-defined]
    assert first[0]["chunk_id"] == "tides.md#0" and first[0]["text"] == "# Tides\nThe moon pulls the oceans."
    assert second[0]["doc_id"] == "sub/stars.txt"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "hybrid" and manifest["doc_count"] == 2 and manifest["chunk_count"] == 3
    assert set(manifest["files"]) >= {"chunks.jsonl", "embeddings.npy", "bm25/vocab.index.json"}


def test_missing_corpus_file_is_one_line_and_writes_nothing(run_cli: Run, tmp_path: Path) -> None:
    line = one_error_line(
        run_cli("retrieve", "index", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "i"))
    )
    assert "nope.jsonl" in line and "not found" in line
    assert not (tmp_path / "i").exists()
    no_leftovers(tmp_path)


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        ('{"id": "x", "text": "ok"}\n{"id": "y", "text": \n', "bad.jsonl:5: not valid JSON"),
        ('{"id": "x", "body": "no text field"}\n', "bad.jsonl:4, field 'text': missing text field"),
        ('{"id": "x", "text": 42}\n', "bad.jsonl:4, field 'text': expected a string"),
        ('{"id": "sun", "text": "again"}\n', "bad.jsonl:4, field 'id': duplicate document id 'sun'"),
        ('{"id": null, "text": "null id"}\n', "bad.jsonl:4, field 'id': expected a non-empty string"),
    ],
)
def test_bad_record_names_file_line_and_field_and_keeps_the_old_index(
    run_cli: Run, tmp_path: Path, tail: str, expected: str
) -> None:
    good, out = facts(tmp_path / "good.jsonl"), tmp_path / "idx"
    assert run_cli("retrieve", "index", str(good), "--out", str(out)).code == 0  # type: ignore[attr-defined]
    before = (out / "manifest.json").read_bytes()
    bad = tmp_path / "bad.jsonl"
    bad.write_text(good.read_text() + tail, encoding="utf-8")
    line = one_error_line(run_cli("retrieve", "index", str(bad), "--out", str(out)))
    assert expected in line
    assert (out / "manifest.json").read_bytes() == before and len(load_index(out)) == 3
    no_leftovers(tmp_path)


@pytest.mark.parametrize(
    ("damage", "named", "reason"),
    [
        (lambda idx: (idx / "manifest.json").unlink(), "manifest.json", "missing"),
        (lambda idx: (idx / "manifest.json").write_text("{not json"), "manifest.json", "not valid JSON"),
        (lambda idx: (idx / "chunks.jsonl").unlink(), "chunks.jsonl", "missing from the index"),
        (
            lambda idx: (idx / "bm25" / "vocab.index.json").write_text("{}"),
            "vocab.index.json",
            "size differs",
        ),
        (
            lambda idx: (idx / "chunks.jsonl").write_bytes(
                (idx / "chunks.jsonl").read_bytes().replace(b"sun", b"SUN")
            ),
            "chunks.jsonl",
            "checksum differs",
        ),
    ],
)
def test_corrupt_index_directory_names_the_file(
    run_cli: Run, tmp_path: Path, damage: Callable[[Path], object], named: str, reason: str
) -> None:
    out = tmp_path / "idx"
    assert run_cli("retrieve", "index", str(facts(tmp_path / "f.jsonl")), "--out", str(out)).code == 0  # type: ignore[attr-defined]
    damage(out)
    line = one_error_line(run_cli("retrieve", "query", str(out), "moon"))
    assert named in line and reason in line, line


def test_query_of_a_folder_that_is_no_index(run_cli: Run, tmp_path: Path) -> None:
    line = one_error_line(run_cli("retrieve", "query", str(tmp_path / "missing"), "x"))
    assert "missing" in line and "index directory not found" in line


def test_never_replaces_a_folder_that_is_not_an_index(run_cli: Run, tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    line = one_error_line(
        run_cli("retrieve", "index", str(facts(tmp_path / "f.jsonl")), "--out", str(precious))
    )
    assert "not replacing it" in line
    assert [path.name for path in precious.iterdir()] == ["thesis.tex"]


def test_usage_errors_exit_2(run_cli: Run, tmp_path: Path) -> None:
    corpus = str(facts(tmp_path / "f.jsonl"))
    assert run_cli("retrieve", "index", corpus, "--out", str(tmp_path / "i"), "--kind", "tfidf").code == 2  # type: ignore[attr-defined]
    assert run_cli("retrieve", "index", corpus).code == 2  # type: ignore[attr-defined]
    line = one_error_line(
        run_cli("retrieve", "index", corpus, "--out", str(tmp_path / "i"), "--overlap", "300")
    )
    assert "field 'overlap'" in line
    assert not (tmp_path / "i").exists()


def test_a_failure_while_saving_leaves_the_old_index_and_no_staging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from limkit.retrieve import _store, build_index

    out = tmp_path / "idx"
    build_index(["first corpus"], "bm25").save(out)
    before = (out / "manifest.json").read_bytes()

    def disk_full(root: Path) -> dict[str, object]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_store, "_inventory", disk_full)
    with pytest.raises(OSError):
        build_index(["second corpus"], "bm25").save(out)
    assert (out / "manifest.json").read_bytes() == before
    assert [hit.text for hit in load_index(out).search("corpus")] == ["first corpus"]
    no_leftovers(tmp_path)


def test_sigkill_during_a_build_leaves_the_previous_index_whole(benchmarks_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "idx"
    old = tmp_path / "old.jsonl"
    facts(old)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [
        sys.executable,
        "-m",
        "limkit",
        "retrieve",
        "index",
        "--out",
        str(out),
        "--field",
        "problem,question,text",
    ]
    subprocess.run([*command, str(old)], check=True, env=env, capture_output=True, timeout=300)
    build = subprocess.Popen(
        [*command, str(benchmarks_dir)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 300
    while not any(path.name.endswith(".building") for path in tmp_path.iterdir()):
        assert build.poll() is None and time.monotonic() < deadline, "the build ended before it was killed"
        time.sleep(0.002)
    build.send_signal(signal.SIGKILL)
    build.wait(timeout=60)
    reopened = load_index(out)
    assert reopened.info["doc_count"] == 3 and reopened.search("moon", k=1)[0].doc_id == "moon"


def test_retrieve_help_imports_no_heavy_library() -> None:
    command = [sys.executable, "-X", "importtime", "-m", "limkit", "retrieve", "index", "--help"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    helped = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert helped.returncode == 0 and "--kind" in helped.stdout
    imported = {
        line.rsplit("|", 1)[-1].strip().split(".")[0] for line in helped.stderr.splitlines() if "|" in line
    }
    assert "limkit" in imported
    assert not imported & {"bm25s", "sentence_transformers", "torch", "transformers", "numpy", "scipy"}


def test_retrieve_imports_no_pillar_but_data() -> None:
    allowed = {"limkit.data", "limkit.errors", "limkit.progress", "limkit.retrieve"}
    used = set()
    for path in (ROOT / "src" / "limkit" / "retrieve").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("limkit"):
                used.add(".".join(node.module.split(".")[:2]))
            elif isinstance(node, ast.Import):
                used.update(
                    ".".join(alias.name.split(".")[:2])
                    for alias in node.names
                    if alias.name.startswith("limkit")
                )
    assert used and used <= allowed, used - allowed
