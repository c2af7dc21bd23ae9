"""Tiny random causal LMs built fully offline, for tests, the demo and quick experiments.

The tokenizer is a byte-level BPE trained here on built-in text (plus any text you pass), with single
digits as tokens so arithmetic stays learnable, and a ChatML template whose assistant spans are marked
with `{% generation %}` so TRL can compute an assistant-only loss.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from transformers import PretrainedConfig, PreTrainedTokenizerFast

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")

CHATML_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' }}"
    "{%- if message['role'] == 'assistant' %}"
    "{%- generation %}{{- message['content'] + '<|im_end|>' }}{%- endgeneration %}{{- '\\n' }}"
    "{%- else %}"
    "{{- message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

_BUILTIN_TEXT = """
Please reason step by step, and put your final answer within \\boxed{}.
The answer is \\boxed{42}. Therefore the final answer is 7. Let me check: 3 + 4 = 7, so the result is correct.
Perhaps we might try another approach. Since x^2 - 5x + 6 = 0, we factor (x - 2)(x - 3) = 0, so x = 2 or x = 3.
Wait, let me verify this again. The sum of the angles of a triangle is 180 degrees.
A train travels 60 miles per hour for 2 hours, so it covers 120 miles. Tom has 12 apples and gives away 5.
What is the value of \\frac{1}{2} + \\frac{1}{3}? We get \\frac{5}{6}. The square root \\sqrt{16} equals 4.
If a = 3 and b = 4, then a^2 + b^2 = 25 and c = 5. The probability is 0.25, or 25%.
Question: How many positive divisors does 36 have? Answer: 9. Solve for y: 2y + 3 = 11, hence y = 4.
The interval [0, 1) and the set {1, 2, 3}; the point (3, \\frac{\\pi}{2}); the matrix \\begin{pmatrix} 1 & 0 \\end{pmatrix}.
user assistant system think thinking final answer step total each more less than times plus minus divided by
"""  # noqa: E501


@dataclass(frozen=True)
class TinyModelSpec:
    """Shape of a tiny model. The defaults give ~100k parameters that build in well under a second."""

    arch: str = "llama"
    hidden_size: int = 64
    num_layers: int = 2
    num_heads: int = 4
    intermediate_size: int = 128
    vocab_size: int = 512
    max_positions: int = 2048
    # Integers below this are whole tokens (0 keeps single digits): a toy world of memorised facts is
    # far easier to learn when `56` is one token, as a word is, than when it is two digits.
    number_tokens: int = 0


def train_tokenizer(texts: Iterable[str], vocab_size: int) -> PreTrainedTokenizerFast:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<|endoftext|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
    )
    fast.chat_template = CHATML_TEMPLATE
    return fast


def _model_config(spec: TinyModelSpec, vocab_size: int, pad_id: int, eos_id: int) -> PretrainedConfig:
    from transformers import LlamaConfig, Qwen3Config

    common: dict[str, Any] = dict(
        vocab_size=vocab_size,
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.num_layers,
        num_attention_heads=spec.num_heads,
        num_key_value_heads=spec.num_heads,
        max_position_embeddings=spec.max_positions,
        bos_token_id=pad_id,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
        tie_word_embeddings=True,
    )
    if spec.arch == "llama":
        return LlamaConfig(**common)
    if spec.arch == "qwen3":
        return Qwen3Config(head_dim=spec.hidden_size // spec.num_heads, **common)
    raise ValueError(f"unknown tiny-model arch {spec.arch!r}; choose llama or qwen3")


def build_tiny_model(
    out_dir: str | Path,
    *,
    seed: int = 0,
    spec: TinyModelSpec | None = None,
    extra_text: Iterable[str] = (),
) -> Path:
    """Writes a loadable (`from_pretrained`) tiny random model and its tokenizer to `out_dir`."""
    import torch
    from transformers import AutoModelForCausalLM

    spec = spec or TinyModelSpec()
    random.seed(seed)
    torch.manual_seed(seed)
    texts = [line for line in _BUILTIN_TEXT.splitlines() if line.strip()]
    texts += [str(number) for number in range(200)]
    texts += list(extra_text)
    tokenizer = train_tokenizer(texts, spec.vocab_size)
    tokenizer.add_tokens([str(number) for number in range(spec.number_tokens)])
    vocab = tokenizer.get_vocab()
    pad_id, eos_id = vocab["<|endoftext|>"], vocab["<|im_end|>"]
    config = _model_config(spec, len(tokenizer), pad_id, eos_id)
    model = AutoModelForCausalLM.from_config(config)
    model.generation_config.pad_token_id = pad_id
    model.generation_config.eos_token_id = eos_id
    model.generation_config.bos_token_id = pad_id
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


VLM_TEMPLATE = (
    "{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' }}"
    "{%- if message['content'] is string %}{{- message['content'] }}"
    "{%- else %}{%- for part in message['content'] %}"
    "{%- if part['type'] == 'image' %}{{- '<image>' }}"
    "{%- elif part['type'] == 'text' %}{{- part['text'] }}{%- endif %}"
    "{%- endfor %}{%- endif %}{{- '<|im_end|>\\n' }}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


def build_tiny_vlm(out_dir: str | Path, *, seed: int = 0) -> Path:
    """Writes a tiny random LLaVA (CLIP vision tower, Llama text model) and its processor, offline.

    32x32 images in 8x8 patches give 17 image tokens per picture; loadable with AutoProcessor and
    AutoModelForImageTextToText, so the `hf` backend's image path runs for real in tests.
    """
    import torch
    from transformers import (
        CLIPImageProcessorPil,
        CLIPVisionConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaProcessor,
    )

    random.seed(seed)
    torch.manual_seed(seed)
    tokenizer = train_tokenizer([line for line in _BUILTIN_TEXT.splitlines() if line.strip()], 512)
    tokenizer.add_special_tokens({"additional_special_tokens": ["<image>"]})
    vocab = tokenizer.get_vocab()
    pad_id, eos_id, image_id = vocab["<|endoftext|>"], vocab["<|im_end|>"], vocab["<image>"]
    vision = CLIPVisionConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        image_size=32,
        patch_size=8,
    )
    text = _model_config(TinyModelSpec(), len(tokenizer), pad_id, eos_id)
    config = LlavaConfig(
        vision_config=vision,
        text_config=text,
        image_token_index=image_id,
        vision_feature_layer=-1,
        vision_feature_select_strategy="full",
    )
    model = LlavaForConditionalGeneration(config)
    model.generation_config.pad_token_id = pad_id
    model.generation_config.eos_token_id = eos_id
    images = CLIPImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    processor = LlavaProcessor(
        image_processor=images,
        tokenizer=tokenizer,
        patch_size=8,
        vision_feature_select_strategy="full",
        chat_template=VLM_TEMPLATE,
        num_additional_image_tokens=1,
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out
