"""Recipes: a YAML file that names the input, the steps and where they run, plus `key=value` overrides.

    # limkit curate recipes/example.yaml --out runs/example steps.dedup.threshold=0.7
    name: example
    input: {path: pool.json, fields: {id: id, problem: prompt, answer: answer}}
    executor: {kind: local, workers: 2}
    steps:
      - dedup: {method: minhash, threshold: 0.9}
      - decontaminate: {benchmarks: [math500], data_dir: bench/, ngram: 13}

Override keys are dotted paths into the YAML. A step is addressed by its position or, when the name is
unique in the recipe, by its name: `steps.1.decontaminate.ngram=8`, `steps.1.ngram=8` and
`steps.decontaminate.ngram=8` all mean the same. A value is text unless it is clearly a number, a
boolean, null, a quoted string, a bracketed list (`[math500, aime24]`) or a braced mapping, so
`steps.0.prompt=Solve: {problem}` is the prompt as typed. `null` on an entry of a mapping option unsets
it (`input.fields.domain=null`). Every mistake (unknown key, step or option, wrong type, missing file) is
reported before anything runs, exactly as for the same mistake in the file, naming the key and where its
value came from: the recipe file, or the command-line override that set it.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from limkit.curate._executor import CurateResult, Executor, LocalExecutor, RayExecutor
from limkit.curate._load import Load
from limkit.curate._options import OptionError, build, doc
from limkit.curate._pipeline import Pipeline
from limkit.curate._step import STEPS, Step
from limkit.data import atomic_write_text
from limkit.errors import LimkitError
from limkit.overrides import load_yaml, override_origin, parse_value, split_override

TOP_LEVEL = ("name", "description", "input", "steps", "executor", "cache")


@dataclass
class ExecutorOptions:
    kind: str = dataclasses.field(
        default="local",
        metadata=doc("local (worker processes here) or ray (a Ray cluster).", choices=("local", "ray")),
    )
    workers: int = dataclasses.field(default=1, metadata=doc("local: worker processes."))
    tasks: int | None = dataclasses.field(
        default=None, metadata=doc("Shards per step (default: workers for local, 4 for ray).")
    )
    address: str | None = dataclasses.field(
        default=None, metadata=doc("ray: cluster address (null: start or join the local one).")
    )
    num_cpus: float = dataclasses.field(default=1.0, metadata=doc("ray: CPUs reserved per task."))

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise OptionError("workers", f"must be >= 1, got {self.workers}")
        if self.tasks is not None and self.tasks < 1:
            raise OptionError("tasks", f"must be >= 1, got {self.tasks}")

    def make(self) -> Executor:
        if self.kind == "ray":
            return RayExecutor(tasks=self.tasks or 4, address=self.address, num_cpus=self.num_cpus)
        return LocalExecutor(workers=self.workers, tasks=self.tasks)


@dataclass
class Recipe:
    """A loaded recipe: its file, the data after overrides, and what it builds."""

    path: Path
    data: dict[str, Any]
    pipeline: Pipeline
    executor: Executor

    def run(self, out_dir: str | Path) -> CurateResult:
        """Runs the pipeline, then records the resolved recipe next to the outputs it produced."""
        out = Path(out_dir)
        result = self.executor.run(self.pipeline, out)
        header = f"# resolved from {self.path} (overrides applied)\n"
        atomic_write_text(out / "recipe.yaml", header + yaml.safe_dump(self.data, sort_keys=False))
        return result


def load_recipe(path: str | Path, overrides: Sequence[str] = ()) -> Recipe:
    """Reads, overrides, builds and validates a recipe; raises LimkitError naming file and key."""
    path = Path(path)
    data = _read_yaml(path)
    applied: list[tuple[str, str]] = []
    data = apply_overrides(data, overrides, path, applied)
    try:
        pipeline = _pipeline(data, path)
        executor = _build(ExecutorOptions, data.get("executor"), "executor", path).make()
        pipeline.validate()
    except LimkitError as error:
        raise _blame_override(error, path, applied) from None
    return Recipe(path, data, pipeline, executor)


def run_recipe(path: str | Path, out_dir: str | Path, overrides: Sequence[str] = ()) -> CurateResult:
    return load_recipe(path, overrides).run(out_dir)


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise LimkitError("recipe file not found", path=path)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else None
        raise LimkitError(f"not valid YAML: {error.problem}", path=path, line=line) from None
    except yaml.YAMLError as error:
        raise LimkitError(f"not valid YAML: {error}", path=path) from None
    if not isinstance(data, dict):
        raise LimkitError("a recipe is a mapping with input: and steps:", path=path)
    for key in data:
        _check_top_level(str(key), path)
    if "input" not in data:
        raise LimkitError(
            "missing; say where the pool is, e.g. input: {path: pool.jsonl}", path=path, field="input"
        )
    return data


def _check_top_level(key: str, where: str | Path) -> None:
    if key not in TOP_LEVEL:
        close = difflib.get_close_matches(key, TOP_LEVEL, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise LimkitError(
            f"unknown recipe key{hint}; valid keys: {', '.join(TOP_LEVEL)}", path=where, field=key
        )


def apply_overrides(
    data: dict[str, Any],
    overrides: Sequence[str],
    path: Path | None = None,
    applied: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """A copy of `data` with each `dotted.key=value` applied in order.

    `applied` collects (canonical key, override text) pairs, so a later error about that key can name
    the command line rather than the recipe file.
    """
    out = copy.deepcopy(data)
    for text in overrides:
        where = override_origin(text)
        parsed = split_override(text)
        if parsed is None:
            raise LimkitError("not of the form dotted.key=value", path=where)
        key, raw = parsed
        _check_top_level(key.split(".")[0], where)
        parts = _canonical(out, key, where)
        _set(out, parts, parse_value(raw), key, where)
        if applied is not None:
            applied.append((".".join(parts), text))
    return out


def _blame_override(error: LimkitError, path: Path, applied: list[tuple[str, str]]) -> LimkitError:
    """The same error, naming the override when the value at fault came from the command line."""
    field = error.field
    if field is None or error.path != str(path):
        return error
    for key, text in reversed(applied):
        if field == key or field.startswith(f"{key}."):
            return LimkitError(error.message, path=override_origin(text), field=field)
    return error


def _canonical(data: dict[str, Any], key: str, path: str | Path) -> list[str]:
    """Rewrites `steps.NAME.x` and `steps.N.x` to the full `steps.N.NAME.x` form."""
    parts = key.split(".")
    if parts[0] != "steps" or len(parts) < 3:
        return parts
    steps = data.get("steps") or []
    names = [next(iter(entry)) if isinstance(entry, dict) and len(entry) == 1 else None for entry in steps]
    if not parts[1].isdigit():
        matches = [index for index, name in enumerate(names) if name == parts[1]]
        if len(matches) != 1:
            found = "no such step" if not matches else f"several steps are named {parts[1]!r} (at {matches})"
            raise LimkitError(
                f"{found}; address it by position, e.g. steps.N.{parts[1]}.option", path=path, field=key
            )
        return ["steps", str(matches[0]), *parts[1:]]
    index = int(parts[1])
    if index >= len(steps):
        raise LimkitError(f"the recipe has {len(steps)} steps (numbered from 0)", path=path, field=key)
    name = names[index]
    if name is not None and parts[2] != name:
        if parts[2] in STEPS:
            raise LimkitError(f"step {index} is a {name!r} step, not {parts[2]!r}", path=path, field=key)
        return ["steps", str(index), name, *parts[2:]]
    return parts


def _set(data: dict[str, Any], parts: list[str], value: Any, key: str, path: str | Path) -> None:
    node: Any = data
    for part in parts[:-1]:
        node = _child(node, part, key, path)
    if isinstance(node, list):
        node[_list_index(node, parts[-1], key, path)] = value
    elif isinstance(node, dict):
        node[parts[-1]] = value
    else:
        raise LimkitError(
            f"cannot set {parts[-1]!r} inside a {type(node).__name__} value", path=path, field=key
        )


def _child(node: Any, part: str, key: str, path: str | Path) -> Any:
    """The container under `part`, created (as a mapping) when absent or null."""
    if isinstance(node, list):
        index = _list_index(node, part, key, path)
        if node[index] is None:
            node[index] = {}
        return node[index]
    if isinstance(node, dict):
        if node.get(part) is None:
            node[part] = {}
        return node[part]
    raise LimkitError(f"cannot set {part!r} inside a {type(node).__name__} value", path=path, field=key)


def _list_index(node: list[Any], part: str, key: str, path: str | Path) -> int:
    if not part.isdigit() or int(part) >= len(node):
        raise LimkitError(f"no list item {part!r} here (the list has {len(node)})", path=path, field=key)
    return int(part)


def _pipeline(data: dict[str, Any], path: Path) -> Pipeline:
    load = _build(Load, data["input"], "input", path)
    steps: list[Step] = [load]
    raw_steps = data.get("steps") or []
    if not isinstance(raw_steps, list):
        raise LimkitError("expected a list of steps", path=path, field="steps")
    for index, entry in enumerate(raw_steps):
        steps.append(_step(entry, index, path))
    cache = data.get("cache")
    if cache is not None and not isinstance(cache, str):
        raise LimkitError("expected a path", path=path, field="cache")
    return Pipeline(steps, name=str(data.get("name") or path.stem), cache=cache, origin=str(path))


def _step(entry: Any, index: int, path: Path) -> Step:
    where = f"steps.{index}"
    if isinstance(entry, str):
        entry = {entry: None}
    if not isinstance(entry, dict) or len(entry) != 1:
        raise LimkitError("each step is one `name: {options}` entry", path=path, field=where)
    name, options = next(iter(entry.items()))
    if name == "load":
        raise LimkitError(
            "the input is given by the top-level `input:` key, not a load step", path=path, field=where
        )
    if name not in STEPS:
        close = difflib.get_close_matches(str(name), list(STEPS), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        known = ", ".join(sorted(n for n in STEPS if n != "load"))
        raise LimkitError(f"unknown step {name!r}{hint}; steps: {known}", path=path, field=where)
    return _build(STEPS[name], options, f"{where}.{name}", path)


def _build(cls: type, options: Any, where: str, path: Path) -> Any:
    try:
        return build(cls, options)
    except OptionError as error:
        raise LimkitError(
            error.message, path=path, field=f"{where}.{error.option}" if error.option else where
        ) from None
