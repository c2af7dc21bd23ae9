"""Usage errors exit 2 and failures exit 1 in every command (the convention in `limkit.errors`)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.parametrize(
    "args",
    [
        ("generate", "--input", "in.jsonl", "--out", "o.jsonl", "--model", "m", "--cache", "c", "--no-cache"),
        ("generate", "--input", "in.jsonl", "--out", "o.jsonl", "--model", "m", "--temperature", "-1"),
        ("generate", "--input", "in.jsonl", "--out", "o.jsonl", "--model", "m", "--top-p", "0"),
        ("curate",),
    ],
)
def test_a_wrong_command_line_exits_2_with_one_line(run_cli, tmp_path: Path, args: tuple[str, ...]) -> None:
    done = run_cli(*args)
    assert done.code == 2, done.err
    assert len(done.err.strip().splitlines()) == 1
    assert "Traceback" not in done.err


def test_a_missing_input_file_is_a_failure_not_a_usage_error(run_cli, tmp_path: Path) -> None:
    done = run_cli("curate", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "out"))
    assert done.code == 1, done.err
    assert "missing.yaml" in done.err
