"""Cases from phenopackets: both gene shapes, excluded terms kept out, skips explained, every container."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from limkit.errors import LimkitError
from limkit.studies.genes import Case, PromptOptions, load_cases, ranking_messages


def raw_packets(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line)["phenopacket"] for line in path.read_text().splitlines() if line.strip()]


def test_the_shipped_sample_reads_every_gene_and_skips_one_case_with_a_reason(phenopackets: Path) -> None:
    found = load_cases(phenopackets)
    packets = raw_packets(phenopackets)
    assert len(packets) == 483
    expected = {}
    for packet in packets:
        genomic = packet["interpretations"][0]["diagnosis"]["genomicInterpretations"][0]
        context = genomic["variantInterpretation"]["variationDescriptor"]["geneContext"]
        expected[packet["id"]] = (context["symbol"], context["valueId"])
    assert len(found.cases) + len(found.skipped) == 483
    assert {case.id: (case.gene_symbol, case.gene_id) for case in found.cases} == {
        case.id: expected[case.id] for case in found.cases
    }
    assert all(case.gene_id.startswith("HGNC:") for case in found.cases)
    assert [reason for _, reason in found.skipped] == ["no observed phenotypic features"]
    assert found.skipped[0][0].endswith("phenopackets.jsonl:126")
    assert len({case.gene_symbol for case in found.cases}) == 150


def test_excluded_terms_are_never_presented_as_present(phenopackets: Path, shipped_cases: list[Case]) -> None:
    excluded_in_file = {
        p["id"]: {f["type"]["id"] for f in p.get("phenotypicFeatures", []) if f.get("excluded")}
        for p in raw_packets(phenopackets)
    }
    with_excluded = [case for case in shipped_cases if case.excluded]
    assert len(with_excluded) == 414  # 415 in the file, one of which has nothing observed and is skipped
    for case in shipped_cases:
        observed = {term.id for term in case.observed}
        assert {term.id for term in case.excluded} == excluded_in_file[case.id]
        assert not observed & excluded_in_file[case.id]
        text = ranking_messages(case, ["A", "B"], PromptOptions(max_terms=1000))[0]["content"]
        assert not any(term_id in text for term_id in excluded_in_file[case.id]), case.id
    case = with_excluded[0]
    stated = ranking_messages(case, ["A"], PromptOptions(state_absent=True))[0]["content"]
    present, absent = stated.split("ABSENT")
    assert all(term.id in absent and term.id not in present for term in case.excluded)


def packet(case_id: str, gene: dict[str, Any] | None, bare: bool = False) -> dict[str, Any]:
    genomic: dict[str, Any] = {}
    if gene is not None:
        genomic = (
            {"gene": gene}
            if bare
            else {"variantInterpretation": {"variationDescriptor": {"geneContext": gene}}}
        )
    return {
        "id": case_id,
        "phenotypicFeatures": [
            {"type": {"id": "HP:0001250", "label": "Seizure"}},
            {"type": {"id": "HP:0001166", "label": "Arachnodactyly"}, "excluded": True},
        ],
        "interpretations": [{"diagnosis": {"genomicInterpretations": [genomic] if gene else []}}],
    }


def test_the_bare_gene_shape_directories_zips_and_single_files(tmp_path: Path) -> None:
    folder = tmp_path / "store" / "notebooks" / "FBN1" / "phenopackets"
    folder.mkdir(parents=True)
    (folder / "a.json").write_text(
        json.dumps(packet("a", {"valueId": "HGNC:3603", "symbol": "FBN1"}, bare=True))
    )
    (folder / "b.json").write_text(json.dumps(packet("b", {"valueId": "HGNC:11998", "symbol": "TP53"})))
    (folder / "c.json").write_text(json.dumps(packet("c", None)))
    (folder / "cohort.json").write_text(json.dumps([{"id": "a"}]))  # a cohort-level list, not a phenopacket
    with zipfile.ZipFile(tmp_path / "release.zip", "w") as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, f"release/{file.name}")
    for source in (tmp_path / "store", tmp_path / "release.zip"):
        found = load_cases(source)
        assert [(c.id, c.gene_symbol, c.gene_id) for c in found.cases] == [
            ("a", "FBN1", "HGNC:3603"),
            ("b", "TP53", "HGNC:11998"),
        ]
        assert [term.id for term in found.cases[0].excluded] == ["HP:0001166"]
        assert sorted(reason for _, reason in found.skipped) == [
            "no causal gene in interpretations",
            "not a JSON object (list)",
        ]
    single = load_cases(folder / "a.json")
    assert single.cases[0].observed[0].label == "Seizure"


def test_bad_input_names_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "cases.jsonl"
    bad.write_text(json.dumps({"phenopacket": packet("a", {"symbol": "X"})}) + "\n{not json\n")
    with pytest.raises(LimkitError, match=r"cases\.jsonl:2.*not valid JSON"):
        load_cases(bad)
    with pytest.raises(LimkitError, match="not found"):
        load_cases(tmp_path / "missing.json")
