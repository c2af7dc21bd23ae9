"""Fixtures for the genes study: the shipped phenopacket sample and the HPO ontology (loaded once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from limkit.studies.genes import Case, Hpo, load_cases, load_hpo


@pytest.fixture(scope="session")
def phenopackets(shared_dir: Path) -> Path:
    return shared_dir / "data" / "phenopackets" / "phenopackets.jsonl"


@pytest.fixture(scope="session")
def shipped_cases(phenopackets: Path) -> list[Case]:
    return load_cases(phenopackets).cases


@pytest.fixture(scope="session")
def hpo() -> Hpo:
    """hpo3's bundled ontology: a few seconds, once per session (cached by load_hpo)."""
    return load_hpo()
