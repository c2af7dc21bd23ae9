"""`limkit train keys KIND`: every key a recipe accepts, with its type, default and help text.

limkit's own keys come first (their help lives in `LIMKIT_KEYS` and the section dataclasses' field
metadata); then every field of the recipe's TRL config, with the help TRL itself documents.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, NamedTuple

from limkit.errors import LimkitError
from limkit.train._config import LIMKIT_KEYS, RECIPE_KINDS, SECTION_KINDS, SECTIONS, trl_config_class


class KeyHelp(NamedTuple):
    """One documented key: dotted name, type, default and help text."""

    key: str
    type: str
    default: Any
    help: str


def recipe_keys(kind: str) -> tuple[list[KeyHelp], list[KeyHelp]]:
    """(limkit's keys, the TRL config's keys) for a `limkit train KIND` recipe."""
    if kind not in RECIPE_KINDS:
        raise LimkitError(f"unknown recipe {kind!r}; choose one of {', '.join(RECIPE_KINDS)}", field="kind")
    own = []
    for key, text in LIMKIT_KEYS.items():
        if key in SECTION_KINDS and kind not in SECTION_KINDS[key]:
            continue
        if key in SECTIONS:
            own.extend(_fields(SECTIONS[key], prefix=f"{key}."))
        else:
            own.append(KeyHelp(key, "", None, text))
    return own, _fields(trl_config_class(kind))


def _fields(cls: type, prefix: str = "") -> list[KeyHelp]:
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # an annotation TRL's module cannot resolve: fall back to the raw annotation
        hints = {}
    out = []
    for item in dataclasses.fields(cls):
        if not item.init or item.name.startswith("_"):
            continue
        annotation = hints.get(item.name, item.type)
        out.append(KeyHelp(prefix + item.name, _type_name(annotation), _default(item), _one_line(item)))
    return out


def _default(item: dataclasses.Field[Any]) -> Any:
    if item.default is not dataclasses.MISSING:
        return item.default
    if item.default_factory is not dataclasses.MISSING:
        return item.default_factory()
    return None


def _one_line(item: dataclasses.Field[Any]) -> str:
    return " ".join(str(item.metadata.get("help", "")).split())


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def format_keys(kind: str) -> str:
    """The text `limkit train keys KIND` prints."""
    own, trl = recipe_keys(kind)
    cls = trl_config_class(kind)
    lines = [f"limkit keys of `limkit train {kind}` recipes:"]
    lines.extend(_line(entry) for entry in own)
    lines.append(f"{cls.__module__.split('.')[0]} {cls.__name__} keys (top level, like limkit's):")
    lines.extend(_line(entry) for entry in trl)
    return "\n".join(lines)


def _line(entry: KeyHelp) -> str:
    kind = f" ({entry.type}, default {entry.default!r})" if entry.type else ""
    return f"  {entry.key}{kind}: {entry.help}"
