"""Tiny models' tokenizers: whole-number tokens for the demo's world of memorised facts."""

from __future__ import annotations

from pathlib import Path

from limkit.llm.tiny import TinyModelSpec, build_tiny_model


def _tokens(model_dir: Path, text: str) -> list[str]:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids) == text
    return [token for token in tokenizer.convert_ids_to_tokens(ids) if token != "Ġ"]


def test_numbers_below_the_limit_are_whole_tokens(tmp_path: Path) -> None:
    spec = TinyModelSpec(number_tokens=100)
    model = build_tiny_model(tmp_path / "numbers", spec=spec)
    assert _tokens(model, "7 * 8 = 56. \\boxed{56}")[-2] == "56"
    assert "56" in _tokens(model, "7 * 8 = 56.")
    assert _tokens(model, "99 + 1 = 100")[-2:] == ["10", "0"]  # 100 is past the limit: longest match


def test_by_default_digits_stay_single(tmp_path: Path) -> None:
    model = build_tiny_model(tmp_path / "digits")
    assert "56" not in _tokens(model, "7 * 8 = 56.")
