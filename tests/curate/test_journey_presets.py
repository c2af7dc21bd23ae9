"""The O1-distillation recipe end to end on scripted models, the DPO pair draw, and the training presets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from limkit.curate import dpo_pairs

ROOT = Path(__file__).resolve().parents[2]
SEEDS = [
    {"id": "ok", "problem": "What is 2 + 3 * 4?", "answer": "14", "solution": "14"},
    {"id": "garbled", "problem": "garble: what is 2 + 3 * 4?", "answer": "14", "solution": "It is 14."},
    {
        "id": "image",
        "problem": "In the diagram shown below, what is 2 + 3 * 4?",
        "answer": "14",
        "solution": "14",
    },
    {"id": "proof", "problem": "Prove that 2 + 3 * 4 is even.", "answer": "14", "solution": "..."},
    {"id": "symbolic", "problem": "Simplify 2x + 3x.", "answer": "5x", "solution": "5x"},
    {
        "id": "fraction",
        "problem": "What is 1/2 + 1/4 + 3 * 4 - 10?",
        "answer": "\\frac{9}{4}",
        "solution": "x",
    },
]


def _scripted(model: str) -> dict[str, str]:
    return {"model": f"journey_scripts:{model}", "backend": "scripted"}


def test_o1_distill_recipe_filters_reformats_and_rejects(run_cli: Any, tmp_path: Path) -> None:
    recipe = yaml.safe_load((ROOT / "recipes" / "o1_distill.yaml").read_text(encoding="utf-8"))
    steps = [
        s for s in recipe["steps"] if next(iter(s)) not in ("dedup", "decontaminate")
    ]  # no benchmarks here
    for step in steps:
        if "reformat" in step:
            step["reformat"]["model"] = _scripted("reformatter")
        if "distill" in step:
            step["distill"]["teachers"] = [{**_scripted("teacher"), "name": "teacher"}]
            step["distill"]["n"] = 2
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text("".join(json.dumps(row) + "\n" for row in SEEDS), encoding="utf-8")
    recipe.update(steps=steps, cache=str(tmp_path / "cache.sqlite"), executor={"kind": "local", "workers": 1})
    recipe["input"]["path"] = str(seeds)
    path = tmp_path / "o1.yaml"
    path.write_text(yaml.safe_dump(recipe), encoding="utf-8")
    result = run_cli("curate", str(path), "--out", str(tmp_path / "run"))
    assert result.code == 0, result.err
    dropped = {}
    for line in (tmp_path / "run" / "dropped.jsonl").read_text().splitlines():
        row = json.loads(line)
        dropped[row["id"]] = row["reason"].get("rule", row["reason"]["code"])
    # The fraction passes the numeric-answer filter; the teacher never answers 9/4, so the grader drops it.
    expected = {
        "image": "needs_image",
        "proof": "proof",
        "symbolic": "not_numeric",
        "fraction": "no_verified_chain",
    }
    assert dropped == expected
    kept = {
        json.loads(line)["id"]: json.loads(line)
        for line in (tmp_path / "run" / "kept.jsonl").read_text().splitlines()
    }
    assert set(kept) == {"ok", "garbled"}
    assert kept["ok"]["reformat"] == {"kept": True} and kept["ok"]["solution_original"] == "14"
    assert kept["garbled"]["reformat"]["kept"] is False and kept["garbled"]["solution"] == "It is 14."
    for record in (kept["ok"], kept["garbled"]):
        assert [c["sample"] for c in record["chains"]] == [1]  # the grader rejected the wrong sample
        assert record["distill"]["attempts"] == 2 and record["distill"]["verified"] == 1
    sft = [json.loads(line) for line in (tmp_path / "run" / "o1_distill_sft.jsonl").read_text().splitlines()]
    assert {row["id"] for row in sft} == {"ok", "garbled"}
    stage1 = {
        json.loads(line)["id"]: json.loads(line)
        for line in (tmp_path / "run" / "reformatted.jsonl").read_text().splitlines()
    }
    assert "\\boxed{14}" in stage1["ok"]["messages"][-1]["content"]


def test_dpo_pairs_draw_five_and_five_or_what_a_question_has() -> None:
    def chains(right: int, wrong: int) -> list[dict[str, Any]]:
        return [{"text": f"r{i}", "correct": True} for i in range(right)] + [
            {"text": f"w{i}", "correct": False} for i in range(wrong)
        ]

    records = [
        {"id": "many", "problem": "q1", "chains": chains(7, 13)},
        {"id": "few", "problem": "q2", "chains": chains(2, 18)},
        {"id": "none", "problem": "q3", "chains": chains(0, 20)},
    ]
    counts: dict[str, int] = {}
    rows = list(dpo_pairs(records, counts=counts))
    by_question: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_question.setdefault(row["prompt"], []).append(row)
    assert {q: len(v) for q, v in by_question.items()} == {"q1": 5, "q2": 2}
    for pairs in by_question.values():
        assert all(p["chosen"].startswith("r") and p["rejected"].startswith("w") for p in pairs)
        assert len({p["chosen"] for p in pairs}) == len(pairs) == len({p["rejected"] for p in pairs})
    assert counts == {"questions_paired": 2, "questions_one_sided": 1, "pairs": 7}
    assert list(dpo_pairs(records)) == rows  # seeded per question


@pytest.mark.parametrize(
    ("kind", "name", "epochs"),
    [("sft", "journey_sft_phase1", 1), ("sft", "journey_sft_phase2", 3), ("dpo", "journey_dpo", 1)],
)
def test_training_presets_load_with_the_published_epochs(
    kind: str, name: str, epochs: int, tmp_path: Path
) -> None:
    from limkit.train import load_config

    path = ROOT / "recipes" / "train" / f"{name}.yaml"
    config = load_config(kind, path, ["bf16=false", "use_cpu=true", f"output_dir={tmp_path}"])
    assert config.trl_args().num_train_epochs == epochs  # TRL accepts every value
    text = path.read_text(encoding="utf-8")
    assert "limkit's choice" in text and "# limkit" in text  # unpublished settings are marked
