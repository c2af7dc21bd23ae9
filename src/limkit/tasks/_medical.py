"""Medical multiple-choice benchmarks of the O1 Replication Journey part 3 (arXiv 2501.06458).

MedQA (USMLE, 4 options, 1,273 test questions), Medbullets (308 questions, in a 4-option and a 5-option
version; which one part 3 used is not stated) and the JAMA Clinical Challenge (646 cases in part 3's
list). Options are shown in the dataset's order; `--shuffle-options SEED` permutes them for a
position-bias check and `--option-free` hides them (see `ChoiceMode`).

Pins: GBaker/MedQA-USMLE-4-options at 0fb93dd23a7339b6dcd27e241cb9b5eca62d4d18 is the `main` sha quoted
by a public dataset card that loads it with `revision=` (the 2023-01-24 upload). No public code or card
pins a revision of the Medbullets hub mirrors (JesseLiu/medbulltes4op, .../medbulltes5op), so those stay
None and loading them from the hub warns; the canonical files are HanjieChen/ChallengeClinicalQA
`medbullets/medbullets_op{4,5}.json`, read with `--data-dir`. JAMA is not redistributable and is never
fetched.
"""

from __future__ import annotations

from limkit.tasks._spec import FieldMap, PromptTemplate, SamplingPreset, TaskSpec

MEDICAL_CHOICE_PROMPT = PromptTemplate(
    system=(
        "You are answering a clinical question. Work through the case, then put the letter of the single "
        "best option within \\boxed{}."
    ),
    user="{problem}\n\n{choices}",
)
MEDICAL_OPEN_PROMPT = PromptTemplate(
    system=(
        "You are answering a clinical question without answer options. Work through the case, then put "
        "your single final answer (for a diagnosis question, the diagnosis) within \\boxed{}."
    ),
    user="{problem}",
)

MEDICAL_PRESET = SamplingPreset(n=1, temperature=0.0, top_p=1.0, max_tokens=4096)
"""Part 3 reports pass@1 accuracies; its decoding settings were not published."""

_MEDICAL_FIELDS = FieldMap(
    id=("id", "qid"),
    problem=("question",),
    answer=("answer",),
    options=("options",),
    option_columns=("opa", "opb", "opc", "opd", "ope"),
    answer_letter=("answer_idx",),
    metadata=("meta_info", "link", "explanation"),
)
"""MedQA (`options` {A..D}, `answer_idx`), the limkit Medbullets copy (same) and ChallengeClinicalQA's
CSV/JSON layout (`opa`..`ope`, `answer_idx`). Rows without an id take their 1-based position."""

JAMA_OBTAIN = (
    "The JAMA Clinical Challenge cases are copyrighted by JAMA Network and not redistributable, so limkit "
    "never downloads them. To evaluate on them: take part 3's 646 case URLs from github.com/SPIRAL-MED/"
    "Ophiuchus resources/JAMA_test_urls.json (or the 1,524-case list and scraper of github.com/HanjieChen/"
    "ChallengeClinicalQA), fetch the cases you are licensed to use, and save them as DATA_DIR/"
    "jama_clinical.jsonl, one case per line with 'question' (the case text and question), 'options' "
    "({'A': ..., 'D': ...}) or 'opa'..'opd', and 'answer_idx' (the gold letter); then pass --data-dir "
    "DATA_DIR"
)


def _medical_spec(
    name: str, title: str, hub_id: str | None, revision: str | None, notes: str, obtain: str = ""
) -> TaskSpec:
    """A medical multiple-choice spec: the shared layout, prompts and preset, options in dataset order."""
    return TaskSpec(
        name=name,
        title=title,
        hub_id=hub_id,
        revision=revision,
        split="test",
        fields=_MEDICAL_FIELDS,
        prompt=MEDICAL_CHOICE_PROMPT,
        open_prompt=MEDICAL_OPEN_PROMPT,
        answer_type="multiple_choice",
        shuffle_choices=False,
        preset=MEDICAL_PRESET,
        notes=notes,
        obtain=obtain,
    )


MEDICAL_TASKS: tuple[TaskSpec, ...] = (
    _medical_spec(
        "medqa",
        "MedQA (USMLE, 4 options)",
        "GBaker/MedQA-USMLE-4-options",
        "0fb93dd23a7339b6dcd27e241cb9b5eca62d4d18",
        "1,273 test questions; `options` {A..D}, gold letter in `answer_idx`, step in `meta_info`.",
    ),
    _medical_spec(
        "medbullets_op4",
        "Medbullets (4 options)",
        "JesseLiu/medbulltes4op",
        None,
        "308 USMLE step 2/3 style questions from HanjieChen/ChallengeClinicalQA medbullets_op4; hub "
        "mirror revision pin pending (none found in public code or cards).",
    ),
    _medical_spec(
        "medbullets_op5",
        "Medbullets (5 options)",
        "JesseLiu/medbulltes5op",
        None,
        "The same 308 questions with a fifth option (A-E); hub mirror revision pin pending.",
    ),
    _medical_spec(
        "jama_clinical",
        "JAMA Clinical Challenge",
        None,
        None,
        "646 cases in part 3 (4 options); user-supplied file only.",
        obtain=JAMA_OBTAIN,
    ),
)

PAPER_TEST_SIZES = {"jama_clinical": 646, "medbullets_op4": 308, "medqa": 1273}
"""The test sizes part 3's Mean column weights by (JAMA, Medbullets, MedQA)."""
