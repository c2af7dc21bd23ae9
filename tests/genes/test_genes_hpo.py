"""HPO from hpo3's bundled ontology: labels, ancestors, information content, gene associations."""

from __future__ import annotations

import pytest

from limkit.studies.genes import Hpo


def test_labels_and_ancestors_of_known_terms(hpo: Hpo) -> None:
    assert hpo.label("HP:0001250") == "Seizure"
    assert hpo.label("HP:0001166") == "Arachnodactyly"
    assert hpo.ancestors("HP:0001250") == {"HP:0000001", "HP:0000118", "HP:0000707", "HP:0012638"}
    # Arachnodactyly sits under the limb branch, not the nervous system.
    arachnodactyly = hpo.ancestors("HP:0001166")
    assert {"HP:0000118", "HP:0040064"} <= arachnodactyly and "HP:0000707" not in arachnodactyly
    assert hpo.label("HP:9999999") is None and hpo.ancestors("HP:9999999") == set()


def test_information_content_grows_with_specificity(hpo: Hpo) -> None:
    root = hpo.information_content("HP:0000001")
    abnormality = hpo.information_content("HP:0000118")
    nervous = hpo.information_content("HP:0000707")
    seizure = hpo.information_content("HP:0001250")
    arachnodactyly = hpo.information_content("HP:0001166")
    assert root == 0.0
    assert abnormality is not None and nervous is not None and seizure is not None and arachnodactyly
    assert abnormality < 0.01 < nervous < seizure < arachnodactyly
    assert seizure == pytest.approx(0.9237, abs=1e-3)  # -log(share of annotated genes), as hpo3 ships it
    assert hpo.information_content("HP:9999999") is None


def test_known_association_follows_the_patient_terms_up_to_annotated_ancestors(hpo: Hpo) -> None:
    assert hpo.known_association("FBN1", ["HP:0001166"])
    assert not hpo.known_association("FBN1", ["HP:0001250"])
    assert not hpo.known_association("NOT_A_GENE", ["HP:0001166"])
    # A term more specific than FBN1's annotation still counts, through its ancestor.
    annotated = hpo.gene_terms("FBN1")
    child = next(
        term.id
        for parent in sorted(annotated)
        for term in hpo._ontology.get_hpo_object(parent).children
        if int(term) not in annotated
    )
    assert int(child.split(":")[1]) not in annotated
    assert hpo.known_association("FBN1", [child])
