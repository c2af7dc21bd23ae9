"""Opening a `limkit.llm` Generator for a run: the evaluated model or the judge, behind the request cache.

Kept apart from the runner so that the judge wiring (`_judge`) and the runner both import it, and neither
imports the other.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from limkit.eval._config import RuntimeOptions

if TYPE_CHECKING:
    from limkit.llm import Generator


def open_generator(
    backend: str, model: str, runtime: RuntimeOptions, base_url: str | None, revision: str | None = None
) -> Generator:
    """A generator behind the run's request cache, for the evaluated model or the judge."""
    from limkit.llm import BackendOptions, make_generator, open_cache

    options = BackendOptions(
        base_url=base_url,
        api_key_env=runtime.api_key_env,
        concurrency=runtime.concurrency,
        revision=revision,
        batch_size=runtime.batch_size,
    )
    cache = open_cache(Path(runtime.cache_path) if runtime.cache_path else None, runtime.no_cache)
    return make_generator(backend, model, options, cache)
