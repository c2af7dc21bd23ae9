"""The medical tasks' layouts, the output formats, part 3's Table 1 and the 500-sample SFT presets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from limkit.errors import LimkitError
from limkit.tasks import OUTPUT_FORMATS, TASKS, load_task
from limkit.train._medical import (
    MEDICAL_BACKBONES,
    MEDICAL_SFT_SAMPLES,
    NON_RECOMPUTING_ROWS,
    PART3_TABLE1,
    TEST_SIZES,
    weighted_mean,
)

ROOT = Path(__file__).resolve().parents[2]


def test_medical_specs_pin_what_could_be_verified() -> None:
    assert TASKS["medqa"].revision == "0fb93dd23a7339b6dcd27e241cb9b5eca62d4d18"
    assert TASKS["medbullets_op4"].revision is None and TASKS["medbullets_op5"].revision is None
    jama = TASKS["jama_clinical"]
    assert jama.hub_id is None and "not redistributable" in jama.obtain
    assert all(
        TASKS[name].is_multiple_choice and not TASKS[name].shuffle_choices
        for name in ("medqa", "jama_clinical")
    )


def test_other_layouts_five_options_and_answer_text(tmp_path: Path) -> None:
    """ChallengeClinicalQA's opa..ope columns (5 options) and MedQA's {letter: text} options."""
    rows = [
        {"question": "Q1?", "opa": "a", "opb": "b", "opc": "c", "opd": "d", "ope": "e", "answer_idx": "E"},
        {"question": "Q2?", "options": {"A": "x", "B": "y", "C": "z", "D": "w"}, "answer": "z"},
    ]
    (tmp_path / "jama_clinical.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    task = load_task("jama_clinical", data_dir=tmp_path)
    assert [(s.answer, s.metadata["choices"]) for s in task.samples] == [
        ("E", ["a", "b", "c", "d", "e"]),
        ("C", ["x", "y", "z", "w"]),
    ]
    assert [s.id for s in task.samples] == ["1", "2"]
    rows[1]["answer"] = "none of them"
    (tmp_path / "jama_clinical.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.raises(LimkitError) as caught:
        load_task("jama_clinical", data_dir=tmp_path)
    assert caught.value.line == 2 and caught.value.field == "answer"


def test_option_free_asks_open_questions(benchmarks_dir: Path) -> None:
    task = load_task("medbullets_op4", data_dir=benchmarks_dir, limit=3, option_free=True)
    sample = task.samples[1]
    assert sample.answer == "Intentional contamination" and sample.answer_type == "OT"
    assert "choices" not in sample.metadata and sample.metadata["gold_letter"] == "B"
    assert "Intentional contamination" not in task.user_prompt(sample)
    assert "letter" not in (task.prompt.system or "")
    with pytest.raises(LimkitError, match="multiple-choice"):
        load_task("math500", data_dir=benchmarks_dir, option_free=True)


def test_formats_grow_from_direct_to_monolog() -> None:
    question = "A 30-year-old ...\n\nA. x\nB. y"
    examples = {
        name: fmt.sft_example(question, "B", "Findings point to y.\n\nSo y fits best.")
        for name, fmt in OUTPUT_FORMATS.items()
    }
    assert list(examples) == ["direct", "cot", "longstep", "longmonolog"]
    targets = {name: example["messages"][-1]["content"] for name, example in examples.items()}
    assert targets["direct"] == "The answer is \\boxed{B}."
    assert targets["longstep"].startswith("Step 1: Findings point to y.\nStep 2: So y fits best.")
    assert (
        targets["longmonolog"].startswith("<think>\n")
        and "</think>\n\nThe answer is \\boxed{B}." in targets["longmonolog"]
    )
    assert all(target.endswith("\\boxed{B}.") for target in targets.values())
    assert all(example["messages"][1]["content"] == question for example in examples.values())
    assert "letter" in OUTPUT_FORMATS["cot"].system() and "letter" not in OUTPUT_FORMATS["cot"].system(True)
    with pytest.raises(LimkitError, match="needs reasoning"):
        OUTPUT_FORMATS["cot"].target("B", "")


def test_published_mean_column_recomputes_from_the_three_datasets() -> None:
    """Table 1's Mean = (646 JAMA + 308 Medbullets + 1273 MedQA) weighted accuracy, except two rows."""
    assert TEST_SIZES == (646, 308, 1273) and len(PART3_TABLE1) == 26
    off = []
    for row in PART3_TABLE1:
        if abs(weighted_mean(row.jama, row.medbullets, row.medqa) - row.mean) > 0.015:
            off.append(row.model)
    assert tuple(off) == NON_RECOMPUTING_ROWS
    by_model = {row.model: row for row in PART3_TABLE1}
    assert weighted_mean(34.05, 38.63, 48.15) == pytest.approx(42.74, abs=0.01)  # printed as 42.47
    assert weighted_mean(57.27, 66.55, 83.11) == pytest.approx(73.32, abs=0.01)  # printed as 73.59
    gains = {
        size: by_model[f"{base} {fmt}"].mean - by_model[base].mean
        for size, base, fmt in (
            ("72B", "Qwen2.5-72B", "LongMonolog"),
            ("32B", "Qwen2.5-32B", "LongMonolog"),
            ("70B", "Llama3.1-70B", "LongMonolog"),
        )
    }
    assert gains == pytest.approx({"72B": 11.36, "32B": 6.03, "70B": 5.97}, abs=0.005)


def test_sft_presets_pin_the_papers_backbones() -> None:
    from limkit.train._config import load_config

    for key, (model, revision) in MEDICAL_BACKBONES.items():
        path = ROOT / "recipes" / "train" / f"medical_sft_{key}.yaml"
        text = path.read_text(encoding="utf-8")
        assert text.splitlines()[0] == (
            f"# accelerate launch --config_file recipes/train/accelerate/zero3.yaml "
            f"-m limkit train sft recipes/train/medical_sft_{key}.yaml"
        )
        config = load_config("sft", path, ["bf16=false", "use_cpu=true", "output_dir=/nonexistent/x"])
        assert (config.model, config.revision, config.data.limit) == (model, revision, MEDICAL_SFT_SAMPLES)
        assert "not the paper's" in text  # the hyperparameters are limkit's, and the header says so


def test_a_fifth_option_answer_is_read_on_five_option_questions(tmp_path: Path, benchmarks_dir: Path) -> None:
    """On a five-option question an answer `E` to a gold B is a wrong choice, not no answer; on a
    four-option question the same `E` is still not a choice (`E. coli` must never read as one)."""
    from limkit.grade import Grader

    row = {"question": "Q?", "opa": "a", "opb": "b", "opc": "c", "opd": "d", "ope": "e", "answer_idx": "B"}
    (tmp_path / "jama_clinical.jsonl").write_text(json.dumps(row) + "\n")
    five = load_task("jama_clinical", data_dir=tmp_path)
    four = load_task("medbullets_op4", data_dir=benchmarks_dir, limit=1)
    with Grader(workers=1) as grader:
        on_five, on_four = grader.grade_many(
            [
                five.grade_item(five.samples[0], "The answer is (E)."),
                four.grade_item(four.samples[0], "The answer is (E)."),
            ]
        )
    assert four.samples[0].answer != "E" and len(four.samples[0].metadata["choices"]) == 4
    assert (on_five.status, on_five.extracted) == ("incorrect", "E")
    assert on_four.status == "no_answer"
