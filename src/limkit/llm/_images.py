"""Images in chat messages: a small reference type, so requests stay light and cache keys stay stable.

An `ImagePart` names a file and the SHA-256 of its bytes; it never holds the bytes. The `openai` backend
reads and base64-encodes the file only while that one request is in flight, and the `hf` backend opens it
only for the batch that needs it, so a 2,000-image run holds a handful of images at a time. A PIL image is
written once, as PNG, to a content-addressed store (its file name is its hash), so the same picture asked
about twice is stored once. Cache keys and cached rows carry the hash, never the bytes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from limkit.errors import LimkitError

if TYPE_CHECKING:
    from PIL.Image import Image

_MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
DEFAULT_IMAGE_STORE = Path.home() / ".cache" / "limkit" / "images"


@dataclass(frozen=True)
class ImagePart:
    """One image in a message's content list, by file and hash (the hash is what the cache key sees)."""

    path: Path
    sha256: str
    media_type: str = "image/png"

    def data_url(self) -> str:
        """The base64 data URL OpenAI-compatible servers take; built on demand, never kept."""
        encoded = base64.b64encode(self.path.read_bytes()).decode("ascii")
        return f"data:{self.media_type};base64,{encoded}"

    def openai(self) -> dict[str, Any]:
        return {"type": "image_url", "image_url": {"url": self.data_url()}}

    def key(self) -> dict[str, Any]:
        return {"type": "image_url", "image_url": {"sha256": self.sha256}}

    def load(self) -> Image:
        from PIL import Image

        with Image.open(self.path) as image:
            return image.convert("RGB")


def image_part(image: Image | str | Path, *, store: str | Path | None = None) -> ImagePart:
    """An image content part from a PIL image or an image file (PNG, JPEG, WebP, GIF).

    A file is referenced where it is (hashed, checked to be an image, not copied). A PIL image is saved
    as PNG under `store` (default `$LIMKIT_IMAGE_STORE`, else ~/.cache/limkit/images) named by its hash.

    Raises:
        LimkitError: naming the file, when it does not exist or is not an image.
    """
    if isinstance(image, str | Path):
        return _file_part(Path(image).expanduser())
    from PIL import Image as PILImage

    if not isinstance(image, PILImage.Image):
        raise LimkitError(f"expected a PIL image or an image path, got {type(image).__name__}")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    folder = Path(store or os.environ.get("LIMKIT_IMAGE_STORE") or DEFAULT_IMAGE_STORE)
    target = folder / f"{digest}.png"
    if not target.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as handle:
            handle.write(data)
        Path(handle.name).replace(target)
    return ImagePart(target.resolve(), digest, "image/png")


def _file_part(path: Path) -> ImagePart:
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        raise LimkitError("image file not found", path=path)
    data = path.read_bytes()
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.verify()
            kind = opened.format or ""
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise LimkitError("not an image (PIL cannot read it)", path=path) from None
    if kind not in _MEDIA_TYPES:
        raise LimkitError(f"unsupported image format {kind}; use PNG, JPEG, WebP or GIF", path=path)
    return ImagePart(path.resolve(), hashlib.sha256(data).hexdigest(), _MEDIA_TYPES[kind])


def content_parts(content: Any) -> Iterator[Any]:
    """The parts of a message's content: a string is one text part."""
    if isinstance(content, str):
        yield {"type": "text", "text": content}
    else:
        yield from content


def has_images(messages: Sequence[Mapping[str, Any]]) -> bool:
    return any(_is_image(part) for message in messages for part in content_parts(message["content"]))


def _is_image(part: Any) -> bool:
    return isinstance(part, ImagePart) or (isinstance(part, Mapping) and part.get("type") == "image_url")


def message_text(message: Mapping[str, Any]) -> str:
    """The text of a message, its text parts joined by spaces (images left out)."""
    content = message["content"]
    if isinstance(content, str):
        return content
    return " ".join(part["text"] for part in content if isinstance(part, Mapping) and part["type"] == "text")


def _keyed_part(part: Any) -> Any:
    """A part as the cache key sees it: images by hash (inline data URLs hashed too), text as is."""
    if isinstance(part, ImagePart):
        return part.key()
    url = part.get("image_url", {}).get("url", "") if part.get("type") == "image_url" else ""
    if url.startswith("data:"):
        return {"type": "image_url", "image_url": {"sha256": hashlib.sha256(url.encode()).hexdigest()}}
    return dict(part)


def keyed_messages(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Messages for the cache key and the cached row: plain JSON, and no image bytes in it."""
    out = []
    for message in messages:
        content = message["content"]
        if not isinstance(content, str):
            content = [_keyed_part(part) for part in content]
        out.append({**message, "content": content})
    return out


def wire_messages(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Messages as an OpenAI-compatible server takes them: image references become data URLs now."""
    out = []
    for message in messages:
        content = message["content"]
        if not isinstance(content, str):
            content = [part.openai() if isinstance(part, ImagePart) else dict(part) for part in content]
        out.append({**message, "content": content})
    return out


def message_images(messages: Sequence[Mapping[str, Any]]) -> list[Image]:
    """The images of a conversation in order, opened now (for a processor that takes images)."""
    images = []
    for message in messages:
        for part in content_parts(message["content"]):
            if isinstance(part, ImagePart):
                images.append(part.load())
            elif _is_image(part):
                images.append(_open_url(part["image_url"]["url"]))
    return images


def _open_url(url: str) -> Image:
    from PIL import Image

    if not url.startswith("data:") or ";base64," not in url:
        raise LimkitError("the hf backend takes images as files or base64 data URLs", field="image_url")
    data = base64.b64decode(url.split(";base64,", 1)[1])
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB")
