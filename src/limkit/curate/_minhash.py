"""MinHash signatures of many documents at once, bit-identical to datasketch's `affine32` scheme.

datasketch builds one `MinHash` object per document and applies the 128 permutations with a few small
numpy calls each, so on a large pool the per-call overhead dominates and every signature is a Python
object. Here a batch of documents is one flat array of shingle hashes: the MurmurHash3 finalizer and the
affine permutations are applied to the whole batch in one go, and `np.minimum.reduceat` takes each
document's minimum. The permutations are datasketch's own (same seed, same draw), and a test checks the
signatures against datasketch's, so results do not change with the engine.
"""

from __future__ import annotations

import functools
import itertools
import zlib
from collections.abc import Sequence

import numpy as np

_FMIX = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)
_ROWS_PER_CHUNK = 16384
"""Shingles permuted per numpy call: 16k x 128 permutations x 4 bytes = 8 MB of scratch memory."""


def shingle_hashes(normalized: str, size: int) -> list[int]:
    """CRC-32 of each distinct word `size`-gram (deterministic across processes, unlike `hash`).

    `normalized` is `normalize_text` output (words joined by single spaces), so its bytes split on b" "
    give its words, and the grams are joined as bytes: one encode per text instead of one per gram.
    A text of at most `size` words is its own single shingle.
    """
    encoded = normalized.encode("utf-8")
    tokens = encoded.split(b" ")
    if len(tokens) <= size:
        return [zlib.crc32(encoded)]
    grams = map(b" ".join, zip(*(tokens[i:] for i in range(size)), strict=False))
    return list(map(zlib.crc32, set(grams)))


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) of datasketch's affine32 permutations for this seed, drawn the way it draws them.

    Drawn here rather than by datasketch so that worker processes never import it (with scipy, it
    takes seconds); a test checks the two agree.
    """
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


@functools.lru_cache(maxsize=16)
def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) datasketch's MinHashLSH chooses for this threshold (equal weights)."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return int(lsh.b), int(lsh.r)


def _fmix32(values: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2, s3 = _FMIX
    values = values ^ (values >> np.uint32(s1))
    values = values * np.uint32(m1)
    values = values ^ (values >> np.uint32(s2))
    values = values * np.uint32(m2)
    return values ^ (values >> np.uint32(s3))


def signatures(hash_lists: Sequence[Sequence[int]], perms: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """One uint32 row of `num_perm` minima per document; every document needs at least one hash."""
    a, b = perms
    counts = np.fromiter((len(h) for h in hash_lists), dtype=np.int64, count=len(hash_lists))
    if len(counts) and counts.min() < 1:
        raise ValueError("every document needs at least one shingle hash")
    flat = np.array(list(itertools.chain.from_iterable(hash_lists)), dtype=np.uint32)
    mixed = _fmix32(flat)
    out = np.empty((len(hash_lists), len(a)), dtype=np.uint32)
    ends = np.cumsum(counts)
    starts = ends - counts
    doc = 0
    with np.errstate(over="ignore"):
        while doc < len(hash_lists):
            last = max(doc + 1, int(np.searchsorted(ends, starts[doc] + _ROWS_PER_CHUNK, side="right")))
            lo, hi = int(starts[doc]), int(ends[last - 1])
            # Permutations by rows: reduceat along the contiguous axis is about four times faster.
            permuted = a[:, None] * mixed[None, lo:hi] + b[:, None]
            out[doc:last] = np.minimum.reduceat(permuted, starts[doc:last] - lo, axis=1).T
            doc = last
    return out


_BAND_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_BAND_SEEDS = np.random.default_rng(20240611).integers(1, 2**63, size=256, dtype=np.uint64)


def band_keys(signature_rows: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """A 64-bit key per (document, band), from the band's `rows` values and the band number.

    Equal bands always get equal keys; a rare collision of unequal bands is harmless because every
    candidate pair is checked on the real band values before it counts.
    """
    count = len(signature_rows)
    keys = np.empty((count, bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for band in range(bands):
            block = signature_rows[:, band * rows : (band + 1) * rows].astype(np.uint64)
            key = np.full(count, _BAND_SEEDS[band % len(_BAND_SEEDS)], dtype=np.uint64)
            for column in range(rows):
                key = (key ^ block[:, column]) * _BAND_MULTIPLIER
                key ^= key >> np.uint64(29)
            keys[:, band] = key
    return keys
