"""Large synthetic pools made by perturbing the real 8.5k pool (numbers changed, words inserted).

Shared by the scale tests and `benchmarks/bench_curate.py`. The first pass over the pool copies it as
is; every later pass perturbs each problem, so a pool of N problems holds about N / 8.5k variants of
each: some within the 0.8 Jaccard threshold of their original, most not. Deterministic for a seed on
every platform (`random.Random` only).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FILLERS = ("then", "also", "exactly", "now", "please", "carefully", "here", "again", "first", "given")
_NUMBER = re.compile(r"\d+")


def synthetic_rows(base: list[dict[str, Any]], count: int, seed: int = 0) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for index in range(count):
        row = base[index % len(base)]
        text = row["prompt"]
        if index >= len(base):
            text = _NUMBER.sub(lambda m: str(rng.randint(1, 999)) if rng.random() < 0.4 else m.group(), text)
            words = text.split(" ")
            for _ in range(rng.randint(0, 3)):
                words.insert(rng.randrange(len(words) + 1), rng.choice(FILLERS))
            text = " ".join(words)
        yield {"id": f"s{index}", "problem": text, "answer": row["answer"]}


def write_synthetic_pool(base_path: Path, count: int, out: Path, seed: int = 0) -> Path:
    """Writes `count` synthetic problems as JSONL (once: an existing file of that name is reused)."""
    if out.is_file():
        return out
    base = json.loads(base_path.read_text(encoding="utf-8"))
    temporary = out.with_suffix(".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        for row in synthetic_rows(base, count, seed):
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    temporary.replace(out)
    return out


def _tree_rss(pid: int) -> int:
    import psutil

    try:
        process = psutil.Process(pid)
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for member in members:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += member.memory_info().rss
    return total


def peak_tree_rss(command: list[str], env: dict[str, str] | None = None) -> tuple[int, float]:
    """Runs `command`; returns the peak summed RSS of its process tree (sampled every 20 ms) and wall time.

    Raises if the command fails (with the end of its stderr).
    """
    started = time.monotonic()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env or os.environ.copy()
    )
    peak = [0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _tree_rss(process.pid))
            time.sleep(0.02)

    watcher = threading.Thread(target=sample)
    watcher.start()
    _, stderr = process.communicate()
    watcher.join()
    if process.returncode != 0:
        raise RuntimeError(f"{command} failed:\n{stderr.decode(errors='replace')[-3000:]}")
    return peak[0], time.monotonic() - started
