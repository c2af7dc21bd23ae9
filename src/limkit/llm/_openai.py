"""The `openai` backend: one or many OpenAI-compatible servers (vLLM, SGLang, `transformers serve`, APIs).

Each sample is its own HTTP request (n=1, seed = seed + sample index), so the cache and the server agree
on what one unit of work is and a resumed run never re-sends a finished sample. With several servers
(replicas of one model) each request goes to the healthy server with the fewest requests in flight; a
server that fails is rested for a while and its requests are retried on the others at once. The cache
identity is the served model name plus an optional user-declared fingerprint, never a URL, so a
restarted server on another port, or another replica, reuses every finished sample.

The API key is read from an environment variable at request time and is never stored, logged or put in
a cache key.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import httpx

from limkit.errors import LimkitError
from limkit.llm._cache import CompletionCache
from limkit.llm._generator import Generator, WorkItem
from limkit.llm._images import wire_messages
from limkit.llm._structured import GUIDED_MODES, guided_fields
from limkit.llm._types import Completion, Usage

_RETRYABLE_4XX = frozenset({408, 409, 429})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: attempt k waits uniform(0, min(cap, base * 2**k)) seconds."""

    max_retries: int = 8
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(self.max_delay, retry_after)
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


def public_url(url: str) -> str:
    """The URL without credentials, query or fragment: what errors and logs may show."""
    return str(httpx.URL(url).copy_with(userinfo=b"", query=None, fragment=None))


class ServerPool:
    """Replicas of one model: the least-loaded healthy one serves next; a failing one rests a while.

    A server that fails k times in a row rests min(30, 0.5 * 2**k) seconds. When every server rests, the
    one whose rest ends first is tried anyway (the retry budget, not the pool, decides when to give up).
    """

    def __init__(self, urls: Sequence[str]) -> None:
        self.urls = [url.rstrip("/") for url in urls]
        self.shown = [public_url(url) for url in self.urls]
        self.in_flight = [0] * len(self.urls)
        self.failures = [0] * len(self.urls)
        self.rest_until = [0.0] * len(self.urls)
        self.served = [0] * len(self.urls)

    def healthy(self) -> list[int]:
        now = time.monotonic()
        return [index for index, until in enumerate(self.rest_until) if until <= now]

    def pick(self) -> int:
        healthy = self.healthy()
        if not healthy:
            return min(range(len(self.urls)), key=lambda index: self.rest_until[index])
        return min(healthy, key=lambda index: (self.in_flight[index], self.served[index]))

    def failed(self, index: int) -> None:
        self.failures[index] += 1
        self.rest_until[index] = time.monotonic() + min(30.0, 0.5 * 2 ** self.failures[index])

    def succeeded(self, index: int) -> None:
        self.failures[index] = 0
        self.rest_until[index] = 0.0
        self.served[index] += 1


class OpenAIGenerator(Generator):
    def __init__(
        self,
        model: str,
        *,
        base_url: str | Sequence[str],
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int = 8,
        timeout: float = 300.0,
        retry: RetryPolicy | None = None,
        fingerprint: str | None = None,
        guided: str = "response_format",
        cache: CompletionCache | None = None,
    ) -> None:
        super().__init__(cache)
        urls = [base_url] if isinstance(base_url, str) else list(base_url)
        if not urls:
            raise LimkitError("the openai backend needs at least one --base-url", field="base_url")
        if concurrency < 1:
            raise LimkitError(f"concurrency must be >= 1, got {concurrency}", field="concurrency")
        if guided not in GUIDED_MODES:
            raise LimkitError(
                f"unknown guided mode {guided!r}; choose one of {', '.join(GUIDED_MODES)}", field="guided"
            )
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise LimkitError(
                    f"expected an http(s) URL such as http://localhost:8000/v1, got {url!r}", field="base_url"
                )
        self.model = model
        self.pool = ServerPool(urls)
        self.fingerprint = fingerprint
        self.guided = guided
        self.api_key_env = api_key_env
        self.concurrency = concurrency
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._checked = False

    @property
    def identity(self) -> str:
        """The served model name and the user's fingerprint: the same for every replica and port."""
        return f"openai:{self.model}" + (f"#{self.fingerprint}" if self.fingerprint else "")

    def _headers(self) -> dict[str, str]:
        key = os.environ.get(self.api_key_env)
        return {"Authorization": f"Bearer {key}"} if key else {}

    async def _complete(self, items: Sequence[WorkItem]) -> AsyncIterator[Completion]:
        width = self.concurrency * len(self.pool.urls)
        limits = httpx.Limits(max_connections=width, max_keepalive_connections=width)
        async with httpx.AsyncClient(
            timeout=self.timeout, limits=limits, headers=self._headers(), trust_env=False
        ) as client:
            if not self._checked:
                await self._check_reachable(client)
                self._checked = True
            async for completion in self._sliding_window(client, items, width):
                yield completion

    async def _sliding_window(
        self, client: httpx.AsyncClient, items: Sequence[WorkItem], width: int
    ) -> AsyncIterator[Completion]:
        """Keeps `width` requests in flight, starting the next as one ends; successes go out first."""
        waiting = iter(items)
        running: set[asyncio.Task[Completion]] = set()
        try:
            while True:
                running |= {
                    asyncio.create_task(self._send(client, item))
                    for item in islice(waiting, width - len(running))
                }
                if not running:
                    return
                finished, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in sorted(finished, key=lambda task: task.exception() is not None):
                    yield task.result()
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    async def _check_reachable(self, client: httpx.AsyncClient) -> None:
        """Fails fast, naming the URLs, when nothing listens at any of them; rests the unreachable ones."""
        reachable = await asyncio.gather(*(self._reachable(client, url) for url in self.pool.urls))
        if not any(reachable):
            raise LimkitError(
                f"cannot reach the OpenAI-compatible server at {', '.join(self.pool.shown)}"
                + f" ({reachable.count(False)} tried)" * (len(reachable) > 1)
            )
        for index, ok in enumerate(reachable):
            if not ok:
                self.pool.failed(index)

    async def _reachable(self, client: httpx.AsyncClient, url: str) -> bool:
        for attempt in range(3):
            try:
                await client.get(f"{url}/models", timeout=10)
                return True
            except httpx.TransportError:
                await asyncio.sleep(0.3 * 2**attempt)
        return False

    def _body(self, item: WorkItem) -> tuple[str, dict[str, Any]]:
        request, params = item.request, item.request.params
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "n": 1,
        }
        if params.seed is not None:
            body["seed"] = params.seed + item.sample
        if params.stop:
            body["stop"] = list(params.stop)
        if request.messages is None:
            if request.structured is not None and self.guided in ("vllm", "sglang"):
                body.update(guided_fields(request.structured, self.guided))
            return "/completions", {**body, "prompt": request.prompt}
        if request.structured is not None:
            body.update(guided_fields(request.structured, self.guided))
        messages = wire_messages(request.messages)
        if request.assistant_prefix is not None:
            # vLLM and SGLang continue the last assistant message with these two flags.
            messages.append({"role": "assistant", "content": request.assistant_prefix})
            body.update(continue_final_message=True, add_generation_prompt=False)
        return "/chat/completions", {**body, "messages": messages}

    async def _send(self, client: httpx.AsyncClient, item: WorkItem) -> Completion:
        path = "/completions" if item.request.messages is None else "/chat/completions"
        for attempt in range(self.retry.max_retries + 1):
            server = self.pool.pick()
            url, shown = self.pool.urls[server] + path, self.pool.shown[server] + path
            retry_after, rested = None, False
            self.pool.in_flight[server] += 1
            try:
                async with asyncio.timeout(self.timeout):
                    # Built per attempt: image data URLs live only while their request is in flight.
                    response = await client.post(url, json=self._body(item)[1])
            except (httpx.TransportError, TimeoutError) as error:
                problem, rested = type(error).__name__, True
            else:
                if response.status_code == 200:
                    self.pool.succeeded(server)
                    return _parse(item, path, response, shown)
                if response.status_code < 500 and response.status_code not in _RETRYABLE_4XX:
                    reply = _redacted(response.text, os.environ.get(self.api_key_env))
                    raise LimkitError(f"{shown} answered {response.status_code}: {reply[:300]}")
                problem, rested = f"HTTP {response.status_code}", response.status_code >= 500
                retry_after = _retry_after(response)
            finally:
                self.pool.in_flight[server] -= 1
            if rested:
                self.pool.failed(server)
            if attempt < self.retry.max_retries:
                elsewhere = rested and bool(self.pool.healthy())
                await asyncio.sleep(0 if elsewhere else self.retry.delay(attempt, retry_after))
        raise LimkitError(f"{shown}: gave up after {self.retry.max_retries + 1} attempts (last: {problem})")


def _redacted(text: str, key: str | None) -> str:
    """A server's error body with the API key blanked out: 401/403 bodies often quote the key back."""
    return text.replace(key, "<redacted>") if key else text


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _parse(item: WorkItem, path: str, response: httpx.Response, url: str) -> Completion:
    try:
        data = response.json()
        choice = data["choices"][0]
        text = choice["text"] if path == "/completions" else choice["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise LimkitError(f"{url} returned a response without a completion ({error!r})") from None
    usage = data.get("usage") or {}
    return Completion(
        item.request.id,
        item.sample,
        text or "",
        choice.get("finish_reason") or "stop",
        Usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)),
    )
