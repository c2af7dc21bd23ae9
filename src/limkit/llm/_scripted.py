"""The `scripted` backend: a test double that answers from a Python function or a JSONL of rules.

For decision logic that needs a model answering meaningfully (a judge, a ranker, a planner) where no
such model can run here. It goes through the same `Generator` interface, cache and usage accounting as
the real backends, so the code under test cannot tell it apart. It never stands in where a real tiny
model or server can run: each command built on it is also run once against `transformers serve`.

- `module:function` (or `path/to/file.py:function`): called as `function(request, sample) -> str`.
- `rules.jsonl`: rows `{"pattern": REGEX, "reply": TEXT}`, tried in order against the prompt text (the
  raw prompt, or the last message's text); the first whose regex matches (`re.search`) answers, its
  `reply` expanded with the match's groups (`\\1`, `\\g<name>`). No rule matching is an error.

Usage counts whitespace-separated words of prompt and reply (a stand-in for tokens, documented as such).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from limkit.data import read_jsonl
from limkit.errors import LimkitError
from limkit.llm._cache import CompletionCache
from limkit.llm._generator import Generator, WorkItem
from limkit.llm._images import message_text
from limkit.llm._types import Completion, Request, Usage

Script = Callable[[Request, int], str]


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    reply: str


class ScriptedGenerator(Generator):
    def __init__(self, script: str, *, cache: CompletionCache | None = None) -> None:
        super().__init__(cache)
        if script.endswith(".jsonl"):
            path = Path(script)
            self._rules = read_rules(path)
            self._answer: Script = self._by_rules
            self._identity = f"scripted:{path.resolve()}#{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}"
        else:
            self._answer = load_callable(script)
            self._identity = f"scripted:{script}"

    @property
    def identity(self) -> str:
        return self._identity

    async def _complete(self, items: Sequence[WorkItem]) -> AsyncIterator[Completion]:
        for item in items:
            reply = self._answer(item.request, item.sample)
            if not isinstance(reply, str):
                raise LimkitError(f"the script returned {type(reply).__name__}, not str", field="model")
            usage = Usage(len(prompt_text(item.request).split()), len(reply.split()))
            yield Completion(item.request.id, item.sample, reply, "stop", usage)

    def _by_rules(self, request: Request, sample: int) -> str:
        text = prompt_text(request)
        for rule in self._rules:
            found = rule.pattern.search(text)
            if found:
                return found.expand(rule.reply)
        raise LimkitError(f"request {request.id!r}: no scripted rule matches {text[:120]!r}", field="model")


def prompt_text(request: Request) -> str:
    """What rules match against: the raw prompt, or the text of the last message."""
    if request.messages is None:
        return request.prompt or ""
    return message_text(request.messages[-1])


def read_rules(path: Path) -> list[Rule]:
    rules = []
    for line, row in read_jsonl(path):
        for name in ("pattern", "reply"):
            if not isinstance(row.get(name), str):
                raise LimkitError("expected a string", path=path, line=line, field=name)
        try:
            pattern = re.compile(row["pattern"], re.DOTALL)
        except re.error as error:
            raise LimkitError(
                f"not a valid regular expression: {error}", path=path, line=line, field="pattern"
            ) from None
        rules.append(Rule(pattern, row["reply"]))
    if not rules:
        raise LimkitError("no rules in file", path=path)
    return rules


def load_callable(spec: str) -> Script:
    """`package.module:function` or `path/to/file.py:function`."""
    module_name, sep, attribute = spec.rpartition(":")
    if not sep or not module_name or not attribute:
        raise LimkitError(f"expected module:function or rules.jsonl, got {spec!r}", field="model")
    try:
        if module_name.endswith(".py"):
            location = importlib.util.spec_from_file_location(Path(module_name).stem, module_name)
            if location is None or location.loader is None or not Path(module_name).is_file():
                raise LimkitError("script file not found", path=module_name)
            module = importlib.util.module_from_spec(location)
            location.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except ImportError as error:
        raise LimkitError(f"cannot import {module_name!r}: {error}", field="model") from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise LimkitError(f"{module_name!r} has no callable {attribute!r}", field="model")
    return function
