"""Rich progress bars for every long loop, written to stderr so stdout stays machine-readable.

Long commands wrap their work in `library_output(verbose)`: the progress bars, log lines and warnings of
transformers, TRL, datasets and friends are hidden, so each stage shows one limkit bar and the command
ends with its own summary. `--verbose` leaves the libraries as they are.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

stderr_console = Console(stderr=True)

# Read by the libraries when they are first imported, so they start quiet without being imported here
# (importing transformers only to silence it would cost seconds on commands that never use it).
_QUIET_ENV = {
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    "DATASETS_VERBOSITY": "error",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # transformers draws its bars (loading weights) through the hub's
}
_QUIET_LOGGERS = ("transformers", "trl", "datasets", "accelerate", "peft", "huggingface_hub", "torch")
# Warnings raised inside these libraries are about their internals (deprecations, defaults they chose),
# which the user of a limkit command cannot act on.
_LIBRARY_MODULES = r"(transformers|trl|datasets|accelerate|peft|huggingface_hub|torch|tokenizers)(\.|$)"

_verbose = contextvars.ContextVar("limkit_verbose", default=False)


def is_verbose() -> bool:
    """True inside `library_output(verbose=True)`: keep the libraries' own bars and logs."""
    return _verbose.get()


@contextlib.contextmanager
def library_output(verbose: bool = False) -> Iterator[None]:
    """Hides library progress bars, log dictionaries and unactionable warnings, unless `verbose`."""
    token = _verbose.set(verbose)
    if verbose:
        try:
            yield
        finally:
            _verbose.reset(token)
        return
    saved_env = {name: os.environ.get(name) for name in _QUIET_ENV}
    for name, value in _QUIET_ENV.items():
        os.environ.setdefault(name, value)
    saved_levels = {name: logging.getLogger(name).level for name in _QUIET_LOGGERS}
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    restore = _quiet_loaded_libraries()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=_LIBRARY_MODULES)
            yield
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "cannot enable progress bars": the variable read at import wins
            restore()
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
        for name, previous in saved_env.items():
            if previous is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = previous
        _verbose.reset(token)


def _quiet_loaded_libraries() -> Callable[[], None]:
    """Silences transformers and datasets if loaded now; the returned function restores them at the end.

    A library first imported inside the context read the quiet environment instead; its verbosity is
    set back at the end, and its bars too, except where datasets lets its environment variable win.
    """
    previous: dict[str, tuple[int, bool]] = {}
    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        previous["transformers"] = (hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled())
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    if "datasets" in sys.modules:
        from datasets.utils import logging as ds_logging
        from datasets.utils.tqdm import are_progress_bars_disabled, disable_progress_bars

        previous["datasets"] = (ds_logging.get_verbosity(), not are_progress_bars_disabled())
        ds_logging.set_verbosity_error()
        disable_progress_bars()

    def restore() -> None:
        if "transformers" in sys.modules:
            from transformers.utils import logging as hf_logging

            level, bars = previous.get("transformers", (logging.WARNING, True))
            hf_logging.set_verbosity(level)
            if bars:
                hf_logging.enable_progress_bar()
        if "datasets" in sys.modules:
            from datasets import config as ds_config
            from datasets.utils import logging as ds_logging
            from datasets.utils.tqdm import enable_progress_bars

            level, bars = previous.get("datasets", (logging.WARNING, True))
            ds_logging.set_verbosity(level)
            if bars and ds_config.HF_DATASETS_DISABLE_PROGRESS_BARS is not True:
                enable_progress_bars()

    return restore


def bar_columns(*extra: ProgressColumn | str) -> tuple[ProgressColumn | str, ...]:
    """The columns every limkit bar shows, with `extra` figures (loss, samples/s) before the times."""
    return (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        *extra,
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )


def new_progress(*extra: ProgressColumn | str) -> Progress:
    """A bar on stderr that disappears when stderr is not a terminal, to keep logs clean."""
    return Progress(*bar_columns(*extra), console=stderr_console, disable=not stderr_console.is_terminal)


@contextlib.contextmanager
def progress_bar(total: int, description: str) -> Iterator[Callable[[int], None]]:
    """Yields `advance(k)`; the bar disappears when not attached to a terminal to keep logs clean."""
    with new_progress() as progress:
        task = progress.add_task(description, total=total)

        def advance(step: int = 1) -> None:
            progress.advance(task, step)

        yield advance
