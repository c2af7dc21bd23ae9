"""`limkit pc track|refine|complete|to-sft|run`: PC Agent on Linux/X11 (He et al., arXiv 2412.17589).

Each subcommand lives in its own light module and registers itself here.
"""

from __future__ import annotations

import typer

from limkit.cli._pc_data import complete_command, refine_command, to_sft_command
from limkit.cli._pc_run import run_command
from limkit.cli._pc_track import track_command

pc_app = typer.Typer(
    help="PC Agent on X11: record human computer use, refine it, complete it with thoughts, make planner "
    "training data, and run a planner + grounder agent (He et al., arXiv 2412.17589).",
    no_args_is_help=True,
)
pc_app.command("track")(track_command)
pc_app.command("refine")(refine_command)
pc_app.command("complete")(complete_command)
pc_app.command("to-sft")(to_sft_command)
pc_app.command("run")(run_command)
