"""A parse cache: what reading a bib file produces, kept in the platformdirs cache folder.

A cached build is keyed by the bib file's resolved path and trusted only while the
file's size, modification time and content hash (SHA-256) are all unchanged; every
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
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import chain
from pathlib import Path
from typing import Any, TypeVar

from ke_papers import config, files

#: Bump when the shape of what is cached changes.
VERSION = 13
ENV_DISABLE = "KE_PAPERS_NO_CACHE"
#: The part stored as raw bytes and memory-mapped rather than unmarshalled.
BLOB = "records"
#: A part may hold texts in chunks under CHUNKS (name -> list of str), each chunk's
#: content name under IDS (None for a chunk not yet stored): each chunk is stored in a
#: file of its own, named by its content, so that a build that shares most chunks with
#: the last one writes only the few it made.
CHUNKS, IDS = "text", "ids"
#: Stored chunks that no part names any longer are removed once this old (seconds): a
#: reader of the last build has long finished by then.
STALE_CHUNKS = 60.0
T = TypeVar("T")


class _Miss(Exception):
    pass


def cache_file(path: Path, part: str) -> Path:
    name = hashlib.blake2b(str(path.resolve()).encode(), digest_size=12).hexdigest()
    return config.cache_dir() / "parsed" / f"{name}.{part}"


def _stamp(path: Path, data: bytes | None = None) -> tuple[Any, ...]:
    """What a part is trusted for: the file's path, size, mtime and content hash (of
    `data`, else of the file as read now, a piece at a time)."""
    if data is None:
        digest, st = files.digest(path)
    else:
        digest, st = hashlib.sha256(data).digest(), path.stat()
    return (VERSION, str(path.resolve()), st.st_size, st.st_mtime_ns, digest.hex())


#: Big parts are checked and written this much at a time.
STEP = 8 << 20


def _steps(buffers: Iterable[bytes | memoryview]) -> Iterator[memoryview]:
    """The buffers a step at a time. After each step of a memory-mapped part its pages are
    let go (the page cache keeps them): checking or copying a big part never holds it."""
    for buffer in buffers:
        view = memoryview(buffer)
        mapped = view.obj
        for at in range(0, len(view), STEP):
            yield view[at : at + STEP]
            if isinstance(mapped, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
                mapped.madvise(mmap.MADV_DONTNEED)


def _crc(buffers: Iterable[bytes | memoryview]) -> int:
    crc = 0
    for step in _steps(buffers):
        crc = zlib.crc32(step, crc)
    return crc


def enabled() -> bool:
    return not os.environ.get(ENV_DISABLE)


def _stamp_in(target: Path) -> tuple[Any, ...]:
    """The stamp a part was written for (only its header is read)."""
    try:
        with target.open("rb") as fh:
            (size,) = struct.unpack("<Q", fh.read(8))
            stamp = marshal.loads(fh.read(size))[0]
    except Exception:
        raise _Miss from None
    if not isinstance(stamp, tuple):
        raise _Miss
    return stamp


def previous(path: Path, parts: list[str]) -> dict[str, Any] | None:
    """The parts of the last build of `path`, whatever the file held then: all written
    by that one build and intact, or None. A build reuses what they say of the pieces
    of the file that did not change."""
    if not enabled() or not parts:
        return None
    try:
        stamp = _stamp_in(cache_file(path, parts[0]))
        if stamp[:2] != (VERSION, str(path.resolve())):
            return None
        return {part: _load(cache_file(path, part), stamp, part) for part in parts}
    except _Miss:
        return None


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
        if len(payload) != length or _crc([payload]) != crc:
            raise _Miss
        if part == BLOB:
            return payload
        value = marshal.loads(payload)
        if isinstance(value, dict) and IDS in value:
            value[CHUNKS] = {
                name: [_chunk(target, cid) for cid in ids] for name, ids in value[IDS].items()
            }
        return value
    except _Miss:
        raise
    except Exception:  # missing, truncated, corrupt, or another version
        raise _Miss from None


def _chunk_file(target: Path, cid: str) -> Path:
    return target.with_name(f"{target.name.split('.')[0]}.{CHUNKS}.{cid}")


def _chunk(target: Path, cid: str) -> str:
    """A stored chunk of text, if its bytes are the ones written (else a miss)."""
    data = _chunk_file(target, cid).read_bytes()
    length, crc = struct.unpack("<QI", data[:12])
    if len(data) != 12 + length or zlib.crc32(memoryview(data)[12:]) != crc:
        raise _Miss
    return data[12:].decode("utf-8", "surrogatepass")


def _store(path: Path, stamp: tuple[Any, ...], part: str, value: Any) -> None:
    """Write a part: its chunks of text not stored yet, then the part itself (which names
    them), then away with the chunks of this file that no part names any longer."""
    target = cache_file(path, part)
    if not (isinstance(value, dict) and CHUNKS in value):
        files.write_quietly(target, _dump(stamp, part, value))
        return
    named = set()
    for name, chunks in value[CHUNKS].items():
        ids = value[IDS][name]
        for k, chunk in enumerate(chunks):
            data = chunk.encode("utf-8", "surrogatepass") if ids[k] is None else b""
            if ids[k] is None:
                ids[k] = hashlib.sha256(data).hexdigest()[:32]
            where = _chunk_file(target, ids[k])
            named.add(where.name)
            if not where.exists():
                data = data or chunk.encode("utf-8", "surrogatepass")
                head = struct.pack("<QI", len(data), zlib.crc32(data))
                files.write_quietly(where, [head, data])
    stored = {k: v for k, v in value.items() if k != CHUNKS}
    if files.write_quietly(target, _dump(stamp, part, stored)):
        _forget(target, named)


def _forget(target: Path, named: set[str]) -> None:
    """Remove this file's stored chunks that `named` lacks and that are old enough."""
    import glob
    import time

    pattern = f"{glob.escape(target.name.split('.')[0])}.{CHUNKS}.*"
    for stale in target.parent.glob(pattern):
        if stale.name not in named:
            with contextlib.suppress(OSError):
                if time.time() - stale.stat().st_mtime > STALE_CHUNKS:
                    stale.unlink()


def _dump(stamp: tuple[Any, ...], part: str, value: Any) -> Iterator[bytes | memoryview]:
    """A part as the buffers to write; the records part may be given as buffers itself."""
    if part != BLOB:
        payload: list[bytes | memoryview] = [marshal.dumps(value)]
    else:
        payload = [value] if isinstance(value, (bytes, memoryview)) else list(value)
    length = sum(len(buffer) for buffer in payload)
    head = marshal.dumps((stamp, length, _crc(payload)))
    return chain([struct.pack("<Q", len(head)) + head], _steps(payload))


def _may_hold(path: Path, part: str) -> bool:
    """Whether the part was written for a file of this size and mtime: only then can it
    hold the file's content (and the file is hashed a piece at a time, not held)."""
    try:
        stamp = _stamp_in(cache_file(path, part))
        st = path.stat()
    except _Miss:
        return False
    except OSError:
        return True  # the read that follows says what is wrong with the file
    return stamp[:4] == (VERSION, str(path.resolve()), st.st_size, st.st_mtime_ns)


class Reader:
    """The cached parts of one file's content, each loaded when first asked for.

    On any miss the file is read and everything built once (`build(data)`), every part
    written, and the parts served from memory for the rest of the process. A part named
    in `derive` is made on its own when first asked for (`derive[part](reader)`). Given `data`
    (bytes read under a write's lock), the parts are those of exactly these bytes. `probe`,
    a part most commands read, tells at once whether the file changed since it was written.
    """

    def __init__(
        self,
        path: Path,
        build: Callable[[bytes], dict[str, Any]],
        data: bytes | None = None,
        derive: Mapping[str, Callable[[Reader], Any]] | None = None,
        probe: str | None = None,
    ) -> None:
        self.path = path
        self.build = build
        self.derive = derive or {}
        self.stamp: tuple[Any, ...] | None = None
        self.parts: dict[str, Any] = {}
        if enabled() and data is None and probe is not None and not _may_hold(path, probe):
            data = files.read_bytes(path)  # changed for sure: read once, whole, for the build
        self.data = data
        if enabled():
            self.stamp = _stamp(path, data)

    def holds(self, data: bytes) -> bool:
        """Whether this reader's parts are those of exactly these bytes (a write's, read
        under its lock), so that a write can use what a read before it loaded."""
        return self.stamp is not None and self.stamp == _stamp(self.path, data)

    def get(self, part: str) -> Any:
        if part not in self.parts:
            if self.stamp is not None:
                target = cache_file(self.path, part)
                with contextlib.suppress(_Miss):
                    if self.data is not None and _stamp_in(target) == self.stamp:
                        self.data = None  # the cache holds these bytes: no build needs them
                    self.parts[part] = _load(target, self.stamp, part)
                    return self.parts[part]
            if part in self.derive:
                self.parts[part] = value = self.derive[part](self)
                if self.stamp is not None:
                    _store(self.path, self.stamp, part, value)
            else:
                self._build()
        return self.parts[part]

    def _build(self) -> None:
        data = self.data
        if data is None:  # dropped after a hit: read again, and stamp what is read
            data = files.read_bytes(self.path)
            if self.stamp is not None:
                self.stamp = _stamp(self.path, data)
        built = self.build(data)
        self.data = None
        del data  # the file's bytes are not needed to write or serve the parts
        if self.stamp is not None:
            for name, value in built.items():
                _store(self.path, self.stamp, name, value)
        if BLOB in built and not isinstance(built[BLOB], (bytes, memoryview)):
            blob: Any = None
            if self.stamp is not None:  # served from the file just written, not a copy
                with contextlib.suppress(_Miss):
                    blob = _load(cache_file(self.path, BLOB), self.stamp, BLOB)
            built[BLOB] = b"".join(built[BLOB]) if blob is None else blob
        self.parts.update(built)


def cached(path: Path, part: str, build: Callable[[bytes], T]) -> T:
    """One part on its own, for results that need a parse of their own (lint)."""
    return Reader(path, lambda data: {part: build(data)}, probe=part).get(part)
