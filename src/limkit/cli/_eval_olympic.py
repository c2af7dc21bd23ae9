"""Attaches the process-level, judge-comparison and safety-judging subcommands to `limkit eval`."""

from __future__ import annotations

import typer

from limkit.cli._eval_process import process_command


def attach_olympic_commands(eval_app: typer.Typer) -> None:
    eval_app.command("process")(process_command)
