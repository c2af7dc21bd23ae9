"""The olympicarena task on hand-written rows in the dataset's schema, and `limkit eval compare-judges`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from limkit.eval import EvalConfig, SamplingOverrides, run_eval
from limkit.tasks import load_task

SOLVER = f"{Path(__file__).with_name('olympic_scripts.py')}:olympic_solver"


def _row(
    key: str, answer: list[str], kind: str, types: list[str] | None = None, modality: str = "text-only"
) -> dict:
    return {
        "id": key,
        "problem": f"[{key}] the problem",
        "prompt": f"Solve this competition problem. [{key}] the problem",
        "figure_urls": None if modality == "text-only" else ["https://example.invalid/f.png"],
        "answer": answer,
        "answer_type": kind,
        "unit": None,
        "answer_sequence": None,
        "type_sequence": types,
        "test_cases": None,
        "subject": "Math",
        "language": "EN",
        "modality": modality,
    }


def _data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    directory.mkdir()
    rows = [
        _row("Math_1", ["B"], "SC"),
        _row("Math_2", ["1", "2"], "MPV", ["NV", "NV"]),
        _row("Math_3", ["x^2+2x+1"], "EX"),
        _row("Math_4", ["5"], "NV", modality="multi-modal"),
        _row("Math_6", ["7"], "NV"),
    ]
    (directory / "olympicarena.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    return directory


def test_rows_map_onto_limkit_types_and_figures_are_filtered(tmp_path: Path) -> None:
    task = load_task("olympicarena", data_dir=_data_dir(tmp_path))
    assert [sample.id for sample in task.samples] == ["Math_1", "Math_2", "Math_3", "Math_6"]
    assert [sample.answer_type for sample in task.samples] == ["SC", "MPV", "EX", "NV"]
    assert task.samples[1].answer == "1, 2"
    assert task.samples[1].metadata["type_sequence"] == ["NV", "NV"]
    assert task.samples[0].problem.startswith("Solve this competition problem.")
    assert task.spec.subset == "Math" and task.spec.split == "val"
    assert task.grade(task.samples[2], r"\boxed{(x+1)^2}").correct  # limkit's EX proves the equivalence


def test_compare_judges_prints_both_accuracies_and_every_disagreement(tmp_path: Path, run_cli: Any) -> None:
    run_dir = tmp_path / "run"
    config = EvalConfig(
        backend="scripted",
        model=SOLVER,
        tasks=("olympicarena",),
        data_dir=str(_data_dir(tmp_path)),
        sampling=SamplingOverrides(max_tokens=64),
    )
    run_eval(config, run_dir, log=lambda _: None)
    result = run_cli("eval", "compare-judges", str(run_dir), "--judge", "olympicarena-compat")
    assert result.code == 0, result.err
    table = result.out.splitlines()[1].split()
    assert table == ["olympicarena", "4", "0.500", "0.750", "1", "2"]
    assert "3 disagreements:" in result.out
    lines = [line for line in result.out.splitlines() if line.startswith("  olympicarena/")]
    assert [line.split("#")[0].strip() for line in lines] == [
        "olympicarena/Math_1",
        "olympicarena/Math_2",
        "olympicarena/Math_3",
    ]
    assert "limkit wrong" in lines[0] and "compat correct" in lines[0]
    assert "limkit correct" in lines[2] and "compat wrong" in lines[2]
    assert "types ['NV', 'NV']" in lines[1]
    stored = json.loads((run_dir / "judges" / "olympicarena-compat.json").read_text())
    assert stored["tasks"]["olympicarena"]["compat_accuracy"] == 0.75
    wrong = run_cli("eval", "compare-judges", str(run_dir), "--judge", "lighteval")
    assert wrong.code == 2 and "olympicarena-compat" in wrong.err
