"""The `hf` backend: transformers in-process, batched `generate` with left padding and chat templates."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from limkit.errors import LimkitError
from limkit.llm._cache import CompletionCache, cache_key
from limkit.llm._generator import Generator, WorkItem
from limkit.llm._grammar import GrammarConstraints
from limkit.llm._images import content_parts, has_images, message_images, message_text
from limkit.llm._models import fingerprint, local_model_dir
from limkit.llm._types import Completion, Message, SamplingParams, Usage


class HFGenerator(Generator):
    """Runs a causal LM, or an image-text model, with transformers on CPU or GPU.

    Each sampled row draws from its own random stream, seeded by its cache key (which holds the seed and
    the sample index), so a sample's text does not depend on which batch it lands in: a resumed run
    draws what an uninterrupted one would have. Greedy decoding is deterministic regardless.

    A model whose processor has an image processor (LLaVA, Qwen2-VL, Idefics3, ...) is loaded with
    AutoModelForImageTextToText and takes image parts; it generates one request at a time, since the
    processor expands each image into its own run of tokens. Structured requests are decoded under an
    xgrammar grammar (the reply is still checked afterwards: `max_tokens` can cut a value short).
    """

    def __init__(
        self,
        model: str,
        *,
        revision: str | None = None,
        device: str | None = None,
        batch_size: int = 8,
        dtype: str = "auto",
        cache: CompletionCache | None = None,
    ) -> None:
        super().__init__(cache)
        self.model_name = model
        self.revision = revision
        self.batch_size = batch_size
        self._local = local_model_dir(model)
        self._identity = (
            f"hf:{self._local}#{fingerprint(self._local)}"
            if self._local
            else f"hf:{model}@{revision or 'main'}"
        )
        self._model, self._processor, self._device = _load(model, self._local, revision, device, dtype)
        self._tokenizer = getattr(self._processor, "tokenizer", self._processor)
        self._takes_images = getattr(self._processor, "image_processor", None) is not None
        self._eos_ids = _eos_ids(self._model, self._tokenizer)
        self._grammars = GrammarConstraints(self._tokenizer, _vocab_size(self._model), self._eos_ids)

    @property
    def identity(self) -> str:
        return self._identity

    async def _complete(self, items: Sequence[WorkItem]) -> AsyncIterator[Completion]:
        self._check_images(items)
        groups: dict[tuple[SamplingParams, str], list[WorkItem]] = defaultdict(list)
        for item in items:
            spec = item.request.structured
            groups[(item.request.params, json.dumps(spec.key_fields()) if spec else "")].append(item)
        size = 1 if self._takes_images else self.batch_size
        for (params, _), group in groups.items():
            for start in range(0, len(group), size):
                batch = group[start : start + size]
                for completion in await asyncio.to_thread(self._generate_batch, params, batch):
                    yield completion

    def _check_images(self, items: Sequence[WorkItem]) -> None:
        if self._takes_images:
            return
        for item in items:
            if item.request.messages is not None and has_images(item.request.messages):
                raise LimkitError(
                    f"request {item.request.id!r} has an image, but {self.model_name} is a text-only model "
                    "(its processor has no image processor); use an image-text model or --backend openai",
                    field="messages",
                )

    def render(self, item: WorkItem) -> str:
        """The exact text the model continues: chat template plus any assistant prefix, or the raw prompt."""
        request = item.request
        if request.messages is None:
            return request.prompt or ""
        template_owner = self._processor if self._takes_images else self._tokenizer
        messages = [self._template_message(message) for message in request.messages]
        text = template_owner.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        return str(text) + (request.assistant_prefix or "")

    def _template_message(self, message: Message) -> dict[str, Any]:
        """Text models get plain-string content; image-text processors get HF's typed parts."""
        if not self._takes_images:
            return {**message, "content": message_text(message)}
        parts = [
            {"type": "text", "text": part["text"]}
            if isinstance(part, Mapping) and part.get("type") == "text"
            else {"type": "image"}
            for part in content_parts(message["content"])
        ]
        return {**message, "content": parts}

    def _encode(self, item: WorkItem) -> tuple[list[int], dict[str, Any]]:
        """Token ids, plus pixel tensors for image-text models.

        Raw prompts get the tokenizer's special tokens (BOS), as vLLM adds them; a template has its own.
        """
        special = item.request.messages is None
        if not self._takes_images:
            return list(self._tokenizer(self.render(item), add_special_tokens=special)["input_ids"]), {}
        images = message_images(item.request.messages or ())
        encoded = self._processor(
            text=[self.render(item)], images=images or None, return_tensors="pt", add_special_tokens=special
        )
        ids = encoded.pop("input_ids")[0].tolist()
        encoded.pop("attention_mask", None)
        return ids, dict(encoded)

    def _generate_batch(self, params: SamplingParams, batch: Sequence[WorkItem]) -> list[Completion]:
        import torch

        encoded = [self._encode(item) for item in batch]
        prompts = [ids for ids, _ in encoded]
        extra = (
            {name: value.to(self._device) for name, value in encoded[0][1].items()} if len(batch) == 1 else {}
        )
        input_ids, attention = _left_pad(prompts, self._tokenizer.pad_token_id)
        with torch.inference_mode():
            output = self._model.generate(
                input_ids=input_ids.to(self._device),
                attention_mask=attention.to(self._device),
                **extra,
                **self._generate_kwargs(params, batch),
            )
        new_tokens = output[:, input_ids.shape[1] :].tolist()
        return [
            self._to_completion(item, len(prompt), tokens, params)
            for item, prompt, tokens in zip(batch, prompts, new_tokens, strict=True)
        ]

    def _generate_kwargs(self, params: SamplingParams, batch: Sequence[WorkItem]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "max_new_tokens": params.max_tokens,
            "pad_token_id": self._tokenizer.pad_token_id,
            "eos_token_id": sorted(self._eos_ids),
            "do_sample": False,
        }
        processors = []
        spec = batch[0].request.structured
        if spec is not None and (constraint := self._grammars.processor(spec)) is not None:
            processors.append(constraint)
        if params.temperature > 0:
            seeds = [_row_seed(item) for item in batch]
            processors.append(_RowSampler(seeds, params.temperature, params.top_p))
        if processors:
            kwargs["logits_processor"] = processors
        if params.stop:
            kwargs.update(stop_strings=list(params.stop), tokenizer=self._tokenizer)
        return kwargs

    def _to_completion(
        self, item: WorkItem, prompt_len: int, tokens: list[int], params: SamplingParams
    ) -> Completion:
        """A row ends at its first end-of-sequence token; a row cut by a stop string is padded after it."""
        end = next((index for index, token in enumerate(tokens) if token in self._eos_ids), None)
        used = tokens[: end + 1] if end is not None else _strip_padding(tokens, self._tokenizer.pad_token_id)
        text, stopped = _cut_at_stop(self._tokenizer.decode(used, skip_special_tokens=True), params.stop)
        finish = "stop" if end is not None or stopped else "length"
        return Completion(item.request.id, item.sample, text, finish, Usage(prompt_len, len(used)))


def _row_seed(item: WorkItem) -> int:
    """The seed of a row's random stream: what it asks (prompt, sampling, seed, sample index).

    Not the model's identity, which holds the local path and the weight files' times: with it, the same
    seed sampled differently from a retrained or moved copy of the same weights.
    """
    return int(cache_key("", item.request, item.sample)[:15], 16)


class _RowSampler:
    """A logits processor that turns greedy decoding into sampling with one random stream per row.

    Gumbel-max: the argmax of `logits / T + Gumbel noise` is a draw from `softmax(logits / T)`; tokens
    outside the top-p nucleus are removed first. Seeding each row alone is what makes a sample's text
    independent of its batch, which one global seed for `torch.multinomial` cannot do.
    """

    def __init__(self, seeds: Sequence[int], temperature: float, top_p: float) -> None:
        import torch

        self._streams = [torch.Generator().manual_seed(seed) for seed in seeds]
        self._temperature = temperature
        self._top_p = top_p

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        scores = scores.float() / self._temperature
        if self._top_p < 1:
            scores = _top_p_filter(scores, self._top_p)
        uniform = torch.stack([torch.rand(scores.shape[-1], generator=s) for s in self._streams])
        gumbel = -torch.log(-torch.log(uniform.clamp(min=1e-20)))
        return scores + gumbel.to(scores.device)


def _top_p_filter(scores: Any, top_p: float) -> Any:
    """Keeps the smallest set of most likely tokens whose probability reaches `top_p` (at least one)."""
    import torch

    ordered, order = torch.sort(scores, descending=True, dim=-1)
    probs = ordered.softmax(dim=-1)
    outside = probs.cumsum(dim=-1) - probs >= top_p
    ordered = ordered.masked_fill(outside, float("-inf"))
    return torch.empty_like(scores).scatter_(-1, order, ordered)


def _strip_padding(tokens: list[int], pad_id: int | None) -> list[int]:
    end = len(tokens)
    while end and tokens[end - 1] == pad_id:
        end -= 1
    return tokens[:end]


def _cut_at_stop(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    """OpenAI semantics: the text ends before the first stop string, which is not included."""
    cuts = [text.find(stop) for stop in stops if stop and stop in text]
    return (text[: min(cuts)], True) if cuts else (text, False)


def _left_pad(rows: list[list[int]], pad_id: int) -> tuple[Any, Any]:
    import torch

    width = max(len(row) for row in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for index, row in enumerate(rows):
        if row:
            ids[index, width - len(row) :] = torch.tensor(row)
            mask[index, width - len(row) :] = 1
    return ids, mask


def _load(
    model: str, local: Any, revision: str | None, device: str | None, dtype: str
) -> tuple[Any, Any, str]:
    """The model and its processor (a plain tokenizer for text-only models)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForImageTextToText, AutoProcessor

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    source = str(local) if local else model
    try:
        processor = AutoProcessor.from_pretrained(source, revision=revision)
        loader = (
            AutoModelForImageTextToText
            if getattr(processor, "image_processor", None)
            else AutoModelForCausalLM
        )
        lm: Any = loader.from_pretrained(source, revision=revision, dtype=dtype)
    except OSError as error:
        if local:
            raise LimkitError(f"cannot load model {model!r} as a local directory: {error}") from None
        raise LimkitError(
            f"cannot load model {model!r} from the Hugging Face Hub (offline, or not cached with "
            f"HF_HUB_OFFLINE=1): pass a local model directory instead ({str(error).splitlines()[0]})"
        ) from None
    tokenizer = getattr(processor, "tokenizer", processor)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    lm.to(device).eval()
    return lm, processor, device


def _vocab_size(model: Any) -> int:
    """The logits width (a text config's, for image-text models): what a token mask must cover."""
    return int(model.get_output_embeddings().weight.shape[0])


def _eos_ids(model: Any, tokenizer: Any) -> frozenset[int]:
    """The tokenizer's end token plus the generation config's (chat models often list several)."""
    configured = model.generation_config.eos_token_id
    ids = configured if isinstance(configured, list) else [configured]
    return frozenset(i for i in [*ids, tokenizer.eos_token_id] if i is not None)
