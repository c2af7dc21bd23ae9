"""The Technical Transparency Index: rubric totals, the paper's leaderboard, answers files, the HTML page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from browser import render
from limkit.errors import LimkitError
from limkit.studies.transparency import (
    load_rubric,
    markdown_leaderboard,
    published_paths,
    ranked,
    reachable_subtotals,
    read_rating,
    read_ratings,
)

ROOT = Path(__file__).resolve().parents[2]
OWN_RATINGS = sorted((ROOT / "docs" / "transparency").glob("*.yaml"))
# Part 2, Table 4: (data, methodology, evaluation, open-source) and the total.
PAPER_TABLE = {
    "O1-Journey (Part 2)": ((10, 33, 24, 12), 79),
    "O1-Journey (Part 1)": ((10, 33, 24, 9), 76),
    "Open O1": ((0, 8, 20, 5), 33),
    "DeepSeek-R1-Lite": ((0, 0, 20, 0), 20),
    "K0Math (Kimi)": ((0, 0, 16, 0), 16),
    "LLaMA-O1": ((0, 6, 0, 5), 11),
    "Skywork O1": ((0, 0, 0, 0), 0),
}


def test_rubric_has_25_items_worth_100_points() -> None:
    rubric = load_rubric()
    assert len(rubric.items) == 25 and len({item.id for item in rubric.items}) == 25
    assert [(dim.id, dim.max_points) for dim in rubric.dimensions] == [
        ("data", 14),
        ("methodology", 33),
        ("evaluation", 24),
        ("open_source", 29),
    ]
    assert rubric.max_points == 100
    data = rubric.dimensions[0]
    assert sorted(reachable_subtotals(data)) == [0, 3, 4, 6, 7, 8, 10, 11, 14]


def test_published_leaderboard_reproduces_the_paper_totals() -> None:
    rubric = load_rubric()
    ratings = ranked(read_ratings(published_paths()))
    assert [rating.work for rating in ratings] == list(PAPER_TABLE)
    assert [rating.total for rating in ratings] == [79, 76, 33, 20, 16, 11, 0]
    for rating in ratings:
        subtotals, total = PAPER_TABLE[rating.work]
        assert tuple(rating.subtotals[dim.id] for dim in rubric.dimensions) == subtotals
        assert rating.total == total and rating.answers is None
        for dim in rubric.dimensions:  # every published subtotal is a sum of that dimension's item points
            assert rating.subtotals[dim.id] in reachable_subtotals(dim), (rating.work, dim.id)


def _answers_file(tmp_path: Path, answers: dict[str, Any], name: str = "work.yaml") -> Path:
    lines = ["work: Example", "answers:"]
    for item_id, value in answers.items():
        lines.append(f"  {item_id}: {value}")
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _all_no() -> dict[str, Any]:
    return {item.id: "no" for item in load_rubric().items}


def test_answers_score_per_dimension_and_not_used_earns_the_item(tmp_path: Path) -> None:
    answers = _all_no()
    answers["D1"] = "{answer: yes, evidence: ['https://example.org/paper#data']}"
    answers["M3"] = "{answer: not used, evidence: [https://example.org/paper#rl], note: SFT only}"
    answers["E6"] = "{answer: yes, evidence: https://example.org/eval}"
    rating = read_rating(_answers_file(tmp_path, answers))
    assert rating.subtotals == {"data": 3, "methodology": 6, "evaluation": 4, "open_source": 0}
    assert rating.total == 13
    assert (
        rating.answers is not None and rating.answers["M3"].earns and rating.answers["M3"].note == "SFT only"
    )
    assert rating.answers["E6"].evidence == ("https://example.org/eval",)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"Z9": "yes"}, "field 'answers.Z9': unknown rubric item 'Z9'"),
        ({"O7": None}, "field 'answers.O7': missing rubric item(s) O7"),
        ({"M2": "maybe"}, "field 'answers.M2': answer must be one of yes, no, not used"),
        ({"M2": "yes"}, "field 'answers.M2.evidence': a 'yes' answer must cite evidence"),
        ({"E4": "{answer: not used}"}, "field 'answers.E4.evidence': a 'not used' answer must cite evidence"),
        ({"D2": "{answer: no, link: x}"}, "field 'answers.D2': unknown key(s) link"),
    ],
)
def test_bad_answers_files_name_the_file_and_item(
    tmp_path: Path, change: dict[str, Any], expected: str
) -> None:
    answers = _all_no()
    for item_id, value in change.items():
        if value is None:
            del answers[item_id]
        else:
            answers[item_id] = value
    path = _answers_file(tmp_path, answers)
    with pytest.raises(LimkitError) as raised:
        read_rating(path)
    assert str(raised.value).startswith(f"{path}, ") and expected in str(raised.value)


def test_subtotals_must_be_reachable_and_complete(tmp_path: Path) -> None:
    path = tmp_path / "published.yaml"
    path.write_text("work: X\nsubtotals: {data: 5, methodology: 0, evaluation: 0, open_source: 0}\n")
    with pytest.raises(LimkitError, match=r"field 'subtotals.data': 5 is not a sum of Data item points"):
        read_rating(path)
    path.write_text("work: X\nsubtotals: {data: 3, methodology: 0, evaluation: 0}\n")
    with pytest.raises(LimkitError, match=r"field 'subtotals.open_source': missing dimension subtotal"):
        read_rating(path)


def test_own_ratings_cite_files_that_exist_and_match_the_readme() -> None:
    assert len(OWN_RATINGS) == 3
    ratings = read_ratings(OWN_RATINGS)
    for rating in ratings:
        assert rating.answers is not None
        for answer in rating.answers.values():
            for link in answer.evidence:
                target = re.split(r"[ #]", link)[0]
                assert (ROOT / target).exists(), (rating.path, answer.item, link)
    table = markdown_leaderboard(ratings + read_ratings(published_paths()))
    assert table in (ROOT / "README.md").read_text(), (
        "README's TTI table is stale: paste the command's output"
    )


def test_score_command_writes_a_page_that_renders(tmp_path: Path, run_cli: Any) -> None:
    out = tmp_path / "tti.html"
    result = run_cli("transparency", "score", *map(str, OWN_RATINGS), "--published", "--out", str(out))
    assert result.code == 0, result.err
    assert "| 1 | O1-Journey (Part 2) | 10 | 33 | 24 | 12 | 79 | published subtotals |" in result.out
    page = out.read_text()
    assert 'src="http' not in page and "<link" not in page  # self-contained
    rendered = render(out, tmp_path)
    census = rendered.census
    assert census.tables == 1 + 1 + len(OWN_RATINGS)  # leaderboard, rubric, one answers table per rated work
    assert len(census.images) == 1 and int(census.images[0]["data-natural-width"] or 0) > 100
    assert census.headings[:3] == ["Technical Transparency Index", "Leaderboard", "Rubric"]
    assert rendered.screenshot_std > 0.05


def test_score_command_errors_and_writes_nothing(tmp_path: Path, run_cli: Any) -> None:
    bad = _answers_file(tmp_path, {**_all_no(), "Q1": "yes"})
    out = tmp_path / "tti.html"
    result = run_cli("transparency", "score", str(bad), "--out", str(out))
    assert result.code == 1 and f"{bad}, field 'answers.Q1': unknown rubric item 'Q1'" in result.err
    assert not out.exists()
    result = run_cli("transparency", "score", "--out", str(out))
    assert result.code == 1 and "--published" in result.err


def test_rubric_command_lists_every_item(run_cli: Any) -> None:
    result = run_cli("transparency", "rubric")
    assert result.code == 0, result.err
    listed = re.findall(r"^  ([DMEO]\d)  (\d) ", result.out, flags=re.MULTILINE)
    assert [item_id for item_id, _ in listed] == [item.id for item in load_rubric().items]
    assert sum(int(points) for _, points in listed) == 100
    assert "Methodology (33 points)" in result.out
