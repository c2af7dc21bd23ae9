"""Turning a recipe's plain YAML mapping into a typed step (or nested options object), checking every key.

Steps and their nested option groups are dataclasses whose fields carry `help` (and `choices` for
enumerations) in their metadata, TRL style: `dataclasses.field(default=..., metadata=doc("..."))`.
Unknown keys and wrong types raise `OptionError` naming the option's dotted path, which the recipe
loader prefixes with the step's place in the recipe.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class OptionError(ValueError):
    """A bad option value; `option` is its dotted path inside the step (e.g. `teachers.0.model`)."""

    def __init__(self, option: str, message: str) -> None:
        self.option = option
        self.message = message
        super().__init__(f"{option}: {message}" if option else message)


def doc(help: str, choices: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Field metadata: the help text (and allowed values) of an option, TRL style."""
    return {"help": help, "choices": choices}


def option_fields(cls: type) -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(cls) if f.init and not f.name.startswith("_")]


def build(cls: type[T], options: Any, path: str = "") -> T:
    """Builds `cls` from a mapping, checking names, types and choices; raises OptionError naming the key."""
    if isinstance(options, cls):
        return options
    if options is None:
        options = {}
    if not isinstance(options, Mapping):
        raise OptionError(path, f"expected a mapping of options, got {type(options).__name__}")
    known = {f.name: f for f in option_fields(cls)}
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for key, value in options.items():
        where = _join(path, str(key))
        if key not in known:
            raise OptionError(where, _unknown(str(key), known))
        values[key] = _coerce(value, hints[key], where)
        _check_choices(known[key], values[key], where)
    try:
        return cls(**values)
    except OptionError as error:
        raise OptionError(_join(path, error.option), error.message) from None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _unknown(key: str, known: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown option{hint}; valid options: {', '.join(sorted(known))}"


def _check_choices(field: dataclasses.Field[Any], value: Any, where: str) -> None:
    choices = field.metadata.get("choices")
    if choices and value is not None and value not in choices:
        raise OptionError(where, f"expected one of {', '.join(choices)}, got {value!r}")


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """Checks `value` against a type hint, converting only where YAML is loose (ints for floats)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(value, arg, where)
            except OptionError as error:
                errors.append(error.message)
        raise OptionError(where, errors[-1] if errors else f"unexpected value {value!r}")
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise OptionError(where, f"expected a list, got {_kind(value)}")
        return [_coerce(element, item, f"{where}.{index}") for index, element in enumerate(value)]
    if origin is dict:
        _, item = typing.get_args(hint)
        if not isinstance(value, Mapping):
            raise OptionError(where, f"expected a mapping, got {_kind(value)}")
        # A null entry unsets it (`input.fields.domain=null`) where the mapping cannot hold a null.
        return {
            str(k): _coerce(v, item, f"{where}.{k}")
            for k, v in value.items()
            if v is not None or _accepts_none(item)
        }
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return build(hint, value, where)
    return _scalar(value, hint, where)


def _accepts_none(hint: Any) -> bool:
    if hint is Any:
        return True
    return typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in typing.get_args(hint)


def _scalar(value: Any, hint: Any, where: str) -> Any:
    if hint is Any:
        return value
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise OptionError(where, f"expected true or false, got {_kind(value)}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise OptionError(where, f"expected an integer, got {_kind(value)}")
    if hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise OptionError(where, f"expected a number, got {_kind(value)}")
    if hint is str:
        if isinstance(value, str):
            return value
        raise OptionError(where, f"expected a string, got {_kind(value)}")
    raise OptionError(where, f"unsupported option type {hint!r}")


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return f"{type(value).__name__} {value!r}" if not isinstance(value, dict | list) else type(value).__name__


def describe(cls: type) -> list[tuple[str, str, Any, str]]:
    """(name, type, default, help) for every option: what `limkit curate --list-steps` prints."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in option_fields(cls):
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = None
        type_name = getattr(hints[f.name], "__name__", None) or str(hints[f.name]).replace("typing.", "")
        out.append((f.name, type_name, default, f.metadata.get("help", "")))
    return out
