"""Instruction data in the shapes people keep it in, read into records and written back the same way.

Shapes: `messages` (OpenAI/TRL chat), `sharegpt` (`conversations` or `items` of `{from, value}`, the
ReAlign release's own shape), `alpaca` (`instruction`, `input`, `output`) and `problem_solution`
(GSM8K/MATH: a problem column and a solution column, mapped with `fields`). A record carries the
prompt (`problem`, the last user turn), the response to rewrite (`response`, the last assistant turn),
the shape and the source row, so the output can be the same row with only that response replaced.
"""

from __future__ import annotations

import copy
from typing import Any

from limkit.curate._record import Record
from limkit.errors import LimkitError

SHAPES = ("auto", "messages", "sharegpt", "alpaca", "problem_solution")
_USER = ("human", "user")
_ASSISTANT = ("gpt", "assistant", "chatgpt", "bard", "model")


def detect_shape(row: dict[str, Any]) -> str:
    if isinstance(row.get("messages"), list):
        return "messages"
    if isinstance(row.get("conversations"), list) or isinstance(row.get("items"), list):
        return "sharegpt"
    if "instruction" in row and "output" in row:
        return "alpaca"
    return "problem_solution"


def instruction_record(
    row: dict[str, Any], shape: str, fields: dict[str, str], source: str, position: int
) -> Record:
    """`{"problem", "response", "shape", "row", ...}` for one source row (the id is added by the caller).

    Raises:
        LimkitError: the row does not have the shape's fields; names the source, line and field.
    """
    kind = detect_shape(row) if shape == "auto" else shape
    if kind == "messages":
        turns = _turns(row, "messages", "role", "content", source, position)
    elif kind == "sharegpt":
        key = "conversations" if isinstance(row.get("conversations"), list) else "items"
        turns = _turns(row, key, "from", "value", source, position)
    elif kind == "alpaca":
        return _alpaca(row, source, position)
    else:
        return _problem_solution(row, fields, source, position)
    record = _from_turns(turns, source, position)
    record.update(shape=kind, row=row)
    given = next((t[2] for t in turns if t[2]), None)
    if given:
        record["given_task"] = given
    return record


def _turns(
    row: dict[str, Any], key: str, role_key: str, text_key: str, source: str, position: int
) -> list[tuple[str, str, str | None]]:
    """(role: user|assistant|system, text, category) per turn."""
    value = row.get(key)
    if not isinstance(value, list) or not value:
        raise LimkitError("expected a non-empty list of turns", path=source, line=position, field=key)
    turns = []
    for index, turn in enumerate(value):
        where = f"{key}[{index}]"
        if not isinstance(turn, dict) or not isinstance(turn.get(text_key), str):
            raise LimkitError(
                f"expected a turn with a text {text_key!r}", path=source, line=position, field=where
            )
        role = str(turn.get(role_key, "")).lower()
        if role in _USER:
            role = "user"
        elif role in _ASSISTANT:
            role = "assistant"
        elif role != "system":
            raise LimkitError(
                f"unknown speaker {turn.get(role_key)!r}",
                path=source,
                line=position,
                field=f"{where}.{role_key}",
            )
        category = turn.get("category")
        turns.append((role, turn[text_key], category if isinstance(category, str) else None))
    return turns


def _from_turns(turns: list[tuple[str, str, str | None]], source: str, position: int) -> Record:
    """The last assistant turn is the response; the user turn before it is the prompt."""
    last = max((i for i, turn in enumerate(turns) if turn[0] == "assistant"), default=None)
    before = turns[:last] if last is not None else turns
    prompt = next((t[1] for t in reversed(before) if t[0] == "user"), None)
    if prompt is None:
        raise LimkitError("no user turn", path=source, line=position, field="messages")
    return {"problem": prompt, "response": turns[last][1] if last is not None else None}


def _text(row: dict[str, Any], column: str, source: str, position: int, required: bool = True) -> str | None:
    value = row.get(column)
    if value is None and not required:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise LimkitError("missing or not text", path=source, line=position, field=column)
    return str(value)


def _alpaca(row: dict[str, Any], source: str, position: int) -> Record:
    instruction = _text(row, "instruction", source, position) or ""
    extra = _text(row, "input", source, position, required=False)
    problem = f"{instruction}\n\n{extra}" if extra and extra.strip() else instruction
    return {
        "problem": problem,
        "response": _text(row, "output", source, position),
        "shape": "alpaca",
        "row": row,
    }


def _problem_solution(row: dict[str, Any], fields: dict[str, str], source: str, position: int) -> Record:
    problem_column = fields.get("problem", "problem")
    solution_column = fields.get("solution", "solution")
    record: Record = {
        "problem": _text(row, problem_column, source, position),
        "response": _text(row, solution_column, source, position),
        "shape": "problem_solution",
        "response_field": solution_column,
        "row": row,
    }
    answer_column = fields.get("answer", "answer")
    if answer_column != solution_column and row.get(answer_column) is not None:
        record["answer"] = _text(row, answer_column, source, position)
    return record


def with_response(record: Record, response: str) -> dict[str, Any]:
    """The record's source row with the response replaced (the same shape as the input)."""
    row = copy.deepcopy(record.get("row") or {"id": record["id"], "problem": record["problem"]})
    shape = record.get("shape", "problem_solution")
    if shape == "alpaca":
        row["output"] = response
    elif shape == "problem_solution":
        row[record.get("response_field", "solution")] = response
    else:
        key, role_key, text_key = _turn_keys(row, shape)
        turns = row[key]
        index = _last_assistant(turns, role_key)
        if index is not None:
            turns[index][text_key] = response
    return row


def _turn_keys(row: dict[str, Any], shape: str) -> tuple[str, str, str]:
    if shape == "messages":
        return "messages", "role", "content"
    return ("conversations" if isinstance(row.get("conversations"), list) else "items"), "from", "value"


def _last_assistant(turns: list[dict[str, Any]], role_key: str) -> int | None:
    return max(
        (i for i, t in enumerate(turns) if str(t.get(role_key, "")).lower() in _ASSISTANT),
        default=None,
    )


def chat_messages(record: Record, response: str) -> list[dict[str, str]]:
    """SFT chat messages: the conversation up to the response, then the (final) response."""
    shape = record.get("shape")
    row = record.get("row")
    if shape in ("messages", "sharegpt") and isinstance(row, dict):
        key, role_key, text_key = _turn_keys(row, shape)
        turns = row[key]
        last = _last_assistant(turns, role_key)
        messages = []
        for turn in turns[: last if last is not None else len(turns)]:
            role = str(turn.get(role_key, "")).lower()
            role = "user" if role in _USER else "assistant" if role in _ASSISTANT else "system"
            messages.append({"role": role, "content": str(turn[text_key])})
        return [*messages, {"role": "assistant", "content": response}]
    return [{"role": "user", "content": record["problem"]}, {"role": "assistant", "content": response}]


def response_of(record: Record) -> str | None:
    """The response to rewrite: `response`, or a plain pool record's `solution`."""
    value = record.get("response", record.get("solution"))
    return value if isinstance(value, str) else None
