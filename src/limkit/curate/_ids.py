"""Ids at pool scale: 64-bit hashes in flat arrays, where a set of strings would hold gigabytes.

A set of five million string ids costs over half a gigabyte; their 8-byte hashes cost 40 MB, and one
sort finds every hash that repeats. Two different ids can share a hash (at five million ids, about one
chance in a million), so a repeated hash is only a candidate: the ids themselves are compared before
anything is called a duplicate.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from limkit.data import atomic_writer


def id_hash(record_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(record_id.encode("utf-8"), digest_size=8).digest(), "little")


class IdLog:
    """The ids seen so far, as (hash, position) pairs."""

    def __init__(self) -> None:
        self.hashes = array("Q")
        self.positions = array("q")

    def add(self, record_id: str, position: int) -> None:
        self.hashes.append(id_hash(record_id))
        self.positions.append(position)

    def save(self, path: Path) -> None:
        with atomic_writer(path, "wb") as handle:
            np.savez(handle, hashes=self.hashes_array(), positions=self.positions_array())

    def hashes_array(self) -> np.ndarray:
        return np.frombuffer(self.hashes, dtype=np.uint64) if self.hashes else np.empty(0, np.uint64)

    def positions_array(self) -> np.ndarray:
        return np.frombuffer(self.positions, dtype=np.int64) if self.positions else np.empty(0, np.int64)


def load_logs(paths: Iterable[Path]) -> tuple[np.ndarray, np.ndarray]:
    """(hashes, positions) of several saved logs, concatenated in the order given."""
    hashes, positions = [np.empty(0, np.uint64)], [np.empty(0, np.int64)]
    for path in paths:
        with np.load(path) as saved:
            hashes.append(saved["hashes"])
            positions.append(saved["positions"])
    return np.concatenate(hashes), np.concatenate(positions)


def repeated(hashes: np.ndarray) -> np.ndarray:
    """Indexes (ascending) of the entries whose hash occurs more than once."""
    order = np.argsort(hashes, kind="stable")
    ranked = hashes[order]
    same = ranked[1:] == ranked[:-1]
    flagged = np.zeros(len(ranked), dtype=bool)
    flagged[1:] |= same
    flagged[:-1] |= same
    return np.sort(order[flagged])


def repeated_ids(ids: Iterable[str], hashes: np.ndarray) -> list[str]:
    """The ids that really occur more than once in `ids`, whose hashes are `hashes` (in that order)."""
    candidates = {int(value) for value in hashes[repeated(hashes)].tolist()}
    if not candidates:
        return []
    seen: set[str] = set()
    repeats: list[str] = []
    for record_id in ids:
        if id_hash(record_id) in candidates:
            if record_id in seen:
                repeats.append(record_id)
            seen.add(record_id)
    return repeats
