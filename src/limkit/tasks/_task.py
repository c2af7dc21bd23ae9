"""`Task` and `TaskSample`: one object that is data, prompt and grader at once.

Evaluation, curation (difficulty = pass rate) and RL rewards all grade through `Task.grade`, which calls
`limkit.grade` with the task's answer type, so a grader fix reaches all three uses.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from limkit.errors import LimkitError
from limkit.tasks._choices import LETTERS, format_options
from limkit.tasks._spec import PromptTemplate, TaskSpec

if TYPE_CHECKING:
    from limkit.grade import GradeItem, Verdict

_PLACEHOLDER = re.compile(r"(?<![\w\\}^_$])\{([A-Za-z_]\w*)\}")
"""`{name}` as a placeholder; `\\text{name}`, `x^{n}` and `\\frac{a}{b}` are LaTeX, not placeholders."""


@dataclass(frozen=True)
class TaskSample:
    """One problem with its gold answer.

    Attributes:
        id: Unique within the task (the source id, or the 1-based row position when the source has none).
        problem: The problem text (for multiple choice: the stem; options live in `metadata["choices"]`).
        answer: Gold answer as a string (multiple choice: the letter after shuffling).
        answer_type: Grader answer type for this sample; None lets the grader infer it from the gold.
        metadata: Extra source columns (subject, level, unit, choices, ...).
    """

    id: str
    problem: str
    answer: str
    answer_type: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "problem": self.problem,
            "answer": self.answer,
            "answer_type": self.answer_type,
            "metadata": self.metadata,
        }


@dataclass(frozen=True)
class Task:
    """A loaded benchmark: its spec, its samples, and the prompt in force.

    Attributes:
        name: Task name (the registry name, or the file stem for a local file).
        spec: The spec it was loaded from.
        samples: The samples, in source order (first `limit` when limited).
        prompt: The prompt template used by `messages` (the spec's, unless overridden at load time).
        source: Where the rows came from (hub id@revision or file path), for run logs.
        seed: Seed used for option shuffling.
        revision: The hub revision the rows were read at; None when they came from a local file or folder
            (the spec's pin says nothing about a local copy).
    """

    name: str
    spec: TaskSpec
    samples: list[TaskSample]
    prompt: PromptTemplate
    source: str = ""
    seed: int = 0
    revision: str | None = None

    def __len__(self) -> int:
        return len(self.samples)

    def with_prompt(self, prompt: PromptTemplate) -> Task:
        return replace(self, prompt=prompt)

    @property
    def has_choices(self) -> bool:
        """Whether `{choices}` means anything here: some sample carries lettered options."""
        return any(sample.metadata.get("choices") for sample in self.samples)

    def user_prompt(self, sample: TaskSample) -> str:
        """The user turn: the template with `{problem}` and `{choices}` filled in."""
        choices = sample.metadata.get("choices")
        text = self.prompt.user.replace("{problem}", sample.problem)
        return text.replace("{choices}", format_options(choices) if choices else "")

    def messages(self, sample: TaskSample) -> list[dict[str, str]]:
        """System prompt (if any) and user prompt; the backend applies the chat template."""
        messages = []
        if self.prompt.system:
            messages.append({"role": "system", "content": self.prompt.system})
        messages.append({"role": "user", "content": self.user_prompt(sample)})
        return messages

    def grade_item(self, sample: TaskSample, completion: str) -> GradeItem:
        """The grader input for one completion (for batched grading with `limkit.grade.Grader`)."""
        from limkit.grade import GradeItem

        return GradeItem(
            completion, sample.answer, sample.answer_type, self.spec.require_box, choice_letters(sample)
        )

    def grade(self, sample: TaskSample, completion: str, *, timeout: float = 5.0) -> Verdict:
        """Grades one completion (the whole model output; extraction happens inside the grader)."""
        from limkit.grade import grade

        return grade(
            completion, sample.answer, sample.answer_type, require_box=self.spec.require_box, timeout=timeout
        )


def check_user_template(task: Task, *, field: str = "user_template") -> None:
    """Refuses a user template that would not carry each problem to the model.

    A placeholder the task does not fill (`{question}`) would be sent literally to every problem; a
    template without `{problem}` sends every problem the same text; a multiple-choice task whose template
    lacks `{choices}` never shows its options.

    Raises:
        LimkitError: Naming the placeholder and, for a near miss, the one that was meant.
    """
    template = task.prompt.user
    filled = ["problem", "choices"] if task.has_choices else ["problem"]
    for match in _PLACEHOLDER.finditer(template):
        name = match.group(1)
        if name in filled:
            continue
        close = difflib.get_close_matches(name, filled, n=1, cutoff=0.4)
        hint = f"; did you mean {{{close[0]}}}?" if close else ""
        raise LimkitError(
            f"the user template has {{{name}}}, which task {task.name!r} does not fill (it would be sent "
            f"literally); it fills {', '.join('{' + known + '}' for known in filled)}{hint}",
            field=field,
        )
    missing = [name for name in filled if "{" + name + "}" not in template]
    if missing:
        what = "the same prompt for every problem" if missing[0] == "problem" else "no answer options"
        raise LimkitError(
            f"the user template lacks {{{missing[0]}}}: task {task.name!r} would send {what}", field=field
        )


def choice_letters(sample: TaskSample) -> str | None:
    """The letters a multiple-choice sample offers (`ABCDE` for five options), or None without options."""
    choices = sample.metadata.get("choices")
    if isinstance(choices, list | tuple) and 0 < len(choices) <= len(LETTERS):
        return LETTERS[: len(choices)]
    return None
