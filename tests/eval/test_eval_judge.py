"""The LLM judge wiring: a limkit.llm Generator as LLMJudge's `ask`, used only for free-form answers.

The decision-logic test scripts the judge's replies ("CORRECT" / "INCORRECT"); the end-to-end test runs
a fitted solver and a fitted judge (tests/fitting.py), so the judge is really called and its verdicts
are known in advance.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from limkit.eval import (
    EvalConfig,
    JudgeConfig,
    RuntimeOptions,
    SamplingOverrides,
    read_samples,
    rescore_run,
    run_eval,
)
from limkit.eval._judge import generator_ask, judge_with, make_judge
from limkit.llm import CompletionCache, make_generator


def _free_form_task(directory: Path) -> Path:
    path = directory / "freeform.jsonl"
    rows = [
        {"id": "sky", "problem": "Why is the sky blue?", "answer": "Rayleigh scattering", "type": "OT"},
        {"id": "sum", "problem": "What is 2 + 2?", "answer": "4", "type": "NV"},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_generator_ask_answers_in_order_through_the_cache(tiny_model_dir: Path, tmp_path: Path) -> None:
    chats = [[{"role": "user", "content": "first"}], [{"role": "user", "content": "second"}]]
    generator = make_generator("hf", str(tiny_model_dir), cache=CompletionCache(tmp_path / "c.sqlite"))
    replies = generator_ask(generator, max_tokens=6)(chats)
    assert len(replies) == 2 and all(isinstance(reply, str) for reply in replies)
    again = make_generator("hf", str(tiny_model_dir), cache=CompletionCache(tmp_path / "c.sqlite"))
    assert generator_ask(again, max_tokens=6)(chats) == replies
    assert again.stats.generated == 0


def test_judge_decides_only_free_form_answers(tiny_model_dir: Path, tmp_path: Path) -> None:
    asked: list[str] = []

    def ask(chats: list[list[dict[str, str]]]) -> list[str]:
        asked.extend(chat[-1]["content"] for chat in chats)
        return ["CORRECT" for _ in chats]

    config = EvalConfig(
        backend="hf",
        model=str(tiny_model_dir),
        tasks=(str(_free_form_task(tmp_path)),),
        fields=(("answer_type", "type"),),
        sampling=SamplingOverrides(n=3, temperature=1.0, max_tokens=12),
    )
    run = tmp_path / "run"
    runtime = RuntimeOptions(cache_path=str(tmp_path / "c.sqlite"))
    run_eval(config, run, runtime, judge=judge_with(ask), log=lambda message: None)
    for row in read_samples(run):
        free = row["id"] == "sky"
        # random text never equals the gold, so every extracted free-form answer goes to the judge
        assert row["judged"] == (free and row["extracted"] is not None), row
        assert row["comparator"] == "judge" if row["judged"] else row["comparator"] != "judge"

    # Stored completions with known answers: the rules reject the paraphrase, the judge accepts it.
    rows = read_samples(run)
    for row in rows:
        row["completion"] = "\\boxed{light scattering by air}" if row["id"] == "sky" else "\\boxed{5}"
    (run / "samples.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    asked.clear()
    rescore_run(run, judge=judge_with(ask))
    regraded = read_samples(run)
    assert len(asked) == 3 and all(
        "Rayleigh scattering" in text and "light scattering" in text for text in asked
    )
    for row in regraded:
        if row["id"] == "sky":
            assert row["judged"] and row["correct"] and row["comparator"] == "judge"
        else:
            assert not row["judged"] and not row["correct"] and row["status"] == "incorrect"
    plain = rescore_run(run, use_judge=False)
    assert plain["rescores"][-1]["flipped"] == 3
    assert not any(row["correct"] or row["judged"] for row in read_samples(run))


def test_a_fitted_judge_decides_the_fitted_solvers_free_form_answers(
    solver_dir: Path, judge_dir: Path, tmp_path: Path
) -> None:
    """Real models on both sides: the solver boxes known answers, the judge (hf) reads LLMJudge's prompt.

    The rules cannot match "light scattering by air" to "Rayleigh scattering" nor "green paint" to
    "chlorophyll" (OT), so each of those samples goes to the judge, which accepts the first (it names
    the cue, "scattering") and rejects the second; "5" for "4" (NV) is decided by the rules alone.
    """
    from fitting import FREE_FORM, JUDGE_CUE, free_form_rows

    path = tmp_path / "freeform.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in free_form_rows()))
    judge_config = JudgeConfig(backend="hf", model=str(judge_dir), max_tokens=16)
    config = EvalConfig(
        backend="hf",
        model=str(solver_dir),
        tasks=(str(path),),
        fields=(("answer_type", "type"),),
        sampling=SamplingOverrides(n=2, temperature=0.7, max_tokens=24),
        judge=judge_config,
    )
    runtime = RuntimeOptions(cache_path=str(tmp_path / "c.sqlite"))
    real = make_judge(judge_config, runtime)
    calls: list[tuple[str, str, bool | None]] = []

    def counted(pairs: list[tuple[str, str]]) -> list[bool | None]:
        decisions = real(pairs)
        calls.extend((*pair, decision) for pair, decision in zip(pairs, decisions, strict=True))
        return decisions

    results = run_eval(config, tmp_path / "run", runtime, judge=counted, log=lambda message: None)
    assert results["protocol"]["config"]["judge"] == {
        "backend": "hf",
        "model": str(judge_dir),
        "max_tokens": 16,
    }
    replies = {key: reply for key, _, _, reply in FREE_FORM}
    expected = {(gold, replies[key], JUDGE_CUE in replies[key]) for key, _, gold, _ in FREE_FORM[:2]}
    assert len(calls) == 4 and set(calls) == expected  # two samples of each OT problem, none of "sum"
    rows = {(row["id"], row["sample"]): row for row in read_samples(tmp_path / "run")}
    assert len(rows) == 6
    for sample in (0, 1):
        sky, grass, total = rows[("sky", sample)], rows[("grass", sample)], rows[("sum", sample)]
        assert (sky["extracted"], sky["judged"], sky["correct"], sky["comparator"]) == (
            "light scattering by air",
            True,
            True,
            "judge",
        )
        assert (grass["judged"], grass["correct"], grass["status"]) == (True, False, "incorrect")
        assert (total["extracted"], total["judged"], total["correct"]) == ("5", False, False)
    assert results["metrics"]["freeform"]["avg"] == pytest.approx(1 / 3)
