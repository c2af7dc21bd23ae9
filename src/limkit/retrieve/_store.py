"""Index directories: written whole or not at all, and checked file by file before they are trusted.

An index is built in a hidden staging folder beside its destination; `manifest.json` is written last and
lists every other file with its size and SHA-256; only then is the folder renamed into place (an older
index there is moved aside first and deleted after). A killed build therefore leaves either the old
index or the new one, never a mix, and `read_manifest` names the exact file that is missing or changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from limkit.errors import LimkitError

FORMAT = "limkit-retrieve-index"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_HASH_BLOCK = 1 << 20


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _inventory(root: Path) -> dict[str, dict[str, Any]]:
    return {
        path.relative_to(root).as_posix(): {"bytes": path.stat().st_size, "sha256": file_digest(path)}
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }


def _fsync_tree(root: Path) -> None:
    for path in [*root.rglob("*"), root]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _check_destination(out: Path) -> None:
    """Refuses to replace anything but an earlier index (or an empty folder): a typo must not delete data."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise LimkitError("exists and is not an index directory; not replacing it", path=out)
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise LimkitError(f"exists, is not empty and has no {MANIFEST}; not replacing it", path=out)


def write_index_dir(
    out: Path, manifest: dict[str, Any], write_files: Callable[[Path], dict[str, Any]]
) -> None:
    """Calls `write_files(staging)` (it returns more manifest entries), writes the checksummed manifest,
    then swaps the folder into `out`."""
    out = Path(out)
    _check_destination(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".building", dir=out.parent))
    try:
        extra = write_files(staging)
        full = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            **manifest,
            **extra,
            "files": _inventory(staging),
        }
        (staging / MANIFEST).write_text(
            json.dumps(full, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        _fsync_tree(staging)
        umask = os.umask(0o022)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)
        _swap_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_into_place(staging: Path, out: Path) -> None:
    if not out.exists():
        os.replace(staging, out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    os.replace(out, retired / "index")
    try:
        os.replace(staging, out)
    except BaseException:
        os.replace(retired / "index", out)
        raise
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(retired)


def _load_manifest_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise LimkitError("index directory not found", path=path)
    if not path.is_dir():
        raise LimkitError("not an index directory (it is a file)", path=path)
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise LimkitError(
            "missing: not a limkit index, or a build that never finished (rebuild it)", path=manifest_path
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        reason = error.msg if isinstance(error, json.JSONDecodeError) else "not UTF-8"
        raise LimkitError(f"corrupt index manifest: not valid JSON ({reason})", path=manifest_path) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise LimkitError(f"not a limkit index manifest (expected format '{FORMAT}')", path=manifest_path)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise LimkitError(
            f"index format version {manifest.get('format_version')!r} is not supported "
            f"(this limkit reads version {FORMAT_VERSION}); rebuild the index",
            path=manifest_path,
            field="format_version",
        )
    return manifest


def read_manifest(path: str | Path, verify: bool = True) -> dict[str, Any]:
    """The manifest of the index at `path`, after checking every listed file's size and checksum."""
    path = Path(path)
    manifest = _load_manifest_json(path)
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise LimkitError("corrupt index manifest: no file list", path=path / MANIFEST, field="files")
    for name, expected in files.items():
        target = path / name
        if not target.is_file():
            raise LimkitError("missing from the index directory (the index is incomplete)", path=target)
        if not isinstance(expected, dict) or target.stat().st_size != expected.get("bytes"):
            raise LimkitError("corrupt index file: its size differs from the manifest", path=target)
        if verify and file_digest(target) != expected.get("sha256"):
            raise LimkitError("corrupt index file: its checksum differs from the manifest", path=target)
    return manifest
