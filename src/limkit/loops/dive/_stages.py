"""The stages of one DIVE iteration, each meeting a pillar through files and skipping itself when done.

sample (`limkit.llm`, cached: a killed run resumes with nothing sampled twice) -> grade (`limkit.grade`)
-> train (a `limkit train dpo` recipe written next to its model) -> evaluate (greedy @1, n samples for
@k and diversity, `limkit.eval`'s metrics).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from limkit.data import AppendWriter, atomic_write_text, read_jsonl, write_jsonl
from limkit.errors import LimkitError
from limkit.loops.dive._config import DiveConfig
from limkit.loops.dive._embed import Embedder
from limkit.loops.dive._questions import Question, grade_responses
from limkit.progress import progress_bar


@dataclass(frozen=True)
class RunPaths:
    root: Path

    @property
    def cache(self) -> Path:
        return self.root / "cache.sqlite"

    @property
    def events(self) -> Path:
        return self.root / "events.jsonl"

    @property
    def base_eval(self) -> Path:
        return self.root / "base" / "eval"

    def iteration(self, variant: str, t: int) -> Path:
        return self.root / variant / f"iter-{t}"


def log_event(paths: RunPaths, row: dict[str, Any]) -> None:
    with AppendWriter(paths.events) as writer:
        writer.write(row)


def _requests(config: DiveConfig, questions: Sequence[Question], params: Any) -> list[Any]:
    from limkit.llm import Request

    requests = []
    for question in questions:
        text = config.prompt.replace("{problem}", question.problem)
        if config.prompt_format == "raw":
            requests.append(Request(question.id, prompt=text, params=params))
        else:
            messages = ({"role": "user", "content": text},)
            requests.append(Request(question.id, messages=messages, params=params))
    return requests


def generate(
    config: DiveConfig,
    paths: RunPaths,
    model: str,
    questions: Sequence[Question],
    stage: str,
    params: Any,
) -> list[Any]:
    """Every sample through the run's cache; logs how many were generated and how many came from it."""
    from limkit.llm import BackendOptions, make_generator, open_cache

    requests = _requests(config, questions, params)
    cache = open_cache(paths.cache)
    assert cache is not None
    revision = config.revision if model == config.model else None
    options = BackendOptions(revision=revision, batch_size=config.sampling.batch_size, device="cpu")
    generator = make_generator("hf", model, options, cache)
    try:
        with progress_bar(len(requests) * params.n, f"{stage}: {model}") as advance:
            completions = generator.generate_all(requests, on_completion=lambda _: advance(1))
    finally:
        stats = generator.stats
        event = {"event": "generate", "stage": stage, "model": model}
        log_event(paths, {**event, "generated": stats.generated, "cached": stats.cached})
        del generator
        gc.collect()
        cache.close()
    return sorted(completions, key=lambda c: (c.request_id, c.sample))


def sampling_params(config: DiveConfig, n: int, temperature: float, top_p: float) -> Any:
    from limkit.llm import SamplingParams

    return SamplingParams(
        n=n,
        temperature=temperature,
        top_p=top_p if temperature > 0 else 1.0,
        max_tokens=config.sampling.max_tokens,
        seed=config.sampling.seed,
        stop=tuple(config.sampling.stop),
    )


def sample_iteration(
    config: DiveConfig, paths: RunPaths, model: str, questions: Sequence[Question], out: Path, t: int
) -> list[dict[str, Any]]:
    """K graded responses per training question from `model`: `out/samples.jsonl` (kept once written)."""
    target = out / "samples.jsonl"
    if target.exists():
        return [row for _, row in read_jsonl(target)]
    s = config.sampling
    params = sampling_params(config, s.samples, s.temperature, s.top_p)
    completions = generate(config, paths, model, questions, f"sample t={t}", params)
    rows = grade_responses(config, {q.id: q for q in questions}, completions, t)
    write_jsonl(target, rows)
    return rows


def evaluate(
    config: DiveConfig,
    paths: RunPaths,
    model: str,
    questions: Sequence[Question],
    out: Path,
    embedder: Embedder | None,
) -> dict[str, Any]:
    """Greedy @1 and n samples for pass@k and diversity on the evaluation questions: `out/metrics.json`."""
    from limkit.eval import pass_at_k, sample_rows_diversity

    target = out / "metrics.json"
    if target.exists():
        return dict(json.loads(target.read_text(encoding="utf-8")))
    by_id = {q.id: q for q in questions}
    metrics: dict[str, Any] = {"model": model, "questions": len(questions)}
    if config.eval.greedy:
        completions = generate(
            config, paths, model, questions, "eval greedy", sampling_params(config, 1, 0, 1)
        )
        greedy = grade_responses(config, by_id, completions, 0)
        write_jsonl(out / "greedy.jsonl", greedy)
        metrics["acc@1"] = sum(r["correct"] for r in greedy) / len(greedy)
    e = config.eval
    params = sampling_params(config, e.n, e.temperature, e.top_p)
    sampled = grade_responses(config, by_id, generate(config, paths, model, questions, "eval", params), 0)
    write_jsonl(out / "samples.jsonl", sampled)
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in sampled:
        groups.setdefault(row["id"], []).append(row)
    ratios = {qid: sum(r["correct"] for r in rows) / len(rows) for qid, rows in groups.items()}
    metrics["avg@n"] = sum(ratios.values()) / len(ratios)
    metrics[f"pass@{e.n}"] = sum(
        pass_at_k(len(g), sum(r["correct"] for r in g), e.n) for g in groups.values()
    ) / len(groups)
    metrics["n"] = e.n
    metrics["correct_ratio"] = ratios
    embed = embedder.encode if (embedder is not None and e.embedding and e.n > 1) else None
    metrics["diversity"] = sample_rows_diversity(sampled, embed)
    atomic_write_text(target, json.dumps(metrics, indent=1))
    return metrics


def dpo_recipe(config: DiveConfig, policy: str, pairs: Path, out: Path) -> dict[str, Any]:
    """A `limkit train dpo` recipe: one epoch from the previous checkpoint, which is also the reference."""
    dpo_weight, nll_weight = config.loss.weights()
    recipe: dict[str, Any] = {
        "recipe": "dpo",
        "model": policy,
        "data": {"path": str(pairs), "format": "text" if config.prompt_format == "raw" else "chat"},
        "output_dir": str(out),
        "overwrite_output": True,
        "beta": 0.4,
        "learning_rate": 3e-8,
        "lr_scheduler_type": "constant",
        "num_train_epochs": 1,
        "per_device_train_batch_size": 8,
        "gradient_accumulation_steps": 8,
        "loss_type": ["sigmoid", "sft"],
        "loss_weights": [dpo_weight, nll_weight],
        "save_strategy": "no",
        "report_to": "none",
        "logging_steps": 1,
        "seed": config.sampling.seed,
        **config.train,
    }
    if policy == config.model and config.revision:
        recipe["revision"] = config.revision
    return recipe


def train_iteration(config: DiveConfig, policy: str, pairs: Path, out: Path) -> tuple[str, dict[str, Any]]:
    """Trains `out/model` from `policy` on the pairs; a finished run is kept, an unfinished one redone."""
    from limkit.train import RUN_FILE, load_config, run_recipe

    model_dir = out / "model"
    info = _run_info(model_dir / RUN_FILE)
    if info.get("finished_at"):
        return str(model_dir), info
    recipe_path = out / "dpo.yaml"
    recipe = dpo_recipe(config, policy, pairs, model_dir)
    atomic_write_text(
        recipe_path, f"# limkit train dpo {recipe_path}\n" + yaml.safe_dump(recipe, sort_keys=False)
    )
    try:
        run_recipe(load_config("dpo", recipe_path))
    except LimkitError as error:
        raise LimkitError(f"training iteration failed: {error.render()}", path=recipe_path) from None
    return str(model_dir), _run_info(model_dir / RUN_FILE)


def _run_info(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8")))
