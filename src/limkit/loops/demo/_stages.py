"""The demo's stages. Each writes its recipe or config next to its outputs and skips itself when done.

The stages drive the real pillars through their public interfaces (curation recipes, TRL training
recipes, evaluation runs), so the demo shows what a user would run, at a size a laptop finishes.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from limkit.data import atomic_write_text, read_jsonl, write_jsonl
from limkit.loops.demo._config import DemoConfig
from limkit.loops.demo._pool import eval_problems, eval_rows, foundation_rows, training_pool

FILTER_STEPS = ("dedup", "decontaminate")
# LIMO's score with its weights and cues; only the length that scores 0.5 is scaled to the toy chains
# (LIMO's run to thousands of words, the rich ones here to 30-45). At the default 1,500 words length barely
# counts, and cue rates per word favour the shortest rich chains: one-step problems, not compositions.
CHAIN_SCORE_HALF = {"elaborated": 40.0, "self_verification": 3.0, "exploration": 3.0, "granularity": 8.0}


@dataclass(frozen=True)
class DemoPaths:
    """Where every stage reads and writes, under one output directory."""

    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def pool(self) -> Path:
        return self.data / "pool.jsonl"

    @property
    def eval_set(self) -> Path:
        return self.data / "eval.jsonl"

    @property
    def foundation(self) -> Path:
        return self.data / "foundation.jsonl"

    @property
    def recipes(self) -> Path:
        return self.root / "recipes"

    @property
    def curate(self) -> Path:
        return self.root / "curate"

    @property
    def cache(self) -> Path:
        return self.root / "cache.sqlite"

    def model(self, name: str) -> Path:
        return self.root / "models" / name

    def sft_data(self, name: str) -> Path:
        return self.data / f"sft_{name}.jsonl"

    def eval_run(self, name: str) -> Path:
        return self.root / "eval" / name


def write_data(paths: DemoPaths, config: DemoConfig) -> None:
    """The evaluation split, the pool (with near-duplicates and leaks) and the foundation rows."""
    if paths.pool.exists() and paths.eval_set.exists() and paths.foundation.exists():
        return
    held_out = eval_problems(config.seed, config.eval_size)
    write_jsonl(paths.eval_set, eval_rows(held_out))
    write_jsonl(
        paths.foundation,
        foundation_rows(
            config.seed,
            config.foundation_size,
            held_out,
            config.foundation_drill_share,
            config.facts_per_drill,
            config.foundation_worded_share,
        ),
    )
    write_jsonl(paths.pool, training_pool(config.seed, config.pool_size, held_out))


def build_initial_model(paths: DemoPaths, config: DemoConfig) -> Path:
    """A random tiny model whose tokenizer is trained on the demo's own text, so sequences stay short."""
    from limkit.llm.tiny import build_tiny_model

    out = paths.model("init")
    if (out / "config.json").exists():
        return out
    texts = [str(row["problem"]) + "\n" + str(row.get("solution", "")) for _, row in read_jsonl(paths.pool)]
    return build_tiny_model(out, seed=config.seed, spec=config.model, extra_text=texts)


def sft_recipe(
    model: Path, data: Path, out: Path, epochs: int, learning_rate: float, config: DemoConfig
) -> dict[str, Any]:
    """A `limkit train sft` recipe: assistant-only loss on chat rows, sized for a CPU."""
    return {
        "recipe": "sft",
        "model": str(model),
        "data": {"path": str(data), "format": "chat"},
        "output_dir": str(out),
        "overwrite_output": True,
        "learning_rate": learning_rate,
        "lr_scheduler_type": "cosine",
        "warmup_steps": 0.05,
        "num_train_epochs": epochs,
        "per_device_train_batch_size": config.batch_size,
        "max_length": 512,
        "assistant_only_loss": True,
        "activation_checkpointing": False,
        "use_cpu": True,
        "bf16": False,
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": "none",
        "seed": config.seed,
    }


def train_sft(
    name: str,
    model: Path,
    data: Path,
    epochs: int,
    learning_rate: float,
    paths: DemoPaths,
    config: DemoConfig,
) -> Path:
    """Trains `paths.model(name)` from `model` on `data`; a finished run is kept, an unfinished one redone."""
    from limkit.train import RUN_FILE, load_config, run_recipe

    out = paths.model(name)
    if _finished_training(out / RUN_FILE):
        return out
    recipe = paths.recipes / f"sft_{name}.yaml"
    header = f"# limkit train sft {recipe}\n"
    atomic_write_text(
        recipe,
        header + yaml.safe_dump(sft_recipe(model, data, out, epochs, learning_rate, config), sort_keys=False),
    )
    run_recipe(load_config("sft", recipe))
    return out


def _finished_training(run_file: Path) -> bool:
    if not run_file.exists():
        return False
    return "finished_at" in json.loads(run_file.read_text(encoding="utf-8"))


def curate_recipe(paths: DemoPaths, config: DemoConfig) -> dict[str, Any]:
    """The LIMO recipe's steps, with the demo's base model as the difficulty filter."""
    difficulty = {
        "model": str(paths.model("base")),
        "backend": "hf",
        "key": "base",
        "batch_size": config.generate_batch,
        "n": config.difficulty_n,
        "temperature": config.eval_temperature,
        "top_p": 1.0,
        "max_tokens": config.max_tokens,
        "seed": config.seed,
        "system": None,
        "min_pass": 0,
        "max_pass": config.difficulty_max_pass,
    }
    return {
        "name": "demo-limo",
        "input": {"path": str(paths.pool), "fields": {"id": "id", "problem": "problem", "answer": "answer"}},
        "cache": str(paths.cache),
        "executor": {"kind": "local", "workers": 1},
        "steps": [
            {"dedup": {"method": "minhash", "threshold": 0.9}},
            {"decontaminate": {"benchmarks": [str(paths.eval_set)], "ngram": 13}},
            {"difficulty": difficulty},
            {"score_chains": {"field": "solution", "half": CHAIN_SCORE_HALF}},
            {"select": {"method": "top_k", "k": config.select_k, "score_field": "score"}},
            {"write": {"jsonl": "curated.jsonl", "dataset_dir": None}},
        ],
    }


def run_curation(paths: DemoPaths, config: DemoConfig) -> dict[str, Any]:
    """Runs (or resumes) the curation recipe; returns its stats."""
    from limkit.curate import run_recipe

    recipe = paths.recipes / "curate.yaml"
    header = f"# limkit curate {recipe} --out {paths.curate}\n"
    atomic_write_text(recipe, header + yaml.safe_dump(curate_recipe(paths, config), sort_keys=False))
    return run_recipe(recipe, paths.curate).stats


def comparison_sets(paths: DemoPaths, config: DemoConfig) -> None:
    """The curated set as SFT rows, a random set of the same size, and the whole clean pool.

    "Clean" is what survives deduplication and decontamination: the baselines never see leaked
    evaluation items, so the comparison isolates selection, not contamination.
    """
    kept = [row for _, row in read_jsonl(paths.curate / "kept.jsonl")]
    dropped = [row for _, row in read_jsonl(paths.curate / "dropped.jsonl")]
    clean = kept + [row for row in dropped if row["reason"]["step"] not in FILTER_STEPS]
    clean.sort(key=lambda row: str(row["id"]))
    size = len(kept)
    chosen = random.Random(config.seed).sample(clean, size)
    write_jsonl(paths.sft_data("curated"), (chat_row(row, str(row["chain"]["text"])) for row in kept))
    write_jsonl(paths.sft_data("random"), (chat_row(row, str(row["solution"])) for row in chosen))
    write_jsonl(paths.sft_data("full"), (chat_row(row, str(row["solution"])) for row in clean))


def chat_row(row: dict[str, Any], answer: str) -> dict[str, Any]:
    messages = [{"role": "user", "content": row["problem"]}, {"role": "assistant", "content": answer}]
    return {"id": row["id"], "messages": messages}


def evaluate(name: str, paths: DemoPaths, config: DemoConfig) -> dict[str, Any]:
    """Evaluates `paths.model(name)` on the held-out split (resumes; a finished run generates nothing)."""
    from limkit.eval import EvalConfig, GraderSettings, RuntimeOptions, SamplingOverrides, run_eval

    sampling = SamplingOverrides(
        n=config.eval_n,
        temperature=config.eval_temperature,
        top_p=1.0,
        max_tokens=config.max_tokens,
        seed=config.seed,
    )
    eval_config = EvalConfig(
        backend="hf",
        model=str(paths.model(name)),
        tasks=(str(paths.eval_set),),
        sampling=sampling,
        system_prompt="",
        user_template="{problem}",
        grader=GraderSettings(require_box=True),
    )
    runtime = RuntimeOptions(batch_size=config.generate_batch, cache_path=str(paths.cache))
    return run_eval(eval_config, paths.eval_run(name), runtime, log=lambda message: None)
