"""NLI plumbing with a tiny MNLI-headed classifier built offline: label maps from the config, batching,
both orders, and the two decision rules on crafted scores."""

from __future__ import annotations

from pathlib import Path

import pytest

from limkit.errors import LimkitError
from limkit.studies.conflicts import HfNli, ScoreCache, build_tiny_nli, conflict, label_map, top_label


def test_label_map_is_read_from_the_config_whatever_the_order() -> None:
    assert label_map({0: "CONTRADICTION", 1: "NEUTRAL", 2: "ENTAILMENT"}, "m") == {
        0: "contradiction",
        1: "neutral",
        2: "entailment",
    }
    assert label_map({"0": "entailment", "1": "neutral", "2": "contradiction"}, "m")[0] == "entailment"
    with pytest.raises(LimkitError, match=r"LABEL_0.*not an MNLI label"):
        label_map({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, "m")
    with pytest.raises(LimkitError, match="once"):
        label_map({0: "entailment", 1: "entailment", 2: "neutral"}, "m")


@pytest.mark.parametrize(
    ("probs", "c_gt_e", "argmax"),
    [
        ({"contradiction": 0.5, "neutral": 0.1, "entailment": 0.4}, 1, 1),
        ({"contradiction": 0.35, "neutral": 0.4, "entailment": 0.25}, 1, 0),  # the rules disagree
        ({"contradiction": 0.2, "neutral": 0.3, "entailment": 0.5}, 0, 0),
        ({"contradiction": 0.4, "neutral": 0.2, "entailment": 0.4}, 0, 0),  # tie: no conflict either way
        ({"contradiction": 0.4, "neutral": 0.4, "entailment": 0.2}, 1, 0),  # argmax tie: no label
    ],
)
def test_the_two_rules_on_crafted_scores(probs: dict[str, float], c_gt_e: int, argmax: int) -> None:
    assert conflict(probs, "c>e") == c_gt_e and conflict(probs, "max") == argmax
    assert conflict(None, "max") is None


def test_tiny_classifier_batches_maps_labels_and_scores_both_orders(
    tmp_path: Path, tiny_nli_dir: Path, one_torch_thread: None
) -> None:
    nli = HfNli(str(tiny_nli_dir), batch_size=3)
    assert nli.labels == {0: "entailment", 1: "neutral", 2: "contradiction"}
    pairs = [("The moon landing was in 1969.", "It was in 1972."), ("a", "b c d e f g h"), ("short", "x")] * 3
    batched = nli.logits(pairs)
    alone = [nli.logits([pair])[0] for pair in pairs[:3]]
    for row, single in zip(batched, alone, strict=False):
        assert row == pytest.approx(single, abs=1e-5)  # right padding does not change a pair's logits
    forward, reverse = nli.score(pairs[:1]), nli.score([pairs[0][::-1]])
    assert forward != reverse
    probs = forward[0]
    assert probs is not None and sum(probs.values()) == pytest.approx(1.0)
    # the probability of each name follows the config's index, not a fixed order
    assert probs["entailment"] == pytest.approx(_softmax(batched[0])[0])
    qwen = HfNli(str(build_tiny_nli(tmp_path / "qwen", arch="qwen3")), batch_size=2)
    assert qwen.labels[0] == "contradiction" and len(qwen.score(pairs)) == len(pairs)
    assert top_label(qwen.score(pairs[:1])[0]) in ("contradiction", "neutral", "entailment")


def _softmax(row: list[float]) -> list[float]:
    import math

    exps = [math.exp(v - max(row)) for v in row]
    return [e / sum(exps) for e in exps]


def test_the_score_cache_computes_each_pair_once(
    tmp_path: Path, tiny_nli_dir: Path, one_torch_thread: None
) -> None:
    nli = HfNli(str(tiny_nli_dir))
    pairs = [("p1", "h1"), ("p2", "h2"), ("p1", "h1")]
    cache = ScoreCache(tmp_path / "scores.jsonl")
    first = cache.scored(nli, pairs)
    cache.close()
    assert cache.computed == 2 and first[0] == first[2]
    again = ScoreCache(tmp_path / "scores.jsonl")
    assert again.scored(nli, [*pairs, ("p3", "h3")])[:3] == first and again.computed == 1
    again.close()


def test_a_model_without_an_mnli_head_is_refused(tmp_path: Path) -> None:
    import json

    model = tmp_path / "plain"
    model.mkdir()
    (model / "config.json").write_text(
        json.dumps({"model_type": "llama", "id2label": {"0": "LABEL_0", "1": "LABEL_1"}})
    )
    with pytest.raises(LimkitError, match="not an MNLI label"):
        HfNli(str(model))
