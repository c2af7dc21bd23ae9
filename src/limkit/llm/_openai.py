"""The `openai` backend: any OpenAI-compatible server (vLLM, SGLang, `transformers serve`, hosted APIs).

Each sample is its own HTTP request (n=1, seed = seed + sample index), so the cache and the server agree
on what one unit of work is and a resumed run never re-sends a finished sample. The API key is read from
an environment variable at request time and is never stored, logged or put in a cache key.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import httpx

from limkit.errors import LimkitError
from limkit.llm._cache import CompletionCache
from limkit.llm._generator import Generator, WorkItem
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


class OpenAIGenerator(Generator):
    def __init__(
        self,
        model: str,
        *,
        base_url: str,
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int = 8,
        timeout: float = 300.0,
        retry: RetryPolicy | None = None,
        cache: CompletionCache | None = None,
    ) -> None:
        super().__init__(cache)
        if concurrency < 1:
            raise LimkitError(f"concurrency must be >= 1, got {concurrency}", field="concurrency")
        if not base_url.startswith(("http://", "https://")):
            raise LimkitError(
                f"expected an http(s) URL such as http://localhost:8000/v1, got {base_url!r}",
                field="base_url",
            )
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.public_url = str(httpx.URL(self.base_url).copy_with(userinfo=b"", query=None, fragment=None))
        self.api_key_env = api_key_env
        self.concurrency = concurrency
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._checked = False

    @property
    def identity(self) -> str:
        return f"openai:{self.model}@{self.public_url}"

    def _headers(self) -> dict[str, str]:
        key = os.environ.get(self.api_key_env)
        return {"Authorization": f"Bearer {key}"} if key else {}

    async def _complete(self, items: Sequence[WorkItem]) -> AsyncIterator[Completion]:
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        async with httpx.AsyncClient(
            timeout=self.timeout, limits=limits, headers=self._headers(), trust_env=False
        ) as client:
            if not self._checked:
                await self._check_reachable(client)
                self._checked = True
            async for completion in self._sliding_window(client, items):
                yield completion

    async def _sliding_window(
        self, client: httpx.AsyncClient, items: Sequence[WorkItem]
    ) -> AsyncIterator[Completion]:
        """Keeps `concurrency` requests in flight, starting the next as one ends; successes go out first."""
        waiting = iter(items)
        running: set[asyncio.Task[Completion]] = set()
        try:
            while True:
                running |= {
                    asyncio.create_task(self._send(client, item))
                    for item in islice(waiting, self.concurrency - len(running))
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
        """Fails fast, naming the URL, when nothing listens there (rather than after a full retry budget)."""
        url = f"{self.base_url}/models"
        for attempt in range(3):
            try:
                await client.get(url, timeout=10)
                return
            except httpx.TransportError as error:
                last = error
                await asyncio.sleep(0.3 * 2**attempt)
        raise LimkitError(
            f"cannot reach the OpenAI-compatible server at {self.public_url} ({type(last).__name__})"
        )

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
            return "/completions", {**body, "prompt": request.prompt}
        messages = list(request.messages)
        if request.assistant_prefix is not None:
            # vLLM and SGLang continue the last assistant message with these two flags.
            messages.append({"role": "assistant", "content": request.assistant_prefix})
            body.update(continue_final_message=True, add_generation_prompt=False)
        return "/chat/completions", {**body, "messages": messages}

    async def _send(self, client: httpx.AsyncClient, item: WorkItem) -> Completion:
        path, body = self._body(item)
        url, shown = self.base_url + path, self.public_url + path
        for attempt in range(self.retry.max_retries + 1):
            retry_after = None
            try:
                async with asyncio.timeout(self.timeout):
                    response = await client.post(url, json=body)
            except (httpx.TransportError, TimeoutError) as error:
                problem = type(error).__name__
            else:
                if response.status_code == 200:
                    return _parse(item, path, response, shown)
                if response.status_code < 500 and response.status_code not in _RETRYABLE_4XX:
                    reply = _redacted(response.text, os.environ.get(self.api_key_env))
                    raise LimkitError(f"{shown} answered {response.status_code}: {reply[:300]}")
                problem = f"HTTP {response.status_code}"
                retry_after = _retry_after(response)
            if attempt < self.retry.max_retries:
                await asyncio.sleep(self.retry.delay(attempt, retry_after))
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
