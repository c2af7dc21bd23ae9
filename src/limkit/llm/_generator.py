"""The one `Generator` interface. Backends implement `_complete`; caching, structured answers and
bookkeeping live here once."""

from __future__ import annotations

import abc
import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace

from limkit.llm._cache import CompletionCache, cache_key
from limkit.llm._structured import StructuredFailure, parse_reply, reask_messages, reask_prompt
from limkit.llm._types import Completion, Request, Usage


@dataclass(frozen=True)
class WorkItem:
    """One sample of one request that a backend must produce."""

    request: Request
    sample: int
    key: str


@dataclass
class GenerationStats:
    """Counts every ask a backend answered (re-asks included) and the tokens of those it generated."""

    generated: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasked: int = 0
    invalid: int = 0

    def count(self, completion: Completion) -> None:
        if completion.cached:
            self.cached += 1
        else:
            self.generated += 1
            self.prompt_tokens += completion.usage.prompt_tokens
            self.completion_tokens += completion.usage.completion_tokens


Slot = tuple[str, int]


class Generator(abc.ABC):
    """Many requests in, completions out (`params.n` samples each), in the order they finish.

    A completion is written to the cache the moment it arrives, so a run killed at any point and started
    again sends only what it had not received. A structured request whose reply does not validate is
    asked again (its failed reply and the reason appended) up to its spec's `attempts`; every attempt is
    cached on its own, so a resumed run replays the attempts it had and sends only the rest.
    """

    def __init__(self, cache: CompletionCache | None = None) -> None:
        self.cache = cache
        self.stats = GenerationStats()

    @property
    @abc.abstractmethod
    def identity(self) -> str:
        """What determines the model's outputs (backend, model, revision), never credentials."""

    @abc.abstractmethod
    def _complete(self, items: Sequence[WorkItem]) -> AsyncIterator[Completion]:
        """Produces one completion per item, in any order."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing to close
        """Releases connections or models held by the backend."""

    def _items(self, requests: Sequence[Request]) -> list[WorkItem]:
        identity = self.identity
        ids = [request.id for request in requests]
        if len(set(ids)) != len(ids):
            duplicate = next(i for i in ids if ids.count(i) > 1)
            raise ValueError(f"request ids must be unique within one call; {duplicate!r} repeats")
        return [
            WorkItem(request, sample, cache_key(identity, request, sample))
            for request in requests
            for sample in range(request.params.n)
        ]

    def _lookup(self, items: Sequence[WorkItem]) -> tuple[list[Completion], list[list[WorkItem]]]:
        """Cache hits, and the missing items grouped by cache key (by slot when there is no cache)."""
        hits: list[Completion] = []
        pending: dict[str | Slot, list[WorkItem]] = {}
        for item in items:
            if self.cache is None:
                pending[(item.request.id, item.sample)] = [item]
            elif hit := self.cache.get(item.key, item.request.id, item.sample):
                hits.append(hit)
            else:
                pending.setdefault(item.key, []).append(item)
        return hits, list(pending.values())

    async def _resolve(self, items: Sequence[WorkItem]) -> AsyncIterator[Completion]:
        """Answers from the cache what it can, then asks the backend once per distinct cache key.

        Items that differ only in request id share one backend call when the cache is on; the copies
        count as cached. With no cache, every item is sent.
        """
        hits, pending = self._lookup(items)
        for hit in hits:
            yield hit
        if not pending:
            return
        by_slot = {(group[0].request.id, group[0].sample): group for group in pending}
        async for completion in self._complete([group[0] for group in pending]):
            first, *copies = by_slot[(completion.request_id, completion.sample)]
            if self.cache is not None:
                self.cache.put(first.key, self.identity, first.request, completion)
            yield completion
            for copy in copies:
                yield replace(completion, request_id=copy.request.id, cached=True)

    async def generate(self, requests: Sequence[Request]) -> AsyncIterator[Completion]:
        """Yields one final completion per sample; structured ones carry `value` or `failure`."""
        items = self._items(requests)
        by_slot = {(item.request.id, item.sample): item for item in items}
        spent: dict[Slot, Usage] = {}
        attempt = 1
        while by_slot:
            again: dict[Slot, WorkItem] = {}
            async for completion in self._resolve(list(by_slot.values())):
                self.stats.count(completion)
                slot = (completion.request_id, completion.sample)
                item, usage = by_slot[slot], spent.pop(slot, Usage()) + completion.usage
                final, reason = self._judge(item, replace(completion, usage=usage, attempts=attempt))
                if final is not None:
                    yield final
                    continue
                spent[slot] = usage
                again[slot] = self._reask(item, completion.text, reason)
            by_slot, attempt = again, attempt + 1

    def _judge(self, item: WorkItem, completion: Completion) -> tuple[Completion | None, str]:
        """The completion to hand out, or (None, why) when a structured reply failed and may be re-asked."""
        spec = item.request.structured
        if spec is None:
            return completion, ""
        value, reason = parse_reply(spec, completion.text)
        if reason is None:
            return replace(completion, value=value), ""
        if completion.attempts < spec.attempts:
            return None, reason
        self.stats.invalid += 1
        return replace(
            completion, failure=StructuredFailure(reason, completion.text, completion.attempts)
        ), reason

    def _reask(self, item: WorkItem, reply: str, reason: str) -> WorkItem:
        """The next attempt: the failed reply and the reason appended, as its own cache entry."""
        request = item.request
        assert request.structured is not None
        self.stats.reasked += 1
        if request.messages is not None:
            said = (request.assistant_prefix or "") + reply
            messages = reask_messages(request.messages, request.structured, said, reason)
            follow_up = replace(request, messages=messages, assistant_prefix=None)
        else:
            follow_up = replace(
                request, prompt=reask_prompt(request.prompt or "", request.structured, reply, reason)
            )
        return WorkItem(follow_up, item.sample, cache_key(self.identity, follow_up, item.sample))

    def generate_all(
        self, requests: Sequence[Request], on_completion: Callable[[Completion], None] | None = None
    ) -> list[Completion]:
        """Synchronous convenience: runs `generate` to the end and returns every completion."""

        async def collect() -> list[Completion]:
            out = []
            try:
                async for completion in self.generate(requests):
                    if on_completion is not None:
                        on_completion(completion)
                    out.append(completion)
            finally:
                await self.aclose()
            return out

        return asyncio.run(collect())
