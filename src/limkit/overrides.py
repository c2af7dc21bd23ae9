"""Reading config files and `key=value` overrides the same way for `limkit curate` and `limkit train`.

Files are read as YAML 1.2 scalars: `5e-6` is a float (YAML 1.1 says string) and only true/false are
booleans (YAML 1.1 turns `save_strategy: no` into False). An override value is a string unless it is
clearly something else: a number, true/false, null, a quoted string, a bracketed list `[a, b]` or a
braced mapping `{key: value}`. So `prompt=Solve: {problem}` and `prompt={problem}` stay the text a shell
user typed, where plain YAML would turn them into mappings.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any

import yaml


class YAML12Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2's float and boolean rules."""


_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
YAML12Loader.yaml_implicit_resolvers = {
    key: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:float", "tag:yaml.org,2002:bool")
    ]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
YAML12Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))
YAML12Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))

_INT = re.compile(r"^[-+]?[0-9]+$")
_NULL = ("null", "Null", "NULL", "~")


def load_yaml(text: str) -> Any:
    """Parses a whole YAML document with YAML 1.2 scalars (raises yaml.YAMLError)."""
    return yaml.load(text, Loader=YAML12Loader)


def parse_value(text: str) -> Any:
    """One override value: text, unless it is clearly a number, boolean, null, quoted, a list or a mapping."""
    value = text.strip()
    if value in _NULL:
        return None
    if _BOOL.match(value):
        return value.lower() == "true"
    if _INT.match(value):
        return int(value)
    if _FLOAT.match(value):
        return float(value.replace("_", ""))
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return _structured(value, str, text)
    if value.startswith("[") and value.endswith("]"):
        return _structured(value, list, text)
    if value.startswith("{") and value.endswith("}"):
        return _structured(value, dict, text)
    return text


def _structured(value: str, kind: type, text: str) -> Any:
    """A quoted string, list or mapping as YAML reads it; anything else (`{problem}`) stays text."""
    try:
        parsed = load_yaml(value)
    except yaml.YAMLError:
        return text
    if not isinstance(parsed, kind):
        return text
    if isinstance(parsed, dict) and any(item is None for item in parsed.values()):
        return text  # `{problem}` is a template placeholder, not the mapping {problem: null}
    return parsed


def split_override(text: str) -> tuple[str, str] | None:
    """(`dotted.key`, raw value) of `key=value`, or None when it is not of that form."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        return None
    return key, raw


def override_origin(text: str) -> str:
    """Where an error says a value came from when the command line, not the file, set it."""
    return f"override {text!r}"


def matches_annotation(value: Any, annotation: Any) -> bool:
    """Whether a parsed config value fits a dataclass field's annotation (unions, simple types, typed
    lists and mappings); annotations it does not know are left to the field's own checks."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(matches_annotation(value, arg) for arg in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is str:
        return isinstance(value, str)
    if origin is list:
        (item_type,) = typing.get_args(annotation) or (Any,)
        return isinstance(value, list) and all(matches_annotation(item, item_type) for item in value)
    if origin is dict:
        key_type, value_type = typing.get_args(annotation) or (Any, Any)
        return isinstance(value, dict) and all(
            matches_annotation(k, key_type) and matches_annotation(v, value_type) for k, v in value.items()
        )
    return True
