from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from dive_model import fit_mixed_solver


@pytest.fixture(scope="session")
def mixed_solver(benchmarks_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fitted tiny model (see dive_model.py): right about half the time on 16 GSM8K questions."""
    return fit_mixed_solver(benchmarks_dir, tmp_path_factory.mktemp("dive-model"))


@pytest.fixture(scope="session")
def questions_file(benchmarks_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    lines = (benchmarks_dir / "gsm8k_test.jsonl").read_text(encoding="utf-8").splitlines()[:16]
    path = tmp_path_factory.mktemp("dive-data") / "gsm8k16.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
