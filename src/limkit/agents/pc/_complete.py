"""Cognition completion: what each click meant and what the person was thinking (fact sheet section 3).

Stage 1 describes the element under every click-like step from its marked screenshot, the accessibility
name given as a hint, then asks a second time whether that description is right: a strict JSON verdict
(`Good`, or `Wrong` with a correction) parsed by `limkit.llm` with a bounded number of re-asks; one that
never validates is counted and the draft stands. Stage 2 writes a first-person thought for every step,
in order, from the task, the last `history` steps (their thoughts and actions) and the next `future`
actions; text after an "Action:" line is cut off, since the action is already known.

Every request goes through the request cache, so a killed run started again sends only what it had not
received. Replies are untrusted: refusals and empty replies are counted per stage and leave the field
empty (to-sft then skips the step). Each step keeps its prompts (text; the image by file name) in
`prompts` for audit. Output: `completed.jsonl` beside `refined.jsonl`, written atomically.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from limkit.agents.pc._actions import CLICK_KINDS, Action, format_action, parse_action
from limkit.agents.pc._prompts import check_prompt, describe_prompt, thought_prompt
from limkit.agents.pc._trajectory import (
    COMPLETED_FILE,
    REFINED_FILE,
    Step,
    read_steps,
    read_task,
    write_steps,
)
from limkit.errors import LimkitError
from limkit.llm import Completion, Generator, JsonSchema, Request, SamplingParams, image_part
from limkit.progress import progress_bar

CHECK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "verdict": {"enum": ["Good", "Wrong"]},
        "correction": {"type": "string", "minLength": 1},
    },
    "required": ["verdict"],
    "additionalProperties": False,
    "if": {"properties": {"verdict": {"const": "Wrong"}}},
    "then": {"required": ["correction"]},
}
REFUSAL = re.compile(
    r"\b(i'?m sorry|i am sorry|i can(?:no|')t (?:help|assist)|i(?:'m| am) unable to|as an ai\b)",
    re.IGNORECASE,
)
MAX_DESCRIPTION = 300


@dataclass(frozen=True)
class CompleteConfig:
    """`history`/`future`: how many earlier steps and coming actions a thought prompt shows;
    `check_attempts`: asks in all for a valid verdict (the first included)."""

    history: int = 10
    future: int = 10
    check_attempts: int = 3
    max_tokens: int = 256
    temperature: float = 0.0

    def __post_init__(self) -> None:
        if self.history < 0 or self.future < 0:
            raise LimkitError("history and future windows must be >= 0", field="history")
        if not 1 <= self.check_attempts <= 20:
            raise LimkitError("check attempts must lie in 1..20", field="check_attempts")


@dataclass
class CompleteStats:
    """What happened, per stage: replies used, refusals and empty replies dropped, verdict failures."""

    trajectories: int = 0
    steps: int = 0
    described: int = 0
    corrected: int = 0
    check_failures: int = 0
    thoughts: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    empty: Counter[str] = field(default_factory=Counter)


@dataclass
class _Record:
    directory: Path
    task: str
    steps: list[Step]


def _load(directory: Path) -> _Record:
    path = directory / REFINED_FILE
    if not path.is_file():
        raise LimkitError("not refined yet: run `limkit pc refine` on it first", path=path)
    return _Record(directory, read_task(directory).task, read_steps(path))


def _user(directory: Path, image: str | None, text: str) -> tuple[dict[str, Any], ...]:
    content: list[Any] = [{"type": "text", "text": text}]
    if image is not None:
        content.insert(0, image_part(directory / image))
    return ({"role": "user", "content": content},)


def _audit(image: str | None, text: str) -> str:
    return f"[image: {image}]\n{text}" if image is not None else text


def _clean(text: str, stage: str, stats: CompleteStats) -> str | None:
    """The reply as a field value, or None (counted) for a refusal or nothing."""
    reply = text.strip()
    if REFUSAL.search(reply):
        stats.refused[stage] += 1
        return None
    if not reply:
        stats.empty[stage] += 1
        return None
    return reply


def _clean_description(text: str, stats: CompleteStats, stage: str) -> str | None:
    """One line, quotes and a trailing full stop removed, at most `MAX_DESCRIPTION` characters."""
    first = next((line for line in text.strip().splitlines() if line.strip()), "")
    reply = _clean(first.strip().strip("\"'`").rstrip(".").strip(), stage, stats)
    return None if reply is None else reply[:MAX_DESCRIPTION]


def _clickable(step: Step) -> Action | None:
    action = parse_action(step.action)
    return action if action.kind in CLICK_KINDS and action.point is not None else None


def _params(config: CompleteConfig) -> SamplingParams:
    return SamplingParams(max_tokens=config.max_tokens, temperature=config.temperature)


def _run(generator: Generator, requests: list[Request], label: str) -> dict[str, Completion]:
    with progress_bar(len(requests), label) as advance:
        done = generator.generate_all(requests, on_completion=lambda _: advance(1))
    return {completion.request_id: completion for completion in done}


def describe_stage(
    records: list[_Record], generator: Generator, config: CompleteConfig, stats: CompleteStats
) -> None:
    """Stage 1a: a draft description for every click-like step (from the marked screenshot)."""
    requests, where = [], {}
    for number, record in enumerate(records):
        for position, step in enumerate(record.steps):
            action = _clickable(step)
            if action is None:
                continue
            assert action.point is not None
            image = step.marked_screenshot or step.screenshot
            text = describe_prompt(action.kind, action.point, step.element.name if step.element else "")
            request_id = f"{number}/{step.index}/describe"
            requests.append(
                Request(request_id, messages=_user(record.directory, image, text), params=_params(config))
            )
            where[request_id] = (record, position, _audit(image, text))
    for request_id, completion in _run(generator, requests, "describe clicks").items():
        record, position, audit = where[request_id]
        draft = _clean_description(completion.text, stats, "describe")
        stats.described += draft is not None
        step = record.steps[position]
        record.steps[position] = step.with_(description=draft, prompts={**step.prompts, "describe": audit})


def check_stage(
    records: list[_Record], generator: Generator, config: CompleteConfig, stats: CompleteStats
) -> None:
    """Stage 1b: a verdict on each draft; `Wrong` replaces it with the correction. The checked description
    is `description_checked`; None where no verdict validated (the draft then stands alone)."""
    spec = JsonSchema(CHECK_SCHEMA, name="verdict", attempts=config.check_attempts)
    requests, where = [], {}
    for number, record in enumerate(records):
        for position, step in enumerate(record.steps):
            action = _clickable(step)
            if action is None or step.description is None:
                continue
            assert action.point is not None
            image = step.marked_screenshot or step.screenshot
            name = step.element.name if step.element else ""
            text = check_prompt(action.kind, action.point, name, step.description)
            request_id = f"{number}/{step.index}/check"
            messages = _user(record.directory, image, text)
            requests.append(Request(request_id, messages=messages, params=_params(config), structured=spec))
            where[request_id] = (record, position, _audit(image, text))
    for request_id, completion in _run(generator, requests, "check descriptions").items():
        record, position, audit = where[request_id]
        step = record.steps[position]
        checked = None
        if not completion.ok:
            stats.check_failures += 1
        elif completion.value["verdict"] == "Good":
            checked = step.description
        else:
            checked = _clean_description(completion.value["correction"], stats, "check")
            stats.corrected += checked is not None
        record.steps[position] = step.with_(
            description_checked=checked, prompts={**step.prompts, "check": audit}
        )


def planned_action(step: Step) -> str:
    """The step's action as the planner would say it: clicks by description where one exists."""
    action = parse_action(step.action)
    description = step.description_checked or step.description
    if action.kind in CLICK_KINDS and description:
        action = Action(action.kind, target=description)
    return format_action(action, planned=True)


def strip_action(text: str) -> str:
    """The thought part of a reply: a leading "Thought:" label and everything from "Action:" on removed."""
    thought = text.split("Action:", 1)[0]
    return re.sub(r"(?i)^\s*thought\s*:\s*", "", thought).strip()


def thought_request(
    record: _Record, number: int, position: int, config: CompleteConfig
) -> tuple[Request, str]:
    """The stage-2 request for one step, built from the thoughts already written for the steps before it."""
    steps = record.steps
    first = max(0, position - config.history)
    history = [
        (step.thought or "(no thought recorded)", planned_action(step)) for step in steps[first:position]
    ]
    future = [planned_action(step) for step in steps[position + 1 : position + 1 + config.future]]
    step = steps[position]
    text = thought_prompt(record.task, history, first + 1, planned_action(step), future)
    image = step.marked_screenshot or step.screenshot
    request_id = f"{number}/{step.index}/thought"
    request = Request(request_id, messages=_user(record.directory, image, text), params=_params(config))
    return request, _audit(image, text)


def thought_stage(
    records: list[_Record], generator: Generator, config: CompleteConfig, stats: CompleteStats
) -> None:
    """Stage 2, step by step (each prompt shows the thoughts before it), all trajectories together."""
    longest = max((len(record.steps) for record in records), default=0)
    with progress_bar(sum(len(record.steps) for record in records), "write thoughts") as advance:
        for position in range(longest):
            batch = [
                (number, record) for number, record in enumerate(records) if position < len(record.steps)
            ]
            requests, where = [], {}
            for number, record in batch:
                request, audit = thought_request(record, number, position, config)
                requests.append(request)
                where[request.id] = (record, audit)
            for completion in generator.generate_all(requests, on_completion=lambda _: advance(1)):
                record, audit = where[completion.request_id]
                thought = _clean(strip_action(completion.text), "thought", stats)
                stats.thoughts += thought is not None
                step = record.steps[position]
                record.steps[position] = step.with_(
                    thought=thought, prompts={**step.prompts, "thought": audit}
                )


def complete_trajectories(
    directories: list[Path], generator: Generator, config: CompleteConfig | None = None
) -> CompleteStats:
    """Runs both stages over every trajectory and writes each one's completed.jsonl."""
    config = config or CompleteConfig()
    records = [_load(directory) for directory in directories]
    stats = CompleteStats(trajectories=len(records), steps=sum(len(record.steps) for record in records))
    describe_stage(records, generator, config, stats)
    check_stage(records, generator, config, stats)
    thought_stage(records, generator, config, stats)
    for record in records:
        write_steps(record.directory / COMPLETED_FILE, record.steps)
    return stats
