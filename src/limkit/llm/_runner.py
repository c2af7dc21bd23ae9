"""Running a prompt file through a backend: input validation, progress, resumable output."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from limkit.data import read_jsonl, write_jsonl
from limkit.errors import LimkitError
from limkit.llm._cache import CompletionCache
from limkit.llm._factory import BackendOptions, make_generator
from limkit.llm._generator import GenerationStats
from limkit.llm._images import image_part
from limkit.llm._structured import Choice, JsonSchema, Structured
from limkit.llm._types import Completion, Message, Request, SamplingParams
from limkit.progress import progress_bar


def validate_messages(value: Any, path: Path, line: int) -> tuple[Message, ...]:
    """Chat messages of a prompt row; content is a string or a list of OpenAI content parts.

    An `image_url` whose URL is neither `data:` nor `http(s):` is a file path, relative to the prompt
    file, and becomes an `ImagePart` (hashed now, read when sent).
    """
    if not isinstance(value, list) or not value:
        raise LimkitError(
            "expected a non-empty list of {role, content} objects", path=path, line=line, field="messages"
        )
    messages = []
    for index, message in enumerate(value):
        where = f"messages[{index}]"
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise LimkitError(
                "each message needs string 'role' and 'content'", path=path, line=line, field=where
            )
        content = message.get("content")
        if not isinstance(content, str):
            content = _content_parts(content, path, line, where)
        messages.append({"role": message["role"], "content": content})
    return tuple(messages)


def _content_parts(content: Any, path: Path, line: int, where: str) -> list[Any]:
    if not isinstance(content, list) or not content:
        raise LimkitError(
            "'content' must be a string or a non-empty list of parts", path=path, line=line, field=where
        )
    parts: list[Any] = []
    for index, part in enumerate(content):
        field = f"{where}.content[{index}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            parts.append({"type": "text", "text": part["text"]})
            continue
        url = part.get("image_url", {}).get("url") if kind == "image_url" else None
        if not isinstance(url, str):
            raise LimkitError(
                "expected {type: text, text} or {type: image_url, image_url: {url}}",
                path=path,
                line=line,
                field=field,
            )
        if url.startswith(("data:", "http://", "https://")):
            parts.append({"type": "image_url", "image_url": {"url": url}})
            continue
        try:
            parts.append(image_part(path.parent / url))
        except LimkitError as error:
            raise LimkitError(f"{error.message}: {error.path}", path=path, line=line, field=field) from None
    return parts


def read_structured(choices: list[str] | None, schema_file: Path | None, attempts: int) -> Structured | None:
    """The structured spec the CLI options ask for; a bad schema file fails here, before any request."""
    if choices and schema_file is not None:
        raise LimkitError("choose either --choice or --json-schema, not both", field="json_schema")
    if choices:
        return Choice(tuple(choices), attempts=attempts)
    if schema_file is None:
        return None
    if not schema_file.is_file():
        raise LimkitError("file not found", path=schema_file)
    try:
        schema = json.loads(schema_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise LimkitError(f"not valid JSON ({error.msg} at line {error.lineno})", path=schema_file) from None
    try:
        return JsonSchema(schema, attempts=attempts)
    except LimkitError as error:
        raise LimkitError(error.message, path=schema_file, field=error.field) from None


def read_requests(
    path: Path, params: SamplingParams, structured: Structured | None = None
) -> tuple[list[Request], dict[str, Any]]:
    """Parses prompt rows; returns the requests and a map from request id back to the row's own id value."""
    requests: list[Request] = []
    original: dict[str, Any] = {}
    for line, row in read_jsonl(path):
        if "id" not in row or not isinstance(row["id"], str | int):
            raise LimkitError("missing or not a string/integer", path=path, line=line, field="id")
        key = str(row["id"])
        if key in original:
            raise LimkitError(f"duplicate id {row['id']!r}", path=path, line=line, field="id")
        has_prompt, has_messages = "prompt" in row, "messages" in row
        if has_prompt == has_messages:
            raise LimkitError(
                "each row needs exactly one of 'prompt' or 'messages'", path=path, line=line, field="prompt"
            )
        if has_prompt and not isinstance(row["prompt"], str):
            raise LimkitError("expected a string", path=path, line=line, field="prompt")
        messages = validate_messages(row["messages"], path, line) if has_messages else None
        requests.append(
            Request(id=key, prompt=row.get("prompt"), messages=messages, params=params, structured=structured)
        )
        original[key] = row["id"]
    if not requests:
        raise LimkitError("no prompts in file", path=path)
    return requests, original


def run_generation(
    backend: str,
    model: str,
    options: BackendOptions,
    cache: CompletionCache | None,
    requests: list[Request],
    original_ids: dict[str, Any],
    out: Path,
) -> GenerationStats:
    """Generates every sample and writes the output atomically, in input order, once all are done."""
    generator = make_generator(backend, model, options, cache)
    total = sum(request.params.n for request in requests)
    done: dict[tuple[str, int], Completion] = {}

    async def collect() -> None:
        with progress_bar(total, f"generate ({backend})") as advance:
            try:
                async for completion in generator.generate(requests):
                    done[(completion.request_id, completion.sample)] = completion
                    advance(1)
            finally:
                await generator.aclose()

    asyncio.run(collect())
    rows = []
    for request in requests:
        for sample in range(request.params.n):
            row = done[(request.id, sample)].as_row(structured=request.structured is not None)
            row["id"] = original_ids[request.id]
            rows.append(row)
    write_jsonl(out, rows)
    return generator.stats
