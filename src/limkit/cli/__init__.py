"""The `limkit` command. Subcommands live in light modules; heavy libraries load only when a command runs."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from limkit.cli._conflicts import conflicts_app
from limkit.cli._curate import curate_command
from limkit.cli._demo import demo_command
from limkit.cli._dive import dive_command
from limkit.cli._eval import eval_app, report_command
from limkit.cli._generate import generate_command, tiny_model_command
from limkit.cli._genes import genes_app
from limkit.cli._grade import grade_command
from limkit.cli._journey import journey_app
from limkit.cli._leaderboard import leaderboard_command
from limkit.cli._pc import pc_app
from limkit.cli._realign import realign_app
from limkit.cli._retrieve import retrieve_app
from limkit.cli._testagent import testagent_app
from limkit.cli._train import select_app, train_app
from limkit.cli._transparency import transparency_app
from limkit.errors import LimkitError

app = typer.Typer(
    name="limkit",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        from limkit import __version__

        typer.echo(f"limkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Curate a few high-impact samples, train on them with TRL, and evaluate with one safe grader.

    Exit codes: 0 done, 1 failure (bad input, refused resume), 2 usage error (wrong options), 130 Ctrl-C.
    """


app.command("generate")(generate_command)
app.command("tiny-model")(tiny_model_command)
app.command("grade")(grade_command)
app.command("curate")(curate_command)
app.add_typer(train_app, name="train")
app.add_typer(select_app, name="select")
app.add_typer(eval_app, name="eval")
app.command("report")(report_command)
app.command("leaderboard")(leaderboard_command)
app.command("demo")(demo_command)
app.command("dive")(dive_command)
app.add_typer(retrieve_app, name="retrieve")
app.add_typer(transparency_app, name="transparency")
app.add_typer(journey_app, name="journey")
app.add_typer(genes_app, name="genes")
app.add_typer(testagent_app, name="testagent")
app.add_typer(conflicts_app, name="conflicts")
app.add_typer(realign_app, name="realign")
app.add_typer(pc_app, name="pc")


def main() -> None:
    """Entry point: errors become one clear line on stderr, never a traceback.

    Exit code 2 for usage errors (`limkit.errors.UsageError`, and Click's own), 1 for every other failure.
    """
    try:
        app()
    except LimkitError as error:
        from rich.markup import escape

        from limkit.progress import stderr_console

        stderr_console.print(f"[bold red]error:[/] {escape(error.render())}", highlight=False, soft_wrap=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
