"""Images in messages: parts by hash, bytes read only when sent, a tiny LLaVA on hf, bytes sent on openai."""

from __future__ import annotations

import base64
import hashlib
import random
import sqlite3
import tracemalloc
from pathlib import Path

import pytest
from PIL import Image

from limkit.errors import LimkitError
from limkit.llm import (
    BackendOptions,
    Choice,
    CompletionCache,
    ImagePart,
    Request,
    SamplingParams,
    WorkItem,
    cache_key,
    image_part,
    make_generator,
)
from limkit.llm._hf import HFGenerator
from serving import FaultProxy


def noise(size: int, seed: int) -> Image.Image:
    """A picture PNG cannot compress much: its file is about 3 * size**2 bytes."""
    return Image.frombytes("RGB", (size, size), random.Random(seed).randbytes(3 * size * size))


def look(request_id: str, part: object, text: str = "What colour is this?", **extra: object) -> Request:
    content = [part, {"type": "text", "text": text}]
    return Request(request_id, messages=({"role": "user", "content": content},), **extra)  # type: ignore[arg-type]


def test_a_pil_image_is_stored_once_by_hash(tmp_path: Path) -> None:
    red = Image.new("RGB", (8, 8), (255, 0, 0))
    first, second = image_part(red, store=tmp_path), image_part(red.copy(), store=tmp_path)
    assert first == second and list(tmp_path.iterdir()) == [first.path]
    assert first.sha256 == hashlib.sha256(first.path.read_bytes()).hexdigest()
    assert image_part(Image.new("RGB", (8, 8), (0, 0, 255)), store=tmp_path).sha256 != first.sha256


def test_a_file_is_referenced_where_it_is(tmp_path: Path) -> None:
    noise(16, 1).save(tmp_path / "a.jpg", format="JPEG")
    part = image_part(tmp_path / "a.jpg")
    assert (part.path, part.media_type) == ((tmp_path / "a.jpg").resolve(), "image/jpeg")
    assert (
        part.openai()["image_url"]["url"]
        == "data:image/jpeg;base64," + base64.b64encode((tmp_path / "a.jpg").read_bytes()).decode()
    )


def test_a_bad_image_path_is_named(tmp_path: Path) -> None:
    with pytest.raises(LimkitError, match=r"nope\.png: image file not found"):
        image_part(tmp_path / "nope.png")
    (tmp_path / "fake.png").write_text("not a picture", encoding="utf-8")
    with pytest.raises(LimkitError, match=r"fake\.png: not an image \(PIL cannot read it\)"):
        image_part(tmp_path / "fake.png")


def test_a_malformed_content_part_is_refused() -> None:
    with pytest.raises(
        ValueError, match=r"messages\[0\]: a content part must be text, image_url or an ImagePart"
    ):
        look("q", {"type": "audio", "data": "x"})


def test_the_cache_key_covers_the_image_bytes_and_the_cache_holds_none(tmp_path: Path) -> None:
    a, b = image_part(noise(24, 1), store=tmp_path), image_part(noise(24, 2), store=tmp_path)
    inline = {"type": "image_url", "image_url": {"url": a.data_url()}}
    keys = {cache_key("m", look("q", part), 0) for part in (a, b, inline)}
    assert len(keys) == 3
    cache = CompletionCache(tmp_path / "c.sqlite")
    generator = make_generator("scripted", "llm_scripts:echo", cache=cache)
    generator.generate_all([look("a", a), look("b", b), look("inline", inline)])
    with sqlite3.connect(tmp_path / "c.sqlite") as db:
        stored = "".join(row[0] for row in db.execute("SELECT request FROM completions"))
    assert a.sha256 in stored and b.sha256 in stored
    assert base64.b64encode(a.path.read_bytes())[:64].decode() not in stored
    assert "base64" not in stored


def test_two_thousand_image_requests_do_not_hold_the_images(tmp_path: Path) -> None:
    """2,000 distinct ~12 KB pictures (25 MB) become requests and cache keys in under 3 MB."""
    parts = []
    for index in range(2000):
        path = tmp_path / f"{index}.png"
        noise(64, index).save(path, format="PNG")
        parts.append(image_part(path))
    on_disk = sum(part.path.stat().st_size for part in parts)
    tracemalloc.start()
    requests = [look(str(i), part) for i, part in enumerate(parts)]
    keys = [cache_key("m", request, 0) for request in requests]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert on_disk > 24_000_000 and len(set(keys)) == 2000
    assert peak < 3_000_000, peak


def test_openai_sends_the_image_bytes_only_in_the_body_it_posts(
    tiny_model_dir: Path, tiny_server: str, tmp_path: Path
) -> None:
    """`transformers serve` takes the image part (a text model folds it away); the proxy sees the bytes."""
    part = image_part(noise(20, 5), store=tmp_path)
    with FaultProxy(tiny_server) as proxy:
        options = BackendOptions(base_url=proxy.base_url)
        generator = make_generator(
            "openai", str(tiny_model_dir), options, CompletionCache(tmp_path / "c.sqlite")
        )
        (done,) = generator.generate_all([look("q", part, params=SamplingParams(max_tokens=4))])
    assert done.usage.completion_tokens == 4
    (body,) = proxy.served
    sent = body["messages"][0]["content"]
    assert sent[0] == {"type": "image_url", "image_url": {"url": part.data_url()}}
    assert sent[1] == {"type": "text", "text": "What colour is this?"}


def test_hf_refuses_images_for_a_text_only_model(tiny_model_dir: Path, tmp_path: Path) -> None:
    generator = HFGenerator(str(tiny_model_dir), device="cpu")
    with pytest.raises(LimkitError, match=r"request 'q' has an image, but .* is a text-only model"):
        generator.generate_all([look("q", image_part(noise(8, 0), store=tmp_path))])
    (text_parts,) = generator.generate_all(
        [
            Request(
                "t",
                messages=({"role": "user", "content": [{"type": "text", "text": "Hi"}]},),
                params=SamplingParams(max_tokens=3),
            )
        ]
    )
    assert text_parts.usage.completion_tokens == 3


@pytest.fixture(scope="module")
def vlm(tmp_path_factory: pytest.TempPathFactory) -> HFGenerator:
    from limkit.llm.tiny import build_tiny_vlm

    return HFGenerator(str(build_tiny_vlm(tmp_path_factory.mktemp("vlm") / "model")), device="cpu")


def test_hf_image_text_model_sees_the_image(vlm: HFGenerator, tmp_path: Path) -> None:
    import torch

    red = image_part(Image.new("RGB", (40, 30), (220, 0, 0)), store=tmp_path)
    blue = image_part(Image.new("RGB", (40, 30), (0, 0, 220)), store=tmp_path)
    plain = Request("p", messages=({"role": "user", "content": "What colour is this?"},))
    ids, pixels = vlm._encode(WorkItem(look("r", red), 0, "k"))
    text_ids, _ = vlm._encode(WorkItem(plain, 0, "k"))
    assert len(ids) == len(text_ids) + 17  # <image> expands to 1 + (32 / 8) ** 2 tokens
    assert pixels["pixel_values"][0, 0].mean() > pixels["pixel_values"][0, 2].mean()
    logits = []
    for part in (red, blue):
        ids, extra = vlm._encode(WorkItem(look("x", part), 0, "k"))
        with torch.inference_mode():
            logits.append(vlm._model(input_ids=torch.tensor([ids]), **extra).logits[0, -1])
    assert not torch.allclose(logits[0], logits[1])
    done = {
        c.request_id: c
        for c in vlm.generate_all(
            [
                look("red", red, params=SamplingParams(max_tokens=4)),
                look("choice", blue, structured=Choice(("red", "blue")), params=SamplingParams(max_tokens=4)),
            ]
        )
    }
    assert done["red"].usage.prompt_tokens == len(ids)
    assert done["choice"].value in ("red", "blue") and done["choice"].attempts == 1


def test_an_image_part_is_plain_data() -> None:
    part = ImagePart(Path("/x.png"), "ab" * 32)
    assert part.key() == {"type": "image_url", "image_url": {"sha256": "ab" * 32}}
