"""The README's promise: an API key read from the environment is sent to the server and written nowhere.

Not in eval's results.json or samples.jsonl, not in curate's outputs, not in the request cache (the
judge's rows included), not in error messages, even when the server quotes the key back in a 401/403.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from fitting import free_form_rows
from limkit.grade import LLMJudge
from serving import FaultProxy, RejectingProxy

SECRET = "sk-limkit-test-7f3a9c1e5b"


def _files_holding_the_secret(*roots: Path) -> list[str]:
    """Every file under `roots` whose bytes contain the key (SQLite files and their WAL included)."""
    found = []
    for root in roots:
        for path in [root] if root.is_file() else root.rglob("*"):
            if path.is_file() and SECRET.encode() in path.read_bytes():
                found.append(str(path))
    return found


@pytest.fixture()
def secret_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    return SECRET


def test_eval_with_an_openai_judge_writes_the_key_nowhere(
    secret_env: str, solver_dir: Path, solver_server: str, tmp_path: Path, run_cli: Any
) -> None:
    task = tmp_path / "freeform.jsonl"
    task.write_text("".join(json.dumps(row) + "\n" for row in free_form_rows()))
    run, cache = tmp_path / "run", tmp_path / "cache.sqlite"
    with FaultProxy(solver_server) as proxy:
        result = run_cli(
            "eval",
            *("--backend", "openai", "--base-url", proxy.base_url, "--model", str(solver_dir)),
            *("--tasks", str(task), "--fields", "answer_type=type", "--n", "2", "--max-tokens", "24"),
            *("--judge-model", str(solver_dir), "--judge-base-url", proxy.base_url),
            *("--out", str(run), "--cache", str(cache)),
        )
    assert result.code == 0, result.err
    assert proxy.authorizations == {f"Bearer {SECRET}"}, "the key was sent with every request"
    judge_prompt = LLMJudge(lambda chats: []).conversation("x", "y")[0]["content"]
    asked = [body for body in proxy.served if body["messages"][0]["content"] == judge_prompt]
    assert len(asked) >= 2, "the judge was asked about both free-form answers"
    with sqlite3.connect(cache) as db:
        judge_rows = db.execute(
            "SELECT COUNT(*) FROM completions WHERE request LIKE ?", (f"%{judge_prompt[:40]}%",)
        )
        assert judge_rows.fetchone()[0] >= 2, "the judge's replies are cached"
    assert _files_holding_the_secret(run, cache.parent) == []
    assert SECRET not in result.out + result.err


def test_curate_difficulty_over_openai_writes_the_key_nowhere(
    secret_env: str, solver_dir: Path, solver_server: str, tmp_path: Path
) -> None:
    from limkit.curate import Difficulty, Load, LocalExecutor, Pipeline

    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps(row) + "\n" for row in free_form_rows()))
    out, cache = tmp_path / "out", tmp_path / "cache" / "c.sqlite"
    with FaultProxy(solver_server) as proxy:
        step = Difficulty(
            model=str(solver_dir), backend="openai", base_url=proxy.base_url, n=2, max_tokens=24, max_pass=2
        )
        result = LocalExecutor().run(Pipeline([Load(path=str(pool)), step], cache=str(cache)), out)
    assert proxy.authorizations == {f"Bearer {SECRET}"} and proxy.served
    assert result.stats["input"] == 3
    assert _files_holding_the_secret(out, cache.parent) == []


@pytest.mark.parametrize("status", [401, 403])
def test_a_rejected_key_is_not_quoted_in_the_error(
    status: int,
    secret_env: str,
    tiny_model_dir: Path,
    tiny_server: str,
    benchmarks_dir: Path,
    tmp_path: Path,
    run_cli: Any,
) -> None:
    with RejectingProxy(tiny_server, status) as proxy:
        result = run_cli(
            "eval",
            *("--backend", "openai", "--base-url", proxy.base_url, "--model", str(tiny_model_dir)),
            *("--tasks", "aime24", "--data-dir", str(benchmarks_dir), "--limit", "1", "--max-tokens", "4"),
            *("--out", str(tmp_path / "run"), "--cache", str(tmp_path / "c.sqlite")),
        )
    assert proxy.posts >= 1 and proxy.authorizations == {f"Bearer {SECRET}"}
    assert result.code == 1 and f"answered {status}" in result.err, result.err
    assert "Incorrect API key provided" in result.err, "the server's own message is still shown"
    assert SECRET not in result.out + result.err
    assert _files_holding_the_secret(tmp_path) == []
