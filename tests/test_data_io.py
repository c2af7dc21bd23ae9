"""The fast JSON paths of `limkit.data` read and write exactly what `json` does, and stream JSON lists."""

from __future__ import annotations

import json
import math
import random
import re
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from limkit.data import dump_json_line, iter_json_list, parse_json
from limkit.errors import LimkitError

TRICKY: list[Any] = [
    {"big": 123456789012345678901234567890, "neg": -(10**25)},
    {"edge": 2**63, "below": 2**63 - 1, "u64": 2**64 + 1},
    {"nan": math.nan, "inf": math.inf, "minus_inf": -math.inf},
    {"lone": "\ud800 and \udfff", "pair": "\U0001f600"},
    {"digits_in_text": "call 1234567890123456789 now", "arabic": "\u0661\u0662"},
    {"none": None, "nested": [{"a": [1, 2.5, -0.0, 1e300, 5e-324]}], "empty": {}},
    {"unicode": 'é ü \u2028 \u0000 \\ "', "key order": 1, "a": 2},
]


def _same(a: Any, b: Any) -> bool:
    """Equal including float identity (NaN equals NaN, -0.0 differs from 0.0) and value types."""
    return json.dumps(a, sort_keys=False) == json.dumps(b, sort_keys=False) and repr(a) == repr(b)


@pytest.mark.parametrize("value", TRICKY)
def test_parse_json_reads_what_json_reads(value: Any) -> None:
    for line in (json.dumps(value), json.dumps(value, ensure_ascii=False)):
        expected = json.loads(line)
        assert _same(parse_json(line), expected), line
        assert _same(parse_json(line.encode("utf-8", "surrogatepass")), expected) or "\ud800" in line


@pytest.mark.parametrize("value", TRICKY)
def test_dump_json_line_round_trips_exactly(value: Any) -> None:
    line = dump_json_line(value)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    line.decode("utf-8")  # valid UTF-8 even for lone surrogates
    assert _same(parse_json(line), value)
    assert _same(json.loads(line), value)


def _write_list(path: Path, rows: list[Any], indent: int | None) -> None:
    path.write_text(json.dumps(rows, indent=indent, ensure_ascii=False), encoding="utf-8")


def test_iter_json_list_matches_json_load_across_chunk_boundaries(tmp_path: Path) -> None:
    generator = random.Random(7)
    rows = [
        {"id": i, "text": "x" * generator.randint(0, 40) + 'é]}[{,"', "n": generator.random() * 10**6}
        for i in range(150)
    ]
    rows += [dict(row) for row in TRICKY if "lone" not in row]
    path = tmp_path / "pool.json"
    for indent in (None, 2):
        _write_list(path, rows, indent)
        expected = json.loads(path.read_text(encoding="utf-8"))
        for chunk in (1, 5, 64, 1 << 20):
            got = [row for _, row in iter_json_list(path, chunk_chars=chunk)]
            assert len(got) == len(expected) and all(map(_same, got, expected)), (indent, chunk)
            assert [index for index, _ in iter_json_list(path, chunk)] == list(range(1, len(rows) + 1))


@pytest.mark.parametrize(
    ("text", "index", "message"),
    [
        ('[{"a": 1}, 7]', 2, "expected a JSON object, got int"),
        ('[{"a": 1} {"b": 2}]', None, "expected ','"),
        ('[{"a": 1},', 2, "not valid JSON"),
        ('[{"a": 1},]', 2, "not valid JSON"),
        ('[{"a": 1}] trailing', None, "text after the closing"),
        ('{"a": 1}', None, "expected '['"),
    ],
)
def test_iter_json_list_names_the_bad_element(
    tmp_path: Path, text: str, index: int | None, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LimkitError, match=re.escape(message)) as caught:
        list(iter_json_list(path, chunk_chars=4))
    assert (caught.value.path, caught.value.line) == (str(path), index)


def test_iter_json_list_holds_one_chunk_not_the_document(tmp_path: Path) -> None:
    path = tmp_path / "large.json"
    rows = [{"id": str(i), "problem": f"What is {i} + {i}? " * 64} for i in range(10_000)]
    _write_list(path, rows, None)
    assert path.stat().st_size > 12 * 2**20, "large enough to tell streaming from a whole read"
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_json_list(path, chunk_chars=1 << 16))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == len(rows)
    size_mb = path.stat().st_size >> 20
    assert peak < 2 * 2**20, f"peak {peak / 2**20:.1f} MB while streaming a {size_mb} MB list"
