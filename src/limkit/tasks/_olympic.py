"""OlympicArena (Huang et al., 2024): one task per subject, the released val split, text-only by default.

Rows carry `answer` (a list), `answer_type` (an OlympicArena code: SC, MC, TF, NV, SET, IN, EX, EQ, TUP,
MPV, MA, OT) and, for multi-part answers, `type_sequence`. limkit's grader reads the code directly
(SC -> multiple_choice, MC -> multiple_select, NV -> number, ..., MPV -> ordered_answers, MA ->
multiple_answers, OT -> free_form for the LLM judge); the list is joined with ", ". The raw list and
type sequence stay in the sample's metadata, so `limkit eval compare-judges` can grade the same outputs
with the upstream judger's behaviour (`limkit.grade.olympicarena_compat`).

The test split's answers are hidden (graded by the authors' submission platform), so only val is
registered. CS (code generation graded by test cases) is not a grader task here and is left out. Rows
with figures (`modality` multi-modal) are dropped by the text-only filter; pass a local file to keep them.
"""

from __future__ import annotations

from limkit.tasks._spec import FieldMap, PromptTemplate, SamplingPreset, TaskSpec

OLYMPIC_SUBJECTS = ("Math", "Physics", "Chemistry", "Biology", "Geography", "Astronomy")
OLYMPIC_HUB_ID = "GAIR/OlympicArena"
OLYMPIC_SYSTEM_PROMPT = (
    "You are a skilled science student taking a competition. Reason step by step, and put your final "
    "answer within \\boxed{}."
)

OLYMPIC_FIELDS = FieldMap(
    id=("id",),
    problem=("prompt", "problem"),
    answer=("answer",),
    answer_is_list=True,
    answer_type="answer_type",
    metadata=("answer", "answer_type", "type_sequence", "unit", "subject", "language", "modality"),
)


def _spec(subject: str) -> TaskSpec:
    return TaskSpec(
        name="olympicarena" if subject == "Math" else f"olympicarena_{subject.lower()}",
        title=f"OlympicArena {subject} (val, text-only)",
        hub_id=OLYMPIC_HUB_ID,
        revision=None,
        subset=subject,
        split="val",
        fields=OLYMPIC_FIELDS,
        prompt=PromptTemplate(system=OLYMPIC_SYSTEM_PROMPT, user="{problem}"),
        preset=SamplingPreset(n=1, temperature=0.0, top_p=1.0, max_tokens=2048),
        notes=(
            f"GAIR/OlympicArena config {subject}, split val, text-only rows; answer types per row. Hub "
            "revision pin pending: no public code or card names one (checked)."
        ),
        keep=(("modality", "text-only"),),
    )


OLYMPIC_TASKS: tuple[TaskSpec, ...] = tuple(_spec(subject) for subject in OLYMPIC_SUBJECTS)
