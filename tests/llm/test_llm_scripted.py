"""The `scripted` test double: a function or JSONL rules behind the real Generator interface and cache."""

from __future__ import annotations

import json
from pathlib import Path

import llm_scripts
import pytest

from limkit.errors import LimkitError
from limkit.llm import CompletionCache, Request, SamplingParams, Usage, make_generator


def chat(request_id: str, text: str, n: int = 1) -> Request:
    return Request(request_id, messages=({"role": "user", "content": text},), params=SamplingParams(n=n))


def write_rules(path: Path, rules: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(rule) + "\n" for rule in rules), encoding="utf-8")
    return path


def test_a_function_answers_through_the_cache_with_word_usage(tmp_path: Path) -> None:
    llm_scripts.CALLS.clear()
    requests = [chat("a", "two words", n=2), Request("b", prompt="one")]
    first = make_generator("scripted", "llm_scripts:echo", cache=CompletionCache(tmp_path / "c.sqlite"))
    done = {(c.request_id, c.sample): c for c in first.generate_all(requests)}
    assert {k: c.text for k, c in done.items()} == {
        ("a", 0): "two words #0",
        ("a", 1): "two words #1",
        ("b", 0): "one #0",
    }
    assert done[("a", 1)].usage == Usage(2, 3)
    assert (first.stats.generated, first.stats.prompt_tokens) == (3, 5)
    again = make_generator("scripted", "llm_scripts:echo", cache=CompletionCache(tmp_path / "c.sqlite"))
    assert sorted(c.text for c in again.generate_all(requests)) == sorted(c.text for c in done.values())
    assert (again.stats.cached, len(llm_scripts.CALLS)) == (3, 3)


def test_rules_answer_the_first_match_with_groups(tmp_path: Path) -> None:
    rules = write_rules(
        tmp_path / "rules.jsonl",
        [
            {"pattern": r"What is (\d+) \+ (\d+)\?", "reply": r"It is \1 plus \2."},
            {"pattern": "hello", "reply": "Hi."},
            {"pattern": "", "reply": "I do not know."},
        ],
    )
    generator = make_generator("scripted", str(rules))
    done = {
        c.request_id: c.text
        for c in generator.generate_all(
            [chat("sum", "What is 2 + 3?"), chat("hi", "hello there"), chat("x", "?")]
        )
    }
    assert done == {"sum": "It is 2 plus 3.", "hi": "Hi.", "x": "I do not know."}


def test_identity_follows_the_rules_content(tmp_path: Path) -> None:
    rules = write_rules(tmp_path / "rules.jsonl", [{"pattern": "", "reply": "a"}])
    before = make_generator("scripted", str(rules)).identity
    write_rules(rules, [{"pattern": "", "reply": "b"}])
    assert make_generator("scripted", str(rules)).identity != before


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            '{"pattern": "(", "reply": "x"}\n',
            r"rules\.jsonl:1, field 'pattern': not a valid regular expression",
        ),
        ('{"pattern": "a"}\n', r"rules\.jsonl:1, field 'reply': expected a string"),
        ("", r"rules\.jsonl: no rules in file"),
    ],
)
def test_bad_rules_name_the_line_and_field(tmp_path: Path, rules: str, message: str) -> None:
    (tmp_path / "rules.jsonl").write_text(rules, encoding="utf-8")
    with pytest.raises(LimkitError, match=message):
        make_generator("scripted", str(tmp_path / "rules.jsonl"))


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("no_such_module_here:fn", "cannot import 'no_such_module_here'"),
        ("llm_scripts:missing", "'llm_scripts' has no callable 'missing'"),
        ("justaname", "expected module:function or rules.jsonl"),
        ("/no/such/file.py:fn", "script file not found"),
        ("/no/such/rules.jsonl", "rules.jsonl: file not found"),
    ],
)
def test_bad_scripts_are_named(script: str, message: str) -> None:
    with pytest.raises(LimkitError, match=message):
        make_generator("scripted", script)


def test_no_matching_rule_and_a_non_string_reply_are_errors(tmp_path: Path) -> None:
    rules = write_rules(tmp_path / "rules.jsonl", [{"pattern": "^yes$", "reply": "ok"}])
    with pytest.raises(LimkitError, match="request 'q': no scripted rule matches 'no'"):
        make_generator("scripted", str(rules)).generate_all([chat("q", "no")])
    with pytest.raises(LimkitError, match="returned int, not str"):
        make_generator("scripted", "llm_scripts:not_text").generate_all([chat("q", "no")])


def test_a_file_path_script_loads(tmp_path: Path) -> None:
    (tmp_path / "judge.py").write_text(
        "def judge(request, sample):\n    return 'correct'\n", encoding="utf-8"
    )
    (done,) = make_generator("scripted", f"{tmp_path / 'judge.py'}:judge").generate_all([chat("q", "?")])
    assert done.text == "correct"
