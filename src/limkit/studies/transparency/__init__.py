"""The Technical Transparency Index of the O1 Replication Journey (Part 2): score how openly a work reports.

Rate a work on 25 yes/no items (Data 14, Methodology 33, Evaluation 24, Open-Source 29 points), then rank
rated works in one self-contained HTML page. The paper's seven rated works ship as published subtotals.
"""

from limkit.studies.transparency._report import build_report, markdown_leaderboard, write_report
from limkit.studies.transparency._rubric import Dimension, Item, Rubric, load_rubric, reachable_subtotals
from limkit.studies.transparency._score import (
    ItemAnswer,
    Rating,
    published_paths,
    ranked,
    read_rating,
    read_ratings,
)

__all__ = [
    "Dimension",
    "Item",
    "ItemAnswer",
    "Rating",
    "Rubric",
    "build_report",
    "load_rubric",
    "markdown_leaderboard",
    "published_paths",
    "ranked",
    "reachable_subtotals",
    "read_rating",
    "read_ratings",
    "write_report",
]
