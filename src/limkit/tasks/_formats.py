"""Output formats as protocols: direct answer, CoT, LongStep and LongMonolog.

O1 Replication Journey part 3 (arXiv 2501.06458) controls inference-time compute through the format a
model answers in: Vanilla (direct answer) -> CoT -> LongStep (long, detailed numbered steps) ->
LongMonolog (a long reflective inner monologue, then the answer). Each format here is two things that
must agree: the system prompt an evaluation sends (`prompt`), and the shape of an SFT target that
teaches it (`sft_example`), so a model trained on one format is evaluated in the same one. The
wording is limkit's own; the paper's prompts were not published.

Every format ends with the answer in `\\boxed{}` so the one grader reads all four alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from limkit.errors import LimkitError
from limkit.tasks._spec import PromptTemplate

THINK_OPEN = "<think>\n"
THINK_CLOSE = "\n</think>"


@dataclass(frozen=True)
class OutputFormat:
    """One answer format: what the model is told to produce, and what its SFT targets look like.

    Attributes:
        name: Registry name (`--format NAME`).
        title: Name used in reports (the paper's: Vanilla, CoT, LongStep, LongMonolog).
        instruction: The system prompt's body; `{answer}` becomes "the letter of the single best
            option" with options shown and "your final answer" without.
        reasoning: Whether the target holds reasoning before the answer (False for direct).
    """

    name: str
    title: str
    instruction: str
    reasoning: bool = True

    def system(self, option_free: bool = False) -> str:
        what = "your single final answer" if option_free else "the letter of the single best option"
        return self.instruction.replace("{answer}", what)

    def prompt(self, base: PromptTemplate, option_free: bool = False) -> PromptTemplate:
        """The task's user template with this format's system prompt."""
        return PromptTemplate(system=self.system(option_free), user=base.user)

    def target(self, answer: str, reasoning: str | Sequence[str] = "") -> str:
        """The assistant turn an SFT example trains on (see the module docstring for each shape)."""
        boxed = f"The answer is \\boxed{{{answer.strip()}}}."
        if not self.reasoning:
            return boxed
        if isinstance(reasoning, str):
            reasoning = [reasoning] if self.name != "longstep" else _split_steps(reasoning)
        parts = [part.strip() for part in reasoning if part.strip()]
        if not parts:
            raise LimkitError(f"the {self.title} format needs reasoning before the answer", field="reasoning")
        if self.name == "longstep":
            body = "\n".join(f"Step {index}: {part}" for index, part in enumerate(parts, start=1))
        elif self.name == "longmonolog":
            return f"{THINK_OPEN}{chr(10).join(parts)}{THINK_CLOSE}\n\n{boxed}"
        else:
            body = "\n".join(parts)
        return f"{body}\n\n{boxed}"

    def sft_example(
        self,
        question: str,
        answer: str,
        reasoning: str | Sequence[str] = "",
        *,
        option_free: bool = False,
    ) -> dict[str, Any]:
        """A `{"messages": [...]}` row (what `limkit train sft` reads) in this format.

        Args:
            question: The user turn as the evaluation sends it (stem plus lettered options, or the
                open question in option-free mode).
            answer: The gold letter (or the answer text in option-free mode).
            reasoning: The reasoning text, or its steps; LongStep numbers the steps (a string is split
                at blank lines or at existing "Step N:" / "N." prefixes).
            option_free: Use the option-free system prompt.
        """
        return {
            "messages": [
                {"role": "system", "content": self.system(option_free)},
                {"role": "user", "content": question},
                {"role": "assistant", "content": self.target(answer, reasoning)},
            ],
            "format": self.name,
        }


def _split_steps(text: str) -> list[str]:
    import re

    pieces = re.split(r"\n\s*\n|\n(?=\s*(?:Step\s+\d+\s*[:.]|\d+[.)]\s))", text.strip())
    return [re.sub(r"^\s*(?:Step\s+\d+\s*[:.]|\d+[.)])\s*", "", piece).strip() for piece in pieces]


OUTPUT_FORMATS: dict[str, OutputFormat] = {
    fmt.name: fmt
    for fmt in (
        OutputFormat(
            "direct",
            "Vanilla",
            "Answer the clinical question with no explanation: reply only with {answer} within \\boxed{}.",
            reasoning=False,
        ),
        OutputFormat(
            "cot",
            "CoT",
            "Think through the clinical question step by step in a short paragraph, then give {answer} "
            "within \\boxed{}.",
        ),
        OutputFormat(
            "longstep",
            "LongStep",
            "Solve the clinical question in many small, explicit steps, one per line as 'Step 1:', "
            "'Step 2:', ...: restate the key findings, reason from them to the candidate answers, check "
            "each against the evidence, and only then give {answer} within \\boxed{}.",
        ),
        OutputFormat(
            "longmonolog",
            "LongMonolog",
            "Before answering, think at length inside <think> and </think> as an inner monologue: "
            "gather the findings, propose possible explanations, question them ('wait, does that fit?'), "
            "rule candidates in or out, and correct yourself when something does not fit. After "
            "</think>, give {answer} within \\boxed{}.",
        ),
    )
}
"""The four formats of part 3, from the shortest outputs to the longest."""


def output_format(name: str) -> OutputFormat:
    """The format called `name`, or an error listing the known ones."""
    try:
        return OUTPUT_FORMATS[name]
    except KeyError:
        raise LimkitError(
            f"unknown output format {name!r}; known: {', '.join(OUTPUT_FORMATS)}", field="format"
        ) from None
