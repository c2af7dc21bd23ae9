"""`limkit genes cases|rank|eval` end to end with the scripted rankers; the report in headless Chromium."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from browser import render


def rank(run_cli: Any, phenopackets: Path, out: Path, script: str, *extra: str) -> Any:
    return run_cli(
        "genes", "rank", "--input", str(phenopackets), "--out", str(out), "--backend", "scripted",
        "--model", f"gene_scripts:{script}", "--limit", "20", "--n", "5", "--n", "10", *extra,
    )  # fmt: skip


def test_cases_command_writes_cases_and_names_what_it_skipped(
    run_cli: Any, phenopackets: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cases.jsonl"
    result = run_cli("genes", "cases", "--input", str(phenopackets), "--out", str(out))
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 482 and "482 cases (150 causal genes, 414 with excluded terms)" in result.err
    assert "phenopackets.jsonl:126: no observed phenotypic features" in result.err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"phenopacket": {}}\n[1]\n')
    failed = run_cli("genes", "cases", "--input", str(bad), "--out", str(tmp_path / "x.jsonl"))
    assert failed.code == 1 and "bad.jsonl:2" in failed.err and len(failed.err.strip().splitlines()) == 1
    assert not (tmp_path / "x.jsonl").exists()


def test_rank_resumes_from_its_cache_and_refuses_a_different_run(
    run_cli: Any, phenopackets: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    first = rank(run_cli, phenopackets, out, "oracle", "--ranker", "dc", "-s", "4", "-m", "2")
    assert first.code == 0, first.err
    assert "top-1 40/40" in first.err and "0 from the cache" in first.err
    results = (out / "results.jsonl").read_text()
    again = rank(run_cli, phenopackets, out, "oracle", "--ranker", "dc", "-s", "4", "-m", "2")
    assert again.code == 0 and "0 asks generated" in again.err
    assert (out / "results.jsonl").read_text() == results
    other = rank(run_cli, phenopackets, out, "oracle", "--ranker", "whole")
    assert other.code == 1 and "differs in" in other.err and "identity" not in other.err
    bad = rank(run_cli, phenopackets, tmp_path / "bad", "oracle", "--ranker", "dc", "-s", "4", "-m", "4")
    assert bad.code == 1 and "1 <= advance < chunk size" in bad.err


def test_eval_compares_rankers_and_the_report_renders(
    run_cli: Any, phenopackets: Path, tmp_path: Path
) -> None:
    plain, agents = tmp_path / "plain", tmp_path / "agents"
    assert rank(run_cli, phenopackets, plain, "first_slot").code == 0
    assert rank(run_cli, phenopackets, agents, "first_slot", "--agents", "5").code == 0
    report = tmp_path / "report.html"
    result = run_cli("genes", "eval", str(plain), str(agents), "--report", str(report))
    assert result.code == 0, result.err
    summaries = [json.loads((run / "summary.json").read_text()) for run in (plain, agents)]
    assert summaries[0]["overall"]["hit@1"] < 0.4 < 0.9 < summaries[1]["overall"]["hit@1"]
    assert summaries[1]["order_sensitivity"] and not summaries[0]["order_sensitivity"]
    assert set(summaries[1]["by_known_association"]) <= {"True", "False"}
    assert set(summaries[1]["by_max_ic"]) == {"low", "mid", "high"}
    rendered = render(report, tmp_path)
    census = rendered.census
    # accuracy vs n; per run: position bias and popularity; the agents run adds order sensitivity
    assert len(census.images) == 1 + 2 * 2 + 1
    assert all(int(img["data-natural-width"] or 0) > 100 for img in census.images), census.images
    # per run: overall, by n, known association, mean IC, max IC; the agents run adds order + confidence
    assert census.tables == 5 + 7
    assert census.headings[0] == "Gene prioritization" and rendered.screenshot_std > 0.05
    assert "x5 agents (Borda)" in rendered.dom and "by confidence class" in rendered.dom


def test_a_killed_rank_run_resumes_with_nothing_asked_twice(phenopackets: Path, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    log, out = tmp_path / "calls.log", tmp_path / "run"
    env = {**os.environ, "GENES_CALL_LOG": str(log), "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [
        sys.executable, "-m", "limkit", "genes", "rank", "--input", str(phenopackets), "--out", str(out),
        "--backend", "scripted", "--model", "gene_scripts:logged_oracle", "--limit", "40", "--n", "25",
        "--ranker", "dc", "-s", "5", "-m", "2",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while (not log.exists() or len(log.read_text().splitlines()) < 60) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    asked_before = len(log.read_text().splitlines())
    assert asked_before >= 60 and not (out / "results.jsonl").exists()
    resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    calls = log.read_text().splitlines()
    # Each ask is answered once; the one in flight when the kill came may be asked again.
    assert len(calls) - len(set(calls)) <= 1
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 40 and all(row["rank"] == 1 for row in rows)
    assert all(row["repairs"]["asks"] == 8 for row in rows)  # chunks 5 + 2, then the final: 25 -> 10 -> 4
