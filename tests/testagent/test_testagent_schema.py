"""The packaged Benchmark+ schema: good items load, bad ones fail naming file, record and field."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from limkit.agents.testagent import read_bench, validate_item, write_bench
from limkit.errors import LimkitError


def test_good_items_round_trip(tmp_path: Path, good_item: dict[str, Any]) -> None:
    other = dict(copy.deepcopy(good_item), id="item-1")
    write_bench(tmp_path / "b.jsonl", [good_item, other])
    assert [item["id"] for item in read_bench(tmp_path / "b.jsonl")] == ["item-0", "item-1"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda item: item["criteria"]["stage2_key_points"][1].update(weight=0),
            "criteria.stage2_key_points[1].weight",
        ),
        (lambda item: item["strategy"].update(difficulty=9), "strategy.difficulty"),
        (
            lambda item: item["strategy"]["follow_up_policy"].update(actions=["dance"]),
            "strategy.follow_up_policy.actions[0]",
        ),
        (lambda item: item.pop("seed_question"), "seed_question"),
        (
            lambda item: item["criteria"]["stage2_key_points"][0].update(supported=False),
            "criteria.stage2_key_points[0].supported",
        ),
        (lambda item: item["metadata"].update(created="yesterday"), "metadata.created"),
        (lambda item: item.update(schema_version="benchmark_plus/0"), "schema_version"),
        (
            lambda item: item["criteria"]["stage2_key_points"][0].update(chunk_ids=["ghost#0"]),
            "criteria.stage2_key_points[0].chunk_ids",
        ),
    ],
)
def test_bad_item_names_file_record_and_field(
    tmp_path: Path, good_item: dict[str, Any], change: Any, field: str
) -> None:
    bad = copy.deepcopy(good_item)
    change(bad)
    second = dict(copy.deepcopy(good_item), id="item-1")
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(second) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(LimkitError) as caught:
        read_bench(path)
    assert caught.value.path == str(path) and caught.value.line == 2
    assert caught.value.field == field, caught.value.render()


def test_duplicate_ids_and_writer_refuses_bad_items(tmp_path: Path, good_item: dict[str, Any]) -> None:
    path = tmp_path / "dup.jsonl"
    path.write_text((json.dumps(good_item) + "\n") * 2, encoding="utf-8")
    with pytest.raises(LimkitError, match="duplicate item id") as caught:
        read_bench(path)
    assert caught.value.line == 2 and caught.value.field == "id"
    bad = dict(good_item, domain="")
    with pytest.raises(LimkitError) as refused:
        write_bench(tmp_path / "out.jsonl", [good_item, bad])
    assert refused.value.field == "domain" and not (tmp_path / "out.jsonl").exists()
    validate_item(good_item)


def test_cli_reports_the_bad_field_with_exit_1(
    run_cli: Any, tmp_path: Path, good_item: dict[str, Any]
) -> None:
    bad = copy.deepcopy(good_item)
    bad["strategy"]["difficulty"] = 0
    path = tmp_path / "bench.jsonl"
    path.write_text(json.dumps(bad) + "\n", encoding="utf-8")
    result = run_cli("testagent", "report", str(tmp_path))
    assert result.code == 1 and "config.json expected" in result.err
    result = run_cli(
        "testagent",
        "assess",
        str(path),
        "--out",
        str(tmp_path / "run"),
        "--target-backend",
        "scripted",
        "--target-model",
        "testagent_scripts:sim_target",
        "--examiner-backend",
        "scripted",
        "--examiner-model",
        "testagent_scripts:sim_examiner",
        "--judge-backend",
        "scripted",
        "--judge-model",
        "testagent_scripts:sim_judge",
    )
    assert result.code == 1
    assert f"{path}:1, field 'strategy.difficulty'" in result.err
