"""The README's promise: retraining a local model in place never returns its old text from the cache."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from fitting import FREE_FORM
from limkit.llm import CompletionCache, Request, SamplingParams, make_generator
from limkit.tasks import DEFAULT_SYSTEM_PROMPT


def _ask(model: Path, cache: Path) -> tuple[str, int]:
    """(the greedy reply to the solver's first free-form question, how many completions were generated)."""
    _, question, _, _ = FREE_FORM[0]
    messages = ({"role": "system", "content": DEFAULT_SYSTEM_PROMPT}, {"role": "user", "content": question})
    request = Request(id="sky", messages=messages, params=SamplingParams(temperature=0.0, max_tokens=24))
    generator = make_generator("hf", str(model), cache=CompletionCache(cache))

    async def collect() -> list[str]:
        return [completion.text async for completion in generator.generate([request])]

    (text,) = asyncio.run(collect())
    return text, generator.stats.generated


def test_retraining_in_place_is_not_served_from_the_cache(
    solver_dir: Path, judge_dir: Path, tmp_path: Path
) -> None:
    model, cache = tmp_path / "model", tmp_path / "cache.sqlite"
    shutil.copytree(solver_dir, model)
    first, generated = _ask(model, cache)
    assert first == f"\\boxed{{{FREE_FORM[0][3]}}}" and generated == 1
    assert _ask(model, cache) == (first, 0), "unchanged weights: the cache answers"
    # "Retrain" in place: new weights of the same shapes (so the same file size) under the same path.
    weights = model / "model.safetensors"
    assert weights.stat().st_size == (judge_dir / "model.safetensors").stat().st_size
    shutil.copyfile(judge_dir / "model.safetensors", weights)
    second, generated = _ask(model, cache)
    assert generated == 1, "the retrained model was answered from the old model's cache rows"
    assert second != first
