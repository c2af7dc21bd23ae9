"""Fixtures shared by the whole suite, which runs in one pytest process so torch imports once."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared test data: real benchmark files, the 8.5k pool, the grading regression set."""
    if not SHARED.is_dir():
        pytest.fail(f"shared test data not found at {SHARED}; tests expect ../shared beside the checkout")
    return SHARED


@pytest.fixture(scope="session")
def benchmarks_dir(shared_dir: Path) -> Path:
    return shared_dir / "data" / "benchmarks"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Llama model, BPE tokenizer and ChatML template, built offline once per session."""
    from limkit.llm.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", seed=0)


@pytest.fixture(scope="session")
def tiny_server(tiny_model_dir: Path) -> Iterator[str]:
    """`transformers serve` with the session's tiny model on loopback; yields its /v1 base URL."""
    from serving import serve_model

    with serve_model(tiny_model_dir) as base_url:
        yield base_url


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Runs `limkit ARGS...` through the real entry point (errors: one line, exit 1) in this process."""
    from limkit.cli import main
    from limkit.progress import stderr_console

    monkeypatch.setattr(stderr_console, "soft_wrap", True)  # one error line, whatever the terminal width

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["limkit", *args])
        code = 0
        try:
            main()
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def solver_items(benchmarks_dir: Path) -> list[Any]:
    """The benchmark items the solver is fitted on, right or wrong as `fitting.SOLVER_PLAN` says."""
    from fitting import solver_items

    return solver_items(benchmarks_dir)


@pytest.fixture(scope="session")
def solver_dir(
    tiny_model_dir: Path, solver_items: list[Any], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The tiny model fitted to answer known benchmark items right and others wrong (seconds, once)."""
    from fitting import fit_solver

    return fit_solver(tiny_model_dir, tmp_path_factory.mktemp("solver") / "model", solver_items)


@pytest.fixture(scope="session")
def solver_server(solver_dir: Path) -> Iterator[str]:
    """`transformers serve` with the fitted solver; yields its /v1 base URL."""
    from serving import serve_model

    with serve_model(solver_dir) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def judge_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model fitted to reply CORRECT or INCORRECT to LLMJudge's prompt (see `fitting.JUDGE_CUE`)."""
    from fitting import fit_judge

    return fit_judge(tiny_model_dir, tmp_path_factory.mktemp("judge") / "model")


@pytest.fixture(scope="session")
def thinker_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model fitted to close its thinking with `</think>` and then box its answer."""
    from fitting import fit_thinker

    return fit_thinker(tiny_model_dir, tmp_path_factory.mktemp("thinker") / "model")


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """Tiny models train several times faster on one thread than on two contended cores."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
