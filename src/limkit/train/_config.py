"""Recipe configs: one YAML file mapped onto TRL's config dataclass plus limkit's own fields.

A config is flat, like TRL's own YAML files: every top-level key is either one of limkit's keys
(`model`, `data`, `reward`, ...) or a field of the recipe's TRL config (`learning_rate`, ...). A key that
is neither is an error naming the file, its line and the closest valid keys, raised before any model
is loaded. `key=value` overrides use dotted keys (`data.path=x.jsonl`, `model_init_kwargs.dtype=bfloat16`)
with values read by `limkit.overrides.parse_value` (text unless clearly a number, boolean, null or list).
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from limkit.errors import LimkitError
from limkit.overrides import (
    YAML12Loader,
    load_yaml,
    matches_annotation,
    override_origin,
    parse_value,
    split_override,
)

RECIPE_KINDS = ("sft", "dpo", "grpo", "wspo")
DATA_FORMATS = ("chat", "text")
REWARD_NAMES = ("limr", "accuracy")


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass
class DataSpec:
    """Where the training rows live and how their columns map onto the fields a recipe needs.

    `fields` maps a recipe's canonical field (`prompt`, `response`, `messages`, `chosen`, `answer`,
    `sample_id`, ...) to the column that holds it, so a pool such as `{problem, solution}` trains
    without rewriting the file.
    """

    path: str = field(
        default="", metadata=_help("JSONL/JSON/Parquet file, save_to_disk directory, or hub dataset id.")
    )
    revision: str | None = field(default=None, metadata=_help("Pinned commit of a hub dataset."))
    split: str = field(default="train", metadata=_help("Split of a hub dataset or a DatasetDict directory."))
    format: str = field(
        default="chat", metadata=_help("chat: rows rendered with the chat template; text: plain text.")
    )
    fields: dict[str, str] = field(
        default_factory=dict,
        metadata=_help("Map from a recipe field (prompt, response, messages, chosen, ...) to a column."),
    )
    system_prompt: str | None = field(default=None, metadata=_help("System message added to every prompt."))
    prompt_template: str = field(
        default="{prompt}", metadata=_help("Template for the user turn; {prompt} is the row's prompt.")
    )
    limit: int | None = field(default=None, metadata=_help("Train on the first N rows only."))


@dataclass
class RewardSpec:
    """The GRPO reward: LIMR's rule reward or plain accuracy, both graded by `limkit.grade`."""

    name: str = field(default="limr", metadata=_help("limr (LIMR's rule reward) or accuracy (1 or 0)."))
    answer_type: str | None = field(
        default=None, metadata=_help("Grader answer type for every row (null: each row's own or auto).")
    )
    correct: float = field(default=1.0, metadata=_help("Reward for a correct boxed answer."))
    wrong: float = field(default=-0.5, metadata=_help("Reward for a wrong boxed answer."))
    invalid: float = field(
        default=-1.0, metadata=_help("Reward for no box, too many boxes, truncation or a repetition loop.")
    )
    max_boxes: int = field(default=5, metadata=_help("More boxes than this make a completion invalid."))
    timeout: float = field(default=5.0, metadata=_help("Seconds allowed to grade one completion."))
    log_rollouts: bool = field(
        default=True, metadata=_help("Write every rollout's reward to rollouts.jsonl (for select lim).")
    )


@dataclass
class WSPOSpec:
    """The weak model pair whose log-ratio WSPO transfers, when it is not precomputed in the data."""

    weak_aligned: str | None = field(default=None, metadata=_help("The weak model after alignment."))
    weak_reference: str | None = field(default=None, metadata=_help("The weak model before alignment."))
    weak_revision: str | None = field(default=None, metadata=_help("Pinned hub commit of the weak models."))
    batch_size: int = field(default=8, metadata=_help("Rows per forward pass of the weak models."))


@dataclass
class TrainConfig:
    """A validated recipe: limkit's fields plus the keyword arguments for the TRL config class."""

    kind: str
    model: str
    source: str
    revision: str | None = None
    tokenizer: str | None = None
    chat_template: str | None = None
    overwrite_output: bool = False
    data: DataSpec = field(default_factory=DataSpec)
    reward: RewardSpec = field(default_factory=RewardSpec)
    wspo: WSPOSpec = field(default_factory=WSPOSpec)
    trl: dict[str, Any] = field(default_factory=dict)

    def trl_args(self) -> Any:
        """Builds the TRL config dataclass; TRL's own checks become errors naming the config file."""
        cls = trl_config_class(self.kind)
        try:
            return cls(**self.trl)
        except (TypeError, ValueError) as error:
            raise LimkitError(f"invalid {cls.__name__} settings: {error}", path=self.source) from None


# Keys limkit reads itself; everything else at the top level must be a field of the TRL config.
LIMKIT_KEYS = {
    "recipe": "Which `limkit train` command the file is for (sft, dpo, grpo, wspo).",
    "model": "Model to train: a local directory or a hub id.",
    "revision": "Pinned hub commit of the model (ignored for a local directory).",
    "tokenizer": "Tokenizer directory or hub id (default: the model's).",
    "chat_template": "A .jinja file or a tokenizer directory whose chat template replaces the model's.",
    "overwrite_output": "Start over in an output_dir that holds an earlier run (its logs are deleted).",
    "data": "Training rows; see the data.* keys.",
    "reward": "GRPO reward; see the reward.* keys.",
    "wspo": "WSPO weak models; see the wspo.* keys.",
}
_LIMKIT_KEYS = tuple(LIMKIT_KEYS)
SECTIONS: dict[str, type] = {"data": DataSpec, "reward": RewardSpec, "wspo": WSPOSpec}
SECTION_KINDS = {"reward": ("grpo",), "wspo": ("wspo",)}


def trl_config_class(kind: str) -> type:
    """The TRL config dataclass behind a recipe (WSPO extends DPO's, so it shares its fields)."""
    if kind == "sft":
        from trl import SFTConfig

        return SFTConfig
    if kind in ("dpo", "wspo"):
        from trl import DPOConfig

        return DPOConfig
    if kind == "grpo":
        from trl import GRPOConfig

        return GRPOConfig
    raise LimkitError(f"unknown recipe {kind!r}; choose one of {', '.join(RECIPE_KINDS)}")


def load_config(kind: str, path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> TrainConfig:
    """Reads a recipe file, applies `key=value` overrides and validates every key and value."""
    if kind not in RECIPE_KINDS:
        raise LimkitError(f"unknown recipe {kind!r}; choose one of {', '.join(RECIPE_KINDS)}")
    path = Path(path)
    raw, lines = _read_yaml(path)
    origins: dict[str, tuple[str, int | None]] = {key: (str(path), line) for key, line in lines.items()}
    for override in overrides:
        _apply_override(raw, override, origins)
    return _build(kind, raw, origins, str(path))


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    if not path.is_file():
        raise LimkitError("config file not found", path=path)
    text = path.read_text(encoding="utf-8")
    try:
        raw = load_yaml(text)
        node = yaml.compose(text, Loader=YAML12Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise LimkitError(
            f"not valid YAML ({getattr(error, 'problem', error)})", path=path, line=line
        ) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise LimkitError(f"expected a mapping of keys to values, got {type(raw).__name__}", path=path)
    return raw, _key_lines(node)


def _key_lines(node: Any) -> dict[str, int]:
    """1-based line of every top-level key and every key one level down (`data.path`)."""
    lines: dict[str, int] = {}
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key_node, value_node in node.value:
        key = str(key_node.value)
        lines[key] = key_node.start_mark.line + 1
        if isinstance(value_node, yaml.MappingNode):
            for sub_key, _ in value_node.value:
                lines[f"{key}.{sub_key.value}"] = sub_key.start_mark.line + 1
    return lines


def _apply_override(raw: dict[str, Any], override: str, origins: dict[str, tuple[str, int | None]]) -> None:
    parsed = split_override(override)
    if parsed is None:
        raise LimkitError(f"override {override!r} is not of the form key=value (dotted keys allowed)")
    key, text = parsed
    parts = key.split(".")
    target = raw
    for depth, part in enumerate(parts[:-1]):
        current = target.get(part)
        if current is None:
            current = target[part] = {}
        if not isinstance(current, dict):
            where = ".".join(parts[: depth + 1])
            raise LimkitError(f"override {override!r}: '{where}' is not a mapping, so it has no sub-keys")
        target = current
    target[parts[-1]] = parse_value(text)
    origins[key] = (override_origin(override), None)
    origins.setdefault(parts[0], (override_origin(override), None))


def _build(
    kind: str, raw: dict[str, Any], origins: dict[str, tuple[str, int | None]], source: str
) -> TrainConfig:
    recipe = raw.get("recipe")
    if recipe is not None and recipe != kind:
        _fail(
            f"this config is for `limkit train {recipe}`, not `limkit train {kind}`; run `limkit train "
            f"{recipe} ...`, or set recipe={kind} if the file really is a {kind} recipe",
            "recipe",
            origins,
        )
    for section, kinds in SECTION_KINDS.items():
        if section in raw and kind not in kinds:
            _fail(f"'{section}' applies only to {'/'.join(kinds)} recipes, not {kind}", section, origins)
    trl_fields = {f.name: f for f in dataclasses.fields(trl_config_class(kind)) if f.init}
    valid = set(_LIMKIT_KEYS) | set(trl_fields)
    for key in raw:
        if key not in valid:
            _fail_unknown(key, valid, origins, "key", other_kinds=_kinds_with_field(str(key), kind))
    _check_trl_values(kind, raw, origins)
    sections = {name: _section(name, raw.get(name), origins) for name in SECTIONS}
    config = TrainConfig(
        kind=kind,
        model=_required_str(raw, "model", origins),
        source=source,
        revision=_optional_str(raw, "revision", origins),
        tokenizer=_optional_str(raw, "tokenizer", origins),
        chat_template=_optional_str(raw, "chat_template", origins),
        overwrite_output=_bool(raw, "overwrite_output", origins),
        data=sections["data"],
        reward=sections["reward"],
        wspo=sections["wspo"],
        trl={key: value for key, value in raw.items() if key in trl_fields},
    )
    _check_choices(config, origins)
    return config


_SIMPLE_TYPES = (int, float, bool, str, type(None))


def _check_trl_values(kind: str, raw: dict[str, Any], origins: dict[str, tuple[str, int | None]]) -> None:
    """Checks values of TRL fields whose type is plain (numbers, flags, text, mappings) before TRL sees them.

    TrainingArguments does not check types itself, so `learning_rate: fast` would only fail mid-run.
    """
    try:
        hints = typing.get_type_hints(trl_config_class(kind))
    except Exception:  # an annotation TRL's own module cannot resolve: leave checking to TRL
        return
    for key, value in raw.items():
        annotation = hints.get(key)
        if annotation is None or key in _LIMKIT_KEYS or key == "resume_from_checkpoint":
            continue  # resume_from_checkpoint: limkit also takes true/"last" (see _runs.resolve_checkpoint)
        options = (
            typing.get_args(annotation)
            if typing.get_origin(annotation) in (typing.Union, types.UnionType)
            else (annotation,)
        )
        if isinstance(value, dict):
            if not any(option is dict or typing.get_origin(option) is dict for option in options):
                _fail(f"expected {_type_name(annotation)}, got a mapping", key, origins)
        elif all(option in _SIMPLE_TYPES for option in options) and not matches_annotation(value, annotation):
            _fail(f"expected {_type_name(annotation)}, got {value!r}", key, origins)


def _section(name: str, value: Any, origins: dict[str, tuple[str, int | None]]) -> Any:
    cls = SECTIONS[name]
    if value is None:
        value = {}
    if not isinstance(value, dict):
        _fail(f"expected a mapping, got {type(value).__name__}", name, origins)
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key, item in value.items():
        dotted = f"{name}.{key}"
        if key not in names:
            _fail_unknown(str(key), {f"{name}.{n}" for n in names}, origins, "key", shown=dotted)
        if not matches_annotation(item, hints[key]):
            _fail(f"expected {_type_name(hints[key])}, got {item!r}", dotted, origins)
    return cls(**value)


def _check_choices(config: TrainConfig, origins: dict[str, tuple[str, int | None]]) -> None:
    if not config.data.path:
        _fail(
            "missing: every recipe needs data.path (a JSONL/JSON/Parquet file, a dataset directory or a "
            "hub dataset id)",
            "data.path",
            origins,
        )
    if config.data.format not in DATA_FORMATS:
        _fail(f"expected one of {', '.join(DATA_FORMATS)}", "data.format", origins)
    if "{prompt}" not in config.data.prompt_template:
        _fail("must contain the placeholder {prompt}", "data.prompt_template", origins)
    max_steps = config.trl.get("max_steps", -1)
    if isinstance(max_steps, int) and not (max_steps == -1 or max_steps > 0):
        _fail(
            f"must be a positive number of steps, or -1 to train for num_train_epochs; got {max_steps}",
            "max_steps",
            origins,
        )
    if config.reward.name not in REWARD_NAMES:
        _fail(f"expected one of {', '.join(REWARD_NAMES)}", "reward.name", origins)
    if config.reward.max_boxes < 2:
        _fail("must be at least 2 (one box is the answer)", "reward.max_boxes", origins)
    weak = (config.wspo.weak_aligned, config.wspo.weak_reference)
    if any(weak) and not all(weak):
        _fail(
            "set both wspo.weak_aligned and wspo.weak_reference, or neither (precomputed column)",
            "wspo.weak_aligned" if not weak[0] else "wspo.weak_reference",
            origins,
        )


def _fail(message: str, key: str, origins: dict[str, tuple[str, int | None]]) -> typing.NoReturn:
    where, line = origins.get(key) or origins.get(key.split(".")[0]) or ("", None)
    raise LimkitError(message, path=where or None, line=line, field=key)


def _fail_unknown(
    key: str,
    valid: set[str],
    origins: dict[str, tuple[str, int | None]],
    what: str,
    shown: str | None = None,
    other_kinds: tuple[str, ...] = (),
) -> typing.NoReturn:
    shown = shown or key
    if other_kinds:
        _fail(
            f"'{shown}' is a key of `limkit train {'/'.join(other_kinds)}` recipes, not of this one: is this "
            f"a {other_kinds[0]} recipe? (`limkit train keys KIND` lists each recipe's keys)",
            shown,
            origins,
        )
    candidates = difflib.get_close_matches(shown, sorted(valid), n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(repr(c) for c in candidates)}?)" if candidates else ""
    _fail(f"unknown {what} '{shown}': not a limkit key nor a field of the TRL config{hint}", shown, origins)


def _kinds_with_field(key: str, kind: str) -> tuple[str, ...]:
    """The other recipes whose TRL config has `key` (an SFT key in a GRPO run says which file it is)."""
    mine = trl_config_class(kind)
    return tuple(
        other
        for other in RECIPE_KINDS
        if trl_config_class(other) is not mine
        and key in {f.name for f in dataclasses.fields(trl_config_class(other)) if f.init}
    )


def _required_str(raw: dict[str, Any], key: str, origins: dict[str, tuple[str, int | None]]) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        _fail("missing or empty: expected a model directory or hub id", key, origins)
    return value


def _optional_str(raw: dict[str, Any], key: str, origins: dict[str, tuple[str, int | None]]) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        _fail(f"expected a string, got {value!r}", key, origins)
    return str(value)


def _bool(raw: dict[str, Any], key: str, origins: dict[str, tuple[str, int | None]]) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        _fail(f"expected true or false, got {value!r}", key, origins)
    return value


def _type_name(annotation: Any) -> str:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is dict:
        return "a mapping of names to names"
    if args:
        return " or ".join(_type_name(arg) for arg in args)
    return {
        type(None): "null",
        bool: "true/false",
        int: "an integer",
        float: "a number",
        str: "a string",
    }.get(annotation, str(annotation))
