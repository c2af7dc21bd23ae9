"""What a task is made of: where its rows come from, how their fields map, how it is prompted and sampled.

A `TaskSpec` is plain data (frozen dataclasses all the way down), so a run can record which revision,
prompt and answer type produced its numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_SYSTEM_PROMPT = "Please reason step by step, and put your final answer within \\boxed{}."
"""The LIMO / Qwen2.5-Math default system prompt."""

CHOICE_SYSTEM_PROMPT = (
    "Please reason step by step, and put the letter of your final choice (A, B, C or D) within \\boxed{}."
)

OPEN_SYSTEM_PROMPT = (
    "Please reason step by step, and put your final answer (a short phrase, not an option letter) within "
    "\\boxed{}."
)
"""Option-free mode: the options are hidden, so the model must name the answer itself."""


@dataclass(frozen=True)
class FieldMap:
    """Which columns of a source row hold the id, problem and answer.

    Each entry lists candidate column names; the first one present in a row wins. That lets one spec read
    both the hub layout and the common local copies (e.g. AMC 2023 has `question` on the hub and both
    `problem` and `question` in the LIMO copy).

    Attributes:
        id: Candidate id columns. When none is present the 1-based row position becomes the id.
        problem: Candidate problem-text columns (required).
        answer: Candidate gold-answer columns (required).
        answer_is_list: The answer is a list (or a string holding a Python list, as in OlympiadBench's
            `final_answer`); its items are joined with ", ".
        answer_type: Optional column with a per-row answer type (OlympiadBench's `answer_type`).
        multiple_answers: Optional boolean column marking rows whose gold holds several answers.
        choices: Columns holding multiple-choice options, correct option first (GPQA's hub layout:
            `Correct Answer`, `Incorrect Answer 1..3`). When these columns are absent and the spec is a
            multiple-choice task, the options are parsed from the problem text instead.
        options: Candidate columns holding all options at once, as a {letter: text} mapping or a list in
            presented order (MedQA's and Medbullets' `options`).
        option_columns: One column per option in presented order (ChallengeClinicalQA's `opa`..`ope`).
        answer_letter: Candidate columns holding the gold option's letter (`answer_idx`); without one the
            gold is the option whose text equals the `answer` column.
        metadata: Columns copied into `TaskSample.metadata` when present.
        answer_rule: Derive the gold from the row instead of reading `answer` (see `tasks._safety`):
            `xstest` (refusal for `contrast_*` types, else compliance) or `refusal` (every row).
    """

    id: tuple[str, ...] = ("id", "unique_id")
    problem: tuple[str, ...] = ("problem", "question")
    answer: tuple[str, ...] = ("answer",)
    answer_is_list: bool = False
    answer_type: str | None = None
    multiple_answers: str | None = None
    choices: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    option_columns: tuple[str, ...] = ()
    answer_letter: tuple[str, ...] = ()
    metadata: tuple[str, ...] = ()
    answer_rule: str | None = None

    @classmethod
    def from_user(cls, mapping: dict[str, Any]) -> FieldMap:
        """Builds a map from a user dict such as `{"id": "qid", "problem": "text", "answer": "gold"}`."""
        known = {"id", "problem", "answer", "answer_type", "metadata"}
        unknown = set(mapping) - known
        if unknown:
            raise ValueError(f"unknown field-map keys {sorted(unknown)}; use {sorted(known)}")
        kwargs: dict[str, Any] = {}
        for key in ("id", "problem", "answer"):
            if key in mapping:
                value = mapping[key]
                kwargs[key] = (value,) if isinstance(value, str) else tuple(value)
        if "answer_type" in mapping:
            kwargs["answer_type"] = mapping["answer_type"]
        if "metadata" in mapping:
            kwargs["metadata"] = tuple(mapping["metadata"])
        return cls(**kwargs)


@dataclass(frozen=True)
class PromptTemplate:
    """How a sample becomes chat messages. The backend applies the model's chat template afterwards.

    `user` may contain the placeholders `{problem}` and `{choices}` (the lettered options of a
    multiple-choice sample). Only those two are substituted, so LaTeX braces such as `\\boxed{}` are safe
    in templates. A `system` of None sends no system message.
    """

    system: str | None = DEFAULT_SYSTEM_PROMPT
    user: str = "{problem}"


@dataclass(frozen=True)
class SamplingPreset:
    """A task's default sampling protocol; command-line flags override it field by field."""

    n: int = 1
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 32768


@dataclass(frozen=True)
class TaskSpec:
    """Everything needed to load, prompt and grade one benchmark.

    Attributes:
        name: Registry name (also the `DIR/<name>.jsonl` file name read with `--data-dir`).
        title: Human-readable name for reports.
        hub_id: Public Hugging Face dataset id (or a local dataset folder) loaded with `datasets`.
        revision: Pinned dataset commit (40 hex digits). None means the pin is still pending: loading
            from the hub then warns that the data may change under you.
        subset: Dataset configuration name, if any.
        split: Dataset split.
        fields: Column mapping.
        prompt: Default prompt.
        answer_type: Grader answer type for every sample (OlympicArena code or descriptive name); None
            lets the grader infer it from the gold. A per-row `fields.answer_type` column takes priority.
        require_box: Demand a `\\boxed{}` answer when grading.
        preset: Default sampling protocol.
        notes: Where the pin or layout comes from, shown in docs and reports.
        shuffle_choices: Shuffle multiple-choice options with the task seed by default (GPQA, whose
            common copy puts the gold first). False presents them as the dataset orders them; the
            `shuffle_options` load option still shuffles them for a position-bias check.
        open_prompt: The prompt of option-free mode (options hidden, the gold option's text graded by
            the judge); None sends `OPEN_SYSTEM_PROMPT` and the bare question.
        obtain: For data limkit must not download (a licence forbids it): how the user gets a copy and
            where to put it. Loading without that copy fails with this text.
        keep: (column, value) pairs a source row must match to become a sample (e.g. OlympicArena's
            text-only filter); rows without the column are kept.
    """

    name: str
    title: str = ""
    hub_id: str | None = None
    revision: str | None = None
    subset: str | None = None
    split: str = "test"
    fields: FieldMap = field(default_factory=FieldMap)
    prompt: PromptTemplate = field(default_factory=PromptTemplate)
    answer_type: str | None = None
    require_box: bool = False
    preset: SamplingPreset = field(default_factory=SamplingPreset)
    notes: str = ""
    shuffle_choices: bool = True
    open_prompt: PromptTemplate | None = None
    obtain: str = ""

    @property
    def option_free_prompt(self) -> PromptTemplate:
        return self.open_prompt or PromptTemplate(system=OPEN_SYSTEM_PROMPT, user="{problem}")

    keep: tuple[tuple[str, str], ...] = ()

    @property
    def is_multiple_choice(self) -> bool:
        return self.answer_type in {"SC", "MC", "multiple_choice", "single_choice"}
