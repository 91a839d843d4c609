"""A parse cache: what reading a bib file produces, kept in the platformdirs cache folder.

A cached build is keyed by the bib file's resolved path and trusted only while the
file's size, modification time and content hash (SHA-256) are all unchanged; every
part carries that stamp. The file stays the one source of truth: the cache only
mirrors it, is safe to delete, and a corrupt or foreign cache file is ignored and
rebuilt. Parts are stored apart so that a command loads only what it needs: `marshal`
for plain values (loading runs no code); the per-paper records (a Blob, memory-mapped)
and the search texts are stored chunk by chunk, each chunk in a file named by its
content, so that a build writes only the chunks it made.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import marshal
import mmap
import os
import struct
import threading
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import accumulate, chain
from pathlib import Path
from typing import Any, TypeVar

from ke_papers import config, files
from ke_papers.errors import KePapersError, display_path

#: Bump when the shape of what is cached changes.
VERSION = 17
ENV_DISABLE = "KE_PAPERS_NO_CACHE"
#: The part stored as a Blob: bytes in chunks, each chunk memory-mapped from a file of its
#: own named by its content, never unmarshalled.
BLOB = "records"
#: A Blob's chunks are about this big (a new batch is cut at record ends to it): few
#: enough that their memory maps (each holds a file descriptor) stay well under any limit.
BLOB_CHUNK = 4 << 20
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
        digest, st = hashlib.sha256(data).digest(), files.status(path)
    return (VERSION, str(path.resolve()), st.st_size, st.st_mtime_ns, digest.hex())


class Stamp:
    """The stamp of a file (or of `data`, its bytes), hashed on a thread of its own:
    SHA-256 lets go of the GIL, so that a part is loaded (or a write's document placed)
    meanwhile, to be served only once the stamp agrees. A problem reading the file is raised where
    the stamp is asked for."""

    def __init__(self, path: Path, data: bytes | None = None) -> None:
        self._value: tuple[Any, ...] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, args=(path, data), daemon=True)
        self._thread.start()

    def _work(self, path: Path, data: bytes | None) -> None:
        try:
            self._value = _stamp(path, data)
        except BaseException as exc:  # raised again by `value`
            self._error = exc

    def value(self) -> tuple[Any, ...]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


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
        return {part: _load(cache_file(path, part), lambda: stamp, part) for part in parts}
    except _Miss:
        return None


def _load(
    target: Path, stamp: Callable[[], tuple[Any, ...]], part: str, likely: bool = False
) -> Any:
    """A part, if it was written for this stamp and its bytes are the ones written.

    When the part is `likely` the file's (written for its size and mtime), it is loaded
    first and `stamp()` (still being hashed, perhaps) asked only then.
    Every part carries a CRC-32 of its payload: a part damaged on disk (a flipped bit)
    is a miss and is rebuilt, never read as data.
    """
    expected = None if likely else stamp()  # a problem reading the file is no miss
    try:
        with target.open("rb") as fh:
            (size,) = struct.unpack("<Q", fh.read(8))
            stored, length, crc = marshal.loads(fh.read(size))
            if expected is not None and stored != expected:
                raise _Miss
            payload = fh.read()
        if len(payload) != length or _crc([payload]) != crc:
            raise _Miss
        value = marshal.loads(payload)
        if part == BLOB:
            value = Blob([_mapped(target, cid) for cid in value], value)
        elif isinstance(value, dict) and IDS in value:
            value[CHUNKS] = {
                name: [_chunk(target, cid) for cid in ids] for name, ids in value[IDS].items()
            }
    except _Miss:
        raise
    except Exception:  # missing, truncated, corrupt, or another version
        raise _Miss from None
    if likely and stored != stamp():
        raise _Miss
    return value


def _chunk_file(target: Path, cid: str) -> Path:
    return target.with_name(f"{target.name}.{cid}")


def _checked(where: Path, data: bytes | memoryview, inode: int) -> memoryview:
    """A stored chunk's payload, if its bytes are the ones written. A damaged chunk (short,
    cut, a flipped bit) is removed, unless another writer has replaced it meanwhile, so
    that the next build stores it again; it is a miss."""
    payload = memoryview(data)[12:]
    if len(data) < 12 or struct.unpack("<QI", data[:12]) != (len(payload), _crc([payload])):
        with contextlib.suppress(OSError):
            if os.stat(where).st_ino == inode:
                where.unlink()
        raise _Miss
    return payload


def _chunk(target: Path, cid: str) -> str:
    """A stored chunk of text."""
    where = _chunk_file(target, cid)
    with where.open("rb") as fh:
        data, inode = fh.read(), os.fstat(fh.fileno()).st_ino
    return bytes(_checked(where, data, inode)).decode("utf-8", "surrogatepass")


def _mapped(target: Path, cid: str) -> memoryview:
    """A stored chunk of a Blob, memory-mapped (an empty file cannot be: it is damaged)."""
    where = _chunk_file(target, cid)
    with where.open("rb") as fh:
        inode = os.fstat(fh.fileno()).st_ino
        try:
            mapped: bytes | mmap.mmap = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:
            mapped = b""
    return _checked(where, memoryview(mapped), inode)


def _keep(where: Path, payload: Callable[[], bytes | memoryview]) -> None:
    """A chunk in its file: touched when it is there whole (its removal waits a while
    from now), written when it is not."""
    try:
        with where.open("rb") as fh:
            head = fh.read(12)
            whole = len(head) == 12 and os.fstat(fh.fileno()).st_size == 12 + int.from_bytes(
                head[:8], "little"
            )
        if whole:
            os.utime(where)
            return
    except OSError:
        pass
    data = payload()
    head = struct.pack("<QI", len(data), _crc([data]))
    files.write_quietly(where, [head, *_steps([data])], tidy=False)


def _store(path: Path, stamp: tuple[Any, ...], part: str, value: Any) -> None:
    """Write a part: its chunks not stored yet, then the part itself (which names them),
    then away with the chunks of this part that no part names any longer."""
    target = cache_file(path, part)
    named: set[str] = set()

    def keep(cid: str, payload: Callable[[], bytes | memoryview]) -> None:
        where = _chunk_file(target, cid)
        named.add(where.name)
        _keep(where, payload)

    if isinstance(value, Blob):
        for k, chunk in enumerate(value.chunks):
            cid = value.ids[k] = value.ids[k] or _name(chunk)
            keep(cid, functools.partial(bytes, chunk))
        stored: Any = value.ids
    elif isinstance(value, dict) and CHUNKS in value:
        for name, chunks in value[CHUNKS].items():
            ids = value[IDS][name]
            for k, text in enumerate(chunks):
                if ids[k] is None:  # made now: named by its bytes, written if new
                    data = _encoded(text)
                    ids[k] = _name(data)
                    keep(ids[k], functools.partial(bytes, data))
                else:  # shared with the last build: encoded only if its file is gone
                    keep(ids[k], functools.partial(_encoded, text))
        stored = {k: v for k, v in value.items() if k != CHUNKS}
    else:
        files.write_quietly(target, _dump(stamp, part, value))
        return
    if files.write_quietly(target, _dump(stamp, part, stored)):
        _forget(target, named)


def _store_all(path: Path, stamp: tuple[Any, ...], parts: Mapping[str, Any]) -> None:
    """Write the parts side by side: hashing, checksums and writes let the other thread
    run, so a big build's hundreds of MB go out in about the time of the biggest part."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        for done in [
            pool.submit(_store, path, stamp, name, value) for name, value in parts.items()
        ]:
            done.result()


def _encoded(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _name(data: bytes | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def _forget(target: Path, named: set[str]) -> None:
    """Remove this file's stored chunks that `named` lacks and that are old enough."""
    import glob
    import time

    files.remove_stale(target, names=f"{target.name}.")  # of chunk writers that died
    pattern = f"{glob.escape(target.name)}.*"
    for stale in target.parent.glob(pattern):
        if stale.name not in named:
            with contextlib.suppress(OSError):
                if time.time() - stale.stat().st_mtime > STALE_CHUNKS:
                    stale.unlink()


def _dump(stamp: tuple[Any, ...], part: str, value: Any) -> Iterator[bytes | memoryview]:
    """A part as the buffers to write."""
    payload = marshal.dumps(value)
    head = marshal.dumps((stamp, len(payload), _crc([payload])))
    return chain([struct.pack("<Q", len(head)) + head], _steps([payload]))


class Blob:
    """Bytes in chunks, each stored in a file of its own named by its content and
    memory-mapped when read: a build that shares most chunks with the last one writes
    only the chunks it made. Sliced like bytes."""

    def __init__(self, chunks: Sequence[bytes | memoryview], ids: Sequence[str | None]) -> None:
        self.chunks = list(chunks)
        self.ids: list[str | None] = list(ids)
        self.bases = array("q", [0, *accumulate(map(len, self.chunks))])

    @classmethod
    def of(cls, pieces: Iterable[tuple[bytes | memoryview, str | None]]) -> Blob:
        """A Blob of these pieces (each with its stored name, if any): big ones kept as they
        are, small neighbours joined into one chunk."""
        chunks: list[bytes | memoryview] = []
        ids: list[str | None] = []
        group: list[bytes | memoryview] = []
        size = 0
        for view, cid in pieces:
            if len(view) >= BLOB_CHUNK // 2:
                chunks += [b"".join(group)] if group else []
                ids += [None] if group else []
                group, size = [], 0
                chunks.append(view)
                ids.append(cid)
            elif len(view):
                group.append(view)
                size += len(view)
                if size >= BLOB_CHUNK:
                    chunks.append(b"".join(group))
                    ids.append(None)
                    group, size = [], 0
        if group:
            chunks.append(b"".join(group))
            ids.append(None)
        return cls(chunks, ids)

    def __len__(self) -> int:
        return self.bases[-1]

    def __getitem__(self, at: slice) -> bytes:
        start, stop, _ = at.indices(len(self))
        return b"".join(view for view, _ in self.pieces(start, stop))

    def pieces(self, start: int, stop: int) -> list[tuple[bytes | memoryview, str | None]]:
        """The bytes from `start` to `stop` as chunks: whole ones with their stored names,
        the ones at the edges sliced."""
        out: list[tuple[bytes | memoryview, str | None]] = []
        k = bisect_right(self.bases, start) - 1
        while start < stop:
            chunk, base = self.chunks[k], self.bases[k]
            end = min(stop, base + len(chunk))
            if start == base and end == base + len(chunk):
                out.append((chunk, self.ids[k]))
            else:
                out.append((memoryview(chunk)[start - base : end - base], None))
            start, k = end, k + 1
        return out


def _may_hold(path: Path, part: str, unknown: bool = True) -> bool:
    """Whether the part was written for a file of this size and mtime: only then can it
    hold the file's content (and the file is hashed a piece at a time, not held). A
    file that cannot be looked at is `unknown`."""
    try:
        stamp = _stamp_in(cache_file(path, part))
        st = path.stat()
    except _Miss:
        return False
    except OSError:
        return unknown  # the read that follows says what is wrong with the file
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
        stamp: Stamp | None = None,
    ) -> None:
        """`stamp`, when the caller has started it, is that of `data`."""
        self.path = path
        self.build = build
        self.derive = derive or {}
        self._stamp: tuple[Any, ...] | Stamp | None = None
        self.parts: dict[str, Any] = {}
        if enabled() and data is None and probe is not None and not _may_hold(path, probe):
            data = files.read_bytes(path)  # changed for sure: read once, whole, for the build
        self.data = data
        if enabled():
            self._stamp = stamp or Stamp(path, data)

    @property
    def stamp(self) -> tuple[Any, ...] | None:
        """What the parts served are trusted for (None: the cache is not used)."""
        if isinstance(self._stamp, Stamp):
            self._stamp = self._stamp.value()
        return self._stamp

    @property
    def size(self) -> int | None:
        """The size of the file its parts are those of (None: the cache is not used)."""
        stamp = self.stamp
        return None if stamp is None else stamp[2]

    def _stamped(self) -> tuple[Any, ...]:
        stamp = self.stamp
        assert stamp is not None
        return stamp

    def get(self, part: str) -> Any:
        if part not in self.parts:
            if self._stamp is not None:
                target = cache_file(self.path, part)
                with contextlib.suppress(_Miss):
                    # Written for this size and mtime: loaded while the file is hashed.
                    likely = _may_hold(self.path, part, unknown=False)
                    self.parts[part] = _load(target, self._stamped, part, likely)
                    self.data = None  # the cache holds these bytes: no build needs them
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
                served, self._stamp = self.stamp, _stamp(self.path, data)
                if self.parts and self.stamp != served:  # parts of two files must not mix
                    raise KePapersError(
                        f"{display_path(self.path)}: the file changed while it was read; "
                        "run the command again"
                    )
        built = self.build(data)
        self.data = None
        del data  # the file's bytes are not needed to write or serve the parts
        if self.stamp is not None:
            _store_all(self.path, self.stamp, built)
        self.parts.update(built)


def cached(path: Path, part: str, build: Callable[[bytes], T]) -> T:
    """One part on its own, for results that need a parse of their own (lint)."""
    return Reader(path, lambda data: {part: build(data)}, probe=part).get(part)
