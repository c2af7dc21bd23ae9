"""ReAlign as curation steps: the shipped recipe end to end, the decision rules, the classifier, resume."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from curate_helpers import kill_when, read_jsonl

from limkit.curate import Load, RealignFilter, clean_snippets, load_formats, run_recipe, taxonomy
from limkit.curate._realign._evidence import serper_snippets
from limkit.curate._realign._shapes import chat_messages, with_response
from limkit.curate._realign._taxonomy import canonical_task, groups
from limkit.errors import LimkitError

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "recipes" / "realign.yaml"
SCRIPTS = Path(__file__).with_name("realign_scripts.py")
FORMATLESS = {
    "advice_giving",
    "code_simplification",
    "note_summarization",
    "paraphrasing",
    "poem_generation",
    "roleplay",
    "story_generation",
    "table_extraction",
    "text_summarization",
    "title_generation",
}


def scripted(function: str) -> str:
    return f"{{model: '{SCRIPTS}:{function}', backend: scripted}}"


def gsm8k_overrides(shared_dir: Path, tmp_path: Path) -> list[str]:
    return [
        f"input.path={shared_dir / 'data' / 'benchmarks' / 'gsm8k_test.jsonl'}",
        "input.limit=30",
        "input.fields={problem: question, solution: answer}",
        f"cache={tmp_path / 'cache.sqlite'}",
        f"steps.classify_task.model={scripted('classify')}",
        f"steps.realign.model={scripted('rewrite')}",
    ]


def by_id(path: Path) -> dict[str, dict[str, Any]]:
    return {str(row["id"]): row for row in read_jsonl(path)}


def test_taxonomy_has_46_tasks_in_10_groups_and_formats_override(tmp_path: Path) -> None:
    assert len(taxonomy()) == 46 and len(groups()) == 10
    assert all(task.description for task in taxonomy().values())
    formats = load_formats(None)
    assert set(taxonomy()) - set(formats) == FORMATLESS | {"default"}
    assert canonical_task(" Open_QA. ") == "open_qa" and canonical_task("no such task") == "default"
    override = tmp_path / "formats.yaml"
    override.write_text("open_qa: Answer in one line.\nmath_puzzles: null\n")
    changed = load_formats(override)
    assert changed["open_qa"] == "Answer in one line." and "math_puzzles" not in changed
    override.write_text("open_qaa: Answer in one line.\n")
    with pytest.raises(LimkitError) as error:
        load_formats(override)
    assert "formats.yaml" in error.value.render() and "open_qaa" in error.value.render()


SHAPED_ROWS = [
    {"id": "m", "messages": [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello."}]},
    {"id": "s", "conversations": [{"from": "human", "value": "Q?"}, {"from": "gpt", "value": "A."}]},
    {
        "id": "i",
        "items": [{"from": "human", "value": "Q2?", "category": "open_qa"}, {"from": "gpt", "value": "A2."}],
    },
    {"id": "a", "instruction": "Add.", "input": "1 and 2", "output": "3"},
    {"id": "p", "problem": "1+1?", "solution": "It is 2.", "answer": "2"},
]


def test_every_input_shape_reads_and_writes_back_the_same_shape(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in SHAPED_ROWS))
    records = {r["id"]: r for _, r in Load(path=str(path), shape="auto").records()}
    assert [records[k]["shape"] for k in "msiap"] == [
        "messages",
        "sharegpt",
        "sharegpt",
        "alpaca",
        "problem_solution",
    ]
    assert records["a"]["problem"] == "Add.\n\n1 and 2" and records["a"]["response"] == "3"
    assert records["i"]["given_task"] == "open_qa" and records["p"]["answer"] == "2"
    for key, row in zip("msiap", SHAPED_ROWS, strict=True):
        back = with_response(records[key], "NEW")
        assert back.keys() == row.keys() and "NEW" in json.dumps(back) and back != row
    assert chat_messages(records["s"], "NEW") == [
        {"role": "user", "content": "Q?"},
        {"role": "assistant", "content": "NEW"},
    ]
    path.write_text(json.dumps({"id": 1, "messages": [{"role": "robot", "content": "x"}]}) + "\n")
    with pytest.raises(LimkitError) as error:
        list(Load(path=str(path), shape="auto").run([]))
    assert "mixed.jsonl:1" in error.value.render() and "messages[0].role" in error.value.render()


def _verdict(original: str, rewrite: str, **record: Any) -> str | None:
    return RealignFilter().failed_rule({"problem": "q", **record}, original, rewrite)


def test_filter_rules_each_reject_what_they_guard() -> None:
    ten = " ".join(f"w{i}" for i in range(10))
    assert _verdict(ten, " ".join(f"w{i}" for i in range(5))) is None  # ratio 0.5 passes (at least half)
    assert _verdict(ten, " ".join(f"w{i}" for i in range(4))) == "length"
    assert _verdict("```py\nx=1\n```", "x=1 explained with enough words here") == "code"
    assert _verdict("plain words only", "```py\nplain words only\n```") == "code"
    assert _verdict("B", "The answer is B.") is None
    assert _verdict("B", "The answer is Bee.") == "options"
    assert _verdict("False", "That claim is False.") is None and _verdict("True", "It holds.") == "options"
    assert _verdict("Day 1: go.", "Day 1: go, then rest.", task="planning") == "planning"
    assert _verdict("Day 1: go.", "Day 1: go, then rest.", task="planning", problem="Make a plan") is None
    assert _verdict("C", "C", task="exam_problem_solving_tutor") == "exam"
    assert _verdict("An answer here.", "[End of response] An answer here.") == "markers"
    solution = "3 + 4 = 7 apples.\n#### 7"
    same = _verdict(solution, "Add them: 3 + 4 = 7.\nThe final answer is 7.", shape="problem_solution")
    changed = _verdict(solution, "Add them: 3 + 4 = 8.\nThe final answer is 8.", shape="problem_solution")
    assert same is None and changed == "answer"


def test_web_search_snippets_are_cleaned_numbered_and_cut_to_k() -> None:
    payload = {
        "answerBox": {"snippet": "Paris is the capital of France.", "link": "https://a"},
        "knowledgeGraph": {"title": "Paris", "type": "City", "attributes": {"Population": "2.1 million"}},
        "organic": [
            {"snippet": "Missing: capital", "link": "https://b"},
            {"snippet": "Posted: 2 days ago", "link": "https://c"},
            {"snippet": "No good search result found", "link": "https://d"},
            {"snippet": "Paris is   the capital of France.", "link": "https://e"},
            {"snippet": "Paris hosts the Louvre.", "link": "https://f"},
        ],
    }
    snippets = clean_snippets(serper_snippets(payload), k=3, max_chars=200)
    assert [s["n"] for s in snippets] == [1, 2, 3]
    assert [s["text"] for s in snippets] == [
        "Paris is the capital of France.",
        "Paris: City",
        "Paris Population: 2.1 million",
    ]
    assert clean_snippets([("Missing: all", "x"), ("Duration: 3:10", "y")], k=5, max_chars=200) == []


def test_gsm8k_recipe_keeps_answers_and_rejects_answer_changing_rewrites(
    shared_dir: Path, tmp_path: Path
) -> None:
    """30 GSM8K problems through the shipped recipe; the scripted rewriter changes odd ids' answers."""
    out = tmp_path / "out"
    result = run_recipe(RECIPE, out, gsm8k_overrides(shared_dir, tmp_path))
    rows = by_id(out / "realigned.jsonl")
    assert len(rows) == 30 and result.stats["kept"] == 30
    source = {r["id"]: r for r in read_jsonl(shared_dir / "data" / "benchmarks" / "gsm8k_test.jsonl")[:30]}
    for record_id, row in rows.items():
        assert set(row) == {"id", "question", "answer", "realign"}, "same shape as the input, plus the tag"
        tag = row["realign"]
        assert tag["task"] == "math_puzzles"
        if int(record_id.rsplit("-", 1)[1]) % 2:
            assert tag == {"tag": "original", "reason": "filter:answer", "task": "math_puzzles"}
            assert row["answer"] == source[record_id]["answer"]
        else:
            assert tag["tag"] == "rewrite" and tag["reason"] == "passed_filter:closest"
            assert row["answer"].startswith("Question in short:")
    chats = read_jsonl(out / "realign_sft.jsonl")
    assert [m["role"] for m in chats[0]["messages"]] == ["user", "assistant"] and chats[0]["tag"] == "rewrite"
    counters = result.stats["steps"][4]["counters"]
    assert counters["task.math_puzzles.rewrite"] == 15 and counters["task.math_puzzles.original"] == 15
    report = (out / "report.html").read_text()
    assert "ReAlign: rewritten or kept, per task" in report and "filter:answer" in report


def test_nq_recipe_evidence_formatless_pass_through_and_bounded_retries(
    shared_dir: Path, tmp_path: Path
) -> None:
    """NQ-100 with evidence from a local BM25 index; format-less and unknown tasks pass through."""
    from limkit.retrieve import build_index, read_corpus

    index = tmp_path / "index"
    build_index(read_corpus([shared_dir / "data" / "qa" / "nq_open_dev.jsonl"], fields=("question",))).save(
        index
    )
    out = tmp_path / "out"
    overrides = [
        f"input.path={shared_dir / 'data' / 'realign' / 'nq100_with_responses.jsonl'}",
        f"cache={tmp_path / 'cache.sqlite'}",
        f"steps.classify_task.model={scripted('classify')}",
        f"steps.realign.model={scripted('rewrite')}",
        "steps.realign.attempts=2",
        "steps.retrieve_evidence.backend=local",
        f"steps.retrieve_evidence.index={index}",
    ]
    result = run_recipe(RECIPE, out, overrides)
    rows = by_id(out / "realigned.jsonl")
    assert len(rows) == 100 and all(set(row) == {"items", "id", "realign"} for row in rows.values())
    source = by_id(shared_dir / "data" / "realign" / "nq100_with_responses.jsonl")
    expected = {0: "no_format", 1: "default_task", 3: "unparseable", 4: "filter:length"}
    for record_id, row in rows.items():
        reason = expected.get(int(record_id) % 10, "passed_filter:closest")
        assert row["realign"]["reason"] == reason, record_id
        answer = row["items"][1]["value"]
        if reason.startswith("passed"):
            assert answer.startswith("Question in short:") and "[1]" in answer, "evidence reached the prompt"
        else:
            assert row["items"] == source[record_id]["items"], "kept records are untouched"
    tags = Counter(row["realign"]["tag"] for row in rows.values())
    assert tags == {"rewrite": 60, "original": 40}
    realign = result.stats["steps"][3]["counters"]
    assert realign["skipped.no_format"] == 10 and realign["skipped.default_task"] == 10
    assert realign["samples_unparseable"] == 20, "ids ending in 3: both samples fail after 2 asks"
    assert realign["asks"] == 2 * 20 + 2 * 20 + 1 * 120, "re-asks are bounded by attempts"
    assert result.stats["steps"][2]["counters"]["with_evidence"] == 80


@pytest.mark.slow
def test_embedding_classifier_trained_on_the_shipped_file_beats_the_majority_class(
    shared_dir: Path, tmp_path: Path, run_cli: Any, one_torch_thread: None
) -> None:
    data = shared_dir / "data" / "realign"
    model = tmp_path / "cls"
    done = run_cli(
        "realign", "train-classifier", str(data / "task_classification_train.jsonl"),
        "--out", str(model), "--test", str(data / "task_classification_test.jsonl"),
    )  # fmt: skip
    assert done.code == 0, done.err
    print(done.out)
    report = json.loads((model / "evaluation.json").read_text())
    assert report["rows"] == 143 and report["accuracy"] > report["majority_rate"]
    assert f"test accuracy {report['accuracy']:.3f}" in done.out and "->" in done.out
    from limkit.curate import ClassifyTask
    from limkit.curate._realign._classifier import TaskClassifier

    reloaded = TaskClassifier.load(model)
    assert len(reloaded.labels) == 46
    step = ClassifyTask(method="embedding", classifier=str(model))
    records = [{"id": "1", "problem": "Fix the bug in this Python function: def f(x): return x +"}]
    [labelled] = list(step.run(records))
    assert labelled["task_by"] == "embedding" and labelled["task"] in taxonomy()
    bad = run_cli(
        "realign", "train-classifier", str(data / "nq100_with_responses.jsonl"), "--out", str(model)
    )
    assert bad.code == 1 and "nq100_with_responses.jsonl:1" in bad.err


def test_killed_run_resumes_without_rewriting_any_record_twice(shared_dir: Path, tmp_path: Path) -> None:
    """SIGKILL the CLI mid-rewrite; the rerun asks only what it lacks; a no-op rerun asks nothing."""
    log = tmp_path / "calls.tsv"
    out = tmp_path / "out"
    overrides = gsm8k_overrides(shared_dir, tmp_path)
    command = [sys.executable, "-m", "limkit", "curate", str(RECIPE), "--out", str(out), *overrides]
    env = {**os.environ, "REALIGN_SCRIPT_LOG": str(log), "REALIGN_SCRIPT_SLEEP": "0.05"}
    kill_when(command, lambda: log.is_file() and log.read_text().count("\n") >= 10, env=env)
    assert not (out / "stats.json").exists()
    before = log.read_text().count("\n")
    assert 10 <= before < 60
    os.environ["REALIGN_SCRIPT_LOG"] = str(log)
    try:
        run_recipe(RECIPE, out, overrides)
        calls = log.read_text().splitlines()
        assert len(calls) == 60 and len(set(calls)) == 60, "every (record, sample) asked exactly once"
        run_recipe(RECIPE, out, overrides)
        run_recipe(RECIPE, out, [*overrides, "steps.realign_filter.min_length_ratio=0.6"])
        assert len(log.read_text().splitlines()) == 60, "a rerun with nothing new to rewrite asks nothing"
    finally:
        del os.environ["REALIGN_SCRIPT_LOG"]
    assert len(read_jsonl(out / "realigned.jsonl")) == 30


@pytest.mark.slow
def test_recipe_against_a_tiny_model_behind_transformers_serve(
    shared_dir: Path, tiny_model_dir: Path, tiny_server: str, tmp_path: Path
) -> None:
    """Plumbing with a real server: garbage replies are re-asked at most `attempts` times, then every
    record keeps its original response, tagged with why; nothing crashes, nothing is lost."""
    default_format = tmp_path / "formats.yaml"
    default_format.write_text("default: Answer first, then explain in a list.\n")
    model = f"{{model: '{tiny_model_dir}', backend: openai, base_url: '{tiny_server}', concurrency: 4}}"
    common = [
        f"cache={tmp_path / 'cache.sqlite'}",
        f"steps.classify_task.model={model}",
        "steps.classify_task.attempts=2",
        "steps.classify_task.max_tokens=8",
        f"steps.realign.model={model}",
        "steps.realign.n=1",
        "steps.realign.attempts=2",
        "steps.realign.max_tokens=16",
        "steps.realign.rewrite_default=true",
        f"steps.realign.formats_file={default_format}",
    ]
    runs = {
        "gsm8k": [*gsm8k_overrides(shared_dir, tmp_path)[:3]],
        "nq": [f"input.path={shared_dir / 'data' / 'realign' / 'nq100_with_responses.jsonl'}"],
    }
    for name, inputs in runs.items():
        result = run_recipe(RECIPE, tmp_path / name, [*inputs, *common])
        rows = read_jsonl(tmp_path / name / "realigned.jsonl")
        assert len(rows) == result.stats["input"] == (30 if name == "gsm8k" else 100)
        assert all(
            row["realign"]["tag"] in ("rewrite", "original") and row["realign"]["reason"] for row in rows
        )
        realign = result.stats["steps"][3]["counters"]
        assert realign["asks"] <= 2 * len(rows), "at most `attempts` asks per sample"
        print(name, Counter(row["realign"]["reason"] for row in rows))
