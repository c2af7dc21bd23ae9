"""A DIVE recipe: one YAML file with dotted `key=value` overrides, checked before any model loads.

Every bad value is one error naming the recipe file, the line and the dotted field. Sections:
`data` (train/eval questions), `sampling`, `selection`, `loss`, `train` (fields of TRL's DPOConfig, passed
through `limkit train dpo`, which validates them) and `eval`.
"""

from __future__ import annotations

import dataclasses
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

VARIANTS = ("vanilla", "global", "selection", "dive")
"""vanilla ISI; global pool; selection; global pool + selection (= DIVE)."""
OBJECTIVES = ("embedding", "distinct_n", "both")
FILTER_SCOPES = ("question", "pool")
PROMPT_FORMATS = ("raw", "chat")
ANSWER_FORMATS = ("gsm8k", "boxed")
LOSS_WEIGHTINGS = ("paper", "script", "custom")
PAPER_PROMPT = "Question:\n{problem}\nAnswer:\nLet's think step by step.\n"


@dataclass(frozen=True)
class DataSection:
    train: str = ""
    eval: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    limit: int | None = None
    eval_limit: int | None = None


@dataclass(frozen=True)
class SamplingSection:
    samples: int = 10
    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = 1024
    seed: int = 0
    stop: list[str] = field(default_factory=lambda: ["Question", "Answer"])
    batch_size: int = 8


@dataclass(frozen=True)
class SelectionSection:
    objective: str = "embedding"
    embedder: str = "all-MiniLM-L6-v2"
    contamination: float | str = "auto"
    filter: bool = True
    filter_scope: str = "question"
    dedup: bool = True
    seed: int = 0


@dataclass(frozen=True)
class LossSection:
    weighting: str = "paper"
    dpo_weight: float = 0.5
    nll_weight: float = 0.5

    def weights(self) -> tuple[float, float]:
        """(DPO weight, length-normalised NLL weight) for TRL's `loss_type: [sigmoid, sft]`.

        paper: L = a L_DPO + (1 - a) L_NLL with a = 0.5 (1:1); script: L_DPO + 0.5 L_NLL (LLaMA-Factory's
        `dpo_ftx 0.5`, 2:1); custom: the two weights as given.
        """
        if self.weighting == "paper":
            return 0.5, 0.5
        if self.weighting == "script":
            return 1.0, 0.5
        return self.dpo_weight, self.nll_weight


@dataclass(frozen=True)
class EvalSection:
    n: int = 4
    temperature: float = 0.7
    top_p: float = 0.95
    greedy: bool = True
    embedding: bool = True


@dataclass(frozen=True)
class DiveConfig:
    """A validated recipe; `source` is the recipe file (errors name it)."""

    model: str
    source: str
    revision: str | None = None
    variants: tuple[str, ...] = ("vanilla", "dive")
    iterations: int = 6
    pairs_per_question: int = 5
    prompt: str = PAPER_PROMPT
    prompt_format: str = "raw"
    answer_format: str = "gsm8k"
    data: DataSection = field(default_factory=DataSection)
    sampling: SamplingSection = field(default_factory=SamplingSection)
    selection: SelectionSection = field(default_factory=SelectionSection)
    loss: LossSection = field(default_factory=LossSection)
    eval: EvalSection = field(default_factory=EvalSection)
    train: dict[str, Any] = field(default_factory=dict)
    torch_threads: int | None = None

    def settings(self) -> dict[str, Any]:
        """What decides the run's results (a rerun into the same directory must match)."""
        data = dataclasses.asdict(self)
        data.pop("source")
        data["variants"] = list(self.variants)
        return data


SECTIONS: dict[str, type] = {
    "data": DataSection,
    "sampling": SamplingSection,
    "selection": SelectionSection,
    "loss": LossSection,
    "eval": EvalSection,
}
TOP_LEVEL = {f.name for f in dataclasses.fields(DiveConfig)} - {"source"} | {"variant"}
Origins = dict[str, tuple[str, int | None]]


def load_dive_recipe(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> DiveConfig:
    """Reads, overrides and validates a recipe (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise LimkitError("recipe file not found", path=path)
    text = path.read_text(encoding="utf-8")
    try:
        raw = load_yaml(text) or {}
        node = yaml.compose(text, Loader=YAML12Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise LimkitError(
            f"not valid YAML ({getattr(error, 'problem', error)})",
            path=path,
            line=mark.line + 1 if mark else None,
        ) from None
    if not isinstance(raw, dict):
        raise LimkitError("expected a mapping of keys to values", path=path)
    origins: Origins = {key: (str(path), line) for key, line in _key_lines(node).items()}
    origins[""] = (str(path), None)
    for override in overrides:
        _apply_override(raw, override, origins)
    return _build(raw, origins, str(path))


def _key_lines(node: Any, prefix: str = "") -> dict[str, int]:
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = f"{prefix}{key_node.value}"
            lines[key] = key_node.start_mark.line + 1
            lines.update(_key_lines(value_node, key + "."))
    return lines


def _apply_override(raw: dict[str, Any], override: str, origins: Origins) -> None:
    parsed = split_override(override)
    if parsed is None:
        raise LimkitError(f"override {override!r} is not of the form key=value (dotted keys allowed)")
    key, text = parsed
    *parents, last = key.split(".")
    target = raw
    for part in parents:
        target = target.setdefault(part, {})
        if not isinstance(target, dict):
            raise LimkitError(f"override {override!r}: '{part}' is not a mapping", field=key)
    target[last] = parse_value(text)
    origins[key] = (override_origin(override), None)


def fail(message: str, key: str, origins: Origins) -> typing.NoReturn:
    where, line = origins.get(key) or origins.get(key.split(".")[0]) or origins.get("") or ("", None)
    raise LimkitError(message, path=where or None, line=line, field=key)


def _build(raw: dict[str, Any], origins: Origins, source: str) -> DiveConfig:
    for key in raw:
        if key not in TOP_LEVEL:
            fail(f"unknown key; expected one of {', '.join(sorted(TOP_LEVEL))}", str(key), origins)
    sections = {name: _section(name, cls, raw.get(name), origins) for name, cls in SECTIONS.items()}
    train = raw.get("train") or {}
    if not isinstance(train, dict):
        fail("expected a mapping of DPOConfig fields", "train", origins)
    model = raw.get("model")
    if not isinstance(model, str) or not model.strip():
        fail("missing: the base model (a local directory or a hub id)", "model", origins)
    top: dict[str, Any] = {
        key: raw[key] for key in ("revision", "prompt", "prompt_format", "answer_format") if key in raw
    }
    for key in ("iterations", "pairs_per_question", "torch_threads"):
        if key in raw:
            top[key] = _integer(raw[key], key, origins)
    config = DiveConfig(
        model=model,
        source=source,
        variants=_variants(raw, origins),
        train=dict(train),
        **top,
        **sections,
    )
    check_values(config, origins)
    return config


def _variants(raw: dict[str, Any], origins: Origins) -> tuple[str, ...]:
    key = "variants" if "variants" in raw else "variant"
    value = raw.get(key, list(DiveConfig.variants))
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names:
        fail(f"expected a variant or a list of them ({', '.join(VARIANTS)})", key, origins)
    for name in names:
        if name not in VARIANTS:
            fail(f"unknown variant {name!r}; choose from {', '.join(VARIANTS)}", key, origins)
    return tuple(dict.fromkeys(names))


def _integer(value: Any, key: str, origins: Origins) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        fail(f"expected an integer, got {value!r}", key, origins)
    return value


def _section(name: str, cls: type, value: Any, origins: Origins) -> Any:
    if value is None:
        return cls()
    if not isinstance(value, dict):
        fail("expected a mapping", name, origins)
    hints = typing.get_type_hints(cls)
    for key, item in value.items():
        dotted = f"{name}.{key}"
        if key not in hints:
            fail(f"unknown key; expected one of {', '.join(sorted(hints))}", dotted, origins)
        if not matches_annotation(item, hints[key]):
            fail(f"expected {hints[key]}, got {item!r}", dotted, origins)
    return cls(**value)


def _choice(value: str, choices: tuple[str, ...], key: str, origins: Origins) -> None:
    if value not in choices:
        fail(f"expected one of {', '.join(choices)}, got {value!r}", key, origins)


def check_values(config: DiveConfig, origins: Origins) -> None:
    """Range and choice checks; the data and model checks that need files run in `_run.check_inputs`."""
    _choice(config.prompt_format, PROMPT_FORMATS, "prompt_format", origins)
    _choice(config.answer_format, ANSWER_FORMATS, "answer_format", origins)
    _choice(config.selection.objective, OBJECTIVES, "selection.objective", origins)
    _choice(config.selection.filter_scope, FILTER_SCOPES, "selection.filter_scope", origins)
    _choice(config.loss.weighting, LOSS_WEIGHTINGS, "loss.weighting", origins)
    if "{problem}" not in config.prompt:
        fail("must contain the placeholder {problem}", "prompt", origins)
    if config.iterations < 1:
        fail("must be at least 1", "iterations", origins)
    if config.pairs_per_question < 1:
        fail("must be at least 1", "pairs_per_question", origins)
    if config.sampling.samples < config.pairs_per_question:
        fail(
            f"K = {config.sampling.samples} samples per question cannot give P = "
            f"{config.pairs_per_question} pairs (each pair needs its own chosen response): K must be >= P",
            "sampling.samples",
            origins,
        )
    if config.eval.n < 1:
        fail("must be at least 1", "eval.n", origins)
    contamination = config.selection.contamination
    if contamination != "auto" and not (
        isinstance(contamination, int | float) and 0 < float(contamination) <= 0.5
    ):
        fail(
            f"expected 'auto' or a share in (0, 0.5], got {contamination!r}",
            "selection.contamination",
            origins,
        )
    if not config.data.train:
        fail("missing: the training questions (JSONL with a gold answer per row)", "data.train", origins)
    if not config.data.eval:
        fail("missing: the evaluation questions (JSONL with a gold answer per row)", "data.eval", origins)
    for reserved in ("model", "output_dir", "ref_model", "loss_type", "loss_weights"):
        if reserved in config.train:
            fail(f"set by limkit dive itself ({_RESERVED_WHY[reserved]})", f"train.{reserved}", origins)


_RESERVED_WHY = {
    "model": "each iteration starts from the previous checkpoint",
    "output_dir": "each iteration writes RUN/VARIANT/iter-T/model",
    "ref_model": "the reference is the previous checkpoint",
    "loss_type": "DPO + NLL; set loss.weighting",
    "loss_weights": "set loss.weighting, loss.dpo_weight, loss.nll_weight",
}
