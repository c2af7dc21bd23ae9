"""to-sft: one TRL vision-SFT chat sample per usable step of a synthetic completed trajectory."""

from __future__ import annotations

import json
from pathlib import Path

from data_fixtures import COMPLETION_RAW, SCRIPT, TASK, refined_trajectory

from limkit.agents.pc import read_steps
from limkit.agents.pc._complete import CompleteConfig, complete_trajectories
from limkit.agents.pc._prompts import planner_prompt
from limkit.llm import CompletionCache, make_generator


def _completed(tmp_path: Path) -> Path:
    directory = refined_trajectory(tmp_path / "t", COMPLETION_RAW, task=TASK)
    generator = make_generator("scripted", SCRIPT, cache=CompletionCache(tmp_path / "c.sqlite"))
    complete_trajectories([directory], generator, CompleteConfig())
    return directory


def test_a_sample_has_the_image_the_prompt_and_the_target(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    directory = _completed(tmp_path)
    out = tmp_path / "sft.jsonl"
    done = run_cli("pc", "to-sft", str(directory), "--out", str(out), "--history", "2")
    assert done.code == 0, done.err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    steps = read_steps(directory / "completed.jsonl")
    # skipped: the refused click (no description) and the refused thought
    assert len(rows) == len(steps) - 2
    assert "skipped {'click without description': 1, 'no thought': 1}" in done.err
    wrong = rows[2]  # the third step, the corrected click
    assert set(wrong) == {"messages", "images"}
    user, assistant = wrong["messages"]
    assert user["role"] == "user" and [part["type"] for part in user["content"]] == ["image", "text"]
    assert wrong["images"] == [str((directory / "refined/0002.png").resolve())]
    assert Path(wrong["images"][0]).is_file()
    thought = "I see the screen and go for click element: the real wrong place button."
    assert assistant == {
        "role": "assistant",
        "content": [
            {"type": "text", "text": f"{thought}\n\nAction: click element: the real wrong place button"}
        ],
    }
    history = [
        ("I see the screen and go for click element: the Save element (0000_marked.png).",
         "click element: the Save element (0000_marked.png)"),
        ("I see the screen and go for type text: hello.", "type text: hello"),
    ]  # fmt: skip
    assert user["content"][1]["text"] == planner_prompt(TASK, history, 1)
    assert TASK in user["content"][1]["text"]


def test_history_is_the_last_k_steps_and_keys_use_the_planner_dialect(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    directory = _completed(tmp_path)
    out = tmp_path / "sft.jsonl"
    assert run_cli("pc", "to-sft", str(directory), "--out", str(out), "--history", "2").code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    enter = next(row for row in rows if row["images"][0].endswith("0005.png"))
    text = enter["messages"][0]["content"][1]["text"]
    assert "[4] I see the screen and go for click (300, 300).\nAction: click (300, 300)" in text  # by point
    assert "[5] I see the screen" in text and "[3]" not in text  # steps 4 and 5 only
    assert enter["messages"][1]["content"][0]["text"].endswith("\n\nAction: press key: enter")
    finish = rows[-1]["messages"]
    assert "[8] (no thought recorded)\nAction: type text: refuse me" in finish[0]["content"][1]["text"]
    assert finish[1]["content"][0]["text"].endswith("\n\nAction: finish")


def test_a_trajectory_that_is_not_completed_is_named(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    directory = refined_trajectory(tmp_path / "t", COMPLETION_RAW[-1:])
    done = run_cli("pc", "to-sft", str(directory), "--out", str(tmp_path / "x.jsonl"))
    assert done.code == 1 and "completed.jsonl" in done.err and not (tmp_path / "x.jsonl").exists()


def test_trl_vision_collator_takes_the_samples(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    """TRL's own vision collator, with a tiny LLaVA processor built offline, batches the written samples."""
    from datasets import Image, Sequence, load_dataset
    from transformers import AutoProcessor
    from trl.trainer.sft_trainer import DataCollatorForVisionLanguageModeling

    from limkit.llm.tiny import build_tiny_vlm

    directory = _completed(tmp_path)
    out = tmp_path / "sft.jsonl"
    assert run_cli("pc", "to-sft", str(directory), "--out", str(out)).code == 0
    data = load_dataset("json", data_files=str(out), split="train").cast_column("images", Sequence(Image()))
    assert data[0]["images"][0].size == (1280, 720)
    processor = AutoProcessor.from_pretrained(build_tiny_vlm(tmp_path / "vlm"))
    batch = DataCollatorForVisionLanguageModeling(processor)([data[0], data[1]])
    assert tuple(batch["pixel_values"].shape) == (2, 3, 32, 32)
    target = processor.tokenizer(data[0]["messages"][1]["content"][0]["text"])["input_ids"]
    row = batch["input_ids"][0].tolist()
    assert any(row[i : i + len(target)] == target for i in range(len(row)))  # the target is in the sequence
