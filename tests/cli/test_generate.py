"""`limkit generate` and `limkit tiny-model` as a user runs them: real files, a real server, a real kill."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from limkit.cli import app
from serving import FaultProxy, cache_rows, free_port, kill_when

SUMMARY = re.compile(r"(\d+) completions written to .*: (\d+) generated, (\d+) from the cache")
ONE_PROMPT = '{"id": 1, "prompt": "a"}\n'


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def limkit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "limkit", *args]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})}
    )


def summary(stderr: str) -> tuple[int, int, int]:
    """(written, generated, from the cache) as the end-of-run summary states them."""
    found = SUMMARY.search(" ".join(stderr.split()))
    assert found, stderr
    written, generated, cached = map(int, found.groups())
    return written, generated, cached


def test_import_and_help_load_no_heavy_libraries() -> None:
    command = [sys.executable, "-X", "importtime", "-m", "limkit", "--help"]
    helped = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "generate" in helped.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in helped.stderr.splitlines() if "|" in line}
    assert "limkit.cli" in imported
    assert not {name.split(".")[0] for name in imported} & {"torch", "transformers", "trl"}
    timing = "import time; t = time.perf_counter(); import limkit; print(time.perf_counter() - t)"
    seconds = min(float(subprocess.check_output([sys.executable, "-c", timing], text=True)) for _ in range(3))
    assert seconds < 0.5


def test_tiny_model_loads_and_its_template_marks_assistant_tokens(tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    result = CliRunner().invoke(app, ["tiny-model", str(tmp_path / "tiny"), "--seed", "3"])
    assert result.exit_code == 0, result.output
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "tiny")
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "tiny")
    conversation = [
        {"role": "user", "content": "What is 2 + 3?"},
        {"role": "assistant", "content": "The answer is 5."},
        {"role": "user", "content": "Sure?"},
        {"role": "assistant", "content": "Yes."},
    ]
    encoded = tokenizer.apply_chat_template(
        conversation, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
    )
    ids, mask = encoded["input_ids"], encoded["assistant_masks"]
    assert (
        tokenizer.decode([t for t, m in zip(ids, mask, strict=True) if m])
        == "The answer is 5.<|im_end|>Yes.<|im_end|>"
    )
    assert model(input_ids=torch.tensor([ids])).logits.shape == (1, len(ids), len(tokenizer))


def test_generate_hf_writes_one_row_per_sample_and_resumes_from_cache(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    rows = [
        {"id": 7, "prompt": "The answer is"},
        {"id": "chat", "messages": [{"role": "user", "content": "What is 2 + 3?"}]},
    ]
    prompts, out = write_jsonl(tmp_path / "prompts.jsonl", rows), tmp_path / "run[a]" / "out.jsonl"
    args = ["generate", "--model", str(tiny_model_dir), "--input", str(prompts), "--out", str(out)]
    args += ["--n", "2", "--temperature", "0.8", "--max-tokens", "6", "--cache", str(tmp_path / "c.sqlite")]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    written = read_jsonl(out)
    assert [(row["id"], row["sample"]) for row in written] == [(7, 0), (7, 1), ("chat", 0), ("chat", 1)]
    assert all(set(row) == {"id", "sample", "completion", "finish_reason", "usage"} for row in written)
    assert {(row["finish_reason"], row["usage"]["completion_tokens"]) for row in written} == {("length", 6)}
    assert summary(first.stderr) == (4, 4, 0)
    assert f"written to {out}:" in first.stderr
    second = CliRunner().invoke(app, args)
    assert summary(second.stderr) == (4, 0, 4)
    assert read_jsonl(out) == written


BAD_INPUTS = {
    "malformed-json": (ONE_PROMPT + '{"id": 2, "prompt" "b"}\n', [], r"prompts\.jsonl:2: not valid JSON"),
    "no-prompt": (ONE_PROMPT + '{"id": 2, "text": "b"}\n', [], r"prompts\.jsonl:2, field 'prompt'"),
    "bad-messages": ('{"id": 1, "messages": [{"role": "user"}]}\n', [], r":1, field 'messages\[0\]'"),
    "no-id": ('{"prompt": "a"}\n', [], r"prompts\.jsonl:1, field 'id'"),
    "unknown-backend": (ONE_PROMPT, ["--backend", "nope"], r"field 'backend': unknown backend 'nope'"),
    "missing-model": (
        ONE_PROMPT,
        ["--model", "./no/such/model"],
        r"no/such/model: model directory does not exist",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_names_the_place_and_leaves_no_output(case: str, tmp_path: Path) -> None:
    text, extra, expected = BAD_INPUTS[case]
    (tmp_path / "prompts.jsonl").write_text(text, encoding="utf-8")
    assert re.search(expected, run_failing(tmp_path, extra))


def test_unreachable_server_is_named_and_leaves_no_output(tmp_path: Path) -> None:
    (tmp_path / "prompts.jsonl").write_text(ONE_PROMPT, encoding="utf-8")
    url = f"http://127.0.0.1:{free_port()}/v1"
    message = run_failing(tmp_path, ["--backend", "openai", "--base-url", url])
    assert f"cannot reach the OpenAI-compatible server at {url}" in message


def run_failing(tmp_path: Path, extra: list[str], prompts: str = "prompts.jsonl") -> str:
    """Runs a generate that must fail cleanly: exit 1, one line, no output file; returns the line."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    files = ["--input", str(tmp_path / prompts), "--out", str(out_dir / "o.jsonl")]
    result = limkit("generate", "--model", "m", *files, "--cache", str(tmp_path / "c.sqlite"), *extra)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert list(out_dir.iterdir()) == []
    return result.stderr.strip()


def test_a_path_with_brackets_is_shown_verbatim(tmp_path: Path) -> None:
    (tmp_path / "runs[a]").mkdir()
    assert "runs[a]/missing.jsonl: file not found" in run_failing(tmp_path, [], "runs[a]/missing.jsonl")


def openai_generate(model: Path, url: str, prompts: Path, out: Path, *extra: str) -> list[str]:
    base = ["generate", "--backend", "openai", "--model", str(model), "--base-url", url]
    return [*base, "--input", str(prompts), "--out", str(out), *extra]


def test_openai_key_reaches_the_server_only_and_no_cache_sends_everything(
    tiny_model_dir: Path, tiny_server: str, tmp_path: Path
) -> None:
    key = {"OPENAI_API_KEY": f"limkit-test-key-{time.time_ns()}"}
    prompts = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "prompt": f"{i} + {i} ="} for i in range(3)])
    with FaultProxy(tiny_server) as proxy:
        args = openai_generate(tiny_model_dir, proxy.base_url, prompts, tmp_path / "out.jsonl", "--n", "2")
        args += ["--max-tokens", "4"]
        runs = [limkit(*args, "--cache", str(tmp_path / "c.sqlite"), env=key) for _ in range(2)]
        assert len(proxy.served) == 6
        runs += [limkit(*args, "--no-cache", env=key) for _ in range(2)]
        assert len(proxy.served) == 18
    assert [summary(run.stderr) for run in runs] == [(6, 6, 0), (6, 0, 6), (6, 6, 0), (6, 6, 0)]
    assert proxy.authorizations == {f"Bearer {key['OPENAI_API_KEY']}"}
    logs = "".join(run.stdout + run.stderr for run in runs)
    stored = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.is_file())
    assert b"completions" in stored
    assert key["OPENAI_API_KEY"] not in logs and key["OPENAI_API_KEY"].encode() not in stored


def finished_requests(cache: Path) -> set[str]:
    """What the cache holds, in the form the proxy records: the messages and the seed of each sample."""
    with sqlite3.connect(cache) as db:
        rows = [json.loads(row[0]) for row in db.execute("SELECT request FROM completions")]
    return {json.dumps([r["messages"], r["params"]["seed"] + r["sample"]], sort_keys=True) for r in rows}


def sent_request(body: str) -> str:
    data = json.loads(body)
    return json.dumps([data["messages"], data["seed"]], sort_keys=True)


def test_killed_run_resumes_without_resending_what_was_finished(
    tiny_model_dir: Path, tiny_server: str, tmp_path: Path
) -> None:
    questions = [
        {"id": f"q{i}", "messages": [{"role": "user", "content": f"What is {i} + {i}?"}]} for i in range(40)
    ]
    prompts, out, cache = (
        write_jsonl(tmp_path / "p.jsonl", questions),
        tmp_path / "out.jsonl",
        tmp_path / "c.sqlite",
    )
    with FaultProxy(tiny_server, latency=0.05) as proxy:
        args = openai_generate(
            tiny_model_dir, proxy.base_url, prompts, out, "--max-tokens", "32", "--seed", "11"
        )
        args += ["--concurrency", "2", "--cache", str(cache)]
        run = subprocess.Popen([sys.executable, "-m", "limkit", *args], stderr=subprocess.DEVNULL)
        kill_when(run, lambda: cache_rows(cache) >= 10, proxy, timeout=120)
        finished, served_before = finished_requests(cache), len(proxy.served)
        assert 10 <= len(finished) < 40 and not out.exists()
        resumed = limkit(*args)
        served = proxy.served_counts()
    assert resumed.returncode == 0, resumed.stderr
    assert [(row["id"], row["sample"]) for row in read_jsonl(out)] == [(q["id"], 0) for q in questions]
    written, generated, from_cache = summary(resumed.stderr)
    assert (written, from_cache, generated) == (40, len(finished), sum(served.values()) - served_before)
    per_request = {sent_request(body): count for body, count in served.items()}
    assert len(per_request) == 40
    assert {request: per_request[request] for request in finished} == dict.fromkeys(finished, 1)


def test_structured_generate_with_the_scripted_backend_writes_values_and_failures(tmp_path: Path) -> None:
    rules = write_jsonl(
        tmp_path / "rules.jsonl",
        [
            {"pattern": "invalid", "reply": "no"},
            {"pattern": "prime", "reply": "maybe"},
            {"pattern": "", "reply": "yes"},
        ],
    )
    rows = [
        {"id": "p", "prompt": "Is 7 prime?"},
        {"id": "e", "messages": [{"role": "user", "content": "Even?"}]},
    ]
    prompts, out = write_jsonl(tmp_path / "p.jsonl", rows), tmp_path / "out.jsonl"
    args = [
        "generate",
        "--backend",
        "scripted",
        "--model",
        str(rules),
        "--input",
        str(prompts),
        "--out",
        str(out),
    ]
    result = limkit(*args, "--choice", "yes", "--choice", "no", "--attempts", "2", "--no-cache")
    assert result.returncode == 0, result.stderr
    written = {row["id"]: row for row in read_jsonl(out)}
    assert (written["e"]["value"], written["e"]["attempts"], written["e"]["failure"]) == ("yes", 1, None)
    assert (written["p"]["value"], written["p"]["attempts"]) == ("no", 2)
    assert "1 re-asked, 0 never valid" in " ".join(result.stderr.split())


def test_an_invalid_json_schema_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "prompts.jsonl").write_text(ONE_PROMPT, encoding="utf-8")
    (tmp_path / "schema.json").write_text('{"type": "objekt"}', encoding="utf-8")
    message = run_failing(tmp_path, ["--json-schema", str(tmp_path / "schema.json")])
    assert re.search(r"schema\.json, field 'json_schema': not a valid JSON Schema at type", message)


def test_a_missing_image_in_a_prompt_row_is_named(tmp_path: Path) -> None:
    row = {
        "id": 1,
        "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "gone.png"}}]}],
    }
    write_jsonl(tmp_path / "prompts.jsonl", [row])
    message = run_failing(tmp_path, [])
    assert re.search(
        r"prompts\.jsonl:1, field 'messages\[0\]\.content\[0\]': image file not found: .*gone\.png", message
    )


def test_a_dead_replica_among_base_urls_does_not_stop_the_run(
    tiny_model_dir: Path, tiny_server: str, tmp_path: Path
) -> None:
    prompts = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "prompt": f"{i} + {i} ="} for i in range(4)])
    dead = f"http://127.0.0.1:{free_port()}/v1"
    with FaultProxy(tiny_server) as proxy:
        args = openai_generate(
            tiny_model_dir, dead, prompts, tmp_path / "out.jsonl", "--base-url", proxy.base_url
        )
        result = limkit(*args, "--max-tokens", "3", "--no-cache")
    assert result.returncode == 0, result.stderr
    assert summary(result.stderr) == (4, 4, 0) and len(proxy.served) == 4
