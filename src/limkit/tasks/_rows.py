"""Turning source rows into `TaskSample`s: field lookup, answer normalisation, multiple-choice handling.

Every problem names its place: the file (or hub id@revision), the 1-based line or record, and the field.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterable
from typing import Any

from limkit.errors import LimkitError
from limkit.tasks._choices import LETTERS, ChoiceMode, ChoiceQuestion, parse_options
from limkit.tasks._safety import expected_behaviour, last_user_turn
from limkit.tasks._spec import FieldMap, TaskSpec
from limkit.tasks._task import TaskSample

OLYMPIAD_ANSWER_TYPES = {
    "numerical": "NV",
    "expression": "EX",
    "equation": "EQ",
    "tuple": "TUP",
    "interval": "IN",
}
"""OlympiadBench's descriptive answer types mapped to the grader's OlympicArena codes."""

ANSWER_TYPE_CODES = frozenset({"SC", "MC", "TF", "NV", "SET", "IN", "EX", "EQ", "TUP", "MPV", "MA", "OT"})


def rows_to_samples(
    spec: TaskSpec,
    rows: Iterable[tuple[int, dict[str, Any]]],
    source: str,
    seed: int,
    mode: ChoiceMode | None = None,
) -> list[TaskSample]:
    """Converts (position, row) pairs; duplicate ids are an error naming both positions."""
    samples: list[TaskSample] = []
    seen: dict[str, int] = {}
    for position, row in rows:
        if any(name in row and row[name] != value for name, value in spec.keep):
            continue
        sample = row_to_sample(spec, row, position, source, seed, mode or ChoiceMode())
        if sample.id in seen:
            raise LimkitError(
                f"duplicate id {sample.id!r} (first at {seen[sample.id]})",
                path=source,
                line=position,
                field=_present(spec.fields.id, row) or "id",
            )
        seen[sample.id] = position
        samples.append(sample)
    return samples


def row_to_sample(
    spec: TaskSpec,
    row: dict[str, Any],
    position: int,
    source: str,
    seed: int,
    mode: ChoiceMode | None = None,
) -> TaskSample:
    fields = spec.fields
    sample_id = _sample_id(fields, row, position, source)
    problem = _required_text(fields.problem, row, position, source)
    metadata = {key: row[key] for key in fields.metadata if key in row}
    if spec.is_multiple_choice:
        mode = mode or ChoiceMode()
        question = _choice_question(spec, row, problem, position, source)
        shuffle_seed = mode.shuffle_seed(spec.shuffle_choices, seed)
        if shuffle_seed is not None:
            question = question.shuffled(shuffle_seed, sample_id)
        if mode.option_free:
            metadata["gold_letter"] = question.gold_letter
            return TaskSample(sample_id, question.open_stem, question.gold_text, "OT", metadata)
        metadata["choices"] = list(question.options)
        return TaskSample(sample_id, question.stem, question.gold_letter, spec.answer_type, metadata)
    answer = expected_behaviour(fields.answer_rule, row) if fields.answer_rule else None
    answer = answer or _answer(fields, row, position, source)
    return TaskSample(sample_id, problem, answer, _answer_type(spec, row), metadata)


def _present(candidates: tuple[str, ...], row: dict[str, Any]) -> str | None:
    return next((name for name in candidates if name in row and row[name] is not None), None)


def _sample_id(fields: FieldMap, row: dict[str, Any], position: int, source: str) -> str:
    name = _present(fields.id, row)
    if name is None:
        return str(position)
    value = row[name]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise LimkitError(
            f"expected a string or integer id, got {type(value).__name__}",
            path=source,
            line=position,
            field=name,
        )
    text = _number_text(value) if isinstance(value, float) else str(value)
    if not text.strip():
        raise LimkitError("empty id", path=source, line=position, field=name)
    return text.strip()


def _required_text(candidates: tuple[str, ...], row: dict[str, Any], position: int, source: str) -> str:
    name = _present(candidates, row)
    if name is None:
        raise LimkitError(
            f"missing (expected one of: {', '.join(candidates)})",
            path=source,
            line=position,
            field=candidates[0],
        )
    value = last_user_turn(row[name])
    if not isinstance(value, str) or not value.strip():
        raise LimkitError("expected a non-empty string", path=source, line=position, field=name)
    return value


def _answer(fields: FieldMap, row: dict[str, Any], position: int, source: str) -> str:
    name = _present(fields.answer, row)
    if name is None:
        raise LimkitError(
            f"missing (expected one of: {', '.join(fields.answer)})",
            path=source,
            line=position,
            field=fields.answer[0],
        )
    value = row[name]
    if fields.answer_is_list:
        value = _as_list(value, position, source, name)
    text = answer_text(value)
    if text is None:
        raise LimkitError(
            f"expected a string, number or list of them, got {value!r}",
            path=source,
            line=position,
            field=name,
        )
    return text


def answer_text(value: Any) -> str | None:
    """A gold value as text: 27.0 -> "27", [a, b] -> "a, b"; None for values that are not answers."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float):
        return _number_text(value)
    if isinstance(value, list | tuple):
        parts = [answer_text(item) for item in value]
        if not parts or any(part is None for part in parts):
            return None
        return ", ".join(part for part in parts if part is not None)
    return None


def _number_text(value: float) -> str:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_list(value: Any, position: int, source: str, name: str) -> Any:
    """Accepts a real list or a string holding a Python list literal such as "['2']" (never `eval`)."""
    if not isinstance(value, str) or not value.lstrip().startswith("["):
        return value
    try:
        parsed = ast.literal_eval(value.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise LimkitError(
            "expected a list literal such as \"['2']\"", path=source, line=position, field=name
        ) from None
    if not isinstance(parsed, list):
        raise LimkitError(
            f"expected a list literal, got {type(parsed).__name__}", path=source, line=position, field=name
        )
    return parsed


def _answer_type(spec: TaskSpec, row: dict[str, Any]) -> str | None:
    fields = spec.fields
    if fields.multiple_answers and row.get(fields.multiple_answers) is True:
        return "MA"
    if fields.answer_type and isinstance(row.get(fields.answer_type), str):
        raw = row[fields.answer_type].strip()
        if raw.upper() in ANSWER_TYPE_CODES:
            return raw.upper()
        mapped = OLYMPIAD_ANSWER_TYPES.get(raw.lower())
        return mapped if mapped is not None else spec.answer_type
    return spec.answer_type


def _choice_question(
    spec: TaskSpec, row: dict[str, Any], problem: str, position: int, source: str
) -> ChoiceQuestion:
    fields = spec.fields
    if fields.choices and all(column in row for column in fields.choices):
        options = tuple(_required_text((column,), row, position, source).strip() for column in fields.choices)
        return ChoiceQuestion(problem.strip(), options, gold=0)
    listed = _listed_options(fields, row, position, source)
    if listed is not None:
        return ChoiceQuestion(problem.strip(), listed, _gold_index(fields, row, listed, position, source))
    parsed = parse_options(problem)
    if parsed is None:
        name = _present(fields.problem, row) or "question"
        raise LimkitError(
            "expected lettered options 'A. ...' to 'D. ...' in the question text",
            path=source,
            line=position,
            field=name,
        )
    stem, options = parsed
    return ChoiceQuestion(stem, options, _gold_index(fields, row, options, position, source))


def _listed_options(
    fields: FieldMap, row: dict[str, Any], position: int, source: str
) -> tuple[str, ...] | None:
    """Options from an `options` column ({letter: text} or a list) or from one column per option."""
    name = _present(fields.options, row)
    if name is not None:
        value = row[name]
        if isinstance(value, dict):
            letters = sorted(str(key).strip().upper() for key in value)
            if letters != list(LETTERS[: len(letters)]) or len(letters) < 2:
                raise LimkitError(
                    f"expected option letters A, B, C, ... got {sorted(value)}",
                    path=source,
                    line=position,
                    field=name,
                )
            texts = [value[key] for key in sorted(value, key=lambda key: str(key).strip().upper())]
        elif isinstance(value, list) and len(value) >= 2:
            texts = value
        else:
            raise LimkitError(
                "expected a {letter: text} mapping or a list of option texts",
                path=source,
                line=position,
                field=name,
            )
        if not all(isinstance(text, str) and text.strip() for text in texts):
            raise LimkitError(
                "every option must be a non-empty string", path=source, line=position, field=name
            )
        return tuple(text.strip() for text in texts)
    present = [column for column in fields.option_columns if row.get(column) not in (None, "")]
    if fields.option_columns and len(present) >= 2:
        return tuple(_required_text((column,), row, position, source).strip() for column in present)
    return None


def _gold_index(
    fields: FieldMap, row: dict[str, Any], options: tuple[str, ...], position: int, source: str
) -> int:
    """The gold option: its letter column when there is one, else the option equal to the answer text."""
    letters = LETTERS[: len(options)]
    letter_field = _present(fields.answer_letter, row)
    if letter_field is None:
        answer_field = _present(fields.answer, row)
        value = str(row[answer_field]).strip() if answer_field else ""
        if len(value) == 1 and value.upper() in letters:
            return letters.index(value.upper())
        if value in options:
            return options.index(value)
        raise LimkitError(
            f"expected an option letter {letters[0]}-{letters[-1]} or the text of one option, got {value!r}",
            path=source,
            line=position,
            field=answer_field or fields.answer[0],
        )
    letter = str(row[letter_field]).strip().upper()
    if len(letter) != 1 or letter not in letters:
        raise LimkitError(
            f"expected an option letter {letters[0]}-{letters[-1]}, got {row[letter_field]!r}",
            path=source,
            line=position,
            field=letter_field,
        )
    return letters.index(letter)
