"""Budget forcing on a real tiny model: "Wait" exactly k times, a hard stop at the cap, on hf and openai.

A random tiny model never writes `</think>`, so most tests here declare characters it does write
(newline, space, common letters) as end-of-thinking markers: every round then ends quickly in an attempt
to end thinking, which is exactly the mechanism under test. One test uses the fitted thinker
(tests/fitting.py), which writes the real `</think>` marker and then a boxed answer.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from limkit.eval import (
    BudgetForcing,
    ChatRenderer,
    ForcingSlot,
    TemplateRenderer,
    cut_at_markers,
    force_budget,
)
from limkit.llm import BackendOptions, CompletionCache, Generator, SamplingParams, WorkItem, make_generator

MARKERS = ("\n", " ", "e", "o", "n", ".", "i", "t", "a")


def _slots(budget: int, count: int = 3, temperature: float = 0.0) -> list[ForcingSlot]:
    params = SamplingParams(temperature=temperature, seed=7)
    return [
        ForcingSlot(f"q{i}", ({"role": "user", "content": f"What is {i} + {i}?"},), params, budget)
        for i in range(count)
    ]


@pytest.fixture()
def hf_generator(tiny_model_dir: Path, tmp_path: Path) -> Generator:
    return make_generator("hf", str(tiny_model_dir), cache=CompletionCache(tmp_path / "cache.sqlite"))


def _wait_count(text: str, forcing: BudgetForcing) -> int:
    thinking = text[len(forcing.think_start) :].split(forcing.think_end[0] + forcing.answer_prompt, 1)[0]
    return thinking.count(forcing.wait)


def test_wait_is_appended_exactly_k_times(hf_generator: Generator) -> None:
    forcing = BudgetForcing(max_thinking_tokens=400, num_waits=3, think_end=MARKERS, max_answer_tokens=4)
    results = asyncio.run(force_budget(hf_generator, ChatRenderer(), _slots(400), forcing))
    assert len(results) == 3
    for result in results.values():
        assert not result.capped, "a round should end at a marker long before 400 tokens"
        assert result.waits == 3 and result.rounds == 4
        assert _wait_count(result.text, forcing) == 3
        assert result.text.startswith("<think>\n")
        assert forcing.think_end[0] + forcing.answer_prompt in result.text
        assert 0 < result.thinking_tokens < 400 and result.answer_tokens <= 4
        assert result.completion_tokens == result.thinking_tokens + result.answer_tokens


def test_thinking_stops_at_the_cap(hf_generator: Generator) -> None:
    forcing = BudgetForcing(max_thinking_tokens=6, num_waits=1000, think_end=MARKERS, max_answer_tokens=3)
    results = asyncio.run(force_budget(hf_generator, ChatRenderer(), _slots(6, temperature=0.9), forcing))
    for result in results.values():
        assert result.capped
        assert result.thinking_tokens == 6, "the rounds' max_tokens must add up to the budget exactly"
        assert result.waits == result.rounds - 1 < 1000
        assert _wait_count(result.text, forcing) == result.waits


def test_min_thinking_suppresses_early_ends(hf_generator: Generator) -> None:
    forcing = BudgetForcing(
        max_thinking_tokens=200, min_thinking_tokens=8, num_waits=0, think_end=MARKERS, max_answer_tokens=2
    )
    results = asyncio.run(force_budget(hf_generator, ChatRenderer(), _slots(200), forcing))
    for result in results.values():
        assert result.thinking_tokens >= 8
        assert result.waits >= 1  # every round ends within a few tokens, so the first end was suppressed


def test_forcing_resumes_from_the_cache(tiny_model_dir: Path, tmp_path: Path) -> None:
    forcing = BudgetForcing(max_thinking_tokens=30, num_waits=2, think_end=MARKERS, max_answer_tokens=3)
    first = make_generator("hf", str(tiny_model_dir), cache=CompletionCache(tmp_path / "c.sqlite"))
    done = asyncio.run(force_budget(first, ChatRenderer(), _slots(30), forcing))
    again = make_generator("hf", str(tiny_model_dir), cache=CompletionCache(tmp_path / "c.sqlite"))
    redone = asyncio.run(force_budget(again, ChatRenderer(), _slots(30), forcing))
    assert again.stats.generated == 0 and again.stats.cached == first.stats.generated
    assert {k: v.text for k, v in redone.items()} == {k: v.text for k, v in done.items()}


def test_openai_backend_with_local_template(tiny_model_dir: Path, tiny_server: str, tmp_path: Path) -> None:
    """Budget forcing through `transformers serve`: chat template rendered locally, raw /v1/completions."""
    renderer = TemplateRenderer(str(tiny_model_dir))
    hf = make_generator("hf", str(tiny_model_dir))
    messages = ({"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2 + 2?"})
    request = ChatRenderer().request("x", messages, "<think>\nWait", SamplingParams())
    assert renderer.render(messages) + "<think>\nWait" == hf.render(WorkItem(request, 0, "k"))  # type: ignore[attr-defined]

    generator = make_generator(
        "openai",
        str(tiny_model_dir),
        BackendOptions(base_url=tiny_server, concurrency=4),
        CompletionCache(tmp_path / "cache.sqlite"),
    )
    forcing = BudgetForcing(max_thinking_tokens=300, num_waits=2, think_end=MARKERS, max_answer_tokens=3)
    results = asyncio.run(force_budget(generator, renderer, _slots(300, count=2), forcing))
    for result in results.values():
        assert result.waits == 2 and result.rounds == 3 and not result.capped
        assert _wait_count(result.text, forcing) == 2
        assert result.prompt_tokens > 0 and result.thinking_tokens > 0
    capped = BudgetForcing(max_thinking_tokens=5, num_waits=1000, think_end=MARKERS, max_answer_tokens=2)
    results = asyncio.run(force_budget(generator, renderer, _slots(5, count=2), capped))
    assert all(r.capped and r.thinking_tokens == 5 for r in results.values())


def test_a_round_that_spends_no_token_ends_thinking() -> None:
    """Suppression needs progress: a backend reporting an empty round must not loop for ever."""
    from limkit.eval._budget import ForcedCompletion, _advance
    from limkit.llm import Completion, Usage

    forcing = BudgetForcing(max_thinking_tokens=50, num_waits=5, think_end=("</think>",))
    (slot,) = _slots(50, count=1)
    state = ForcedCompletion(slot.key)
    _advance(state, Completion("q0|think0", 0, "so</think>", "stop", Usage(9, 3)), slot, forcing)
    assert (state.waits, state.thinking, state.thinking_over) == (1, "soWait", False)
    _advance(state, Completion("q0|think1", 0, "", "stop", Usage(9, 0)), slot, forcing)
    assert (state.waits, state.rounds, state.thinking_over, state.capped) == (1, 2, True, False)


def test_markers_are_cut_client_side() -> None:
    assert cut_at_markers("abc</think>tail", ("</think>",)) == ("abc", True)
    assert cut_at_markers("a\nb e", ("e", "\n")) == ("a", True)
    assert cut_at_markers("plain", ("</think>",)) == ("plain", False)


@pytest.mark.parametrize("waits", [0, 2])
def test_a_model_that_writes_the_real_marker_is_forced_k_times(thinker_dir: Path, waits: int) -> None:
    """The fitted thinker ends every round with `</think>` itself (the default marker): each end but the
    last k is suppressed with "Wait", and the answer after the closed turn is its boxed answer."""
    from fitting import THINK_QUESTIONS, thinking_step
    from limkit.grade import grade

    generator = make_generator("hf", str(thinker_dir))
    forcing = BudgetForcing(max_thinking_tokens=200, num_waits=waits, max_answer_tokens=8)
    slots = [
        ForcingSlot(f"q{i}", ({"role": "user", "content": q},), SamplingParams(temperature=0.0, seed=7), 200)
        for i, (q, _) in enumerate(THINK_QUESTIONS)
    ]
    results = asyncio.run(force_budget(generator, ChatRenderer(), slots, forcing))
    for index, (question, answer) in enumerate(THINK_QUESTIONS):
        result = results[f"q{index}"]
        step = thinking_step(question, answer)
        thinking = "Wait".join([step] * (waits + 1))
        assert result.text == f"<think>\n{thinking}</think>\n\nFinal Answer: \\boxed{{{answer}}}", result.text
        assert (result.waits, result.rounds, result.capped) == (waits, waits + 1, False)
        assert grade(result.text, answer).correct
