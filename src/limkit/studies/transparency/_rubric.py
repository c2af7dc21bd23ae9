"""The TTI rubric shipped as package data, and which subtotals its item points can add up to."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import yaml


@dataclass(frozen=True)
class Item:
    id: str
    dimension: str
    points: int
    criterion: str


@dataclass(frozen=True)
class Dimension:
    id: str
    title: str
    items: tuple[Item, ...]

    @property
    def max_points(self) -> int:
        return sum(item.points for item in self.items)


@dataclass(frozen=True)
class Rubric:
    name: str
    source: str
    dimensions: tuple[Dimension, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for dimension in self.dimensions for item in dimension.items)

    @property
    def max_points(self) -> int:
        return sum(dimension.max_points for dimension in self.dimensions)

    def item(self, item_id: str) -> Item | None:
        return next((item for item in self.items if item.id == item_id), None)


@cache
def load_rubric() -> Rubric:
    """The 25-item, 100-point rubric from `rubric.yaml` beside this module."""
    raw: dict[str, Any] = yaml.safe_load(files(__package__).joinpath("rubric.yaml").read_text("utf-8"))
    dimensions = tuple(
        Dimension(
            dim["id"],
            dim["title"],
            tuple(Item(i["id"], dim["id"], int(i["points"]), i["criterion"]) for i in dim["items"]),
        )
        for dim in raw["dimensions"]
    )
    return Rubric(raw["name"], raw["source"], dimensions)


def reachable_subtotals(dimension: Dimension) -> frozenset[int]:
    """Every score a work can get on `dimension` by answering each item yes or no (subset sums).

    Published leaderboards give only per-dimension subtotals; a subtotal outside this set cannot come
    from the rubric, so it marks a transcription error.
    """
    sums = {0}
    for item in dimension.items:
        sums |= {total + item.points for total in sums}
    return frozenset(sums)
