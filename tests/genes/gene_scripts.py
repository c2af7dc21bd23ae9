"""Scripted rankers for the genes tests: they read the case id from the request id and the candidate
genes from the prompt, and know each case's causal gene from the shipped phenopackets."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from limkit.llm import Request
from limkit.llm._scripted import prompt_text

PHENOPACKETS = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "phenopackets" / "phenopackets.jsonl"
)


@functools.cache
def causal_genes() -> dict[str, str]:
    from limkit.studies.genes import load_cases

    return {case.id: case.gene_symbol for case in load_cases(PHENOPACKETS).cases}


def shown_and_causal(request: Request) -> tuple[list[str], str]:
    found = re.search(r"^Candidate genes: (.*)$", prompt_text(request), re.MULTILINE)
    assert found, "no candidate line in the prompt"
    return found.group(1).split(", "), causal_genes()[request.id.split("|")[0]]


def reply(order: list[str]) -> str:
    return json.dumps({"ranking": order})


def oracle(request: Request, sample: int) -> str:
    """Knows the answer: the causal gene first, the rest as shown."""
    shown, causal = shown_and_causal(request)
    return reply(sorted(shown, key=lambda gene: gene != causal))


def first_slot(request: Request, sample: int) -> str:
    """Knows the answer but prefers whatever it was shown first: the first slot, then the causal gene."""
    shown, causal = shown_and_causal(request)
    rest = [gene for gene in shown[1:] if gene != causal]
    return reply([shown[0], *([causal] if causal in shown[1:] else []), *rest])


def sloppy(request: Request, sample: int) -> str:
    """An oracle that invents a gene, repeats one, drops the last shown, and fences its JSON."""
    shown, causal = shown_and_causal(request)
    order = sorted(shown, key=lambda gene: gene != causal)
    return "```json\n" + reply([order[0], "NOTAGENE1", order[0], *order[1:-1]]) + "\n```"


def logged_oracle(request: Request, sample: int) -> str:
    """The oracle, slowed down and logging every ask to $GENES_CALL_LOG (for the kill-and-resume test)."""
    import os
    import time

    with open(os.environ["GENES_CALL_LOG"], "a", encoding="utf-8") as log:
        log.write(request.id + "\n")
    time.sleep(0.02)
    return oracle(request, sample)
