"""`limkit testagent build|assess|report`: Benchmark+ items and adaptive multi-turn examination."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from limkit.cli._generate import ApiKeyEnv, CachePath, Concurrency
from limkit.errors import UsageError

testagent_app = typer.Typer(
    help="TestAgent: build Benchmark+ items from documents or a task, examine a model over several turns "
    "with a learned question policy, and report (Wang et al., arXiv 2410.11507).",
    no_args_is_help=True,
)

BACKEND_HELP = "openai (any OpenAI-compatible server), hf, vllm or scripted (module:function or rules.jsonl)."


def _say(text: str) -> None:
    from limkit.progress import stderr_console

    stderr_console.print(text, soft_wrap=True, markup=False, highlight=False)


def _generator(
    role: str, backend: str, model: str | None, base_url: list[str] | None, cache: Any, **options: Any
) -> Any:
    from limkit.llm import BackendOptions, make_generator

    if not model:
        raise UsageError(f"--{role}-model is required", field=f"{role}_model")
    urls = tuple(base_url) if base_url else None
    return make_generator(backend, model, BackendOptions(base_url=urls, **options), cache)


@testagent_app.command("build")
def build_command(
    docs: Annotated[
        list[Path] | None, typer.Argument(help="Documents: .md/.txt files, record files, or folders.")
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Benchmark JSONL to write (dropped candidates beside it).")
    ] = Path("bench.jsonl"),
    domain: Annotated[str, typer.Option(help="Domain name, e.g. medical.")] = "general",
    from_task: Annotated[
        str | None,
        typer.Option("--from-task", help="Activate a task (registered name or local file) instead."),
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="With --from-task: read DATA_DIR/NAME.jsonl.")] = None,
    limit: Annotated[int | None, typer.Option(help="With --from-task: the first N samples.")] = None,
    backend: Annotated[str, typer.Option(help="Generator backend: " + BACKEND_HELP)] = "openai",
    model: Annotated[
        str | None, typer.Option(help="Generator model (required to build from documents).")
    ] = None,
    base_url: Annotated[list[str] | None, typer.Option(help="Generator server URL (openai).")] = None,
    field: Annotated[list[str] | None, typer.Option(help="Text field of record documents; repeat.")] = None,
    items: Annotated[int, typer.Option(help="Seed chunks (candidate items) to draw.")] = 20,
    context_k: Annotated[int, typer.Option(help="Chunks retrieved per seed.")] = 3,
    chunk_words: Annotated[int, typer.Option(help="Most words per chunk.")] = 200,
    dedup_threshold: Annotated[
        float, typer.Option(help="Cosine at or above which questions are duplicates.")
    ] = 0.9,
    seed: Annotated[int, typer.Option(help="Seeds the choice of seed chunks.")] = 0,
    concurrency: Concurrency = 8,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    cache: CachePath = None,
) -> None:
    """Build Benchmark+ items from documents (retrieval, questions with citations, two-stage criteria) or
    activate an existing task (gold and explanation become key points)."""
    from limkit.agents.testagent import write_bench
    from limkit.data import write_jsonl

    if (from_task is None) == (not docs):
        raise UsageError("give documents or --from-task, not both and not neither", field="from_task")
    started = time.perf_counter()
    dropped_path = out.with_name(out.stem + ".dropped.jsonl")
    if from_task is not None:
        from limkit.agents.testagent import activate_task, load_task_for_activation

        task = load_task_for_activation(from_task, str(data_dir) if data_dir else None, limit)
        built, skipped = activate_task(task, domain)
        dropped = [{"candidate": sample_id, "reason": "no supported key point"} for sample_id in skipped]
    else:
        from limkit.agents.testagent import Asker, BuildConfig, build_from_documents
        from limkit.llm import open_cache
        from limkit.retrieve import read_corpus

        config = BuildConfig(
            domain, items, context_k, chunk_words, min(30, chunk_words - 1), dedup_threshold, seed
        )
        if items < 1 or context_k < 1:
            raise UsageError("--items and --context-k must be >= 1", field="items")
        documents = read_corpus(list(docs or []), fields=tuple(field or ("text",)))
        generator = _generator(
            "generator",
            backend,
            model,
            base_url,
            open_cache(cache or out.with_name(out.stem + ".cache.sqlite")),
            concurrency=concurrency,
            api_key_env=api_key_env,
        )
        asker = Asker(generator)
        result = build_from_documents(documents, config, asker, model or "")
        built, dropped = result.items, result.dropped
        if sum(asker.failures.values()):
            _say(f"replies that never validated, by stage: {dict(asker.failures)}")
    write_bench(out, built)
    write_jsonl(dropped_path, dropped)
    _say(
        f"{len(built)} Benchmark+ items written to {out} in {time.perf_counter() - started:.1f} s; "
        f"{len(dropped)} candidates dropped (reasons in {dropped_path})"
    )


RoleBackend = Annotated[str, typer.Option(help=BACKEND_HELP)]
RoleModel = Annotated[str | None, typer.Option(help="Model name, directory, or scripted spec.")]
RoleUrl = Annotated[list[str] | None, typer.Option(help="Server URL (openai); repeat for replicas.")]


@testagent_app.command("assess")
def assess_command(
    bench: Annotated[Path | None, typer.Argument(help="Benchmark+ JSONL (from `testagent build`).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Run directory (re-run to resume).")] = None,
    target_backend: RoleBackend = "openai",
    target_model: RoleModel = None,
    target_base_url: RoleUrl = None,
    examiner_backend: RoleBackend = "openai",
    examiner_model: RoleModel = None,
    examiner_base_url: RoleUrl = None,
    judge_backend: RoleBackend = "openai",
    judge_model: RoleModel = None,
    judge_base_url: RoleUrl = None,
    policy: Annotated[str, typer.Option(help="uniform, rule or learned (with --policy-file).")] = "rule",
    policy_file: Annotated[Path | None, typer.Option(help="A learned policy (from --train-policy).")] = None,
    turns: Annotated[int, typer.Option(help="Turn budget per episode.")] = 10,
    episodes: Annotated[
        int, typer.Option(help="Episodes (each a fresh conversation, items reshuffled).")
    ] = 1,
    seed: Annotated[int, typer.Option(help="Seeds item order and every policy draw.")] = 0,
    max_tokens: Annotated[int, typer.Option(help="Most tokens per reply.")] = 256,
    train_policy: Annotated[
        Path | None, typer.Option("--train-policy", help="Train a learned policy and save it here.")
    ] = None,
    simulate: Annotated[bool, typer.Option(help="With --train-policy: train on simulated targets.")] = False,
    train_episodes: Annotated[int, typer.Option(help="Simulated training episodes.")] = 5000,
    concurrency: Concurrency = 8,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    cache: CachePath = None,
) -> None:
    """Examine a target model over several turns: the examiner asks, the target answers, the judge scores
    each key point, and the policy picks the next question type. Writes OUT/transcript.jsonl, scores and a
    report; re-run the same command to resume."""
    from limkit.agents.testagent import POLICIES, ExamConfig, QPolicy, Roles, assess, finish_run, make_policy
    from limkit.agents.testagent import train_simulated as train_on_simulator
    from limkit.llm import open_cache
    from limkit.progress import progress_bar

    if turns < 1 or episodes < 1:
        raise UsageError("--turns and --episodes must be >= 1", field="turns")
    if policy not in POLICIES:
        raise UsageError(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}", field="policy")
    started = time.perf_counter()
    if train_policy is not None and simulate:
        trained = train_on_simulator(episodes=train_episodes, budget=turns, seed=seed)
        trained.save(train_policy)
        _say(
            f"learned policy ({len(trained.table)} states) trained on {train_episodes} simulated episodes, "
            f"saved to {train_policy}"
        )
        return
    if bench is None or out is None:
        raise UsageError("assess needs BENCH and --out (or --train-policy with --simulate)", field="out")
    store = open_cache(cache or out / "cache.sqlite")
    options = {"concurrency": concurrency, "api_key_env": api_key_env}
    roles = Roles(
        _generator("examiner", examiner_backend, examiner_model, examiner_base_url, store, **options),
        _generator("target", target_backend, target_model, target_base_url, store, **options),
        _generator("judge", judge_backend, judge_model, judge_base_url, store, **options),
    )
    models = {role: getattr(roles, role).identity for role in ("examiner", "target", "judge")}
    if train_policy is not None:
        chosen: Any = QPolicy.load(policy_file) if policy_file else QPolicy()
        chosen.epsilon = 0.2
    else:
        chosen = make_policy(policy, policy_file)
    exam = ExamConfig(budget=turns, episodes=episodes, seed=seed, max_tokens=max_tokens)
    with progress_bar(turns * episodes, "examining") as advance:
        rows, counts, asked = assess(
            bench, out, roles, models, chosen, exam, policy_file, train_policy, on_turn=lambda: advance(1)
        )
    summary = finish_run(out, roles.examiner, examiner_model or "")
    score = summary["professionalism"]["mean"]
    _say(
        f"{len(rows)} turns ({asked} asked now, {len(rows) - asked} resumed) in "
        f"{time.perf_counter() - started:.1f} s; mean score {score if score is None else round(score, 3)}, "
        f"{summary['failures']['distinct']} distinct "
        f"failures, problems {counts.as_dict()}; report {out / 'report.html'}"
        + (f"; policy saved to {train_policy}" if train_policy else "")
    )


@testagent_app.command("report")
def report_command(
    run: Annotated[Path, typer.Argument(help="Run directory from `testagent assess`.")],
) -> None:
    """Rebuild RUN/scores.json and RUN/report.html from the transcript (no model is asked)."""
    from limkit.agents.testagent import finish_run
    from limkit.errors import LimkitError

    if not (run / "config.json").is_file():
        raise LimkitError("not a testagent run directory (config.json expected)", path=run)
    summary = finish_run(run, None, "")
    _say(f"{summary['turns']} turns scored; report {run / 'report.html'}")
