"""Run directories of the studies and agents: one `config.json` that a resumed run must match."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from limkit.data._io import atomic_write_text
from limkit.errors import LimkitError


def start_run_dir(run_dir: Path, config: dict[str, Any], what: str = "run") -> None:
    """Creates the run directory, or checks that an existing one holds the same `what` (so it resumes)."""
    path = run_dir / "config.json"
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored != config:
            changed = sorted(k for k in set(stored) | set(config) if stored.get(k) != config.get(k))
            raise LimkitError(
                f"this run directory holds a different {what} (differs in {', '.join(changed)}); "
                "use a new --out to start another",
                path=path,
            )
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(config, indent=2, sort_keys=True) + "\n")
