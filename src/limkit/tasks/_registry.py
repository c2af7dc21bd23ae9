"""The task registry and the built-in benchmarks.

Pins were taken from public evaluation code that loads these exact datasets at a fixed commit; where no
public pin could be found the revision is None and loading from the hub warns (see `PENDING_PINS`).
"""

from __future__ import annotations

from limkit.tasks._medical import MEDICAL_TASKS
from limkit.tasks._olympic import OLYMPIC_TASKS
from limkit.tasks._safety import SAFETY_TASKS
from limkit.tasks._spec import (
    CHOICE_SYSTEM_PROMPT,
    FieldMap,
    PromptTemplate,
    SamplingPreset,
    TaskSpec,
)

TASKS: dict[str, TaskSpec] = {}
"""Registered task specs by name. Use `register_task` to add one."""


def register_task(spec: TaskSpec, *, replace: bool = False) -> TaskSpec:
    """Adds `spec` to `TASKS` under `spec.name`; refuses to shadow an existing name unless `replace`."""
    if not spec.name or "/" in spec.name:
        raise ValueError(f"task name must be non-empty and contain no '/', got {spec.name!r}")
    if spec.name in TASKS and not replace:
        raise ValueError(f"task {spec.name!r} is already registered (pass replace=True to override)")
    TASKS[spec.name] = spec
    return spec


GREEDY = SamplingPreset(n=1, temperature=0.0, top_p=1.0, max_tokens=32768)
# 30-40 problems are too few for one greedy sample to say much; the R1-style protocol samples several.
SAMPLED = SamplingPreset(n=8, temperature=0.6, top_p=0.95, max_tokens=32768)

_OLYMPIAD_TYPES = FieldMap(
    id=("id",),
    problem=("question", "problem"),
    answer=("final_answer", "answer"),
    answer_is_list=True,
    answer_type="answer_type",
    multiple_answers="is_multiple_answer",
    metadata=("subfield", "unit", "answer_type", "is_multiple_answer"),
)

_GPQA_FIELDS = FieldMap(
    id=("id", "Record ID"),
    problem=("question", "Question"),
    answer=("answer", "Correct Answer"),
    choices=("Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3"),
    metadata=("Subdomain", "High-level domain"),
)

BUILTIN_TASKS: tuple[TaskSpec, ...] = (
    TaskSpec(
        name="math500",
        title="MATH-500",
        hub_id="HuggingFaceH4/MATH-500",
        revision="6e4ed1a2a79af7d8630a6b768ec859cb5af4d3be",
        split="test",
        fields=FieldMap(id=("unique_id", "id"), metadata=("subject", "level")),
        preset=GREEDY,
        notes="500 problems; LaTeX answers; answer type inferred per gold.",
    ),
    TaskSpec(
        name="aime24",
        title="AIME 2024",
        hub_id="HuggingFaceH4/aime_2024",
        revision="2fe88a2f1091d5048c0f36abc874fb997b3dd99a",
        split="train",
        answer_type="NV",
        preset=SAMPLED,
        notes="30 problems, integer answers 0-999.",
    ),
    TaskSpec(
        name="aime25",
        title="AIME 2025",
        hub_id="yentinglin/aime_2025",
        revision="6f71d77b0b89b9dabe07ab466c51df33f514df7f",
        split="train",
        answer_type="NV",
        preset=SAMPLED,
        notes="30 problems (I and II), integer answers 0-999.",
    ),
    TaskSpec(
        name="amc23",
        title="AMC 2023",
        hub_id="math-ai/amc23",
        revision="80815d37005feb82cd7f8fbc6901d5d3eff43057",
        split="test",
        fields=FieldMap(problem=("question", "problem")),
        answer_type="NV",
        preset=SAMPLED,
        notes="40 problems; answers stored as floats (27.0) are read as integers (27).",
    ),
    TaskSpec(
        name="olympiadbench",
        title="OlympiadBench",
        hub_id="math-ai/olympiadbench",
        revision="4faaf1e6ec17d11a4218a9bf4c049ecaf954dd84",
        split="test",
        fields=_OLYMPIAD_TYPES,
        preset=GREEDY,
        notes=(
            "Open-ended English competition maths (OE_TO_maths_en_COMP): 674 rows on the hub, 675 in the "
            "Qwen2.5-Math copy; `final_answer` is a list; rows with several answers are graded as MA."
        ),
    ),
    TaskSpec(
        name="minerva_math",
        title="Minerva-Math",
        hub_id="math-ai/minervamath",
        revision="ee46ddc498933b1977577953250ca5c66be64f96",
        split="test",
        preset=GREEDY,
        notes="272 undergraduate science problems; answer type inferred per gold.",
    ),
    TaskSpec(
        name="gpqa_diamond",
        title="GPQA-Diamond",
        hub_id="Idavidrein/gpqa",
        revision=None,
        subset="gpqa_diamond",
        split="train",
        fields=_GPQA_FIELDS,
        prompt=PromptTemplate(system=CHOICE_SYSTEM_PROMPT, user="{problem}\n\n{choices}"),
        answer_type="SC",
        preset=GREEDY,
        notes=(
            "198 questions, 4 options shuffled per question with the task seed and the gold letter "
            "remapped. Hub dataset is gated (set HF_TOKEN). Revision pin pending."
        ),
    ),
    *MEDICAL_TASKS,
)

BUILTIN_TASKS += OLYMPIC_TASKS + SAFETY_TASKS

for _spec in BUILTIN_TASKS:
    register_task(_spec)

PENDING_PINS: tuple[str, ...] = tuple(
    spec.name for spec in BUILTIN_TASKS if spec.revision is None and spec.hub_id is not None
)
"""Built-in hub tasks whose revision is not pinned yet (user-supplied-only tasks have no hub id)."""
