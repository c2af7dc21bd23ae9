"""The iterative loop, for every variant of the recipe, resumable: a rerun skips every finished stage.

For t = 1..T: sample K responses per training question from M_{t-1}, grade them, build at most P pairs
per question from the variant's pool, train one DPO + NLL epoch from M_{t-1} (also the reference), and
evaluate M_t. Iteration 1 of every variant samples the same base model with the same seeds, so the
shared cache answers all but the first variant's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from limkit.data import atomic_write_text, read_jsonl, write_jsonl
from limkit.errors import LimkitError
from limkit.loops.dive._config import DiveConfig
from limkit.loops.dive._embed import Embedder
from limkit.loops.dive._pairs import USES_GLOBAL_POOL, USES_SELECTION, build_pairs
from limkit.loops.dive._questions import Question, load_questions
from limkit.loops.dive._stages import RunPaths, evaluate, log_event, sample_iteration, train_iteration

Log = Callable[[str], None]
SETTINGS_FILE = "dive_run.json"
SUMMARY_FILE = "summary.json"


def check_inputs(config: DiveConfig) -> tuple[list[Question], list[Question]]:
    """Everything that needs files but no model weights: the model path and both question files."""
    from limkit.train import check_model_path

    check_model_path(config.model, config.revision, "model")
    return load_questions(config, "train"), load_questions(config, "eval")


def claim_run_dir(paths: RunPaths, config: DiveConfig) -> None:
    """A run directory holds one recipe's run: resuming with other settings would mix two runs."""
    settings_path = paths.root / SETTINGS_FILE
    settings = config.settings()
    if settings_path.exists():
        recorded = json.loads(settings_path.read_text(encoding="utf-8"))
        if recorded != json.loads(json.dumps(settings)):
            changed = sorted(k for k in settings if recorded.get(k) != json.loads(json.dumps(settings[k])))
            raise LimkitError(
                f"this run directory holds a run with other settings ({', '.join(changed)}); use a new --out",
                path=settings_path,
            )
        return
    atomic_write_text(settings_path, json.dumps(settings, indent=1))


def run_dive(config: DiveConfig, out_dir: str | Path, log: Log = print) -> dict[str, Any]:
    """Runs (or resumes) every variant; returns the summary that `summary.json` and the report hold."""
    import torch

    from limkit.loops.dive._report import write_report
    from limkit.loops.dive._summary import summarize

    train_questions, eval_questions = check_inputs(config)
    paths = RunPaths(Path(out_dir))
    claim_run_dir(paths, config)
    threads = torch.get_num_threads()
    if config.torch_threads:
        torch.set_num_threads(config.torch_threads)
    try:
        embedder = Embedder(config.selection.embedder)
        log("[base] evaluate the base model")
        evaluate(config, paths, config.model, eval_questions, paths.base_eval, embedder)
        for variant in config.variants:
            _run_variant(config, paths, variant, train_questions, eval_questions, embedder, log)
    finally:
        torch.set_num_threads(threads)
    summary = summarize(config, paths)
    atomic_write_text(paths.root / SUMMARY_FILE, json.dumps(summary, indent=1))
    summary["report"] = str(write_report(config, paths, summary))
    return summary


def _run_variant(
    config: DiveConfig,
    paths: RunPaths,
    variant: str,
    train_questions: list[Question],
    eval_questions: list[Question],
    embedder: Embedder,
    log: Log,
) -> None:
    policy = config.model
    prompts = {q.id: config.prompt.replace("{problem}", q.problem) for q in train_questions}
    for t in range(1, config.iterations + 1):
        out = paths.iteration(variant, t)
        log(f"[{variant} t={t}] sample {config.sampling.samples} per question from {policy}")
        sample_iteration(config, paths, policy, train_questions, out, t)
        pairs_path = _pairs(config, paths, variant, t, prompts, embedder)
        if _count_rows(pairs_path) == 0:
            log(f"[{variant} t={t}] no pairs: the model is kept as it is")
            log_event(paths, {"event": "no_pairs", "variant": variant, "iteration": t})
        else:
            log(f"[{variant} t={t}] train DPO + NLL on {_count_rows(pairs_path)} pairs")
            policy, _ = train_iteration(config, policy, pairs_path, out)
        log(f"[{variant} t={t}] evaluate")
        evaluate(config, paths, policy, eval_questions, out / "eval", embedder)
        atomic_write_text(out / "policy.txt", policy)


def _pairs(
    config: DiveConfig, paths: RunPaths, variant: str, t: int, prompts: dict[str, str], embedder: Embedder
) -> Path:
    """`pairs.jsonl` and `pairs.json` (counts) of iteration t; built once, read back on a rerun."""
    out = paths.iteration(variant, t)
    target = out / "pairs.jsonl"
    if target.exists() and (out / "pairs.json").exists():
        return target
    first = 1 if USES_GLOBAL_POOL[variant] else t
    pools: dict[str, list[dict[str, Any]]] = {qid: [] for qid in prompts}
    for source in range(first, t + 1):
        for _, row in read_jsonl(paths.iteration(variant, source) / "samples.jsonl"):
            pools[row["id"]].append(row)
    embed = embedder.encode if USES_SELECTION[variant] else None
    pairing = build_pairs(config, variant, t, pools, prompts, embed)
    write_jsonl(target, pairing.pairs)
    atomic_write_text(out / "pairs.json", json.dumps(pairing.counts, indent=1))
    return target


def _count_rows(path: Path) -> int:
    return sum(1 for _ in read_jsonl(path))
