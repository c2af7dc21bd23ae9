"""Requests, sampling parameters and completions: the vocabulary every backend speaks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from limkit.llm._images import ImagePart, keyed_messages
from limkit.llm._structured import Structured, StructuredFailure

Message = Mapping[str, Any]
"""A chat message: `role` and `content`, a string or a list of OpenAI content parts (`{"type": "text",
"text": ...}`, `{"type": "image_url", "image_url": {"url": ...}}`) and `ImagePart`s."""


@dataclass(frozen=True)
class SamplingParams:
    """How to sample. `temperature == 0` means greedy decoding.

    `seed` makes sampling repeatable: sample `i` of a request is drawn with seed `seed + i` where the
    backend supports per-request seeds (vLLM, SGLang, `transformers serve`).
    """

    n: int = 1
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 512
    seed: int | None = 0
    stop: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must lie in (0, 1], got {self.top_p}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")

    def key_fields(self) -> dict[str, Any]:
        """The parameters that change a single sample's text (`n` does not: each sample is cached alone)."""
        data = asdict(self)
        data.pop("n")
        data["stop"] = list(self.stop)
        return data


@dataclass(frozen=True)
class Request:
    """One prompt. Exactly one of `prompt` (raw text, no chat template) or `messages` (chat) is set.

    `assistant_prefix` continues an assistant turn that has already begun (budget forcing appends
    "Wait" this way); it is only valid with `messages`. `structured` asks for a `Choice` or `JsonSchema`
    answer: the completion then carries the parsed `value`, or a `failure`.
    """

    id: str
    prompt: str | None = None
    messages: tuple[Message, ...] | None = None
    params: SamplingParams = field(default_factory=SamplingParams)
    assistant_prefix: str | None = None
    structured: Structured | None = None

    def __post_init__(self) -> None:
        if (self.prompt is None) == (self.messages is None):
            raise ValueError(f"request {self.id!r}: set exactly one of prompt or messages")
        if self.assistant_prefix is not None and self.messages is None:
            raise ValueError(f"request {self.id!r}: assistant_prefix needs messages")
        if self.messages is not None:
            object.__setattr__(self, "messages", tuple(self.messages))
            for index, message in enumerate(self.messages):
                _check_message(self.id, index, message)

    def content_fields(self) -> dict[str, Any]:
        """What the cache key covers besides the model and sampling: images by hash, never their bytes."""
        fields: dict[str, Any] = {
            "prompt": self.prompt,
            "messages": keyed_messages(self.messages) if self.messages is not None else None,
            "assistant_prefix": self.assistant_prefix,
        }
        if self.structured is not None:
            fields["structured"] = self.structured.key_fields()
        return fields


def _check_message(request_id: str, index: int, message: Any) -> None:
    where = f"request {request_id!r}, messages[{index}]"
    if not isinstance(message, Mapping) or not isinstance(message.get("role"), str):
        raise ValueError(f"{where}: a message needs a string 'role'")
    content = message.get("content")
    if isinstance(content, str):
        return
    if not isinstance(content, list | tuple):
        raise ValueError(f"{where}: 'content' must be a string or a list of content parts")
    for part in content:
        if isinstance(part, ImagePart):
            continue
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind == "text" and isinstance(part.get("text"), str):
            continue
        if kind == "image_url" and isinstance(part.get("image_url"), Mapping):
            continue
        raise ValueError(f"{where}: a content part must be text, image_url or an ImagePart, got {part!r:.80}")


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens
        )

    def as_dict(self) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens}


@dataclass(frozen=True)
class Completion:
    """One sample of one request. `finish_reason` is "stop" (ended by itself) or "length" (hit max_tokens).

    For a structured request, `value` holds the parsed answer (a choice string, or the JSON value) or
    `failure` says why none validated; `attempts` counts the asks, and `usage` sums all of them.
    """

    request_id: str
    sample: int
    text: str
    finish_reason: str
    usage: Usage
    cached: bool = False
    value: Any = None
    failure: StructuredFailure | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        """False only for a structured request that never validated."""
        return self.failure is None

    def as_row(self, structured: bool = False) -> dict[str, Any]:
        """A JSONL row; `structured` adds `value`, `attempts` and `failure` (None when it validated)."""
        row: dict[str, Any] = {
            "id": self.request_id,
            "sample": self.sample,
            "completion": self.text,
            "finish_reason": self.finish_reason,
            "usage": self.usage.as_dict(),
        }
        if structured:
            row.update(value=self.value, attempts=self.attempts)
            row["failure"] = self.failure.as_dict() if self.failure else None
        return row
