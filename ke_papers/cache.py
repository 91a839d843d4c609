"""A parse cache: what reading a bib file produces, kept in the platformdirs cache folder.

A cached build is keyed by the bib file's resolved path and trusted only while the
file's size, modification time and content hash (BLAKE2b) are all unchanged; every
part carries that stamp. The file stays the one source of truth: the cache only
mirrors it, is safe to delete, and a corrupt or foreign cache file is ignored and
rebuilt. Parts are stored apart so that a command loads only what it needs: `marshal`
for plain values (loading runs no code) and raw bytes, memory-mapped, for the
per-paper records.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import mmap
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ke_papers import config, files

#: Bump when the shape of what is cached changes.
VERSION = 8
ENV_DISABLE = "KE_PAPERS_NO_CACHE"
#: The part stored as raw bytes and memory-mapped rather than unmarshalled.
BLOB = "records"
T = TypeVar("T")


class _Miss(Exception):
    pass


def cache_file(path: Path, part: str) -> Path:
    name = hashlib.blake2b(str(path.resolve()).encode(), digest_size=12).hexdigest()
    return config.cache_dir() / "parsed" / f"{name}.{part}"


def _stamp(path: Path, data: bytes) -> tuple[Any, ...]:
    st = path.stat()
    digest = hashlib.blake2b(data, digest_size=20).hexdigest()
    return (VERSION, str(path.resolve()), st.st_size, st.st_mtime_ns, digest)


def _load(target: Path, stamp: tuple[Any, ...], part: str) -> Any:
    """A part, if it was written for this stamp and its bytes are the ones written.

    Every part carries a CRC-32 of its payload: a part damaged on disk (a flipped bit)
    is a miss and is rebuilt, never read as data.
    """
    try:
        with target.open("rb") as fh:
            (size,) = struct.unpack("<Q", fh.read(8))
            stored, length, crc = marshal.loads(fh.read(size))
            if stored != stamp:
                raise _Miss
            if part == BLOB:
                mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
                payload: Any = memoryview(mapped)[8 + size :]
            else:
                payload = fh.read()
        if len(payload) != length or zlib.crc32(payload) != crc:
            raise _Miss
        return payload if part == BLOB else marshal.loads(payload)
    except _Miss:
        raise
    except Exception:  # missing, truncated, corrupt, or another version
        raise _Miss from None


def _dump(stamp: tuple[Any, ...], part: str, value: Any) -> bytes:
    payload = bytes(value) if part == BLOB else marshal.dumps(value)
    head = marshal.dumps((stamp, len(payload), zlib.crc32(payload)))
    return struct.pack("<Q", len(head)) + head + payload


class Reader:
    """The cached parts of one file's content, each loaded when first asked for.

    On any miss everything is built once (`build()`), every part written, and the
    parts served from memory for the rest of the process.
    """

    def __init__(self, path: Path, data: bytes, build: Callable[[], dict[str, Any]]) -> None:
        self.path = path
        self.build = build
        self.disabled = bool(os.environ.get(ENV_DISABLE))
        self.stamp = None if self.disabled else _stamp(path, data)
        self.parts: dict[str, Any] = {}

    def get(self, part: str) -> Any:
        if part not in self.parts:
            if self.stamp is not None:
                with contextlib.suppress(_Miss):
                    self.parts[part] = _load(cache_file(self.path, part), self.stamp, part)
                    return self.parts[part]
            built = self.build()
            if self.stamp is not None:
                for name, value in built.items():
                    files.write_quietly(cache_file(self.path, name), _dump(self.stamp, name, value))
            self.parts.update(built)
        return self.parts[part]


def cached(path: Path, data: bytes, part: str, build: Callable[[], T]) -> T:
    """One part on its own, for results that need a parse of their own (lint)."""
    return Reader(path, data, lambda: {part: build()}).get(part)
