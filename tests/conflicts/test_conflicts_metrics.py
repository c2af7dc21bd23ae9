"""Metric pooling against scikit-learn, grouping with unparsable verdicts, and the loose yes/no reading."""

from __future__ import annotations

from typing import Any

import pytest

from limkit.studies.conflicts import loose_verdict, precision_recall_f1, summarize


@pytest.mark.parametrize(("tp", "fp", "fn", "tn"), [(7, 3, 2, 8), (0, 4, 3, 5), (5, 0, 0, 0), (0, 0, 0, 6)])
def test_pooled_precision_recall_f1_equal_scikit_learn(tp: int, fp: int, fn: int, tn: int) -> None:
    from sklearn.metrics import precision_recall_fscore_support

    truth = [1] * tp + [0] * fp + [1] * fn + [0] * tn
    predicted = [1] * tp + [1] * fp + [0] * fn + [0] * tn
    ours = precision_recall_f1(truth, predicted)
    p, r, f, _ = precision_recall_fscore_support(truth, predicted, average="binary", zero_division=0)
    assert (ours["precision"], ours["recall"], ours["f1"]) == pytest.approx((p, r, f))


def pair(pid: str, group: str, label: int, setting: str, kind: str = "answer") -> dict[str, Any]:
    return {"id": pid, "group": group, "label": label, "setting": setting, "length": "short", "kind": kind}


def test_summary_pools_settings_groups_and_counts_unparsable_apart() -> None:
    pairs = [
        pair("a", "E1-E2", 0, "direct"),
        pair("b", "E1-E3", 1, "direct"),
        pair("c", "E2-E3", 1, "direct"),
        pair("d", "E1'-E1", 1, "polluted"),
        pair("e", "E1'-E3", 0, "polluted"),
        pair("f", "k=2", 1, "factoid", "factoid"),
    ]
    verdicts = {"a": 1, "b": 1, "c": None, "d": 0, "e": 0, "f": 1}
    scores = [
        {"pair_id": k, "detector": "llm", "order": "xy", "mode": "plain", "decisions": {"llm": v}}
        for k, v in verdicts.items()
    ]
    [block] = summarize(pairs, scores)["blocks"]
    assert block["unparsable"] == {"E1/E2-E3": 1}
    assert block["groups"]["E1/E2-E3"] == {"accuracy": 1.0, "n": 1}
    assert block["groups"]["E1-E2"]["accuracy"] == 0.0 and block["groups"]["k=2"]["accuracy"] == 1.0
    direct = block["pooled"]["direct|short"]
    assert direct["n"] == 2 and direct["precision"] == 0.5 and direct["recall"] == 1.0
    assert block["pooled"]["polluted|short"]["recall"] == 0.0 and "factoid|short" not in block["pooled"]


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ("Yes", 1),
        ('{"answer": "No"}', 0),
        ("yes, they conflict", 1),
        ("Yes and no", None),
        ("maybe", None),
        ("", None),
    ],
)
def test_loose_reading_needs_exactly_one_of_yes_and_no(reply: str, verdict: int | None) -> None:
    assert loose_verdict(reply) == verdict
