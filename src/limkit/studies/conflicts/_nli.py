"""Natural-language inference: a sequence-classification model (any MNLI-headed id) or an LLM asked for a
label, the two conflict rules, and an append-only score cache so no pair is scored twice across a kill.

The label map is read from the model's config (`id2label`), never assumed: MNLI checkpoints disagree on
the order (roberta-large-mnli and the DeBERTa MNLI models put CONTRADICTION at 0, others do not).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from limkit.errors import LimkitError

if TYPE_CHECKING:
    from limkit.llm import Generator

LABELS = ("contradiction", "neutral", "entailment")
RULES = ("c>e", "max")
DEFAULT_NLI_MODEL = "microsoft/deberta-v2-xxlarge-mnli"

Probs = dict[str, float]


class Nli(Protocol):
    identity: str

    def score(self, pairs: Sequence[tuple[str, str]]) -> list[Probs | None]:
        """P(label) for each (premise, hypothesis); None where no label could be read (an LLM's garbage)."""
        ...


def label_map(id2label: dict[Any, str], where: str) -> dict[int, str]:
    """Index -> one of LABELS, from a config's `id2label`; one clear error when it is not an MNLI head."""
    mapped: dict[int, str] = {}
    for index, name in id2label.items():
        label = str(name).strip().lower()
        if label not in LABELS:
            raise LimkitError(
                f"id2label names {name!r}, not an MNLI label ({', '.join(LABELS)}); pick an MNLI head",
                path=where,
                field="id2label",
            )
        mapped[int(index)] = label
    if sorted(mapped.values()) != sorted(LABELS):
        raise LimkitError(
            f"id2label must name each of {', '.join(LABELS)} once", path=where, field="id2label"
        )
    return mapped


class HfNli:
    """A transformers sequence-classification model scored in batches (premise, hypothesis) -> softmax."""

    def __init__(
        self, model: str, *, revision: str | None = None, batch_size: int = 16, max_length: int = 512
    ) -> None:
        from transformers import AutoConfig

        self.model_id, self.revision, self.batch_size, self.max_length = (
            model,
            revision,
            batch_size,
            max_length,
        )
        try:
            config = AutoConfig.from_pretrained(model, revision=revision)
        except OSError as error:
            raise LimkitError(
                f"cannot load the NLI model's config ({error})", path=model, field="nli"
            ) from None
        self.labels = label_map(dict(config.id2label), model)
        self.identity = f"hf:{model}@{revision or 'local'}"
        self._loaded: tuple[Any, Any] | None = None

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is None:
            from transformers import AutoModelForSequenceClassification, AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(self.model_id, revision=self.revision)
            network = AutoModelForSequenceClassification.from_pretrained(
                self.model_id, revision=self.revision
            )
            network.eval()
            self._loaded = (tokenizer, network)
        return self._loaded

    def logits(self, pairs: Sequence[tuple[str, str]]) -> list[list[float]]:
        import torch

        tokenizer, network = self._load()
        out: list[list[float]] = []
        for start in range(0, len(pairs), self.batch_size):
            chunk = pairs[start : start + self.batch_size]
            batch = tokenizer(
                [p for p, _ in chunk],
                [h for _, h in chunk],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
            accepted = _forward_args(network)
            if "token_type_ids" not in accepted:
                batch.pop("token_type_ids", None)
            if "use_cache" in accepted:
                batch["use_cache"] = False  # decoder backbones would build a KV cache for nothing
            with torch.inference_mode():
                out += network(**batch).logits.float().tolist()
        return out

    def score(self, pairs: Sequence[tuple[str, str]]) -> list[Probs | None]:
        return [probabilities(row, self.labels) for row in self.logits(pairs)]


def _forward_args(network: Any) -> set[str]:
    import inspect

    return set(inspect.signature(network.forward).parameters)


def probabilities(logits: Sequence[float], labels: dict[int, str]) -> Probs:
    import math

    top = max(logits)
    exps = [math.exp(value - top) for value in logits]
    total = sum(exps)
    return {labels[index]: exps[index] / total for index in range(len(logits))}


NLI_CHOICE = ("entailment", "neutral", "contradiction")


class LlmNli:
    """An LLM asked for the NLI label through a structured choice (one-hot probabilities).

    The paper's pipeline uses a DeBERTa MNLI model; this stands in where none can run (tests, dry runs
    with the scripted backend), and is also a reasonable validator with a strong instruction model.
    """

    def __init__(self, generator: Generator, attempts: int = 3) -> None:
        self.generator, self.attempts = generator, attempts
        self.identity = f"llm:{generator.identity}"

    def score(self, pairs: Sequence[tuple[str, str]]) -> list[Probs | None]:
        from limkit.llm import Choice, Request, SamplingParams

        requests = [
            Request(
                f"nli|{_digest(premise, hypothesis)}",
                messages=(
                    {
                        "role": "user",
                        "content": "Does the premise entail the hypothesis, contradict it, or neither?\n"
                        f"Premise: {premise}\nHypothesis: {hypothesis}\n"
                        "Answer entailment, neutral or contradiction.",
                    },
                ),
                params=SamplingParams(max_tokens=8),
                structured=Choice(NLI_CHOICE, attempts=self.attempts),
            )
            for premise, hypothesis in pairs
        ]
        done = {c.request_id: c for c in self.generator.generate_all(requests)}
        return [
            {label: float(label == c.value) for label in LABELS} if c.ok else None
            for c in (done[r.id] for r in requests)
        ]


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


class ScoreCache:
    """NLI scores on disk, appended as they are computed, keyed by model identity and texts."""

    def __init__(self, path: Path) -> None:
        from limkit.data import AppendWriter, read_appended

        self.path = path
        self.scores: dict[str, Probs | None] = {}
        if path.exists():
            for _, row in read_appended(path, "NLI score cache"):
                self.scores[row["key"]] = row["probs"]
        self.computed = 0
        self._writer = AppendWriter(path)

    def close(self) -> None:
        self._writer.close()

    def scored(
        self,
        nli: Nli,
        pairs: Sequence[tuple[str, str]],
        chunk: int = 64,
        on_done: Callable[[int], None] | None = None,
    ) -> list[Probs | None]:
        """Scores of `pairs`, computing only those not on disk yet, chunk by chunk (each appended at once)."""
        keys = [f"{nli.identity}|{_digest(p, h)}" for p, h in pairs]
        missing = sorted({key: i for i, key in enumerate(keys) if key not in self.scores}.values())
        for start in range(0, len(missing), chunk):
            indices = missing[start : start + chunk]
            for index, probs in zip(indices, nli.score([pairs[i] for i in indices]), strict=True):
                self.scores[keys[index]] = probs
                self._writer.write({"key": keys[index], "probs": probs})
                self.computed += 1
            if on_done:
                on_done(len(indices))
        return [self.scores[key] for key in keys]


def top_label(probs: Probs | None) -> str | None:
    """The argmax label; a tie is no label at all (None), never silently one of them."""
    if probs is None:
        return None
    best = max(probs.values())
    winners = [label for label in LABELS if probs[label] == best]
    return winners[0] if len(winners) == 1 else None


def conflict(probs: Probs | None, rule: str) -> int | None:
    """1 conflict, 0 none, None unscorable. `c>e`: P(contradiction) > P(entailment) (a tie is no conflict).
    `max`: contradiction is the strict argmax."""
    if probs is None:
        return None
    if rule == "c>e":
        return int(probs["contradiction"] > probs["entailment"])
    if rule == "max":
        return int(top_label(probs) == "contradiction")
    raise LimkitError(f"unknown rule {rule!r}; choose one of {', '.join(RULES)}", field="rule")


def make_nli(spec: str, generator: Generator | None = None, batch_size: int = 16) -> Nli:
    """`llm` (the run's generator as NLI judge), or `hf:MODEL[@REVISION]` / a bare model id or folder."""
    if spec == "llm":
        if generator is None:
            raise LimkitError("--nli llm needs a generator (--backend/--model)", field="nli")
        return LlmNli(generator)
    model = spec.removeprefix("hf:")
    model, _, revision = model.partition("@")
    return HfNli(model, revision=revision or None, batch_size=batch_size)


def build_tiny_nli(
    out_dir: str | Path, *, arch: str = "llama", seed: int = 0, order: Sequence[str] = LABELS
) -> Path:
    """A tiny random sequence-classification model with an MNLI head (`id2label` in `order`), offline.

    For plumbing tests and benchmarks: batching, label maps, both orders and the rules run for real; its
    judgements are random.
    """
    import random

    import torch
    from transformers import AutoModelForSequenceClassification, LlamaConfig, Qwen3Config

    from limkit.llm.tiny import train_tokenizer

    random.seed(seed)
    torch.manual_seed(seed)
    tokenizer = train_tokenizer(["the premise entails the hypothesis or contradicts it", *LABELS], 256)
    tokenizer.padding_side = "right"
    pad = tokenizer.get_vocab()["<|endoftext|>"]
    common: dict[str, Any] = dict(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        pad_token_id=pad,
        num_labels=3,
        id2label=dict(enumerate(label.upper() for label in order)),
        label2id={label.upper(): index for index, label in enumerate(order)},
    )
    config = LlamaConfig(**common) if arch == "llama" else Qwen3Config(head_dim=16, **common)
    model = AutoModelForSequenceClassification.from_config(config)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "limkit_tiny_nli.json").write_text(json.dumps({"seed": seed, "arch": arch}) + "\n")
    return out
