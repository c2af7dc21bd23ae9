"""Recipes: the shipped LIMO/s1 recipes load, overrides work, bad recipes fail at start naming file, key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from limkit.curate import Decontaminate, Difficulty, Distill, Select, apply_overrides, load_recipe
from limkit.errors import LimkitError
from limkit.overrides import override_origin

RECIPES = Path(__file__).resolve().parents[2] / "recipes"


@pytest.fixture()
def pool(write_pool: Any) -> Path:
    return write_pool(
        [
            {"id": "a", "question": "What is 2 + 2?", "gold": 4.0, "domain": "arithmetic"},
            {"id": "b", "question": "What is 3 + 3?", "gold": "6", "domain": "arithmetic"},
        ]
    )


def recipe_file(tmp_path: Path, data: dict[str, Any], name: str = "recipe.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def base(pool: Path, *steps: Any) -> dict[str, Any]:
    return {
        "name": "t",
        "input": {"path": str(pool), "fields": {"problem": "question", "answer": "gold"}},
        "steps": list(steps),
    }


@pytest.mark.parametrize("name", ["limo.yaml", "s1.yaml"])
def test_the_shipped_recipes_load_and_start_with_their_command(name: str, pool: Path) -> None:
    text = (RECIPES / name).read_text()
    assert text.splitlines()[0].startswith(f"# limkit curate recipes/{name} --out ")
    recipe = load_recipe(
        RECIPES / name, [f"input.path={pool}", "input.fields.problem=question", "input.fields.answer=gold"]
    )
    steps = recipe.pipeline.steps
    difficulty = [s for s in steps if isinstance(s, Difficulty)]
    if name == "limo.yaml":
        assert [(d.model, d.n, d.min_pass, d.max_pass) for d in difficulty] == [
            ("Qwen/Qwen2.5-Math-7B-Instruct", 4, 0, 0),
            ("deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", 32, 1, 3),
        ]
        assert next(s for s in steps if isinstance(s, Select)).k == 800
        assert len(next(s for s in steps if isinstance(s, Distill)).teachers) == 3
    else:
        assert [(d.model, d.n, d.max_pass) for d in difficulty] == [
            ("Qwen/Qwen2.5-7B-Instruct", 1, 0),
            ("Qwen/Qwen2.5-32B-Instruct", 1, 0),
        ]
        decontaminate = next(s for s in steps if isinstance(s, Decontaminate))
        assert (decontaminate.ngram, decontaminate.benchmarks) == (8, ["math500", "gpqa_diamond", "aime24"])
        select = next(s for s in steps if isinstance(s, Select))
        assert (select.method, select.k) == ("s1_diversity", 1000)


def test_overrides_by_position_name_and_short_form(pool: Path, tmp_path: Path) -> None:
    data = base(
        pool, {"dedup": {"threshold": 0.9}}, {"decontaminate": {"benchmarks": ["math500"], "ngram": 13}}
    )
    path = recipe_file(tmp_path, data)
    for override in ("steps.1.decontaminate.ngram=8", "steps.1.ngram=8", "steps.decontaminate.ngram=8"):
        assert apply_overrides(data, [override])["steps"][1] == {
            "decontaminate": {"benchmarks": ["math500"], "ngram": 8}
        }
    recipe = load_recipe(
        path,
        [
            "steps.dedup.threshold=0.7",
            "steps.1.benchmarks=[aime24, amc23]",
            "executor.workers=2",
            "input.limit=1",
        ],
    )
    assert recipe.pipeline.steps[1].threshold == 0.7
    assert recipe.pipeline.steps[2].benchmarks == ["aime24", "amc23"]
    assert recipe.executor.describe()["workers"] == 2
    assert recipe.pipeline.steps[0].limit == 1


def expect_error(path: Path, overrides: list[str] | None = None, blame: str | None = None) -> LimkitError:
    """The error loading `path` with `overrides`; it names the file, or the override `blame` when given."""
    with pytest.raises(LimkitError) as error:
        load_recipe(path, overrides or [])
    assert error.value.path == (override_origin(blame) if blame else str(path))
    return error.value


@pytest.mark.parametrize(
    ("steps", "overrides", "field", "words"),
    [
        ([{"dedupe": {}}], [], "steps.0", ["unknown step 'dedupe'", "did you mean 'dedup'"]),
        ([{"dedup": {"treshold": 0.5}}], [], "steps.0.dedup.treshold", ["unknown option", "threshold"]),
        (
            [{"decontaminate": {"ngram": "thirteen"}}],
            [],
            "steps.0.decontaminate.ngram",
            ["expected an integer"],
        ),
        ([{"dedup": {"method": "fuzzy"}}], [], "steps.0.dedup.method", ["expected one of exact, minhash"]),
        (
            [{"difficulty": {"model": "./no/such/model", "max_pass": 1}}],
            [],
            "steps.0.difficulty.model",
            ["model directory does not exist"],
        ),
        (
            [{"difficulty": {"model": "m", "backend": "openai", "max_pass": 1}}],
            [],
            "steps.0.difficulty.base_url",
            ["needs base_url"],
        ),
        ([{"difficulty": {"model": "m", "n": 4}}], [], "steps.0.difficulty.max_pass", ["give a window"]),
        (
            [{"distill": {"teachers": [{"model": "m", "backend": "gpt"}]}}],
            [],
            "steps.0.distill.teachers.0.backend",
            ["expected one of hf, openai, vllm"],
        ),
        (
            [{"decontaminate": {"benchmarks": ["math500"], "data_dir": "/no/such/dir"}}],
            [],
            "steps.0.decontaminate.data_dir",
            ["directory not found"],
        ),
        (
            [{"decontaminate": {"benchmarks": ["mathh500"]}}],
            [],
            "steps.0.decontaminate.benchmarks.0",
            ["unknown benchmark"],
        ),
        ([{"select": {"k": 0}}], [], "steps.0.select.k", ["must be >= 1"]),
        ([{"load": {"path": "x"}}], [], "steps.0", ["top-level `input:`"]),
        ([{"dedup": {}}], ["steps.4.dedup.threshold=0.5"], "steps.4.dedup.threshold", ["has 1 steps"]),
        ([{"dedup": {}}], ["steps.0.select.k=3"], "steps.0.select.k", ["is a 'dedup' step"]),
        (
            [{"dedup": {}}, {"dedup": {}}],
            ["steps.dedup.threshold=0.5"],
            "steps.dedup.threshold",
            ["several steps"],
        ),
    ],
)
def test_bad_recipes_fail_at_start_naming_file_and_key(
    pool: Path, tmp_path: Path, steps: list[Any], overrides: list[str], field: str, words: list[str]
) -> None:
    error = expect_error(recipe_file(tmp_path, base(pool, *steps)), overrides, *overrides)
    assert error.field == field
    for word in words:
        assert word in error.message


def test_bad_input_section_wrong_field_missing_file_and_bad_yaml(pool: Path, tmp_path: Path) -> None:
    data = base(pool, {"dedup": {}})
    data["input"]["fields"]["problem"] = "prompt"
    wrong_field = expect_error(recipe_file(tmp_path, data, "a.yaml"))
    assert wrong_field.field == "input.fields.problem" and "'prompt'" in wrong_field.message
    assert "question" in wrong_field.message, "the message lists the columns that do exist"
    missing = expect_error(
        recipe_file(tmp_path, base(pool, {"dedup": {}}), "b.yaml"),
        ["input.path=/no/pool.json"],
        "input.path=/no/pool.json",
    )
    assert missing.field == "input.path" and "file not found" in missing.message
    unknown_top = expect_error(recipe_file(tmp_path, {**base(pool), "stpes": []}, "c.yaml"))
    assert unknown_top.field == "stpes"
    broken = tmp_path / "d.yaml"
    broken.write_text("name: x\ninput: {path: a\nsteps: []\n")
    bad_yaml = expect_error(broken)
    assert bad_yaml.line is not None and "not valid YAML" in bad_yaml.message
    with pytest.raises(LimkitError) as absent:
        load_recipe(tmp_path / "none.yaml")
    assert "recipe file not found" in absent.value.message


def test_cli_runs_a_recipe_and_reports_errors_in_one_line(
    pool: Path, tmp_path: Path, run_cli: Any, benchmarks_dir: Path
) -> None:
    path = recipe_file(
        tmp_path,
        base(
            pool,
            {"dedup": {"method": "exact"}},
            {"decontaminate": {"benchmarks": ["math500"], "data_dir": str(benchmarks_dir)}},
        ),
    )
    out = tmp_path / "out"
    done = run_cli("curate", str(path), "--out", str(out), "steps.dedup.method=minhash")
    assert done.code == 0, done.err
    stats = json.loads((out / "stats.json").read_text())
    assert (stats["input"], stats["kept"]) == (2, 2)
    assert yaml.safe_load((out / "recipe.yaml").read_text())["steps"][0] == {"dedup": {"method": "minhash"}}
    rows = [json.loads(line) for line in (out / "kept.jsonl").read_text().splitlines()]
    assert rows[0] == {"id": "a", "problem": "What is 2 + 2?", "answer": "4", "domain": "arithmetic"}

    failed = run_cli("curate", str(path), "--out", str(tmp_path / "bad"), "steps.0.dedup.threshold=high")
    assert failed.code == 1
    assert failed.err.strip().count("\n") == 0
    assert (
        "override 'steps.0.dedup.threshold=high'" in failed.err
        and "steps.0.dedup.threshold" in failed.err
        and "expected a number" in failed.err
    )
    assert not (tmp_path / "bad" / "kept.jsonl").exists()

    checked = run_cli("curate", str(path), "--check", "steps.dedup.threshold=0.6")
    assert checked.code == 0 and yaml.safe_load(checked.out)["steps"][0]["dedup"]["threshold"] == 0.6
    listed = run_cli("curate", "--list-steps")
    assert "decontaminate:" in listed.out and "boilerplate_min_docs" in listed.out
