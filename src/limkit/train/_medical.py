"""The O1 Replication Journey part 3 training preset: 500-sample SFT of three backbones, and its Table 1.

Part 3 (arXiv 2501.06458) fine-tunes Qwen2.5-32B, Qwen2.5-72B (Instruct, per its Fig. 2 caption) and
Llama-3.1-70B on 500 distilled medical problems (MedQA and JAMA) in one output format at a time (CoT,
LongStep or LongMonolog). Its SFT hyperparameters were not published; the recipes in
`recipes/train/medical_sft_*.yaml` use limkit's choices and say so.

Backbone pins, and where each was verified:
- Qwen/Qwen2.5-32B-Instruct @ 5ede1c97bbab6ce5cda5812749b4c0bdf79b18dd: the pin of limkit's LIMO recipe.
- Qwen/Qwen2.5-72B-Instruct @ 495f39366efef23836d0cfae4fbe635880d2be31: a public preflight report that
  links the model card's tree at that commit and loads the tokenizer from it.
- meta-llama/Llama-3.1-70B-Instruct @ 1605565b47bb9346c5515c34102e054115b4f98b: named as the exact
  snapshot in a public project's model registry plans (the repo is gated: accept Meta's licence first).

`PART3_TABLE1` is the published Table 1 (accuracy %, per dataset, and the Mean column), from the paper
notes; `weighted_mean` recomputes a Mean from the three accuracies weighted by test size.
"""

from __future__ import annotations

from dataclasses import dataclass

MEDICAL_SFT_SAMPLES = 500

MEDICAL_BACKBONES: dict[str, tuple[str, str]] = {
    "qwen32b": ("Qwen/Qwen2.5-32B-Instruct", "5ede1c97bbab6ce5cda5812749b4c0bdf79b18dd"),
    "qwen72b": ("Qwen/Qwen2.5-72B-Instruct", "495f39366efef23836d0cfae4fbe635880d2be31"),
    "llama70b": ("meta-llama/Llama-3.1-70B-Instruct", "1605565b47bb9346c5515c34102e054115b4f98b"),
}
"""Recipe suffix -> (hub id, pinned revision) of the backbones part 3 fine-tunes."""

TEST_SIZES = (646, 308, 1273)
"""(JAMA, Medbullets, MedQA) test sizes that part 3's Mean column weights by."""


@dataclass(frozen=True)
class TableRow:
    """One row of part 3's Table 1: accuracies in % (Mean, JAMA, Medbullets, MedQA)."""

    model: str
    mean: float
    jama: float
    medbullets: float
    medqa: float


def weighted_mean(
    jama: float, medbullets: float, medqa: float, sizes: tuple[int, int, int] = TEST_SIZES
) -> float:
    """The test-size-weighted mean accuracy over the three datasets (what Table 1's Mean column holds)."""
    return (jama * sizes[0] + medbullets * sizes[1] + medqa * sizes[2]) / sum(sizes)


PART3_TABLE1: tuple[TableRow, ...] = tuple(
    TableRow(*row)
    for row in (
        ("GPT-4o", 80.01, 63.77, 77.92, 88.76),
        ("GPT-4o Vanilla CoT", 81.83, 63.77, 81.68, 91.04),
        ("o1-mini", 77.45, 50.00, 80.51, 90.65),
        ("o1-preview", 87.95, 73.21, 89.28, 95.12),
        ("Qwen2.5-7B", 51.23, 42.41, 46.75, 56.79),
        ("Qwen2.5-7B Vanilla CoT", 49.61, 40.40, 46.42, 55.06),
        ("InternLM2.5-7B", 45.84, 39.78, 43.18, 49.56),
        ("InternLM2.5-7B Vanilla CoT", 42.47, 34.05, 38.63, 48.15),
        ("Llama3.1-8B", 55.71, 46.67, 49.43, 61.82),
        ("InternLM2.5-20B", 51.90, 43.34, 49.02, 56.95),
        ("InternLM2.5-20B Vanilla CoT", 51.18, 42.41, 46.01, 56.87),
        ("Qwen2.5-32B", 64.20, 49.84, 59.74, 72.58),
        ("Qwen2.5-32B Vanilla CoT", 65.86, 50.92, 61.68, 74.46),
        ("Llama3.1-70B", 71.39, 59.59, 67.85, 78.24),
        ("Llama3.1-70B Vanilla CoT", 73.59, 57.27, 66.55, 83.11),
        ("Qwen2.5-72B", 65.82, 50.15, 63.63, 74.31),
        ("Qwen2.5-72B Vanilla CoT", 69.10, 50.15, 65.58, 79.57),
        ("Qwen2.5-32B CoT-SFT", 67.13, 52.16, 61.03, 76.19),
        ("Llama3.1-70B CoT-SFT", 74.48, 56.03, 72.07, 84.44),
        ("Qwen2.5-72B CoT-SFT", 70.94, 53.09, 67.20, 80.91),
        ("Qwen2.5-32B LongStep", 70.08, 56.34, 66.23, 78.00),
        ("Qwen2.5-32B LongMonolog", 70.23, 53.71, 68.50, 79.02),
        ("Llama3.1-70B LongStep", 76.59, 60.21, 74.67, 85.38),
        ("Llama3.1-70B LongMonolog", 77.36, 59.44, 77.27, 86.48),
        ("Qwen2.5-72B LongStep", 75.51, 58.66, 72.07, 84.91),
        ("Qwen2.5-72B LongMonolog", 77.18, 59.28, 76.29, 86.48),
    )
)

NON_RECOMPUTING_ROWS = ("InternLM2.5-7B Vanilla CoT", "Llama3.1-70B Vanilla CoT")
"""The two published Means that the per-dataset accuracies do not give (42.74 and 73.32 recompute)."""
