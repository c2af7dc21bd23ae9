"""`limkit pc run`'s usage errors: exit 2 and one line naming the option, before any file is written;
a missing or dead X display is a clear failure too, also before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest

RULES = str(Path(__file__).with_name("data") / "agent_missing.jsonl")


def _run(run_cli, out: Path, *options: str):  # type: ignore[no-untyped-def]
    return run_cli(
        "pc", "run", "t", "--out", str(out), "--planner-backend", "scripted", "--planner-model", RULES,
        *options,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--grounder", "sonar"], "unknown grounder 'sonar'"),
        (["--grounder", "vlm"], "--grounder vlm needs --grounder-model"),
        (["--max-steps", "0"], "--max-steps and --grounding-tries must be >= 1"),
        (["--max-replans", "-1"], "--max-replans and --parse-retries >= 0"),
        (["--temperature", "-1"], "--temperature must be >= 0"),
    ],
)
def test_bad_options_are_usage_errors(run_cli, tmp_path: Path, options: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    result = _run(run_cli, tmp_path / "run", *options)
    assert result.code == 2 and message in result.err
    assert not (tmp_path / "run").exists()


def test_planner_model_is_required(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("pc", "run", "t", "--out", str(tmp_path / "run"))
    assert result.code == 2 and "--planner-model is required" in result.err


def test_no_display_is_named(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("DISPLAY", raising=False)
    result = _run(run_cli, tmp_path / "run")
    assert result.code == 1 and "DISPLAY is not set" in result.err and not (tmp_path / "run").exists()


def test_a_dead_display_is_named(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DISPLAY", ":997")
    result = _run(run_cli, tmp_path / "run", "--dry-run")
    assert result.code == 1 and "cannot take screenshots of X display :997" in result.err
    assert not (tmp_path / "run").exists()
