"""Structured answers: a choice among strings, or JSON matching a schema.

Model replies are untrusted. Every reply is checked here, whatever the backend did to constrain it: a
server may ignore guided decoding (`transformers serve` does), and constrained decoding still stops at
`max_tokens` mid-value. A reply that fails is asked again with the reason (a bounded number of times);
one that never validates ends as a `StructuredFailure` that keeps the raw text, never as an exception.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from limkit.errors import LimkitError

_FENCE = re.compile(r"^```(?:json)?\s*\n(.*)\n```$", re.DOTALL)


@dataclass(frozen=True)
class Choice:
    """The reply must be exactly one of `options` (surrounding whitespace ignored).

    Args:
        options: the allowed replies, distinct and non-empty.
        attempts: how many times to ask in all before giving up (the first ask included).
    """

    options: tuple[str, ...]
    attempts: int = 3

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", tuple(self.options))
        if not self.options or any(not isinstance(o, str) or not o.strip() for o in self.options):
            raise LimkitError("a choice needs at least one non-empty string option", field="choices")
        if len(set(self.options)) != len(self.options):
            raise LimkitError("choice options must be distinct", field="choices")
        _check_attempts(self.attempts)

    def key_fields(self) -> dict[str, Any]:
        return {"choice": list(self.options)}

    def as_schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.options)}

    def parse(self, text: str) -> Any:
        reply = text.strip()
        if reply in self.options:
            return reply
        # Servers that honour response_format answer a string schema with a JSON string: "yes".
        try:
            decoded = json.loads(reply)
        except ValueError:
            decoded = None
        if isinstance(decoded, str) and decoded in self.options:
            return decoded
        raise ValueError(f"not one of the choices: {reply[:80]!r}")

    def instruction(self) -> str:
        return "Reply with exactly one of the following, and nothing else: " + " | ".join(self.options)


@dataclass(frozen=True)
class JsonSchema:
    """The reply must be JSON (optionally inside one ``` fence) that validates against `schema`.

    The schema is checked against its metaschema here, so an invalid one fails before any request.

    Args:
        schema: a JSON Schema (draft 2020-12 unless it names another in `$schema`).
        name: a short name some servers want with the schema (OpenAI's `response_format`).
        attempts: how many times to ask in all before giving up (the first ask included).
    """

    schema: Mapping[str, Any]
    name: str = "answer"
    attempts: int = 3
    _canonical: str = field(default="", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        from jsonschema import exceptions, validators

        if not isinstance(self.schema, Mapping | bool):
            raise LimkitError("a JSON Schema must be an object or a boolean", field="json_schema")
        try:
            canonical = json.dumps(self.schema, sort_keys=True, ensure_ascii=False)
        except (TypeError, ValueError) as error:
            raise LimkitError(f"the schema is not JSON-serializable: {error}", field="json_schema") from None
        try:
            validators.validator_for(self.schema).check_schema(self.schema)
        except exceptions.SchemaError as error:
            where = "/".join(str(p) for p in error.path) or "(root)"
            raise LimkitError(
                f"not a valid JSON Schema at {where}: {error.message}", field="json_schema"
            ) from None
        object.__setattr__(self, "_canonical", canonical)
        _check_attempts(self.attempts)

    def key_fields(self) -> dict[str, Any]:
        return {"json_schema": self._canonical}

    def as_schema(self) -> dict[str, Any]:
        if isinstance(self.schema, bool):
            return {} if self.schema else {"not": {}}
        return dict(self.schema)

    def parse(self, text: str) -> Any:
        from jsonschema import validators

        reply = text.strip()
        fenced = _FENCE.match(reply)
        try:
            value = json.loads(fenced.group(1) if fenced else reply)
        except (ValueError, RecursionError) as error:
            raise ValueError(f"not valid JSON ({error})") from None
        validator = validators.validator_for(self.schema)(self.schema)
        try:
            problem = next(iter(validator.iter_errors(value)), None)
        except Exception as error:  # an unresolvable $ref, a pathological pattern: the run goes on
            raise ValueError(f"the schema could not be applied ({type(error).__name__})") from None
        if problem is not None:
            where = "/".join(str(p) for p in problem.absolute_path) or "(root)"
            raise ValueError(f"does not match the schema at {where}: {problem.message[:200]}")
        return value

    def instruction(self) -> str:
        return "Reply with only a JSON value that matches this JSON Schema: " + self._canonical


Structured = Choice | JsonSchema
"""What a `Request.structured` may hold."""


@dataclass(frozen=True)
class StructuredFailure:
    """A structured request whose every attempt failed: why the last one failed, its raw text, how many."""

    reason: str
    raw: str
    attempts: int

    def as_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "raw": self.raw, "attempts": self.attempts}


def _check_attempts(attempts: int) -> None:
    if not 1 <= attempts <= 20:
        raise LimkitError(f"attempts must lie in 1..20, got {attempts}", field="attempts")


def parse_reply(spec: Structured, text: str) -> tuple[Any, str | None]:
    """(value, None) when the reply validates, else (None, the reason)."""
    try:
        return spec.parse(text), None
    except ValueError as error:
        return None, str(error)


def reask_messages(
    messages: Sequence[Mapping[str, Any]], spec: Structured, reply: str, reason: str
) -> tuple[dict[str, Any], ...]:
    """The conversation for the next attempt: the failed reply, then what was wrong and what is wanted."""
    feedback = f"That reply is invalid: {reason}. {spec.instruction()}"
    return (
        *map(dict, messages),
        {"role": "assistant", "content": reply},
        {"role": "user", "content": feedback},
    )


def reask_prompt(prompt: str, spec: Structured, reply: str, reason: str) -> str:
    return f"{prompt}{reply}\n\n(That reply is invalid: {reason}. {spec.instruction()})\n"


GUIDED_MODES = ("response_format", "vllm", "sglang", "none")
"""How the `openai` backend asks a server to constrain a structured reply (see `guided_fields`)."""


def guided_fields(spec: Structured, mode: str) -> dict[str, Any]:
    """Extra request-body fields that make a server constrain its output, per server family.

    - response_format: OpenAI's `{"type": "json_schema", ...}`, which vLLM and SGLang also honour (a
      choice is sent as a string enum, so the reply may come back JSON-quoted; `Choice.parse` takes both).
      `transformers serve` accepts and ignores it, and the check-and-re-ask loop does the work there.
    - vllm: vLLM's own `structured_outputs` (`choice` / `json`; the `guided_*` fields went in v0.12).
    - sglang: SGLang's `regex` for a choice, `response_format` for a schema.
    - none: nothing; only check and re-ask.
    """
    if mode == "none":
        return {}
    if mode == "vllm":
        wanted = {"choice": list(spec.options)} if isinstance(spec, Choice) else {"json": spec.as_schema()}
        return {"structured_outputs": wanted}
    if mode == "sglang" and isinstance(spec, Choice):
        return {"regex": "(" + "|".join(re.escape(option) for option in spec.options) + ")"}
    name = spec.name if isinstance(spec, JsonSchema) else "choice"
    return {
        "response_format": {"type": "json_schema", "json_schema": {"name": name, "schema": spec.as_schema()}}
    }
