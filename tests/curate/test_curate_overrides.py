"""Overrides are checked exactly like the recipe file, typed conservatively, and blamed precisely."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from limkit.curate import Write, load_recipe
from limkit.errors import LimkitError
from limkit.overrides import override_origin, parse_value


@pytest.fixture()
def recipe(write_pool: Any, tmp_path: Path) -> Path:
    """A recipe that maps `domain` to a column its pool does not have (as s1.yaml does)."""
    pool = write_pool([{"id": "a", "question": "What is 2 + 2?", "gold": "4"}])
    data = {
        "name": "t",
        "input": {"path": str(pool), "fields": {"problem": "question", "answer": "gold", "domain": "topic"}},
        "steps": [{"dedup": {"method": "exact"}}, {"write": {"user": "{problem}"}}],
    }
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _error(path: Path, overrides: list[str]) -> LimkitError:
    with pytest.raises(LimkitError) as caught:
        load_recipe(path, overrides)
    return caught.value


@pytest.mark.parametrize(
    ("override", "key", "suggestion"),
    [("inptu.limit=5", "inptu", "input"), ("exector.workers=9", "exector", "executor")],
)
def test_a_top_level_typo_in_an_override_is_rejected_like_the_same_typo_in_the_file(
    recipe: Path, override: str, key: str, suggestion: str, tmp_path: Path
) -> None:
    fixed = ["input.fields.domain=null"]
    from_override = _error(recipe, [*fixed, override])
    assert from_override.field == key
    assert f"did you mean '{suggestion}'" in from_override.message
    assert from_override.path == override_origin(override)

    data = yaml.safe_load(recipe.read_text(encoding="utf-8"))
    data[key] = {override.split(".")[1].split("=")[0]: 5}
    in_file = tmp_path / "typo.yaml"
    in_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    from_file = _error(in_file, fixed)
    assert (from_file.field, from_file.message, from_file.path) == (key, from_override.message, str(in_file))


def test_check_fails_on_an_override_typo(recipe: Path, run_cli: Any) -> None:
    done = run_cli("curate", str(recipe), "--check", "input.fields.domain=null", "exector.workers=9")
    assert done.code != 0
    assert "exector" in done.err and "did you mean 'executor'" in done.err and "Traceback" not in done.err
    assert done.out == ""
    passed = run_cli("curate", str(recipe), "--check", "input.fields.domain=null", "executor.workers=2")
    assert passed.code == 0, passed.err
    assert yaml.safe_load(passed.out)["executor"] == {"workers": 2}


def test_null_unsets_a_field_mapping(recipe: Path) -> None:
    mapped = _error(recipe, [])
    assert mapped.field == "input.fields.domain" and "'topic'" in mapped.message
    loaded = load_recipe(recipe, ["input.fields.domain=null"])
    assert loaded.pipeline.steps[0].fields == {"problem": "question", "answer": "gold"}


def test_an_error_in_an_override_value_names_the_command_line_not_the_file(recipe: Path) -> None:
    bad = _error(recipe, ["input.fields.domain=null", "input.limit=0"])
    assert (bad.path, bad.field) == (override_origin("input.limit=0"), "input.limit")
    assert "must be >= 1" in bad.message
    short_form = _error(recipe, ["input.fields.domain=null", "steps.dedup.method=fuzzy"])
    assert (short_form.path, short_form.field) == (
        override_origin("steps.dedup.method=fuzzy"),
        "steps.0.dedup.method",
    )
    from_file = _error(recipe, ["input.limit=3"])  # the file's domain mapping is still at fault
    assert (from_file.path, from_file.field) == (str(recipe), "input.fields.domain")


def test_override_values_stay_text_unless_clearly_typed(recipe: Path) -> None:
    loaded = load_recipe(recipe, ["input.fields.domain=null", "steps.write.user=Solve: {problem}"])
    write = loaded.pipeline.steps[-1]
    assert isinstance(write, Write) and write.user == "Solve: {problem}"
    placeholder = load_recipe(recipe, ["input.fields.domain=null", "steps.write.user={problem}"])
    assert placeholder.pipeline.steps[-1].user == "{problem}"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Solve: {problem}", "Solve: {problem}"),
        ("{problem}", "{problem}"),
        ("a: b", "a: b"),
        ("0.7", 0.7),
        ("1e-5", 1e-5),
        ("8", 8),
        ("-1", -1),
        ("true", True),
        ("False", False),
        ("null", None),
        ("~", None),
        ("no", "no"),
        ("'0.7'", "0.7"),
        ("[math500, aime24]", ["math500", "aime24"]),
        ("[1, 2.5]", [1, 2.5]),
        ("{prompt: problem, response: solution}", {"prompt": "problem", "response": "solution"}),
        ("[unclosed", "[unclosed"),
        ("", ""),
    ],
)
def test_parse_value(text: str, value: Any) -> None:
    parsed = parse_value(text)
    assert parsed == value and type(parsed) is type(value)
