"""`limkit pc refine|complete|to-sft`: from a recorded trajectory to planner training data.

Registered on the `limkit pc` group in `_pc.py`. Heavy work is imported inside each command.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Annotated

import typer

from limkit.cli._generate import ApiKeyEnv, BaseUrls, CachePath, Concurrency, Fingerprint
from limkit.cli._verbose import Verbose
from limkit.errors import UsageError

Dirs = Annotated[
    list[Path], typer.Argument(help="Trajectory directories (with task.json), or folders of them.")
]


def _say(text: str) -> None:
    from limkit.progress import stderr_console

    stderr_console.print(text, soft_wrap=True, markup=False, highlight=False)


def _resolution(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)x(\d+)", text.strip())
    if match is None or min(int(match[1]), int(match[2])) < 1:
        raise UsageError(f"--resolution must look like 1280x720, got {text!r}", field="resolution")
    return int(match[1]), int(match[2])


def refine_command(
    dirs: Dirs,
    resolution: Annotated[
        str, typer.Option(help="Target WIDTHxHEIGHT for screenshots and coordinates (1280x720 or 1920x1080).")
    ] = "1280x720",
    click_radius: Annotated[
        int, typer.Option(help="A press and drag at most this many px apart (Manhattan) is a click.")
    ] = 5,
    skip: Annotated[
        list[str] | None,
        typer.Option(
            "--skip",
            help="Switch off a pass (repeat): drop-failed, fuse-drags, modifiers, leading-waits, unchanged, "
            "finish, resize, markers.",
        ),
    ] = None,
    verbose: Verbose = False,
) -> None:
    """Refine recorded trajectories into refined.jsonl + refined/ (PC Agent's data refinement, fixed)."""
    from limkit.agents.pc._refine import PASS_NAMES, RefineConfig, find_trajectories, refine_trajectory
    from limkit.progress import library_output, progress_bar

    if click_radius < 0:
        raise UsageError("--click-radius must be >= 0", field="click_radius")
    unknown = sorted(set(skip or ()) - set(PASS_NAMES))
    if unknown:
        raise UsageError(f"unknown pass {unknown[0]!r}; passes: {', '.join(PASS_NAMES)}", field="skip")
    config = RefineConfig(click_radius, _resolution(resolution), frozenset(skip or ()))
    started = time.perf_counter()
    directories = find_trajectories(dirs)
    results = []
    with library_output(verbose), progress_bar(len(directories), "refine") as advance:
        for directory in directories:
            results.append(refine_trajectory(directory, config))
            advance(1)
    kept = [result for result in results if result.dropped_by is None]
    totals = {name: sum(result.counts.get(name, 0) for result in results) for name in PASS_NAMES}
    for result in results:
        if result.dropped_by is not None:
            _say(f"dropped {result.directory} (by pass {result.dropped_by})")
        elif verbose:
            _say(f"{result.directory}: {result.steps_in} -> {result.steps_out} steps, {result.counts}")
    lengths = [result.steps_out for result in kept]
    mean = sum(lengths) / len(lengths) if lengths else 0.0
    changes = ", ".join(f"{name} {count}" for name, count in totals.items() if name not in config.skip)
    _say(
        f"{len(kept)} of {len(results)} trajectories refined in {time.perf_counter() - started:.1f} s "
        f"(steps {sum(r.steps_in for r in results)} -> {sum(lengths)}; mean {mean:.1f}, "
        f"max {max(lengths, default=0)} per trajectory); changes by pass: {changes}"
    )


def complete_command(
    dirs: Dirs,
    backend: Annotated[
        str, typer.Option(help="openai (any OpenAI-compatible server), hf, vllm or scripted.")
    ] = "openai",
    model: Annotated[str | None, typer.Option(help="Model name, directory, or scripted spec.")] = None,
    base_url: BaseUrls = None,
    history: Annotated[int, typer.Option(help="Earlier steps a thought prompt shows.")] = 10,
    future: Annotated[int, typer.Option(help="Coming actions a thought prompt shows.")] = 10,
    check_attempts: Annotated[int, typer.Option(help="Asks in all for a valid Good/Wrong verdict.")] = 3,
    max_tokens: Annotated[int, typer.Option(help="Most tokens per reply.")] = 256,
    temperature: Annotated[float, typer.Option(help="Sampling temperature (0 is greedy).")] = 0.0,
    concurrency: Concurrency = 8,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    model_fingerprint: Fingerprint = None,
    cache: CachePath = None,
    verbose: Verbose = False,
) -> None:
    """Describe every click and write every step's thought (PC Agent's cognition completion); resumable."""
    from limkit.agents.pc._complete import CompleteConfig, complete_trajectories
    from limkit.agents.pc._refine import find_trajectories
    from limkit.llm import BackendOptions, make_generator, open_cache
    from limkit.progress import library_output

    if not model:
        raise UsageError("--model is required", field="model")
    if max_tokens < 1:
        raise UsageError("--max-tokens must be >= 1", field="max_tokens")
    if temperature < 0:
        raise UsageError("--temperature must be >= 0", field="temperature")
    config = CompleteConfig(history, future, check_attempts, max_tokens, temperature)
    directories = find_trajectories(dirs)
    options = BackendOptions(
        base_url=tuple(base_url) if base_url else None,
        model_fingerprint=model_fingerprint,
        concurrency=concurrency,
        api_key_env=api_key_env,
    )
    started = time.perf_counter()
    with library_output(verbose):
        generator = make_generator(backend, model, options, open_cache(cache))
        stats = complete_trajectories(directories, generator, config)
    sent = generator.stats
    _say(
        f"{stats.trajectories} trajectories, {stats.steps} steps completed in "
        f"{time.perf_counter() - started:.1f} s: {stats.described} clicks described ({stats.corrected} "
        f"corrected, {stats.check_failures} verdicts never valid), {stats.thoughts} thoughts; "
        f"refused {dict(stats.refused)}, empty {dict(stats.empty)}; "
        f"requests sent {sent.generated}, from cache {sent.cached}, re-asked {sent.reasked}"
    )


def to_sft_command(
    dirs: Dirs,
    out: Annotated[Path, typer.Option("--out", help="Chat JSONL to write (TRL vision SFT form).")],
    history: Annotated[int, typer.Option(help="Earlier steps (thought + action) in each prompt.")] = 10,
    verbose: Verbose = False,
) -> None:
    """One planner training sample per completed step: screenshot, task, history, "thought + action"."""
    from limkit.agents.pc._refine import find_trajectories
    from limkit.agents.pc._sft import to_sft

    if history < 0:
        raise UsageError("--history must be >= 0", field="history")
    from limkit.progress import library_output, progress_bar

    directories = find_trajectories(dirs)
    with library_output(verbose), progress_bar(len(directories), "to-sft") as advance:
        stats = to_sft(directories, out, history, on_trajectory=lambda: advance(1))
    _say(
        f"{stats.samples} samples from {stats.steps} steps of {stats.trajectories} trajectories "
        f"written to {out}; skipped {dict(stats.skipped)}"
    )
