"""The `hf` backend on real tiny models: templates, batching, greedy and seeded sampling, stops, usage."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from tiny_chat import CHAT_PAIRS

from limkit.llm import Completion, CompletionCache, Request, SamplingParams, WorkItem
from limkit.llm._hf import HFGenerator

GREEDY = SamplingParams(max_tokens=24)


def chat(request_id: str, question: str, params: SamplingParams = GREEDY) -> Request:
    return Request(id=request_id, messages=({"role": "user", "content": question},), params=params)


def by_slot(completions: list[Completion]) -> dict[tuple[str, int], Completion]:
    return {(c.request_id, c.sample): c for c in completions}


@pytest.fixture(scope="module")
def chat_gen(chat_model_dir: Path) -> HFGenerator:
    return HFGenerator(str(chat_model_dir), device="cpu", batch_size=8)


@pytest.fixture(scope="module")
def tiny_gen(tiny_model_dir: Path) -> HFGenerator:
    return HFGenerator(str(tiny_model_dir), device="cpu", batch_size=8)


def test_render_applies_the_chat_template(chat_gen: HFGenerator) -> None:
    request = Request(
        id="r", messages=({"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"})
    )
    rendered = chat_gen.render(WorkItem(request, 0, "k"))
    assert (
        rendered
        == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )
    prefixed = Request(id="p", messages=request.messages, assistant_prefix="Wait")
    assert chat_gen.render(WorkItem(prefixed, 0, "k")) == rendered + "Wait"
    assert chat_gen.render(WorkItem(Request(id="raw", prompt="2 + 2 ="), 0, "k")) == "2 + 2 ="


def test_greedy_answers_end_with_stop_and_count_tokens(chat_gen: HFGenerator) -> None:
    tokenizer = chat_gen._tokenizer
    requests = [chat(str(i), question) for i, (question, _) in enumerate(CHAT_PAIRS)]
    done = by_slot(chat_gen.generate_all(requests))
    for request, (_, answer) in zip(requests, CHAT_PAIRS, strict=True):
        completion = done[(request.id, 0)]
        assert completion.text == answer
        assert completion.finish_reason == "stop"
        prompt = chat_gen.render(WorkItem(request, 0, ""))
        assert completion.usage.prompt_tokens == len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
        assert completion.usage.completion_tokens == len(tokenizer(answer + "<|im_end|>")["input_ids"])


def test_max_tokens_cuts_with_length(chat_gen: HFGenerator) -> None:
    (completion,) = chat_gen.generate_all([chat("a", CHAT_PAIRS[0][0], SamplingParams(max_tokens=3))])
    assert completion.finish_reason == "length"
    assert completion.usage.completion_tokens == 3
    assert CHAT_PAIRS[0][1].startswith(completion.text) and completion.text


def test_stop_strings_cut_the_text_before_the_stop(chat_gen: HFGenerator) -> None:
    params = SamplingParams(max_tokens=24, stop=("answer",))
    cut, whole = chat_gen.generate_all(
        [chat("cut", CHAT_PAIRS[0][0], params), chat("whole", CHAT_PAIRS[1][0], params)]
    )
    done = {c.request_id: c for c in (cut, whole)}
    assert done["cut"].text == "The "
    assert done["cut"].finish_reason == "stop"
    assert done["cut"].usage.completion_tokens < len(chat_gen._tokenizer("The answer is 5.")["input_ids"])
    assert done["whole"].text == CHAT_PAIRS[1][1]


def test_batching_does_not_change_greedy_text(chat_model_dir: Path, chat_gen: HFGenerator) -> None:
    questions = [q for q, _ in CHAT_PAIRS] + ["What is 17 times 23? Please reason step by step.", "Hi"]
    requests = [chat(str(i), q) for i, q in enumerate(questions)]
    requests.append(Request(id="raw", prompt="The answer is", params=GREEDY))
    one_by_one = HFGenerator(str(chat_model_dir), device="cpu", batch_size=1)
    batched = by_slot(chat_gen.generate_all(requests))
    assert by_slot(one_by_one.generate_all(requests)) == batched
    assert len({c.text for c in batched.values()}) >= len(CHAT_PAIRS)


def test_sampling_is_repeatable_per_seed_and_independent_of_the_batch(tiny_gen: HFGenerator) -> None:
    params = SamplingParams(n=3, temperature=1.0, top_p=0.9, max_tokens=12, seed=7)
    target = chat("t", "Tell me a number.", params)
    others = [chat(f"o{i}", f"Another question {i}?", params) for i in range(3)]
    alone = by_slot(tiny_gen.generate_all([target]))
    crowded = by_slot(tiny_gen.generate_all([*others, target]))
    assert {k: v for k, v in crowded.items() if k[0] == "t"} == alone
    texts = [alone[("t", sample)].text for sample in range(3)]
    assert len(set(texts)) == 3
    single = tiny_gen.generate_all([chat("t", "Tell me a number.", replace(params, n=1))])
    assert single[0].text == texts[0]
    reseeded = tiny_gen.generate_all([chat("t", "Tell me a number.", replace(params, seed=8))])
    assert {c.text for c in reseeded}.isdisjoint(texts)


def test_cache_answers_a_second_run(chat_model_dir: Path, tmp_path: Path) -> None:
    requests = [chat(str(i), q) for i, (q, _) in enumerate(CHAT_PAIRS)]
    first_gen = HFGenerator(str(chat_model_dir), device="cpu", cache=CompletionCache(tmp_path / "c.sqlite"))
    first = by_slot(first_gen.generate_all(requests))
    second_gen = HFGenerator(str(chat_model_dir), device="cpu", cache=CompletionCache(tmp_path / "c.sqlite"))
    second = second_gen.generate_all(requests)
    assert (first_gen.stats.generated, second_gen.stats.generated, second_gen.stats.cached) == (3, 0, 3)
    assert all(c.cached for c in second)
    assert {k: (c.text, c.finish_reason, c.usage) for k, c in by_slot(second).items()} == {
        k: (c.text, c.finish_reason, c.usage) for k, c in first.items()
    }


def test_every_end_token_of_the_generation_config_ends_a_turn(
    chat_model_dir: Path, chat_gen: HFGenerator, tmp_path: Path
) -> None:
    """Chat models often list several end tokens; one that is not the tokenizer's eos still ends a turn."""
    model_dir = tmp_path / "model"
    shutil.copytree(chat_model_dir, model_dir)
    config = json.loads((model_dir / "generation_config.json").read_text())
    answer = chat_gen._tokenizer(CHAT_PAIRS[0][1])["input_ids"]
    config["eos_token_id"] = [config["eos_token_id"], answer[1]]
    (model_dir / "generation_config.json").write_text(json.dumps(config))
    generator = HFGenerator(str(model_dir), device="cpu")
    (completion,) = generator.generate_all([chat("a", CHAT_PAIRS[0][0])])
    assert (completion.finish_reason, completion.usage.completion_tokens) == ("stop", 2)
    assert completion.text == generator._tokenizer.decode(answer[:2])


def test_a_pad_token_inside_the_text_does_not_end_it(chat_gen: HFGenerator) -> None:
    tokenizer = chat_gen._tokenizer
    words = tokenizer("The answer")["input_ids"]
    tokens = [words[0], tokenizer.pad_token_id, *words[1:]]
    item = WorkItem(chat("a", "q"), 0, "k")
    completion = chat_gen._to_completion(item, 4, tokens, SamplingParams(max_tokens=len(tokens)))
    assert (completion.finish_reason, completion.usage.completion_tokens) == ("length", len(tokens))
    assert completion.text == "The answer"


def test_an_uncached_hub_model_offline_fails_at_once_and_says_to_pass_a_local_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import time

    import transformers  # noqa: F401  (imported before the clock starts: only the loading is timed)

    from limkit.errors import LimkitError

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    started = time.monotonic()
    with pytest.raises(LimkitError, match="pass a local model directory"):
        HFGenerator("limkit-tests/no-such-model")
    assert time.monotonic() - started < 10
