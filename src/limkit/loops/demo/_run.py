"""The whole less-is-more loop, stage by stage, resumable: a rerun skips every finished stage.

With several seeds the whole comparison (pool, foundation model, curation, the three SFT runs and the
four evaluations) runs once per seed, each in its own `seed-S/` directory, and one report reads them all.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from limkit.loops.demo._config import DemoConfig
from limkit.loops.demo._report import write_demo_report
from limkit.loops.demo._stages import (
    DemoPaths,
    build_initial_model,
    comparison_sets,
    evaluate,
    run_curation,
    train_sft,
    write_data,
)
from limkit.loops.demo._summary import DemoSummary, summarize, write_summary

Log = Callable[[str], None]
SUMMARY_FILE = "summary.json"


Timings = dict[str, tuple[float, float]]  # stage -> (wall seconds, CPU seconds of this process)


@contextlib.contextmanager
def _stage(name: str, timings: Timings, log: Log) -> Iterator[None]:
    """Times a stage: wall time, and CPU time, which on a busy machine says what a quiet one would take."""
    log(f"[{name}] ...")
    started, cpu = time.monotonic(), time.process_time()
    yield
    timings[name] = (time.monotonic() - started, time.process_time() - cpu)
    log(f"[{name}] done in {timings[name][0]:.1f} s (CPU {timings[name][1]:.1f} s)")


def _prefixed(log: Log, prefix: str) -> Log:
    return lambda message: log(prefix + message)


def seed_dir(out_dir: Path, seed: int) -> Path:
    return out_dir / f"seed-{seed}"


def run_demo(
    out_dir: str | Path, config: DemoConfig | None = None, seeds: int = 1, log: Log = print
) -> tuple[Path, DemoSummary]:
    """Runs the comparison on seeds `config.seed` ... `config.seed + seeds - 1`: (report, summary)."""
    config = config or DemoConfig()
    out = Path(out_dir)
    timings: dict[int, Timings] = {}
    curation: dict[int, dict[str, Any]] = {}
    for seed in range(config.seed, config.seed + seeds):
        timings[seed] = {}
        seed_log = _prefixed(log, f"seed {seed}: ") if seeds > 1 else log
        curation[seed] = run_seed(
            DemoPaths(seed_dir(out, seed)), replace(config, seed=seed), timings[seed], seed_log
        )
    summary = summarize({seed: seed_dir(out, seed) for seed in timings})
    write_summary(out / SUMMARY_FILE, summary)
    report = write_demo_report(out, config, summary, curation, timings)
    return report, summary


def run_seed(paths: DemoPaths, config: DemoConfig, timings: Timings, log: Log) -> dict[str, Any]:
    """Pool → foundation model → curation → SFT on curated / random / whole pool → evaluation."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(config.torch_threads)
    torch.manual_seed(config.seed)
    try:
        return _run_stages(paths, config, timings, log)
    finally:
        torch.set_num_threads(threads)


def _run_stages(paths: DemoPaths, config: DemoConfig, timings: Timings, log: Log) -> dict[str, Any]:
    with _stage("data: procedural pool, evaluation split, foundation rows", timings, log):
        write_data(paths, config)
    with _stage("foundation: train on facts and one-step problems of every family", timings, log):
        init = build_initial_model(paths, config)
        base = train_sft(
            "base",
            init,
            paths.foundation,
            config.foundation_epochs,
            config.foundation_learning_rate,
            paths,
            config,
        )
    with _stage("evaluate the foundation model", timings, log):
        evaluate("base", paths, config)
    with _stage("curate: dedup, decontaminate, difficulty, score chains, select", timings, log):
        curation = run_curation(paths, config)
        comparison_sets(paths, config)
    for name, epochs in (
        ("curated", config.small_set_epochs),
        ("random", config.small_set_epochs),
        ("full", config.full_pool_epochs),
    ):
        with _stage(f"train SFT on the {name} set", timings, log):
            train_sft(name, base, paths.sft_data(name), epochs, config.learning_rate, paths, config)
        with _stage(f"evaluate the {name} model", timings, log):
            evaluate(name, paths, config)
    return curation
