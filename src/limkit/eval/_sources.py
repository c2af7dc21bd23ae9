"""Re-reading a run's task samples from the protocol it recorded (for fields the sample rows do not keep)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from limkit.tasks import TaskSample


def source_samples(
    results: dict[str, Any], extra_metadata: tuple[str, ...] = ()
) -> dict[tuple[str, str], TaskSample]:
    """Every sample of the run's tasks by (task name, problem id), read as the run read them (same data
    directory, field map and seed), with `extra_metadata` columns copied into each sample's metadata."""
    from limkit.tasks import LOCAL_SUFFIXES, load_task, resolve_spec

    config = results["protocol"]["config"]
    fields = dict(config.get("fields") or []) or None
    found: dict[tuple[str, str], TaskSample] = {}
    for name in config["tasks"]:
        spec = resolve_spec(name, fields=fields)
        metadata = (*spec.fields.metadata, *(f for f in extra_metadata if f not in spec.fields.metadata))
        spec = replace(spec, fields=replace(spec.fields, metadata=metadata))
        data_dir = config.get("data_dir")
        if str(name).endswith(LOCAL_SUFFIXES):  # a local task file: read as DIR/<stem> of its folder
            data_dir, spec = str(Path(name).parent), replace(spec, name=Path(name).stem)
        task = load_task(spec, data_dir=data_dir, seed=int(config["sampling"]["seed"]))
        for sample in task.samples:
            found[(task.name, sample.id)] = sample
    return found
