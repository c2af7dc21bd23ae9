"""The `--verbose` option shared by every long command (demo, train, curate, eval)."""

from __future__ import annotations

from typing import Annotated

import typer

Verbose = Annotated[
    bool,
    typer.Option(
        "--verbose",
        help="Show the progress bars, log lines and warnings of transformers, TRL and datasets.",
    ),
]
