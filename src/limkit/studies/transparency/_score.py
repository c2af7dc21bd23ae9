"""Reading rated works (per-item answers, or published per-dimension subtotals) and scoring them.

An answers file rates one work on every rubric item::

    work: My replication
    answers:
      D1: {answer: yes, evidence: ["https://example.org/paper#data"]}
      M3: {answer: not used, evidence: ["https://example.org/paper#method"], note: "SFT only, no RL"}
      O3: no

"yes" and "not used" (the work states explicitly that it does not use the technique) earn the item's
points and must cite evidence; "no" earns nothing. A subtotals file records a published rating whose
per-item answers are unknown: ``subtotals: {data: 10, methodology: 33, evaluation: 24, open_source: 12}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from limkit.errors import LimkitError
from limkit.studies.transparency._rubric import Rubric, load_rubric, reachable_subtotals

ANSWERS = ("yes", "no", "not used")
EARNING = ("yes", "not used")


@dataclass(frozen=True)
class ItemAnswer:
    item: str
    answer: str
    evidence: tuple[str, ...] = ()
    note: str = ""

    @property
    def earns(self) -> bool:
        return self.answer in EARNING


@dataclass(frozen=True)
class Rating:
    """One rated work: its per-dimension subtotals and, when it was rated item by item, the answers."""

    work: str
    source: str
    path: Path
    subtotals: dict[str, int]
    answers: dict[str, ItemAnswer] | None = None

    @property
    def total(self) -> int:
        return sum(self.subtotals.values())

    @property
    def basis(self) -> str:
        return "per-item answers" if self.answers is not None else "published subtotals"


def published_paths() -> list[Path]:
    """The seven works rated in the paper's Table 4, shipped as subtotals files."""
    folder = files(__package__).joinpath("published")
    return sorted(
        Path(str(folder.joinpath(entry.name))) for entry in folder.iterdir() if entry.name.endswith(".yaml")
    )


def read_rating(path: str | Path, rubric: Rubric | None = None) -> Rating:
    rubric = rubric or load_rubric()
    path = Path(path)
    if not path.is_file():
        raise LimkitError("file not found", path=path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise LimkitError(f"not valid YAML: {error}", path=path) from None
    if not isinstance(raw, dict):
        raise LimkitError("expected a mapping with 'work' and 'answers' or 'subtotals'", path=path)
    work = raw.get("work")
    if not isinstance(work, str) or not work.strip():
        raise LimkitError("give the rated work's name", path=path, field="work")
    source = str(raw.get("source") or "")
    if ("answers" in raw) == ("subtotals" in raw):
        raise LimkitError("give exactly one of 'answers' (per item) or 'subtotals'", path=path)
    if "answers" in raw:
        answers = _read_answers(raw["answers"], path, rubric)
        subtotals = {
            dim.id: sum(item.points for item in dim.items if answers[item.id].earns)
            for dim in rubric.dimensions
        }
        return Rating(work, source, path, subtotals, answers)
    return Rating(work, source, path, _read_subtotals(raw["subtotals"], path, rubric))


def read_ratings(paths: Sequence[str | Path]) -> list[Rating]:
    rubric = load_rubric()
    return [read_rating(path, rubric) for path in paths]


def ranked(ratings: Sequence[Rating]) -> list[Rating]:
    """Highest total first; ties by name so the order never depends on the order of the files."""
    return sorted(ratings, key=lambda rating: (-rating.total, rating.work))


def _read_answers(raw: Any, path: Path, rubric: Rubric) -> dict[str, ItemAnswer]:
    if not isinstance(raw, dict):
        raise LimkitError("expected a mapping from item id to answer", path=path, field="answers")
    known = [item.id for item in rubric.items]
    for item_id in raw:
        if str(item_id) not in known:
            raise LimkitError(f"unknown rubric item {item_id!r}", path=path, field=f"answers.{item_id}")
    missing = [item_id for item_id in known if item_id not in raw]
    if missing:
        raise LimkitError(
            f"missing rubric item(s) {', '.join(missing)}: answer every item",
            path=path,
            field=f"answers.{missing[0]}",
        )
    return {item_id: _read_answer(item_id, raw[item_id], path) for item_id in known}


def _read_answer(item_id: str, raw: Any, path: Path) -> ItemAnswer:
    field = f"answers.{item_id}"
    entry = raw if isinstance(raw, dict) else {"answer": raw}
    answer = entry.get("answer")
    if isinstance(answer, bool):  # YAML reads a bare yes/no as a boolean
        answer = "yes" if answer else "no"
    if answer not in ANSWERS:
        raise LimkitError(
            f"answer must be one of {', '.join(ANSWERS)}, got {answer!r}", path=path, field=field
        )
    unknown = set(entry) - {"answer", "evidence", "note"}
    if unknown:
        raise LimkitError(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}", path=path, field=field)
    evidence = entry.get("evidence") or []
    if isinstance(evidence, str):
        evidence = [evidence]
    if not isinstance(evidence, list) or not all(isinstance(link, str) and link.strip() for link in evidence):
        raise LimkitError("evidence must be a link or a list of links", path=path, field=f"{field}.evidence")
    if answer in EARNING and not evidence:
        raise LimkitError(f"a {answer!r} answer must cite evidence", path=path, field=f"{field}.evidence")
    return ItemAnswer(item_id, answer, tuple(evidence), str(entry.get("note") or ""))


def _read_subtotals(raw: Any, path: Path, rubric: Rubric) -> dict[str, int]:
    if not isinstance(raw, dict):
        raise LimkitError("expected a mapping from dimension to points", path=path, field="subtotals")
    dimensions = {dim.id: dim for dim in rubric.dimensions}
    for name in raw:
        if name not in dimensions:
            raise LimkitError(
                f"unknown dimension {name!r} (expected {', '.join(dimensions)})",
                path=path,
                field=f"subtotals.{name}",
            )
    subtotals = {}
    for name, dim in dimensions.items():
        field = f"subtotals.{name}"
        value = raw.get(name)
        if value is None:
            raise LimkitError("missing dimension subtotal", path=path, field=field)
        if isinstance(value, bool) or not isinstance(value, int):
            raise LimkitError(f"expected whole points, got {value!r}", path=path, field=field)
        if value not in reachable_subtotals(dim):
            raise LimkitError(
                f"{value} is not a sum of {dim.title} item points (max {dim.max_points})",
                path=path,
                field=field,
            )
        subtotals[name] = value
    return subtotals
