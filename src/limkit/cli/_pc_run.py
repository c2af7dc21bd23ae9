"""`limkit pc run`: the PC Agent planner + grounder loop on the X display in `$DISPLAY`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from limkit.cli._generate import ApiKeyEnv, CachePath
from limkit.cli._verbose import Verbose
from limkit.errors import UsageError

_BACKEND = "openai (any OpenAI-compatible server), hf, vllm or scripted (module:function or rules.jsonl)"


def _say(text: str) -> None:
    from limkit.progress import stderr_console

    stderr_console.print(text, soft_wrap=True, markup=False, highlight=False)


def _generator(
    role: str, backend: str, model: str | None, urls: list[str] | None, cache: Any, keys: str
) -> Any:
    from limkit.llm import BackendOptions, make_generator

    if not model:
        raise UsageError(f"--{role}-model is required", field=f"{role}_model")
    options = BackendOptions(base_url=tuple(urls) if urls else None, api_key_env=keys, concurrency=1)
    return make_generator(backend, model, options, cache)


def _check_options(
    grounder: str, planner_model: str | None, grounder_model: str | None, *counts: int
) -> None:
    """Usage errors before anything is created (a half-made run directory would then be refused)."""
    from limkit.agents.pc._ground import GROUNDERS

    if grounder not in GROUNDERS:
        raise UsageError(
            f"unknown grounder {grounder!r}; choose one of {', '.join(GROUNDERS)}", field="grounder"
        )
    if not planner_model:
        raise UsageError("--planner-model is required", field="planner_model")
    if grounder == "vlm" and not grounder_model:
        raise UsageError("--grounder vlm needs --grounder-model", field="grounder_model")
    max_steps, max_replans, parse_retries, grounding_tries = counts
    if max_steps < 1 or grounding_tries < 1 or max_replans < 0 or parse_retries < 0:
        raise UsageError(
            "--max-steps and --grounding-tries must be >= 1, --max-replans and --parse-retries >= 0",
            field="max_steps",
        )


def _grounder(name: str, generator: Any, run_dir: Path, tries: int) -> Any:
    from limkit.agents.pc._ground import A11yGrounder, OcrGrounder, VlmGrounder, desktop_elements

    if name == "ocr":
        return OcrGrounder()
    if name == "a11y":
        return A11yGrounder(desktop_elements)
    return VlmGrounder(generator, run_dir / "screens" / "verify", tries=tries)


def run_command(
    task: Annotated[str, typer.Argument(help="What to do, in words (the planner reads it every step).")],
    out: Annotated[Path, typer.Option("--out", help="Run directory: steps, screenshots, summary.")],
    planner_model: Annotated[
        str | None, typer.Option(help="Planner model: served name, directory, or scripted spec.")
    ] = None,
    planner_backend: Annotated[str, typer.Option(help="Planner backend: " + _BACKEND + ".")] = "openai",
    planner_base_url: Annotated[
        list[str] | None, typer.Option(help="Planner server URL (openai); repeat for replicas.")
    ] = None,
    grounder: Annotated[
        str, typer.Option(help="ocr (offline OCR), a11y (AT-SPI names) or vlm (a pointing model + judge).")
    ] = "ocr",
    grounder_backend: Annotated[str, typer.Option(help="With --grounder vlm: " + _BACKEND + ".")] = "openai",
    grounder_model: Annotated[
        str | None, typer.Option(help="With --grounder vlm: the pointing model.")
    ] = None,
    grounder_base_url: Annotated[
        list[str] | None, typer.Option(help="With --grounder vlm: server URL.")
    ] = None,
    grounding_tries: Annotated[int, typer.Option(help="With --grounder vlm: point + judge rounds.")] = 3,
    max_steps: Annotated[int, typer.Option(help="Steps before the run ends with status step_limit.")] = 50,
    max_replans: Annotated[int, typer.Option(help="Re-plans per step after a failed grounding.")] = 3,
    parse_retries: Annotated[int, typer.Option(help="Re-asks per plan after an unparseable reply.")] = 2,
    temperature: Annotated[float, typer.Option(help="Planner sampling temperature (paper: 0.8).")] = 0.8,
    max_tokens: Annotated[int, typer.Option(help="Most tokens per planner reply.")] = 512,
    settle: Annotated[float, typer.Option(help="Seconds to let the screen settle after an action.")] = 1.0,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Plan and ground, but execute nothing (no input is sent).")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace a run already in --out (runs never resume).")
    ] = False,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    cache: CachePath = None,
    verbose: Verbose = False,
) -> None:
    """Run the planner + grounder agent on the X display in $DISPLAY (a real session or Xvfb).

    Each step takes a screenshot, asks the planner for one action, grounds a click's element description,
    executes it with xdotool and logs it to OUT. Ends with status finished, failed or step_limit (exit 0
    only for finished); OUT/summary.json has the counts."""
    from limkit.agents.pc._agent import Agent, AgentConfig, capture_screen, prepare_run_dir
    from limkit.agents.pc._execute import Executor
    from limkit.agents.pc._planner import Planner
    from limkit.llm import SamplingParams, open_cache
    from limkit.progress import library_output, progress_bar

    _check_options(
        grounder, planner_model, grounder_model, max_steps, max_replans, parse_retries, grounding_tries
    )
    if temperature < 0 or max_tokens < 1:
        raise UsageError("--temperature must be >= 0 and --max-tokens >= 1", field="temperature")
    config = AgentConfig(task, max_steps=max_steps, max_replans=max_replans, dry_run=dry_run)
    params = SamplingParams(temperature=temperature, max_tokens=max_tokens)
    executor = Executor(dry_run=dry_run, settle_seconds=settle)
    executor.check()
    capture = capture_screen()
    prepare_run_dir(out, overwrite)
    store = open_cache(cache or out / "cache.sqlite")
    with library_output(verbose):
        planner_gen = _generator(
            "planner", planner_backend, planner_model, planner_base_url, store, api_key_env
        )
        vlm = None
        if grounder == "vlm":
            vlm = _generator(
                "grounder", grounder_backend, grounder_model, grounder_base_url, store, api_key_env
            )
        chosen = _grounder(grounder, vlm, out, grounding_tries)
        settings = {"planner": planner_gen.identity, "grounder_model": vlm.identity if vlm else None}
        with progress_bar(max_steps, "acting") as advance:
            agent = Agent(
                config,
                Planner(planner_gen, params, retries=parse_retries),
                chosen,
                executor,
                capture,
                out,
                settings=settings,
                on_step=lambda step: advance(1),
            )
            summary = agent.run()
    _say(
        f"{summary['status']} after {summary['steps']} steps ({summary['reason']}); grounding failures "
        f"{summary['grounding_failures']}, re-plans {summary['replans']}, parse failures "
        f"{summary['parse_failures']}; {summary['seconds']} s; log {out / 'steps.md'}"
    )
    if summary["status"] != "finished":
        raise typer.Exit(1)
