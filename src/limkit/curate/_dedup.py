"""The `dedup` step: exact duplicates on normalized text, then near-duplicates with MinHash LSH.

The first occurrence (in input order) is kept; each later duplicate is dropped naming the record it
duplicates and the estimated Jaccard similarity of their word shingles. A record is a near-duplicate
when it matches a record that was *kept* before it (the rule datasketch's query-then-insert gives), so a
chain A ~ B ~ C where C is not similar to A keeps A and C.

The work is split so that no process holds the pool (see `_dedup_disk` for the files):

1. `signatures` (one job per input shard): normalized-text digest, MinHash signature and LSH band keys
   of each record, written to disk; band keys are spilled into hash partitions.
2. `buckets` (one job per partition): the partition's band keys are sorted; records sharing a key are
   linked (an edge list on disk).
3. `components` (one job): a union-find over the edges groups linked records into components.
4. `resolve` (one job per shard): within each component the first-kept rule is applied in input order
   on the real signatures; components are independent, so they are dealt out by root. Records in no
   component are unique and cost nothing.
5. `prepare` merges the drops into one list in input order with both ids resolved; the shards stream
   their records past it.

Each array a job holds is bounded by `memory_mb` (partitions and batches are sized from it), except the
union-find's 8 bytes per record.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from limkit.curate import _dedup_disk as disk
from limkit.curate._minhash import band_keys, lsh_bands, permutations, shingle_hashes, signatures
from limkit.curate._options import OptionError, doc
from limkit.curate._record import Record, batches, normalize_text, text_at
from limkit.curate._step import Phase, Step, register_step

_BATCH = 4096
"""Records hashed per numpy batch in the signature phase."""


@register_step("dedup")
@dataclass
class Dedup(Step):
    """Drops exact and near-duplicate problems, keeping the first of each group."""

    needs_prepare = True

    method: str = dataclasses.field(
        default="minhash",
        metadata=doc(
            "exact: normalized text only; minhash: exact, then near-duplicates.", choices=("exact", "minhash")
        ),
    )
    threshold: float = dataclasses.field(
        default=0.8,
        metadata=doc("Jaccard similarity of word shingles at or above which two are near-duplicates."),
    )
    shingle: int = dataclasses.field(default=3, metadata=doc("Words per shingle."))
    num_perm: int = dataclasses.field(
        default=128, metadata=doc("MinHash permutations (more: a more precise similarity estimate).")
    )
    field: str = dataclasses.field(default="problem", metadata=doc("Text field compared (dotted path)."))
    seed: int = dataclasses.field(default=1, metadata=doc("MinHash seed."))
    memory_mb: int = dataclasses.field(
        default=512,
        metadata=doc(
            "Memory budget of each dedup job's arrays; more partitions and smaller batches below it."
        ),
    )

    _partitions: int = dataclasses.field(default=1, init=False, repr=False, compare=False)
    _lsh: tuple[int, int] = dataclasses.field(default=(1, 0), init=False, repr=False, compare=False)
    _total: int = dataclasses.field(default=0, init=False, repr=False, compare=False)

    def validate(self) -> None:
        if not 0 < self.threshold <= 1:
            raise OptionError("threshold", f"must lie in (0, 1], got {self.threshold}")
        if self.shingle < 1:
            raise OptionError("shingle", f"must be >= 1, got {self.shingle}")
        if self.num_perm < 16:
            raise OptionError("num_perm", f"must be >= 16, got {self.num_perm}")
        if self.memory_mb < 1:
            raise OptionError("memory_mb", f"must be >= 1, got {self.memory_mb}")

    def check(self) -> None:
        if self.method == "minhash":
            try:
                lsh_bands(self.threshold, self.num_perm)
            except ValueError as error:
                raise OptionError(
                    "threshold", f"{error} at num_perm={self.num_perm}: lower it or raise num_perm"
                ) from None

    def fingerprint_options(self) -> dict[str, Any]:
        """Options less `memory_mb`: the budget changes how the work is cut, never the result."""
        options = self.options()
        options.pop("memory_mb")
        return options

    @property
    def _budget(self) -> int:
        return self.memory_mb * 2**20

    def _bands(self) -> tuple[int, int]:
        """(bands, rows) of the LSH, or one band of zero rows (the text digest) for `exact`."""
        return self._lsh

    def phases(self, world_size: int, records_in: int) -> list[Phase]:
        """Runs in the driver: the band layout is fixed here and travels with the step to the jobs."""
        self._lsh = lsh_bands(self.threshold, self.num_perm) if self.method == "minhash" else (1, 0)
        bands, _ = self._lsh
        # A partition's keys and positions (16 bytes each), plus the sort's scratch copies.
        self._partitions = min(4096, max(1, math.ceil(records_in * bands * 16 * 4 / self._budget)))
        return [
            Phase("signatures", world_size, reads_input=True),
            Phase("buckets", self._partitions),
            Phase("components", 1),
            Phase("resolve", world_size),
        ]

    def run_phase(self, phase: str, part: int, parts: int, records: Iterable[Record], offset: int) -> None:
        if phase == "signatures":
            self._signatures(part, records, offset)
        elif phase == "buckets":
            disk.link_partition(self.phase_dir("signatures"), self.phase_dir("buckets"), part)
        elif phase == "components":
            total = disk.SignatureStore(self.phase_dir("signatures"), 0).total
            parent = disk.union_find(self.phase_dir("buckets"), total, self._budget)
            disk.save_array(self.phase_dir("components") / "parent.npy", parent)
        else:
            self._resolve_part(part, parts)

    def _resolve_part(self, part: int, parts: int) -> None:
        """Applies the first-kept rule to the components whose root falls to this part."""
        bands, rows = self._bands()
        store = disk.SignatureStore(self.phase_dir("signatures"), self.num_perm if rows else 0)
        parent = np.load(self.phase_dir("components") / "parent.npy", mmap_mode="r")
        found = disk.DropList()
        batch = self._budget // max(1, self.num_perm * 12)
        for members in disk.component_batches(np.asarray(parent), batch, part, parts):
            texts, sigs = store.gather(members)
            _resolve(members, texts, sigs, bands, rows, self.threshold, found)
        found.save(self.phase_dir("resolve") / f"drops-{part:05d}.npz")

    def _signatures(self, part: int, records: Iterable[Record], offset: int) -> None:
        bands, rows = self._bands()
        perms = permutations(self.num_perm, self.seed) if self.method == "minhash" else None
        with disk.SignatureWriter(self.phase_dir("signatures"), part, self._partitions, self._budget) as out:
            for batch in batches(records, _BATCH):
                texts = [normalize_text(text_at(record, self.field) or "") for record in batch]
                digests = disk.text_digests(texts)
                if perms is None:
                    sigs, keys = None, np.ascontiguousarray(digests[:, :8]).view(np.uint64)
                else:
                    sigs = signatures([shingle_hashes(text, self.shingle) for text in texts], perms)
                    keys = band_keys(sigs, bands, rows)
                out.write([record["id"] for record in batch], digests, sigs, keys, offset)
                offset += len(batch)

    def prepare(self, records: Iterable[Record]) -> None:
        """Merges the parts' drops into one list in input order, with both ids spelled out."""
        store = disk.SignatureStore(self.phase_dir("signatures"), 0)
        self._total = store.total
        found = disk.DropList.load(sorted(self.phase_dir("resolve").glob("drops-*.npz")))
        dropped = disk.write_drops(self.context.step_dir, found, store)
        self.count("exact_duplicates", dropped.get("exact_duplicate", 0))
        self.count("near_duplicates", dropped.get("near_duplicate", 0))

    def run(self, records: Iterable[Record], rank: int = 0, world_size: int = 1) -> Iterator[Record]:
        drops = disk.read_drops(self.context.step_dir, self._total, rank, world_size)
        upcoming = next(drops, None)
        for record in records:
            if upcoming is None or upcoming[0] != record["id"]:
                yield record
                continue
            evidence = dict(upcoming[1])
            yield self.drop(record, evidence.pop("code"), **evidence)
            upcoming = next(drops, None)
        if upcoming is not None:
            raise RuntimeError(f"dedup: dropped record {upcoming[0]!r} not found in shard {rank}")


def _resolve(
    members: np.ndarray,
    texts: np.ndarray,
    sigs: np.ndarray | None,
    bands: int,
    rows: int,
    threshold: float,
    found: disk.DropList,
) -> None:
    """The first-kept rule over whole components, in input order (members sorted by component, position).

    A record repeating an earlier text is an exact duplicate of the first with that text (kept or not);
    otherwise it is a near-duplicate of the most similar earlier *kept* record that shares an LSH band
    with it exactly and reaches the threshold (ties: the earliest). Otherwise it is kept.
    """
    positions = members.tolist()  # records of other components never share a band: one dict serves all
    digests = [bytes(row) for row in texts]
    keys = _band_values(sigs, bands, rows) if sigs is not None else None
    first_by_text: dict[bytes, int] = {}
    buckets: dict[tuple[int, bytes], list[int]] = {}
    for k, position in enumerate(positions):
        original = first_by_text.setdefault(digests[k], k)
        if original != k:
            found.add(position, "exact_duplicate", positions[original], 1.0)
            continue
        if keys is None or sigs is None:
            continue
        candidates = sorted({c for key in keys[k] for c in buckets.get(key, ())})
        if candidates:
            match = _best_match(sigs, k, np.asarray(candidates), threshold)
            if match is not None:
                found.add(position, "near_duplicate", positions[match[0]], round(match[1], 4))
                continue
        for key in keys[k]:
            buckets.setdefault(key, []).append(k)


def _band_values(sigs: np.ndarray, bands: int, rows: int) -> list[list[tuple[int, bytes]]]:
    """Per record, its bands as exact dictionary keys: (band number, the band's bytes)."""
    blocks = [np.ascontiguousarray(sigs[:, b * rows : (b + 1) * rows]) for b in range(bands)]
    return [[(b, blocks[b][k].tobytes()) for b in range(bands)] for k in range(len(sigs))]


def _best_match(
    sigs: np.ndarray, k: int, candidates: np.ndarray, threshold: float
) -> tuple[int, float] | None:
    """The most similar candidate at or above the threshold (the earliest of equals), as datasketch's
    `jaccard` estimates it: the share of equal signature values."""
    equal = sigs[candidates] == sigs[k]
    similarity = np.count_nonzero(equal, axis=1) / float(sigs.shape[1])
    ok = similarity >= threshold
    if not ok.any():
        return None
    best = int(np.flatnonzero(ok)[np.argmax(similarity[ok])])
    return int(candidates[best]), float(similarity[best])
