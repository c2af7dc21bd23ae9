"""The `decontaminate` step: drop pool problems that share word n-grams with registered benchmarks.

Stock phrases ("express your answer as a common fraction", "where m and n are relatively prime positive
integers") are shared by thousands of unrelated problems, so an n-gram found in at least
`boilerplate_min_docs` documents (pool and benchmarks together) is treated as boilerplate and never counts
as a leak; phrases in `stoplist` are masked outright, and Asymptote drawing code is ignored by default.
Each drop keeps its evidence: the benchmark, the sample id, the matched n-grams and how much of the
problem they cover.

One shared phrase is weak evidence even when it is rare in a small slice ("what is the smallest possible
positive value of", "m and n are relatively prime positive integers" recur across pools), so by default
a problem is dropped only when it is an exact copy, or matches one benchmark problem in `min_spans`
separate places, or on at least `min_overlap` of its own n-grams. The document counts behind the
boilerplate list come from the whole source pool by default (not the `input.limit` slice), so a trial
run on 100 problems flags what the full run flags.

The work runs in phases: the benchmark index is built once (`index`), each shard counts which benchmark
n-grams its records hold (`scan`, in parallel), `prepare` sums those counts into the boilerplate list,
and the index travels to the shards with the prepared step.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from limkit.curate._ngrams import Vocabulary, mask_phrases, unique_pairs, windows
from limkit.curate._options import OptionError, doc
from limkit.curate._record import REASON, Record, batches, normalize_text, text_at, words
from limkit.curate._step import Phase, Step, file_stamps, register_step
from limkit.data import atomic_write_text, atomic_writer
from limkit.errors import LimkitError

ASYMPTOTE = r"\[asy\].*?\[/asy\]"


@dataclass(frozen=True)
class BenchmarkText:
    benchmark: str
    sample_id: str
    text: str


class BenchmarkIndex:
    """The benchmarks' n-grams (sorted hashes), who owns each, and which ones are boilerplate."""

    def __init__(
        self, texts: Sequence[BenchmarkText], n: int, ignore: Sequence[str], stoplist: Sequence[str]
    ):
        self.n = n
        self.texts = list(texts)
        self._ignore = [re.compile(pattern, re.DOTALL | re.IGNORECASE) for pattern in ignore]
        self.vocab = Vocabulary()
        tokens = [self._tokens(t.text) for t in self.texts]
        ids = [self.vocab.add(t) for t in tokens]
        self._phrases = [self.vocab.lookup(words(phrase)) for phrase in stoplist]
        self.vocab.freeze()
        found = windows([mask_phrases(i, self._phrases) for i in ids], n, self.vocab.keys)
        order = np.lexsort((found.docs, found.hashes))
        self.pair_hashes = found.hashes[order]
        self.pair_docs = found.docs[order]
        self.pair_starts = found.starts[order]
        self.tokens = tokens
        distinct_hashes, _ = unique_pairs(found.hashes, found.docs)
        self.hashes, self.bench_df = np.unique(distinct_hashes, return_counts=True)
        self.boilerplate = np.empty(0, dtype=np.uint64)
        self.live = self.hashes
        self.exact = {normalize_text(self.strip(t.text)): index for index, t in enumerate(self.texts)}
        self._exact_words = {tuple(self._tokens(t.text)) for t in self.texts}

    def strip(self, text: str) -> str:
        for pattern in self._ignore:
            text = pattern.sub(" ", text)
        return text

    def _tokens(self, text: str) -> list[str]:
        return words(self.strip(text))

    def encode(self, text: str) -> tuple[list[str], np.ndarray]:
        tokens = self._tokens(text)
        return tokens, mask_phrases(self.vocab.lookup(tokens), self._phrases)

    def is_exact_copy(self, text: str, tokens: list[str] | None = None) -> bool:
        """Whether `text` normalizes to a benchmark text; `tokens` (its `encode` words) rule most out
        cheaply, since equal normalized texts have equal words."""
        if tokens is not None and tuple(tokens) not in self._exact_words:
            return False
        return normalize_text(self.strip(text)) in self.exact

    def set_boilerplate(self, pool_df: np.ndarray, min_docs: int) -> None:
        """N-grams in at least `min_docs` documents (pool + benchmarks) stop counting as leaks."""
        total = pool_df + self.bench_df
        self.boilerplate = self.hashes[total >= min_docs] if min_docs > 0 else self.boilerplate[:0]
        self.live = self.hashes[total < min_docs] if min_docs > 0 else self.hashes

    def owners(self, gram: int) -> list[tuple[int, int]]:
        """(benchmark document, start token) for every benchmark document holding the n-gram hash."""
        key = np.uint64(gram)
        lo = int(np.searchsorted(self.pair_hashes, key, side="left"))
        hi = int(np.searchsorted(self.pair_hashes, key, side="right"))
        return [(int(self.pair_docs[i]), int(self.pair_starts[i])) for i in range(lo, hi)]

    def gram_text(self, doc: int, start: int) -> list[str]:
        return self.tokens[doc][start : start + self.n]


@register_step("decontaminate")
@dataclass
class Decontaminate(Step):
    """Drops problems sharing non-boilerplate word n-grams with registered benchmarks."""

    needs_prepare = True

    benchmarks: list[str] = dataclasses.field(
        default_factory=lambda: ["all"],
        metadata=doc("Registered task names (limkit.tasks), local files, or `all`."),
    )
    data_dir: str | None = dataclasses.field(
        default=None, metadata=doc("Read each benchmark from DATA_DIR/<name>.jsonl instead of the hub.")
    )
    ngram: int = dataclasses.field(default=13, metadata=doc("Words per n-gram (8 and 13 are common)."))
    field: str = dataclasses.field(default="problem", metadata=doc("Pool text field compared (dotted path)."))
    boilerplate_min_docs: int = dataclasses.field(
        default=5,
        metadata=doc(
            "An n-gram in at least this many documents (pool + benchmarks) is boilerplate; 0 turns this off."
        ),
    )
    stoplist: list[str] = dataclasses.field(
        default_factory=list, metadata=doc("Phrases whose words never count towards an overlap.")
    )
    ignore_patterns: list[str] = dataclasses.field(
        default_factory=lambda: [ASYMPTOTE],
        metadata=doc("Regexes removed from both sides first (Asymptote code)."),
    )
    boilerplate_from: str = dataclasses.field(
        default="pool",
        metadata=doc(
            "Documents the boilerplate counts come from: `pool` (the whole source, ignoring input.limit), "
            "`input` (the records reaching this step), or a JSONL/Parquet file with the pool's columns."
        ),
    )
    min_matches: int = dataclasses.field(
        default=1, metadata=doc("Distinct non-boilerplate n-grams a problem must share to be dropped.")
    )
    min_spans: int = dataclasses.field(
        default=2,
        metadata=doc(
            "Separate places (non-overlapping runs of matched n-grams) a problem must share with one "
            "benchmark problem to be dropped; 1: any single shared phrase is enough."
        ),
    )
    min_overlap: float = dataclasses.field(
        default=0.1,
        metadata=doc("...or the share of the problem's own n-grams that suffices in one place (0: off)."),
    )
    batch_size: int = dataclasses.field(
        default=2048, metadata=doc("Problems hashed per numpy batch (memory vs. speed).")
    )

    _index: BenchmarkIndex | None = dataclasses.field(default=None, init=False, repr=False, compare=False)
    _candidates: set[str] | None = dataclasses.field(default=None, init=False, repr=False, compare=False)

    def validate(self) -> None:
        if self.ngram < 2:
            raise OptionError("ngram", f"must be >= 2, got {self.ngram}")
        if self.min_matches < 1:
            raise OptionError("min_matches", f"must be >= 1, got {self.min_matches}")
        if self.min_spans < 1:
            raise OptionError("min_spans", f"must be >= 1, got {self.min_spans}")
        if not 0 <= self.min_overlap <= 1:
            raise OptionError("min_overlap", f"must lie in [0, 1], got {self.min_overlap}")
        if not self.benchmarks:
            raise OptionError("benchmarks", "name at least one benchmark (or `all`)")
        for position, pattern in enumerate(self.ignore_patterns):
            try:
                re.compile(pattern)
            except re.error as error:
                raise OptionError(f"ignore_patterns.{position}", f"not a valid regex: {error}") from None

    def fingerprint_options(self) -> dict[str, Any]:
        """Options (less batch_size) plus the benchmark files: an edited or added benchmark is read again."""
        options = self.options()
        options.pop("batch_size")
        local = [Path(self.data_dir)] if self.data_dir else []
        local += [Path(name) for name in self.benchmarks if Path(name).expanduser().is_file()]
        if self.boilerplate_from not in ("pool", "input"):
            local.append(Path(self.boilerplate_from))
        options["_sources"] = [file_stamps(path) for path in local]
        return options

    def check(self) -> None:
        from limkit.tasks import TASKS, data_file

        if self.data_dir is not None and not Path(self.data_dir).expanduser().is_dir():
            raise OptionError("data_dir", f"directory not found: {self.data_dir}")
        if (
            self.boilerplate_from not in ("pool", "input")
            and not Path(self.boilerplate_from).expanduser().is_file()
        ):
            raise OptionError(
                "boilerplate_from", f"expected `pool`, `input` or a file; not found: {self.boilerplate_from}"
            )
        for position, name in enumerate(self.benchmarks):
            if name == "all":
                continue
            if name not in TASKS:
                if not Path(name).expanduser().is_file():
                    known = ", ".join(sorted(TASKS))
                    raise OptionError(
                        f"benchmarks.{position}", f"unknown benchmark {name!r}; registered: {known}"
                    )
            elif self.data_dir is not None:
                try:
                    data_file(name, self.data_dir)
                except LimkitError as error:
                    raise OptionError(f"benchmarks.{position}", error.render()) from None

    def phases(self, world_size: int, records_in: int) -> list[Phase]:
        return [Phase("index", 1), Phase("scan", world_size, reads_input=self.boilerplate_from == "input")]

    def run_phase(self, phase: str, part: int, parts: int, records: Iterable[Record], offset: int) -> None:
        folder = self.phase_dir(phase)
        if phase == "index":
            texts, skipped = load_benchmark_texts(self.benchmarks, self.data_dir)
            index = BenchmarkIndex(texts, self.ngram, self.ignore_patterns, self.stoplist)
            with atomic_writer(folder / "index.pkl", "wb") as handle:
                pickle.dump((index, skipped), handle, protocol=pickle.HIGHEST_PROTOCOL)
            return
        index, _ = self._load_index()
        if self.boilerplate_from != "input":
            records = self._reference(part, parts)
        df, candidates, documents = self._scan(index, records)
        with atomic_writer(folder / f"df-{part:05d}.npy", "wb") as handle:
            np.save(handle, df)
        found = sorted(candidates) if self.boilerplate_from == "input" else None
        atomic_write_text(
            folder / f"scan-{part:05d}.json", json.dumps({"documents": documents, "candidates": found})
        )

    def _load_index(self) -> tuple[BenchmarkIndex, list[str]]:
        with (self.phase_dir("index") / "index.pkl").open("rb") as handle:
            loaded: tuple[BenchmarkIndex, list[str]] = pickle.load(handle)
        return loaded

    def _reference(self, part: int, parts: int) -> Iterator[Record]:
        """Part `part` of the documents the boilerplate is counted over: the whole pool or a file."""
        from limkit.curate._load import Load

        source = self.context.source
        if not isinstance(source, Load):
            raise LimkitError("decontaminate: boilerplate_from=pool needs a pipeline that starts with `load`")
        if self.boilerplate_from == "pool":
            reader = dataclasses.replace(source, limit=None)
        else:
            reader = dataclasses.replace(source, path=self.boilerplate_from, hub=None, limit=None)
        return (record for _, record in reader.records(part, parts) if REASON not in record)

    def prepare(self, records: Iterable[Record]) -> None:
        index, skipped = self._load_index()
        scans = sorted(self.phase_dir("scan").glob("df-*.npy"))
        pool_df = sum((np.load(path) for path in scans), np.zeros(len(index.hashes), dtype=np.int64))
        scanned = [
            json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(self.phase_dir("scan").glob("scan-*.json"))
        ]
        if self.boilerplate_from == "input":
            self._candidates = {record_id for scan in scanned for record_id in scan["candidates"]}
            self.count("candidates", len(self._candidates))
        if self.boilerplate_min_docs > 0:
            index.set_boilerplate(pool_df, self.boilerplate_min_docs)
        self._index = index
        self.count("benchmark_documents", len(index.texts))
        self.count("benchmark_ngrams", len(index.hashes))
        self.count("boilerplate_ngrams", len(index.boilerplate))
        self.note("benchmarks", sorted({text.benchmark for text in index.texts}))
        if len(index.boilerplate):
            documents = sum(int(scan["documents"]) for scan in scanned)
            examples = _boilerplate_examples(index, pool_df)
            self.note(
                "boilerplate", {"from": self.boilerplate_from, "documents": documents, "examples": examples}
            )
        if skipped:
            self.note("skipped_benchmarks", skipped)

    def _scan(self, index: BenchmarkIndex, records: Iterable[Record]) -> tuple[np.ndarray, set[str], int]:
        """Document frequency of every benchmark n-gram here, and the ids of records that share any.

        Only those candidates (and exact copies) can be flagged, so `run` re-encodes nothing else.
        """
        df = np.zeros(len(index.hashes), dtype=np.int64)
        candidates: set[str] = set()
        documents = 0
        for batch in batches(records, self.batch_size):
            documents += len(batch)
            texts = [text_at(record, self.field) or "" for record in batch]
            encoded = [index.encode(text) for text in texts]
            found = windows([ids for _, ids in encoded], self.ngram, index.vocab.keys)
            hit = _member(found.hashes, index.hashes)
            hashes, docs = unique_pairs(found.hashes[hit], found.docs[hit])
            np.add.at(df, np.searchsorted(index.hashes, hashes), 1)
            candidates.update(batch[doc]["id"] for doc in set(docs.tolist()))
            candidates.update(
                record["id"]
                for record, text, (tokens, _) in zip(batch, texts, encoded, strict=True)
                if index.is_exact_copy(text, tokens)
            )
        return df, candidates, documents

    def run(self, records: Iterable[Record], rank: int = 0, world_size: int = 1) -> Iterator[Record]:
        index = self._index
        if index is None:
            raise RuntimeError("decontaminate.run before prepare")
        for batch in batches(records, self.batch_size):
            suspects = [r for r in batch if self._candidates is None or r["id"] in self._candidates]
            flagged = self._flag(index, suspects)
            yield from (flagged.get(record["id"], record) for record in batch)

    def _flag(self, index: BenchmarkIndex, batch: list[Record]) -> dict[str, Record]:
        """The dropped versions of the candidates that really overlap, by id."""
        texts = [text_at(record, self.field) or "" for record in batch]
        encoded = [index.encode(text) for text in texts]
        found = windows([ids for _, ids in encoded], self.ngram, index.vocab.keys)
        hit = _member(found.hashes, index.live)
        hits_by_doc: dict[int, list[tuple[int, int]]] = {}
        for owner, gram, start in zip(
            found.docs[hit].tolist(), found.hashes[hit].tolist(), found.starts[hit].tolist(), strict=True
        ):
            hits_by_doc.setdefault(owner, []).append((gram, start))
        flagged = {}
        for position, record in enumerate(batch):
            exact = index.exact.get(normalize_text(index.strip(texts[position])))
            evidence = _evidence(index, encoded[position][0], hits_by_doc.get(position, []), exact)
            if evidence is None:
                continue
            spans = evidence.pop("_spans")
            if self.min_spans > 1:
                evidence["matched_spans"] = spans
            if self._convincing(evidence, spans):
                flagged[record["id"]] = self.drop(record, "benchmark_overlap", **evidence)
            elif evidence["matched_ngrams"]:
                self.count("weak_overlaps_kept")
        return flagged

    def _convincing(self, evidence: dict[str, Any], spans: int) -> bool:
        """Exact copy; or enough shared n-grams that are more than one stock phrase."""
        if evidence["exact"]:
            return True
        if evidence["matched_ngrams"] < self.min_matches:
            return False
        return spans >= self.min_spans or (self.min_overlap > 0 and evidence["overlap"] >= self.min_overlap)


def _evidence(
    index: BenchmarkIndex, tokens: list[str], hits: list[tuple[int, int]], exact: int | None
) -> dict[str, Any] | None:
    """Confirms hash hits on the real tokens and summarizes them by benchmark document.

    `overlap` is the share of the problem's n-grams (all of them, not only the matchable ones) that
    occur in a benchmark.
    """
    total = max(len(tokens) - index.n + 1, 0)
    per_doc: Counter[int] = Counter()
    examples: dict[int, list[str]] = {}
    starts: dict[int, list[int]] = {}
    confirmed = set()
    for gram, start in hits:
        mine = tokens[start : start + index.n]
        for owner, bench_start in index.owners(gram):
            if index.tokens[owner][bench_start : bench_start + index.n] == mine:
                per_doc[owner] += 1
                confirmed.add(start)
                examples.setdefault(owner, []).append(" ".join(mine))
                starts.setdefault(owner, []).append(start)
    if exact is not None:
        per_doc[exact] += 0
    if not per_doc:
        return None
    best = max(per_doc, key=lambda owner: (owner == exact, per_doc[owner], -owner))
    text = index.texts[best]
    return {
        "benchmark": text.benchmark,
        "benchmark_id": text.sample_id,
        "exact": exact is not None,
        "matched_ngrams": len(confirmed),
        "overlap": round(len(confirmed) / total, 4) if total else (1.0 if exact is not None else 0.0),
        "ngrams": examples.get(best, [])[:3],
        "also": [
            {
                "benchmark": index.texts[d].benchmark,
                "benchmark_id": index.texts[d].sample_id,
                "matched_ngrams": c,
            }
            for d, c in per_doc.most_common(4)
            if d != best
        ][:3],
        "_spans": _spans(starts.get(best, []), index.n),
    }


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """`np.isin` for a sorted, distinct `sorted_set`: one binary search per value, no hashing or sorting."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), dtype=bool)
    found = np.searchsorted(sorted_set, values)
    return sorted_set[np.minimum(found, len(sorted_set) - 1)] == values


def _spans(starts: list[int], n: int) -> int:
    """Separate places among matched n-gram starts: n-grams that share a token belong to one place."""
    ordered = sorted(set(starts))
    return sum(1 for i, start in enumerate(ordered) if i == 0 or start - ordered[i - 1] >= n)


def _boilerplate_examples(
    index: BenchmarkIndex, pool_df: np.ndarray, count: int = 10
) -> list[dict[str, Any]]:
    """The most widespread boilerplate n-grams as text, with how many documents hold each."""
    total = pool_df + index.bench_df
    chosen = np.isin(index.hashes, index.boilerplate)
    order = np.flatnonzero(chosen)[np.argsort(-total[chosen], kind="stable")][:count]
    examples = []
    for position in order.tolist():
        doc, start = index.owners(int(index.hashes[position]))[0]
        examples.append({"ngram": " ".join(index.gram_text(doc, start)), "documents": int(total[position])})
    return examples


def load_benchmark_texts(names: Sequence[str], data_dir: str | None) -> tuple[list[BenchmarkText], list[str]]:
    """Problem texts of the named benchmarks through the task registry; `all` = every registered task.

    With `data_dir`, `all` means every registered task that has a file there; the rest are reported as
    skipped rather than silently ignored.
    """
    from limkit.tasks import TASKS, data_file, load_task

    wanted: list[str] = []
    skipped: list[str] = []
    for name in names:
        if name != "all":
            wanted.append(name)
            continue
        for registered in sorted(TASKS):
            if data_dir is None:
                wanted.append(registered)
                continue
            try:
                data_file(registered, data_dir)
                wanted.append(registered)
            except LimkitError:
                skipped.append(registered)
    texts: list[BenchmarkText] = []
    for name in dict.fromkeys(wanted):
        task = load_task(name, data_dir=data_dir)
        texts.extend(BenchmarkText(task.name, sample.id, sample.problem) for sample in task.samples)
    return texts, skipped
