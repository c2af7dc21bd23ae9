"""Attaches the process-level, judge-comparison and safety-judging subcommands to `limkit eval`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from limkit.cli._eval_process import process_command
from limkit.cli._eval_safety import safety_command

Opt = typer.Option


def compare_judges_command(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `limkit eval`.")],
    judge: Annotated[
        str, Opt("--judge", help="The other grader: olympicarena-compat (the upstream judger's behaviour).")
    ] = "olympicarena-compat",
) -> None:
    """Grade a run's stored completions with a compat judge too, and print both graders' accuracies and
    every sample on which they disagree (also written to RUN_DIR/judges/JUDGE.json)."""
    from limkit.eval._compat import compare_judges, compare_lines
    from limkit.progress import stderr_console

    summary = compare_judges(
        run_dir, judge, log=lambda m: stderr_console.print(m, highlight=False, markup=False)
    )
    typer.echo("\n".join(compare_lines(summary)))


def attach_olympic_commands(eval_app: typer.Typer) -> None:
    eval_app.command("process")(process_command)
    eval_app.command("compare-judges")(compare_judges_command)
    eval_app.command("safety")(safety_command)
