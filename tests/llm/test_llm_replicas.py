"""Two real `transformers serve` replicas: spreading, one killed mid-run, a restart on another port."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import pytest

from limkit.llm import BackendOptions, CompletionCache, Request, SamplingParams, make_generator
from limkit.llm._openai import ServerPool
from serving import FaultProxy, kill_when, serve_model, serve_process


def questions(count: int) -> list[Request]:
    params = SamplingParams(max_tokens=12, seed=5)
    return [
        Request(f"q{i}", messages=({"role": "user", "content": f"What is {i} + {i}?"},), params=params)
        for i in range(count)
    ]


def test_the_pool_picks_the_least_loaded_healthy_server_and_rests_a_failed_one() -> None:
    pool = ServerPool(["http://a/v1", "http://b/v1/"])
    assert pool.urls == ["http://a/v1", "http://b/v1"]
    pool.in_flight[0] = 2
    assert pool.pick() == 1
    pool.failed(1)
    assert pool.pick() == 0 and pool.healthy() == [0]
    pool.failed(0)
    assert pool.healthy() == [] and pool.pick() == 1  # everyone rests: the one back first (b) is tried
    pool.succeeded(1)
    assert pool.healthy() == [1]


@pytest.mark.slow
def test_a_killed_replica_loses_nothing_and_a_restarted_one_is_asked_nothing(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    requests = questions(40)
    cache = tmp_path / "c.sqlite"
    options = dict(concurrency=2, max_retries=6, retry_base_delay=0.01)
    with (
        serve_process(tiny_model_dir) as (url_a, server_a),
        serve_model(tiny_model_dir) as url_b,
        FaultProxy(url_a, latency=0.05) as proxy_a,
        FaultProxy(url_b, latency=0.05) as proxy_b,
    ):
        replicas = (proxy_a.base_url, proxy_b.base_url)
        generator = make_generator(
            "openai",
            str(tiny_model_dir),
            BackendOptions(base_url=replicas, **options),
            CompletionCache(cache),
        )
        killer = threading.Thread(
            target=kill_when, args=(server_a, lambda: len(proxy_a.served) >= 8, proxy_a)
        )
        killer.start()
        done = generator.generate_all(requests)
        killer.join()
        assert server_a.returncode == -signal.SIGKILL
        served_a, served_b = proxy_a.served_counts(), proxy_b.served_counts()
    assert sorted((c.request_id, c.sample) for c in done) == sorted((r.id, 0) for r in requests)
    assert len(served_a) >= 8 and len(served_b) >= 8
    assert set(served_a.values()) == {1} and set(served_b.values()) == {1}
    assert not set(served_a) & set(served_b), "a finished sample was asked twice"
    assert len(served_a) + len(served_b) == 40

    with serve_model(tiny_model_dir) as url_c, FaultProxy(url_c) as proxy_c:
        restarted = make_generator(
            "openai",
            str(tiny_model_dir),
            BackendOptions(base_url=(proxy_c.base_url,)),
            CompletionCache(cache),
        )
        again = restarted.generate_all(requests)
        assert proxy_c.served == [] and restarted.stats.cached == 40
    assert {c.request_id: c.text for c in again} == {c.request_id: c.text for c in done}
