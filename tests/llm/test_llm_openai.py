"""The `openai` backend against a real `transformers serve`, behind a fault-injecting proxy of our own."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from limkit.errors import LimkitError
from limkit.llm import (
    BackendOptions,
    Completion,
    CompletionCache,
    Generator,
    Request,
    SamplingParams,
    make_generator,
)
from serving import FaultProxy, every, free_port


@pytest.fixture(scope="module")
def model(tiny_model_dir: Path) -> str:
    return str(tiny_model_dir)


def openai_gen(
    model: str, url: str | list[str], cache: CompletionCache | None = None, **options: Any
) -> Generator:
    settings = {"concurrency": 4, "max_retries": 6, "retry_base_delay": 0.01, **options}
    urls = url if isinstance(url, str) else tuple(url)
    return make_generator("openai", model, BackendOptions(base_url=urls, **settings), cache)


def prompts(count: int, params: SamplingParams | None = None) -> list[Request]:
    params = params or SamplingParams(max_tokens=8)
    return [Request(id=f"p{i}", prompt=f"{i} + {i} = {2 * i}. So", params=params) for i in range(count)]


def by_slot(completions: list[Completion]) -> dict[tuple[str, int], Completion]:
    slots = {(c.request_id, c.sample): c for c in completions}
    assert len(slots) == len(completions), "a sample came back twice"
    return slots


def test_chat_and_completions_keep_usage_and_finish_reason(model: str, tiny_server: str) -> None:
    chat = Request(
        id="chat",
        messages=({"role": "user", "content": "What is 2 + 3?"},),
        params=SamplingParams(max_tokens=5),
    )
    raw = Request(
        id="raw", prompt="The answer is", params=SamplingParams(max_tokens=12, stop=(" is is",), seed=9)
    )
    with FaultProxy(tiny_server) as proxy:
        done = {c.request_id: c for c in openai_gen(model, proxy.base_url).generate_all([chat, raw])}
    assert (done["chat"].finish_reason, done["chat"].usage.completion_tokens) == ("length", 5)
    assert done["chat"].usage.prompt_tokens > 5
    assert done["raw"].finish_reason == "stop"
    assert 0 < done["raw"].usage.completion_tokens < 12
    bodies = {("messages" in body, body["seed"], body["n"]) for body in proxy.served}
    assert bodies == {(True, 0, 1), (False, 9, 1)}


def test_faults_are_retried_and_nothing_is_lost_or_duplicated(model: str, tiny_server: str) -> None:
    requests = prompts(12, SamplingParams(n=2, max_tokens=8, seed=100))
    expected = by_slot(openai_gen(model, tiny_server).generate_all(requests))
    with FaultProxy(tiny_server, every(http_429=5, http_500=7, drop=11)) as proxy:
        got = by_slot(openai_gen(model, proxy.base_url, max_retries=10).generate_all(requests))
    assert {k: c.text for k, c in got.items()} == {k: c.text for k, c in expected.items()}
    assert len(got) == 24
    assert min(proxy.faults[f] for f in ("429", "500", "drop")) > 0
    assert sorted(proxy.served_counts().values()) == [1] * 24
    # Every fault cost one retry; a loaded machine may add transport-level retries the server never answered.
    assert proxy.posts >= 24 + sum(proxy.faults.values())


def test_a_stalled_request_times_out_and_is_retried(model: str, tiny_server: str) -> None:
    """The first attempt hangs for 10 s; a 2 s timeout gives up on it and the retry succeeds."""
    with FaultProxy(tiny_server, lambda number: "stall" if number == 1 else None, stall_seconds=10) as proxy:
        started = time.monotonic()
        (completion,) = openai_gen(model, proxy.base_url, timeout=2.0).generate_all(prompts(1))
        elapsed = time.monotonic() - started
    assert completion.text
    assert 2.0 <= elapsed < 8.0
    assert (proxy.posts, len(proxy.served)) == (2, 1)


def test_gives_up_after_the_retry_budget(model: str, tiny_server: str) -> None:
    gave_up = r"gave up after 3 attempts \(last: HTTP 503\)"
    with FaultProxy(tiny_server, lambda number: "503") as proxy, pytest.raises(LimkitError, match=gave_up):
        openai_gen(model, proxy.base_url, max_retries=2).generate_all(prompts(1))
    assert proxy.posts == 3


def test_client_errors_are_not_retried(model: str, tiny_server: str) -> None:
    with (
        FaultProxy(tiny_server, lambda number: "400") as proxy,
        pytest.raises(LimkitError, match="answered 400"),
    ):
        openai_gen(model, proxy.base_url).generate_all(prompts(1))
    assert proxy.posts == 1


def test_concurrency_is_bounded(model: str, tiny_server: str) -> None:
    with FaultProxy(tiny_server, latency=0.2) as proxy:
        openai_gen(model, proxy.base_url, concurrency=3).generate_all(prompts(9))
    assert proxy.max_in_flight == 3


def test_cache_sends_nothing_twice_and_no_cache_sends_everything(
    model: str, tiny_server: str, tmp_path: Path
) -> None:
    requests = prompts(5)
    with FaultProxy(tiny_server) as proxy:
        for _ in range(2):
            cached = openai_gen(model, proxy.base_url, cache=CompletionCache(tmp_path / "c.sqlite"))
            cached.generate_all(requests)
        assert (len(proxy.served), cached.stats.generated, cached.stats.cached) == (5, 0, 5)
        for _ in range(2):
            uncached = openai_gen(model, proxy.base_url)
            uncached.generate_all(requests)
        assert (len(proxy.served), uncached.stats.generated, uncached.stats.cached) == (15, 5, 0)


def test_identical_requests_in_one_run_are_sent_once(model: str, tiny_server: str, tmp_path: Path) -> None:
    twins = [Request(id=name, prompt="The same prompt", params=SamplingParams(max_tokens=4)) for name in "ab"]
    with FaultProxy(tiny_server) as proxy:
        generator = openai_gen(model, proxy.base_url, cache=CompletionCache(tmp_path / "c.sqlite"))
        done = {c.request_id: c for c in generator.generate_all(twins)}
    assert len(proxy.served) == 1
    assert done["a"].text == done["b"].text
    assert (generator.stats.generated, generator.stats.cached) == (1, 1)


def test_api_key_is_read_from_the_environment_and_stored_nowhere(
    model: str, tiny_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = f"limkit-test-key-{time.time_ns()}"
    monkeypatch.setenv("LIMKIT_TEST_KEY", key)
    with FaultProxy(tiny_server) as proxy:
        cache = CompletionCache(tmp_path / "c.sqlite")
        openai_gen(model, proxy.base_url, cache=cache, api_key_env="LIMKIT_TEST_KEY").generate_all(prompts(3))
    assert proxy.authorizations == {f"Bearer {key}"}
    assert len(cache) == 3
    stored = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    assert key.encode() not in stored


def test_identity_is_the_served_name_and_fingerprint_never_a_url(model: str) -> None:
    secret = "https://user:secret-in-url@api.example.com/v1?api-key=secret-in-query"
    assert openai_gen(model, secret).identity == f"openai:{model}"
    replicas = openai_gen(model, ["http://127.0.0.1:1/v1", "http://127.0.0.1:2/v1"], model_fingerprint="v2")
    assert replicas.identity == f"openai:{model}#v2"
    assert openai_gen(model, "http://127.0.0.1:3/v1", model_fingerprint="v3").identity != replicas.identity


def test_unreachable_server_is_named(model: str) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    started = time.monotonic()
    with pytest.raises(LimkitError, match=f"cannot reach the OpenAI-compatible server at {url}"):
        openai_gen(model, url).generate_all(prompts(1))
    assert time.monotonic() - started < 10
