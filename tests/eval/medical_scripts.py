"""Scripted stand-ins for the medical tests: clinicians whose choices are known, and a judge.

Each script finds the Medbullets row its prompt comes from (by the question stem) and answers by the
option TEXT it means, written as whatever letter that text has in the prompt as presented. So a run
grades correct exactly when limkit's gold letter names the same text: a gold not remapped under
`--shuffle-options` grades the wrong samples. The scripted backend counts whitespace words as tokens.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from limkit.llm import Request
from limkit.llm._scripted import prompt_text
from limkit.tasks import parse_options

MEDBULLETS = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "benchmarks" / "medbullets_op4.jsonl"
)
ORACLE_RIGHT = {"medbullets-0": True, "medbullets-1": False, "medbullets-2": True}
"""The oracle answers these problems right (True) or with the first other option (False)."""

#: Per problem, the eight samples' choices: G gold, W and V two wrong options, N no answer at all.
VOTES = {
    "medbullets-0": "GWWGGGVG",
    "medbullets-1": "WGGGWWWW",
    "medbullets-2": "NVVGGVNN",
}


@cache
def medbullets_rows() -> dict[str, dict[str, Any]]:
    rows = [json.loads(line) for line in MEDBULLETS.read_text(encoding="utf-8").splitlines()]
    return {row["id"]: row for row in rows}


def source_row(text: str) -> dict[str, Any]:
    return next(row for row in medbullets_rows().values() if row["question"][:120] in text)


def _wrong(row: dict[str, Any], which: int = 0) -> str:
    return [text for text in row["options"].values() if text != row["answer"]][which]


def _letter(text: str, option: str) -> str:
    parsed = parse_options(text)
    assert parsed is not None, "the prompt shows no lettered options"
    return "ABCD"[list(parsed[1]).index(option)]


def oracle(request: Request, sample: int) -> str:
    """Names the gold option (or a wrong one, per ORACLE_RIGHT) by its letter in this prompt."""
    text = prompt_text(request)
    row = source_row(text)
    option = row["answer"] if ORACLE_RIGHT[row["id"]] else _wrong(row)
    return f"Weighing the findings.\n\nThe answer is \\boxed{{{_letter(text, option)}}}."


def voter(request: Request, sample: int) -> str:
    """Sample i writes i + 1 filler words and then its VOTES choice boxed (N: no box at all)."""
    text = prompt_text(request)
    row = source_row(text)
    choice = VOTES[row["id"]][sample]
    filler = " ".join(["hmm"] * (sample + 1))
    if choice == "N":
        return filler
    option = {"G": row["answer"], "W": _wrong(row, 0), "V": _wrong(row, 1)}[choice]
    return f"{filler} \\boxed{{{_letter(text, option)}}}"


CLINICIAN_PLAN = {
    # id: (candidates as (kind, which) with kind G gold / W wrong option, final answer kind)
    "medbullets-1": (("W0", "G", "W1"), "G+"),
    "medbullets-2": (("G", "W0"), "G"),
    "medbullets-4": (("W0", "W1"), "W0"),
}
"""Option-free answers: the differential the clinician lists and its final answer ("G+" is the gold
reworded, so only the judge can accept it). Rows whose options are names (row 0's are orderings of the
same four words, which no word-overlap rule can tell apart)."""


def _named(row: dict[str, Any], kind: str) -> str:
    if kind == "G":
        return str(row["answer"])
    if kind == "G+":
        return f"most likely {row['answer']}"
    return _wrong(row, int(kind[1]))


def clinician(request: Request, sample: int) -> str:
    """Lists a differential, narrows it, and boxes a final answer, per CLINICIAN_PLAN."""
    text = prompt_text(request)
    assert parse_options(text) is None, "option-free prompts must not show the options"
    row = source_row(text)
    candidates, final = CLINICIAN_PLAN[row["id"]]
    lines = ["Key findings first.", "", "Differential diagnosis:"]
    lines += [f"{i}. {_named(row, kind)} - possible" for i, kind in enumerate(candidates, start=1)]
    lines += ["", "Weighing the evidence narrows it down.", f"Final answer: \\boxed{{{_named(row, final)}}}"]
    return "\n".join(lines)


JUDGE_PROMPT = re.compile(
    r"Reference answer:\n<<<\n(?P<gold>.*?)\n>>>.*Candidate answer:\n<<<\n(?P<answer>.*?)\n>>>", re.S
)


def judge(request: Request, sample: int) -> str:
    """CORRECT when the candidate contains the reference text (case-insensitive), else INCORRECT."""
    match = JUDGE_PROMPT.search(prompt_text(request))
    assert match is not None, "not LLMJudge's prompt"
    return "CORRECT" if match["gold"].lower() in match["answer"].lower() else "INCORRECT"
