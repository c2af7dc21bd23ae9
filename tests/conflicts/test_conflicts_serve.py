"""The tiny random model behind a real `transformers serve`: its replies are garbage, so every rejection and
every unparsable verdict must be counted, and the commands must still finish."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


@pytest.mark.slow
def test_build_and_judge_against_a_real_server_count_the_garbage(
    run_cli: Any,
    nq_ten: Path,
    tiny_model_dir: Path,
    tiny_server: str,
    tiny_nli_dir: Path,
    tmp_path: Path,
    one_torch_thread: None,
) -> None:
    served = [
        "--backend",
        "openai",
        "--base-url",
        tiny_server,
        "--model",
        str(tiny_model_dir),
        "--attempts",
        "2",
    ]
    out = tmp_path / "build"
    built = run_cli(
        "conflicts",
        "build",
        "--input",
        str(nq_ten),
        "--out",
        str(out),
        "--limit",
        "2",
        "--retries",
        "1",
        "--nli",
        f"hf:{tiny_nli_dir}",
        *served,
    )
    assert built.code == 0, built.err
    rejections = [json.loads(line) for line in (out / "rejections.jsonl").read_text().splitlines()]
    assert rejections and all(row["reason"] for row in rejections)
    assert {row["stage"] for row in rejections} >= {"candidates"}
    assert f"{len(rejections)} rejections kept" in built.err
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"p{i}",
                    "kind": "answer",
                    "group": "E1-E3",
                    "label": 1,
                    "setting": "direct",
                    "length": "short",
                    "question": "who won",
                    "x": "Alpha won.",
                    "y": f"Beta{i} won.",
                }
            )
            + "\n"
            for i in range(3)
        )
    )
    judged = run_cli(
        "conflicts", "detect", str(pairs), "--out", str(tmp_path / "detect"), "--detector", "llm", *served
    )
    assert judged.code == 0, judged.err
    scores = [json.loads(line) for line in (tmp_path / "detect" / "scores.jsonl").read_text().splitlines()]
    assert len(scores) == 3 * 4
    unparsable = sum(1 for s in scores if s["parse"] == "unparsable")
    assert unparsable >= 8 and all(
        s["decisions"]["llm"] is None for s in scores if s["parse"] == "unparsable"
    )
    assert all(s["attempts"] == 2 for s in scores if s["parse"] != "structured")
    assert f"{unparsable} unparsable" in judged.err
