"""Structured answers: parsing, re-asking, typed failures, guided fields, and real constrained decoding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import llm_scripts
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from limkit.errors import LimkitError
from limkit.llm import (
    BackendOptions,
    Choice,
    CompletionCache,
    JsonSchema,
    Request,
    SamplingParams,
    cache_key,
    make_generator,
)
from limkit.llm._hf import HFGenerator
from limkit.llm._structured import guided_fields, parse_reply
from serving import FaultProxy

VERDICT = {
    "type": "object",
    "properties": {"verdict": {"enum": ["correct", "wrong"]}, "ok": {"type": "boolean"}},
    "required": ["verdict", "ok"],
    "additionalProperties": False,
}


def ask(request_id: str, spec: Any, max_tokens: int = 16, text: str = "Is 7 prime?") -> Request:
    return Request(
        request_id,
        messages=({"role": "user", "content": text},),
        params=SamplingParams(max_tokens=max_tokens),
        structured=spec,
    )


def test_choice_takes_the_bare_and_the_json_quoted_reply() -> None:
    spec = Choice(("yes", "no"))
    assert parse_reply(spec, " yes\n") == ("yes", None)
    assert parse_reply(spec, '"no"') == ("no", None)
    assert parse_reply(spec, "yes.")[1] == "not one of the choices: 'yes.'"


def test_json_schema_parses_strictly_and_says_where_it_fails() -> None:
    spec = JsonSchema(VERDICT)
    assert parse_reply(spec, '```json\n{"verdict": "wrong", "ok": false}\n```') == (
        {"verdict": "wrong", "ok": False},
        None,
    )
    assert "not valid JSON" in (parse_reply(spec, '{"verdict": "wrong"')[1] or "")
    assert parse_reply(spec, '{"verdict": "maybe", "ok": true}')[1] == (
        "does not match the schema at verdict: 'maybe' is not one of ['correct', 'wrong']"
    )


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"type": "strnig"}, r"not a valid JSON Schema at type: 'strnig' is not valid"),
        (
            {"properties": {"a": {"minimum": "zero"}}},
            r"at properties/a/minimum: 'zero' is not of type 'number'",
        ),
        ({"pattern": "("}, r"not a valid JSON Schema"),
        ("not a schema", r"a JSON Schema must be an object or a boolean"),
    ],
)
def test_an_invalid_schema_is_rejected_up_front(schema: Any, message: str) -> None:
    with pytest.raises(LimkitError, match=message):
        JsonSchema(schema)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (lambda: Choice(()), "at least one non-empty string option"),
        (lambda: Choice(("a", "a")), "must be distinct"),
        (lambda: Choice(("a",), attempts=0), r"attempts must lie in 1\.\.20"),
    ],
)
def test_bad_choices_are_rejected(spec: Any, message: str) -> None:
    with pytest.raises(LimkitError, match=message):
        spec()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
KEYWORDS = st.sampled_from(
    [
        "type",
        "enum",
        "const",
        "properties",
        "required",
        "items",
        "minimum",
        "maxLength",
        "pattern",
        "$ref",
        "anyOf",
        "not",
        "additionalProperties",
        "format",
        "minItems",
    ]
)
SCHEMAS = st.recursive(
    st.dictionaries(KEYWORDS, JSON_VALUES, max_size=3) | st.booleans(),
    lambda inner: st.dictionaries(KEYWORDS, inner | JSON_VALUES, max_size=3),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(schema=SCHEMAS, reply=st.one_of(JSON_VALUES.map(json.dumps), st.text(max_size=30)))
def test_random_schemas_and_replies_never_crash(schema: Any, reply: str) -> None:
    try:
        spec = JsonSchema(schema)
    except LimkitError:
        return
    value, reason = parse_reply(spec, reply)
    assert (reason is None) or (value is None and isinstance(reason, str))
    assert set(guided_fields(spec, "response_format")) == {"response_format"}


def test_guided_fields_per_server_family() -> None:
    choice, schema = Choice(("a.b", "c")), JsonSchema(VERDICT, name="verdict")
    assert guided_fields(choice, "vllm") == {"structured_outputs": {"choice": ["a.b", "c"]}}
    assert guided_fields(schema, "vllm") == {"structured_outputs": {"json": VERDICT}}
    assert guided_fields(choice, "sglang") == {"regex": r"(a\.b|c)"}
    assert guided_fields(schema, "response_format") == {
        "response_format": {"type": "json_schema", "json_schema": {"name": "verdict", "schema": VERDICT}}
    }
    assert guided_fields(choice, "none") == {}


def test_the_cache_key_covers_the_structured_spec() -> None:
    keys = {
        cache_key("m", ask("q", spec), 0)
        for spec in (None, Choice(("a", "b")), Choice(("a", "c")), JsonSchema(VERDICT))
    }
    assert len(keys) == 4


def test_a_wrong_reply_is_asked_again_with_the_reason_and_resumes_from_the_cache(tmp_path: Path) -> None:
    llm_scripts.CALLS.clear()
    cache = tmp_path / "c.sqlite"
    first = make_generator("scripted", "llm_scripts:wrong_then_right", cache=CompletionCache(cache))
    (done,) = first.generate_all([ask("q", Choice(("yes", "no")))])
    assert (done.value, done.attempts, done.ok, done.text) == ("yes", 2, True, "yes")
    assert done.usage.completion_tokens == 2
    assert (first.stats.generated, first.stats.reasked, first.stats.invalid) == (2, 1, 0)
    again = make_generator("scripted", "llm_scripts:wrong_then_right", cache=CompletionCache(cache))
    (replayed,) = again.generate_all([ask("q", Choice(("yes", "no")))])
    assert (replayed.value, replayed.attempts, again.stats.cached, len(llm_scripts.CALLS)) == ("yes", 2, 2, 2)


def test_a_reply_that_never_validates_is_a_typed_failure_not_an_exception() -> None:
    llm_scripts.CALLS.clear()
    generator = make_generator("scripted", "llm_scripts:never_valid")
    done = generator.generate_all([ask("q", JsonSchema(VERDICT, attempts=4)), ask("plain", None)])
    failed = next(c for c in done if c.request_id == "q")
    assert failed.failure is not None and not failed.ok and failed.value is None
    assert (failed.failure.raw, failed.failure.attempts, failed.attempts) == ('{"score": "high"', 4, 4)
    assert failed.failure.reason.startswith("not valid JSON")
    assert failed.usage.completion_tokens == 4 * 2
    assert llm_scripts.CALLS.count("q") == 4 and generator.stats.invalid == 1


@pytest.fixture(scope="module")
def hf_gen(tiny_model_dir: Path) -> HFGenerator:
    return HFGenerator(str(tiny_model_dir), device="cpu", batch_size=4)


def test_hf_decodes_a_choice_under_the_grammar_first_time(hf_gen: HFGenerator) -> None:
    """A random tiny model never says 'yes' or 'no' by itself; under the grammar it must, at once."""
    options = ("yes", "no", "not sure")
    done = hf_gen.generate_all([ask(f"q{i}", Choice(options), text=f"Is {i} prime?") for i in range(6)])
    assert all(c.value in options and c.attempts == 1 for c in done), [c.text for c in done]
    (free,) = hf_gen.generate_all([ask("free", None, max_tokens=6)])
    assert free.text not in options


def test_hf_json_replies_validate_or_fail_typed(hf_gen: HFGenerator) -> None:
    short = [
        ask(f"s{i}", JsonSchema(VERDICT, attempts=2), max_tokens=12, text=f"Judge {i}") for i in range(2)
    ]
    roomy = [ask(f"r{i}", JsonSchema(VERDICT), max_tokens=48, text=f"Judge {i}") for i in range(2)]
    done = {c.request_id: c for c in hf_gen.generate_all(short + roomy)}
    for name in ("r0", "r1"):
        assert done[name].ok and set(done[name].value) == {"verdict", "ok"}, done[name].text
    for name in (
        "s0",
        "s1",
    ):  # 12 tokens cannot hold the object: cut short, re-asked once, then typed failure
        failure = done[name].failure
        assert failure is not None and failure.attempts == 2 and failure.raw.startswith('{"verdict"')


def test_openai_sends_response_format_and_re_asks_a_server_that_ignores_it(
    tiny_model_dir: Path, tiny_server: str
) -> None:
    """`transformers serve` accepts response_format and ignores it: the check-and-re-ask loop must act."""
    with FaultProxy(tiny_server) as proxy:
        options = BackendOptions(base_url=proxy.base_url, concurrency=2, retry_base_delay=0.01)
        generator = make_generator("openai", str(tiny_model_dir), options)
        done = generator.generate_all(
            [
                ask("c", Choice(("yes", "no"), attempts=2), max_tokens=4),
                ask("j", JsonSchema(VERDICT, attempts=2), max_tokens=8),
            ]
        )
    for completion in done:
        assert completion.ok or (completion.failure and completion.failure.attempts == 2)
    assert len(proxy.served) == sum(c.attempts for c in done)
    first = [body for body in proxy.served if len(body["messages"]) == 1]
    assert sorted(body["response_format"]["json_schema"]["name"] for body in first) == ["answer", "choice"]
    reasks = [body for body in proxy.served if len(body["messages"]) == 3]
    assert all("That reply is invalid" in body["messages"][2]["content"] for body in reasks)
