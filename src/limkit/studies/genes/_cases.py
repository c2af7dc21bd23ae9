"""Gene-prioritization cases read from GA4GH phenopackets (phenopacket-store releases or JSONL dumps).

A case is what a clinician would hand the ranker: the observed HPO terms, the terms explicitly ruled
out (kept apart, never presented as present), and the causal gene the case was solved with.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from limkit.data import read_jsonl
from limkit.errors import LimkitError


@dataclass(frozen=True)
class Term:
    id: str
    label: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "label": self.label}


@dataclass(frozen=True)
class Case:
    """One solved case: observed and excluded HPO terms, the causal gene, the disease."""

    id: str
    observed: tuple[Term, ...]
    excluded: tuple[Term, ...]
    gene_symbol: str
    gene_id: str
    disease: str = ""
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "observed": [term.as_dict() for term in self.observed],
            "excluded": [term.as_dict() for term in self.excluded],
            "gene_symbol": self.gene_symbol,
            "gene_id": self.gene_id,
            "disease": self.disease,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Case:
        return cls(
            id=str(row["id"]),
            observed=tuple(Term(t["id"], t["label"]) for t in row["observed"]),
            excluded=tuple(Term(t["id"], t["label"]) for t in row["excluded"]),
            gene_symbol=str(row["gene_symbol"]),
            gene_id=str(row.get("gene_id", "")),
            disease=str(row.get("disease", "")),
            source=str(row.get("source", "")),
        )


@dataclass
class CaseSet:
    """Cases read from a source, and the records skipped with the reason for each."""

    cases: list[Case] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def load_cases(path: str | Path) -> CaseSet:
    """Reads cases from a directory of phenopacket JSONs, a release ZIP, one JSON file, or JSONL.

    JSONL rows are phenopackets, or `{"path": ..., "phenopacket": {...}}` as in the shipped sample, or
    cases already written by `limkit genes cases`. A record without a causal gene or without observed
    terms is skipped, with the reason, never guessed at.
    """
    found = CaseSet()
    for where, record in _records(Path(path)):
        if not isinstance(record, dict):
            found.skipped.append((where, f"not a JSON object ({type(record).__name__})"))
            continue
        if "gene_symbol" in record and "observed" in record:
            found.cases.append(_stored_case(record, where))
            continue
        packet = record.get("phenopacket", record)
        if not isinstance(packet, dict) or not {"phenotypicFeatures", "interpretations"} & set(packet):
            found.skipped.append((where, "not a phenopacket (no phenotypicFeatures or interpretations)"))
            continue
        case, reason = case_from_phenopacket(packet, source=str(record.get("path", where)))
        if case is None:
            found.skipped.append((where, reason))
        else:
            found.cases.append(case)
    return found


def _stored_case(record: dict[str, Any], where: str) -> Case:
    try:
        return Case.from_dict(record)
    except (KeyError, TypeError) as error:
        raise LimkitError(f"not a genes case (missing {error})", path=where) from None


def _records(path: Path) -> Iterator[tuple[str, Any]]:
    if path.is_dir():
        files = sorted(path.rglob("*.json"))
        if not files:
            raise LimkitError("no .json phenopackets in this directory", path=path)
        for file in files:
            yield str(file), _json_value(file.read_bytes(), str(file))
    elif not path.is_file():
        raise LimkitError("file or directory not found", path=path)
    elif path.suffix == ".zip":
        yield from _zip_records(path)
    elif path.suffix == ".jsonl":
        for line, row in read_jsonl(path):
            yield f"{path}:{line}", row
    else:
        yield str(path), _json_value(path.read_bytes(), str(path))


def _zip_records(path: Path) -> Iterator[tuple[str, Any]]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise LimkitError("not a readable ZIP archive", path=path) from None
    with archive:
        names = sorted(n for n in archive.namelist() if n.endswith(".json") and "/." not in f"/{n}")
        for name in names:
            yield f"{path}!{name}", _json_value(archive.read(name), f"{path}!{name}")


def _json_value(data: bytes, where: str) -> Any:
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise LimkitError(f"not valid JSON ({error})", path=where) from None


def case_from_phenopacket(packet: dict[str, Any], source: str = "") -> tuple[Case | None, str]:
    """The case a phenopacket describes, or None and why it cannot be one."""
    observed, excluded = _terms(packet)
    gene = _causal_gene(packet)
    if gene is None:
        return None, "no causal gene in interpretations"
    if not observed:
        return None, "no observed phenotypic features"
    case = Case(
        id=str(packet.get("id", source)),
        observed=observed,
        excluded=excluded,
        gene_symbol=gene[0],
        gene_id=gene[1],
        disease=_disease(packet),
        source=source,
    )
    return case, ""


def _terms(packet: dict[str, Any]) -> tuple[tuple[Term, ...], tuple[Term, ...]]:
    observed: dict[str, Term] = {}
    excluded: dict[str, Term] = {}
    for feature in packet.get("phenotypicFeatures") or []:
        kind = feature.get("type") if isinstance(feature, dict) else None
        if not isinstance(kind, dict) or not str(kind.get("id", "")).startswith("HP:"):
            continue
        term = Term(str(kind["id"]), str(kind.get("label", "")))
        (excluded if feature.get("excluded") is True else observed).setdefault(term.id, term)
    # A term both reported and ruled out is contradictory: it is not presented as present.
    for term_id in excluded:
        observed.pop(term_id, None)
    return tuple(observed.values()), tuple(excluded.values())


def _causal_gene(packet: dict[str, Any]) -> tuple[str, str] | None:
    """(symbol, HGNC id) from `variantInterpretation...geneContext` or a bare `gene` element."""
    for interpretation in packet.get("interpretations") or []:
        diagnosis = interpretation.get("diagnosis") or {}
        for genomic in diagnosis.get("genomicInterpretations") or []:
            gene = genomic.get("gene")
            if not isinstance(gene, dict):
                variant = genomic.get("variantInterpretation") or {}
                gene = (variant.get("variationDescriptor") or {}).get("geneContext")
            if isinstance(gene, dict) and gene.get("symbol"):
                return str(gene["symbol"]), str(gene.get("valueId", ""))
    return None


def _disease(packet: dict[str, Any]) -> str:
    for interpretation in packet.get("interpretations") or []:
        disease = (interpretation.get("diagnosis") or {}).get("disease") or {}
        if disease.get("label"):
            return str(disease["label"])
    for disease in packet.get("diseases") or []:
        term = disease.get("term") or {}
        if term.get("label"):
            return str(term["label"])
    return ""
