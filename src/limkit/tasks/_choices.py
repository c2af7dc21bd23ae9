"""Multiple-choice options: parsing them out of question text, and a seeded shuffle that remaps the gold.

The common GPQA-Diamond copy lists the correct option first in every row (gold `A` in all 198), so a model
biased toward `A` would look clever. Each question's options are permuted with a generator seeded by the
task seed and the question id, so the order is the same on every run and independent of `--limit`.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

LETTERS = "ABCDEFGHIJ"

_TRAILING_INSTRUCTION = re.compile(r"\n\s*Please reason[^\n]*\s*$")
_WHICH_OF = re.compile(r"\b([Ww])hich of the following(?: options| choices| answers)? (is|are)\b")


@dataclass(frozen=True)
class ChoiceMode:
    """How a multiple-choice task presents its options.

    Attributes:
        shuffle_options: Permute every question's options with this seed (gold remapped); None keeps the
            dataset's order unless the task always shuffles (`TaskSpec.shuffle_choices`).
        option_free: Hide the options: the question becomes open-ended and its gold is the correct
            option's text, graded by the LLM judge (answer type OT).
    """

    shuffle_options: int | None = None
    option_free: bool = False

    def shuffle_seed(self, task_shuffles: bool, task_seed: int) -> int | None:
        if self.shuffle_options is not None:
            return self.shuffle_options
        return task_seed if task_shuffles else None


@dataclass(frozen=True)
class ChoiceQuestion:
    """A question stem, its options in presented order, and the index of the correct option."""

    stem: str
    options: tuple[str, ...]
    gold: int

    @property
    def gold_letter(self) -> str:
        return LETTERS[self.gold]

    @property
    def gold_text(self) -> str:
        return self.options[self.gold]

    @property
    def open_stem(self) -> str:
        """The stem asked without options: "Which of the following is the most likely diagnosis?" reads
        "What is the most likely diagnosis?"."""
        return _WHICH_OF.sub(
            lambda match: f"{'W' if match.group(1) == 'W' else 'w'}hat {match.group(2)}", self.stem
        )

    def shuffled(self, seed: int, key: str) -> ChoiceQuestion:
        order = list(range(len(self.options)))
        random.Random(f"limkit-choices:{seed}:{key}").shuffle(order)
        return ChoiceQuestion(self.stem, tuple(self.options[i] for i in order), order.index(self.gold))


def parse_options(text: str, count: int = 4) -> tuple[str, tuple[str, ...]] | None:
    """Splits "stem ... \\nA. x\\nB. y\\nC. z\\nD. w [instruction]" into the stem and the option texts.

    The last run of lettered lines A., B., ... wins, so a stem that itself mentions "A." early is kept
    whole; a trailing "Please reason ..." instruction is dropped because the task's template supplies its
    own. Returns None when the text holds no complete lettered list.
    """
    body = _TRAILING_INSTRUCTION.sub("", text)
    starts: list[int] = []
    search_to = len(body)
    for letter in reversed(LETTERS[:count]):
        position = body.rfind(f"\n{letter}. ", 0, search_to)
        if position < 0:
            return None
        starts.append(position)
        search_to = position
    starts.reverse()
    bounds = [*starts, len(body)]
    options = tuple(body[bounds[i] + 4 : bounds[i + 1]].strip() for i in range(count))
    stem = body[: starts[0]].strip()
    if not stem or not all(options):
        return None
    return stem, options


def format_options(options: tuple[str, ...] | list[str]) -> str:
    return "\n".join(f"{LETTERS[index]}. {option}" for index, option in enumerate(options))
