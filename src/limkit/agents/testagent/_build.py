"""Benchmark+ from a user's documents: retrieve, ask, deduplicate, check answerability, two-stage criteria.

The pipeline (limkit's reading of TestAgent's construction, whose exact prompts are not public):

1. Chunk and index the documents with `limkit.retrieve` (BM25, paragraphs packed up to `chunk_words`).
2. Pick `items` seed chunks (seeded sample); each retrieves its `context_k` nearest chunks, seed first.
3. Stage 1 (once per build): the generator names the domain's grading dimensions from a sample of chunks.
4. The generator writes one question per context, citing the chunk ids it relies on; a citation of a
   chunk it was not shown drops the question.
5. Near-duplicate questions (cosine >= `dedup_threshold` between MiniLM embeddings, through an embedding
   index of `limkit.retrieve`) are dropped, keeping the first.
6. The generator judges whether the cited chunks alone answer the question; unanswerable ones are dropped.
7. Stage 2: the generator lists weighted key points, each citing chunks; each point is then checked on its
   own against the chunks it cites ("supported" or not), and unsupported points are dropped. An item with
   no supported point left is dropped. Weights are renormalised to sum to 1.

Every dropped candidate keeps its reason (`BuildResult.dropped`), so a thin benchmark can be explained.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from limkit.agents.testagent._asking import Asker
from limkit.agents.testagent._schema import ACTIONS, SCHEMA_VERSION, SEED_TYPES
from limkit.llm import Choice, JsonSchema
from limkit.retrieve import Chunk, ChunkRule, Document, Hit, build_index

DEFAULT_DIMENSIONS = (
    {"name": "correctness", "description": "Facts and conclusions agree with the sources."},
    {"name": "completeness", "description": "The answer covers what the question asks."},
    {"name": "professionalism", "description": "Reasoning and terminology as a domain expert would use."},
)

DIMENSIONS_SCHEMA = JsonSchema(
    {
        "type": "object",
        "required": ["dimensions"],
        "properties": {
            "dimensions": {
                "type": "array",
                "minItems": 1,
                "maxItems": 8,
                "items": {
                    "type": "object",
                    "required": ["name", "description"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1},
                        "description": {"type": "string"},
                    },
                },
            }
        },
    },
    name="dimensions",
)
QUESTION_SCHEMA = JsonSchema(
    {
        "type": "object",
        "required": ["question", "citations", "question_type", "difficulty", "reference_answer"],
        "properties": {
            "question": {"type": "string", "minLength": 5},
            "citations": {"type": "array", "minItems": 1, "items": {"type": "string"}},
            "question_type": {"enum": list(SEED_TYPES)},
            "difficulty": {"type": "integer", "minimum": 1, "maximum": 5},
            "reference_answer": {"type": "string"},
        },
    },
    name="question",
)
KEY_POINTS_SCHEMA = JsonSchema(
    {
        "type": "object",
        "required": ["key_points"],
        "properties": {
            "key_points": {
                "type": "array",
                "minItems": 1,
                "maxItems": 8,
                "items": {
                    "type": "object",
                    "required": ["point", "weight", "dimension", "chunk_ids"],
                    "properties": {
                        "point": {"type": "string", "minLength": 1},
                        "weight": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                        "dimension": {"type": "string"},
                        "chunk_ids": {"type": "array", "items": {"type": "string"}},
                    },
                },
            }
        },
    },
    name="key_points",
)
ANSWERABLE = Choice(("answerable", "unanswerable"))
SUPPORTED = Choice(("supported", "unsupported"))

SYSTEM = {
    "dimensions": "[testagent:dimensions] You design grading rubrics for expert examinations.",
    "question": "[testagent:question] You write examination questions grounded in source passages.",
    "answerable": "[testagent:answerable] You check whether passages alone answer a question.",
    "key_points": "[testagent:key_points] You list the key points a complete answer must contain.",
    "supported": "[testagent:supported] You check claims strictly against source passages.",
}


@dataclass(frozen=True)
class BuildConfig:
    """How a benchmark is built from documents (stored in every item's metadata)."""

    domain: str
    items: int = 20
    context_k: int = 3
    chunk_words: int = 200
    overlap: int = 30
    dedup_threshold: float = 0.9
    seed: int = 0


@dataclass
class BuildResult:
    items: list[dict[str, Any]] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)

    def drop(self, candidate: str, reason: str, **detail: Any) -> None:
        self.dropped.append({"candidate": candidate, "reason": reason, **detail})


def passages(chunks: Sequence[Chunk | Hit | dict[str, Any]]) -> str:
    """Chunks as the prompt shows them: `[chunk_id] text`, one a paragraph."""
    rows = []
    for chunk in chunks:
        chunk_id, text = (
            (chunk["chunk_id"], chunk["text"]) if isinstance(chunk, dict) else (chunk.chunk_id, chunk.text)
        )
        rows.append(f"[{chunk_id}] {text}")
    return "\n\n".join(rows)


def stage1_dimensions(asker: Asker, domain: str, sample: Sequence[Chunk]) -> list[dict[str, str]]:
    """The domain's grading dimensions; the defaults when the generator's reply never validates."""
    user = (
        f"Domain: {domain}\n\nSample passages:\n{passages(sample)}\n\n"
        "Name 3 to 6 dimensions along which answers to questions in this domain should be graded "
        '(e.g. correctness, safety). Reply as JSON {"dimensions": [{"name", "description"}]}.'
    )
    values = asker.values("dimensions", [("domain", SYSTEM["dimensions"], user)], DIMENSIONS_SCHEMA)
    if "domain" not in values:
        return [dict(d) for d in DEFAULT_DIMENSIONS]
    named: dict[str, str] = {}
    for row in values["domain"]["dimensions"]:
        named.setdefault(row["name"].strip().lower(), row["description"].strip())
    return [{"name": name, "description": text} for name, text in named.items() if name]


def _contexts(index: Any, seeds: Sequence[Chunk], k: int) -> list[list[Chunk]]:
    by_id = {chunk.chunk_id: chunk for chunk in index.chunks}
    contexts = []
    for seed, hits in zip(seeds, index.search_many([seed.text for seed in seeds], k=k), strict=True):
        ids = [seed.chunk_id, *(hit.chunk_id for hit in hits if hit.chunk_id != seed.chunk_id)][:k]
        contexts.append([by_id[chunk_id] for chunk_id in ids])
    return contexts


def _ask_questions(
    asker: Asker, domain: str, contexts: dict[str, list[Chunk]], result: BuildResult
) -> dict[str, dict[str, Any]]:
    asks = [
        (
            key,
            SYSTEM["question"],
            f"Domain: {domain}\n\nPassages:\n{passages(chunks)}\n\n"
            "Write one examination question a domain expert could answer from these passages alone. "
            'Reply as JSON {"question", "citations": [ids of the passages it relies on], '
            '"question_type": "recall"|"reasoning"|"application", "difficulty": 1-5, "reference_answer"}.',
        )
        for key, chunks in contexts.items()
    ]
    values = asker.values("question", asks, QUESTION_SCHEMA)
    kept = {}
    for key, _, _ in asks:
        if key not in values:
            result.drop(key, "question reply never validated")
            continue
        shown = {chunk.chunk_id for chunk in contexts[key]}
        outside = sorted(set(values[key]["citations"]) - shown)
        if outside:
            result.drop(key, "cites a chunk it was not shown", citations=outside)
            continue
        kept[key] = values[key]
    return kept


def dedup_questions(
    questions: dict[str, dict[str, Any]], threshold: float, result: BuildResult
) -> dict[str, dict[str, Any]]:
    """Drops near-duplicates by embedding cosine (MiniLM via an embedding index), keeping the first."""
    keys = list(questions)
    if len(keys) < 2:
        return questions
    texts = [questions[key]["question"] for key in keys]
    index = build_index([Document(str(i), text, "<questions>") for i, text in enumerate(texts)], "embedding")
    dropped: set[int] = set()
    for position, hits in enumerate(index.search_many(texts, k=min(5, len(keys)))):
        for hit in hits:
            other = int(hit.doc_id)
            if other < position and other not in dropped and hit.score >= threshold:
                dropped.add(position)
                result.drop(
                    keys[position], "near-duplicate question", of=keys[other], cosine=round(hit.score, 4)
                )
                break
    return {key: questions[key] for i, key in enumerate(keys) if i not in dropped}


def _answerable(
    asker: Asker, questions: dict[str, dict[str, Any]], cited: dict[str, list[Chunk]], result: BuildResult
) -> dict[str, dict[str, Any]]:
    asks = [
        (
            key,
            SYSTEM["answerable"],
            f"Passages:\n{passages(cited[key])}\n\nQuestion: {q['question']}\n\n"
            "Can the question be answered from these passages alone?",
        )
        for key, q in questions.items()
    ]
    verdicts = asker.values("answerable", asks, ANSWERABLE)
    kept = {}
    for key, question in questions.items():
        if verdicts.get(key) == "answerable":
            kept[key] = question
        else:
            result.drop(key, "not answerable from its chunks", verdict=verdicts.get(key))
    return kept


def _key_points(
    asker: Asker,
    questions: dict[str, dict[str, Any]],
    cited: dict[str, list[Chunk]],
    dimensions: list[dict[str, str]],
) -> dict[str, list[dict[str, Any]]]:
    names = ", ".join(d["name"] for d in dimensions)
    asks = [
        (
            key,
            SYSTEM["key_points"],
            f"Question: {q['question']}\nReference answer: {q['reference_answer']}\n\n"
            f"Passages:\n{passages(cited[key])}\n\nGrading dimensions: {names}\n\n"
            "List 2 to 5 key points a complete answer must contain, each grounded in the passages. Reply as "
            'JSON {"key_points": [{"point", "weight": 0-1, "dimension": one of the dimensions, '
            '"chunk_ids": [ids of the passages that support it]}]}.',
        )
        for key, q in questions.items()
    ]
    values = asker.values("key_points", asks, KEY_POINTS_SCHEMA)
    dimension_names = [d["name"] for d in dimensions]
    out: dict[str, list[dict[str, Any]]] = {}
    for key, value in values.items():
        shown = [chunk.chunk_id for chunk in cited[key]]
        points = []
        for number, row in enumerate(value["key_points"], start=1):
            ids = [chunk_id for chunk_id in row["chunk_ids"] if chunk_id in shown] or shown
            dimension = row["dimension"].strip().lower()
            points.append(
                {
                    "id": f"kp{number}",
                    "point": row["point"].strip(),
                    "weight": float(row["weight"]),
                    "dimension": dimension if dimension in dimension_names else dimension_names[0],
                    "chunk_ids": ids,
                }
            )
        out[key] = [point for point in points if point["point"]]
    return out


def verify_points(
    asker: Asker, points: dict[str, list[dict[str, Any]]], chunks: dict[str, Chunk]
) -> dict[str, list[dict[str, Any]]]:
    """Keeps the key points their cited chunks support (each checked alone); weights renormalised."""
    asks = [
        (
            f"{key}/{point['id']}",
            SYSTEM["supported"],
            f"Passages:\n{passages([chunks[c] for c in point['chunk_ids']])}\n\nClaim: {point['point']}\n\n"
            "Is the claim fully supported by these passages?",
        )
        for key, rows in points.items()
        for point in rows
    ]
    verdicts = asker.values("supported", asks, SUPPORTED)
    kept: dict[str, list[dict[str, Any]]] = {}
    for key, rows in points.items():
        good = [
            dict(point, supported=True)
            for point in rows
            if verdicts.get(f"{key}/{point['id']}") == "supported"
        ]
        kept[key] = normalise_weights(good)
    return kept


def normalise_weights(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    total = sum(point["weight"] for point in points)
    return (
        [dict(point, weight=round(point["weight"] / total, 6) or 1e-6) for point in points] if total else []
    )


def chunk_record(chunk: Chunk) -> dict[str, Any]:
    return {
        "chunk_id": chunk.chunk_id,
        "doc_id": chunk.doc_id,
        "source": chunk.source,
        "text": chunk.text,
        "start": chunk.start,
        "end": chunk.end,
    }


def new_item(
    item_id: str,
    domain: str,
    chunks: list[dict[str, Any]],
    question: dict[str, Any],
    dimensions: list[dict[str, str]],
    points: list[dict[str, Any]],
    metadata: dict[str, Any],
) -> dict[str, Any]:
    """A Benchmark+ item (see `benchmark_plus.v1.json`); every follow-up type allowed by default."""
    return {
        "schema_version": SCHEMA_VERSION,
        "id": item_id,
        "domain": domain,
        "source_chunks": chunks,
        "seed_question": question["question"],
        "reference_answer": question.get("reference_answer", ""),
        "strategy": {
            "question_type": question["question_type"],
            "difficulty": int(question["difficulty"]),
            "follow_up_policy": {"actions": list(ACTIONS)},
        },
        "criteria": {"stage1_dimensions": dimensions, "stage2_key_points": points},
        "metadata": {"created": datetime.now(UTC).isoformat(timespec="seconds"), **metadata},
    }


def build_from_documents(
    documents: Sequence[Document], config: BuildConfig, asker: Asker, generator_model: str
) -> BuildResult:
    """Benchmark+ items from `documents` (see the module docstring for the steps)."""
    result = BuildResult()
    index = build_index(documents, "bm25", rule=ChunkRule(config.chunk_words, config.overlap))
    rng = random.Random(config.seed)
    positions = sorted(rng.sample(range(len(index.chunks)), min(config.items, len(index.chunks))))
    seeds = [index.chunks[p] for p in positions]
    contexts = {
        seed.chunk_id: chunks
        for seed, chunks in zip(seeds, _contexts(index, seeds, config.context_k), strict=True)
    }
    dimensions = stage1_dimensions(asker, config.domain, seeds[:5])
    questions = _ask_questions(asker, config.domain, contexts, result)
    questions = dedup_questions(questions, config.dedup_threshold, result)
    by_id = {chunk.chunk_id: chunk for chunk in index.chunks}
    cited = {key: [by_id[c] for c in dict.fromkeys(q["citations"])] for key, q in questions.items()}
    questions = _answerable(asker, questions, cited, result)
    points = verify_points(asker, _key_points(asker, questions, cited, dimensions), by_id)
    metadata = {"generator_model": generator_model, "origin": "documents", "build": vars(config)}
    for number, (key, question) in enumerate(questions.items(), start=1):
        if not points.get(key):
            result.drop(key, "no key point supported by its source")
            continue
        item_id = f"{config.domain}-{number:04d}"
        chunks = [chunk_record(chunk) for chunk in cited[key]]
        result.items.append(
            new_item(item_id, config.domain, chunks, question, dimensions, points[key], metadata)
        )
    return result
