"""Dedup's files and the out-of-core parts of its decision: spilled band keys, edges, union-find, drops.

Layout below the step directory:
- `signatures/ids-P.jsonl`, `text-P.bin` (16-byte digest per record), `sig-P.bin` (uint32 signature
  rows) for input shard P, and `keys-P-Q.bin`: (band key, position) pairs of shard P in partition Q;
- `buckets/edges-Q.bin`: (first position, position) pairs of records sharing a key in partition Q;
- `components/parent.npy`: each record's component (its smallest linked position);
- `resolve/drops-P.npz`: the drops found in the components dealt to part P;
- `drops.jsonl` with `drops-pos.npy` / `drops-offsets.npy`: one line per dropped record in input
  order, `[position, id, evidence]`, and where each line starts, so a shard reads only its own drops.

Every file is written by one job to a temporary name and renamed, or (the spilled keys) truncated when
its job starts again, and the job's marker is written last.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from limkit.curate._load import shard_bounds
from limkit.data import atomic_writer, parse_json

DIGEST = 16


def text_digests(texts: Sequence[str]) -> np.ndarray:
    """A 128-bit BLAKE2b digest per normalized text (n x 16 uint8): equal texts, equal digests."""
    blob = b"".join(hashlib.blake2b(t.encode("utf-8"), digest_size=DIGEST).digest() for t in texts)
    return np.frombuffer(blob, dtype=np.uint8).reshape(len(texts), DIGEST)


def _name(kind: str, part: int, suffix: str = "bin") -> str:
    return f"{kind}-{part:05d}.{suffix}"


class SignatureWriter:
    """Appends one input shard's digests, signatures, ids and partitioned band keys to its files."""

    def __init__(self, folder: Path, part: int, partitions: int, budget: int) -> None:
        self.folder = folder
        self.part = part
        self.partitions = partitions
        self._flush_at = max(1 << 20, budget // 4)
        self._buffered: list[list[np.ndarray]] = [[] for _ in range(partitions)]
        self._bytes = 0

    def __enter__(self) -> SignatureWriter:
        for stale in self.folder.glob(f"keys-{self.part:05d}-*.bin"):  # a killed attempt's spill
            stale.unlink()
        self._ids = (self.folder / _name("ids", self.part, "jsonl")).open("w", encoding="utf-8")
        self._texts = (self.folder / _name("text", self.part)).open("wb")
        self._sigs = (self.folder / _name("sig", self.part)).open("wb")
        return self

    def write(
        self, ids: list[str], digests: np.ndarray, sigs: np.ndarray | None, keys: np.ndarray, offset: int
    ) -> None:
        self._ids.write("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in ids))
        self._texts.write(digests.tobytes())
        if sigs is not None:
            self._sigs.write(np.ascontiguousarray(sigs).tobytes())
        flat = np.ascontiguousarray(keys).view(np.uint64).ravel()
        pairs = np.empty((len(flat), 2), dtype=np.uint64)
        pairs[:, 0] = flat
        pairs[:, 1] = np.repeat(np.arange(offset, offset + len(ids), dtype=np.uint64), keys.shape[1])
        target = (flat >> np.uint64(40)) % np.uint64(self.partitions)
        order = np.argsort(target, kind="stable")
        bounds = np.searchsorted(target[order], np.arange(self.partitions + 1))
        for partition in range(self.partitions):
            chunk = pairs[order[bounds[partition] : bounds[partition + 1]]]
            if len(chunk):
                self._buffered[partition].append(chunk)
                self._bytes += chunk.nbytes
        if self._bytes >= self._flush_at:
            self._flush()

    def _flush(self) -> None:
        for partition, chunks in enumerate(self._buffered):
            if chunks:
                with (self.folder / f"keys-{self.part:05d}-{partition:05d}.bin").open("ab") as handle:
                    for chunk in chunks:
                        handle.write(chunk.tobytes())
                chunks.clear()
        self._bytes = 0

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self._flush()
        for handle in (self._ids, self._texts, self._sigs):
            handle.close()


def link_partition(signature_dir: Path, bucket_dir: Path, partition: int) -> None:
    """Sorts a partition's (key, position) pairs from every shard; links records sharing a key."""
    chunks = [
        np.fromfile(path, dtype=np.uint64).reshape(-1, 2)
        for path in sorted(signature_dir.glob(f"keys-*-{partition:05d}.bin"))
    ]
    pairs = np.concatenate(chunks) if chunks else np.empty((0, 2), dtype=np.uint64)
    del chunks
    order = np.lexsort((pairs[:, 1], pairs[:, 0]))
    keys, positions = pairs[order, 0], pairs[order, 1].astype(np.int64)
    del pairs, order
    starts = np.ones(len(keys), dtype=bool)
    starts[1:] = keys[1:] != keys[:-1]
    first = positions[np.maximum.accumulate(np.where(starts, np.arange(len(keys)), 0))]
    linked = ~starts
    edges = np.stack([first[linked], positions[linked]], axis=1)
    with atomic_writer(bucket_dir / _name("edges", partition), "wb") as handle:
        handle.write(np.ascontiguousarray(edges, dtype=np.int64).tobytes())


def _roots(parent: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    roots = parent[nodes]
    while True:
        up = parent[roots]
        if np.array_equal(up, roots):
            return roots
        roots = up


def _union(parent: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    """Links every (a, b) pair; a root always points to a smaller index, so the forest stays acyclic."""
    while len(a):
        ra, rb = _roots(parent, a), _roots(parent, b)
        apart = ra != rb
        a, b, ra, rb = a[apart], b[apart], ra[apart], rb[apart]
        if len(a):
            np.minimum.at(parent, np.maximum(ra, rb), np.minimum(ra, rb))


def _compress(parent: np.ndarray) -> None:
    while True:
        up = parent[parent]
        if np.array_equal(up, parent):
            return
        parent[:] = up


def union_find(bucket_dir: Path, total: int, budget: int) -> np.ndarray:
    """Each record's component (its smallest linked position), reading the edge files in chunks."""
    parent = np.arange(total, dtype=np.int64)
    chunk = max(1024, budget // (16 * 8))
    for path in sorted(bucket_dir.glob("edges-*.bin")):
        edges: np.ndarray = np.empty((0, 2), np.int64)
        if path.stat().st_size:
            edges = np.memmap(path, dtype=np.int64, mode="r").reshape(-1, 2)
        for start in range(0, len(edges), chunk):
            block = np.asarray(edges[start : start + chunk])
            _union(parent, block[:, 0], block[:, 1])
            _compress(parent)
        del edges
    return parent


def component_batches(
    parent: np.ndarray, max_members: int, part: int = 0, parts: int = 1
) -> Iterator[np.ndarray]:
    """Positions of records in components of two or more whose root falls to `part` of `parts`, whole
    components per batch, each component's records in input order."""
    sizes = np.bincount(parent, minlength=len(parent))
    members = np.flatnonzero((sizes[parent] > 1) & (parent % parts == part))
    members = members[np.argsort(parent[members], kind="stable")]
    owners = parent[members]
    ends = np.r_[np.flatnonzero(owners[1:] != owners[:-1]) + 1, len(members)]
    start = 0
    while start < len(members):
        fitting = int(np.searchsorted(ends, start + max(1, max_members), side="right"))
        if fitting and ends[fitting - 1] > start:
            end = int(ends[fitting - 1])
        else:  # one component larger than a batch: it goes alone
            end = int(ends[np.searchsorted(ends, start, side="right")])
        yield members[start:end]
        start = end


class SignatureStore:
    """The signature phase's files as one read-only array per kind, addressed by input position."""

    def __init__(self, folder: Path, num_perm: int) -> None:
        self.folder = folder
        self.num_perm = num_perm
        self.parts = sorted(int(p.stem.split("-")[1]) for p in folder.glob("text-*.bin"))
        counts = [(folder / _name("text", part)).stat().st_size // DIGEST for part in self.parts]
        self.starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.total = int(self.starts[-1])

    def _map(self, kind: str, index: int, width: int, dtype: Any) -> np.ndarray:
        count = int(self.starts[index + 1] - self.starts[index])
        if count == 0:
            return np.empty((0, width), dtype=dtype)
        return np.memmap(self.folder / _name(kind, self.parts[index]), dtype=dtype, mode="r").reshape(
            count, width
        )

    def gather(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Digests (and signatures, for MinHash) of the records at these positions, in that order."""
        order = np.argsort(positions, kind="stable")
        ranked = positions[order]
        texts = np.empty((len(positions), DIGEST), dtype=np.uint8)
        sigs = np.empty((len(positions), self.num_perm), dtype=np.uint32) if self.num_perm else None
        owner = np.searchsorted(self.starts, ranked, side="right") - 1
        for index in np.unique(owner).tolist():
            mask = owner == index
            local = ranked[mask] - self.starts[index]
            texts[order[mask]] = self._map("text", index, DIGEST, np.uint8)[local]
            if sigs is not None:
                sigs[order[mask]] = self._map("sig", index, self.num_perm, np.uint32)[local]
        return texts, sigs

    def ids(self) -> Iterator[str]:
        for part in self.parts:
            with (self.folder / _name("ids", part, "jsonl")).open("rb") as handle:
                for line in handle:
                    yield parse_json(line)


class DropList:
    """Drops found so far, compactly: (position, code, position of the original, similarity)."""

    CODES = ("exact_duplicate", "near_duplicate")

    def __init__(self) -> None:
        self.positions = array("q")
        self.codes = array("b")
        self.originals = array("q")
        self.similarities = array("d")

    def add(self, position: int, code: str, original: int, similarity: float) -> None:
        self.positions.append(position)
        self.codes.append(self.CODES.index(code))
        self.originals.append(original)
        self.similarities.append(similarity)

    def save(self, path: Path) -> None:
        with atomic_writer(path, "wb") as handle:
            np.savez(
                handle,
                positions=np.asarray(self.positions, dtype=np.int64),
                codes=np.asarray(self.codes, dtype=np.int8),
                originals=np.asarray(self.originals, dtype=np.int64),
                similarities=np.asarray(self.similarities, dtype=np.float64),
            )

    @classmethod
    def load(cls, paths: Sequence[Path]) -> DropList:
        merged = cls()
        for path in paths:
            with np.load(path) as saved:
                merged.positions.extend(saved["positions"].tolist())
                merged.codes.extend(saved["codes"].tolist())
                merged.originals.extend(saved["originals"].tolist())
                merged.similarities.extend(saved["similarities"].tolist())
        return merged


def save_array(path: Path, values: np.ndarray) -> None:
    with atomic_writer(path, "wb") as handle:
        np.save(handle, values)


def write_drops(step_dir: Path, found: DropList, store: SignatureStore) -> dict[str, int]:
    """Writes the drop list in input order with both ids resolved; returns counts by code.

    One pass over the ids: an original always comes before its duplicates, so by the time a drop is
    written its original's id has been read (only originals' ids are kept in memory).
    """
    positions = np.frombuffer(found.positions, dtype=np.int64) if found.positions else np.empty(0, np.int64)
    order = np.argsort(positions, kind="stable")
    positions = positions[order]
    codes = np.frombuffer(found.codes, dtype=np.int8)[order] if found.codes else np.empty(0, np.int8)
    originals = np.frombuffer(found.originals, dtype=np.int64)[order] if found.originals else positions
    similarities = np.frombuffer(found.similarities)[order] if found.similarities else np.empty(0)
    wanted = set(originals.tolist())
    names: dict[int, str] = {}
    offsets = array("q")
    written = 0
    counts = {code: 0 for code in DropList.CODES}
    with atomic_writer(step_dir / "drops.jsonl", "wb") as handle:
        for position, record_id in enumerate(store.ids()):
            if position in wanted:
                names[position] = record_id
            if written < len(positions) and positions[written] == position:
                code = DropList.CODES[int(codes[written])]
                evidence = {
                    "code": code,
                    "duplicate_of": names[int(originals[written])],
                    "similarity": float(similarities[written]),
                }
                offsets.append(handle.tell())
                handle.write(
                    (json.dumps([position, record_id, evidence], ensure_ascii=False) + "\n").encode()
                )
                counts[code] += 1
                written += 1
    save_array(step_dir / "drops-pos.npy", positions)
    save_array(step_dir / "drops-offsets.npy", np.asarray(offsets, dtype=np.int64))
    return counts


def read_drops(
    step_dir: Path, total: int, rank: int, world_size: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(id, evidence) of the drops in shard `rank` of `world_size`, in input order, streamed."""
    start, end = shard_bounds(total, rank, world_size)
    positions = np.load(step_dir / "drops-pos.npy", mmap_mode="r")
    lo, hi = int(np.searchsorted(positions, start)), int(np.searchsorted(positions, end))
    if lo >= hi:
        return
    offsets = np.load(step_dir / "drops-offsets.npy", mmap_mode="r")
    with (step_dir / "drops.jsonl").open("rb") as handle:
        handle.seek(int(offsets[lo]))
        for _ in range(hi - lo):
            _, record_id, evidence = json.loads(handle.readline())
            yield record_id, evidence
