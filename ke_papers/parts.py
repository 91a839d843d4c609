"""What the parse cache keeps of a bib file, and how a build reuses the last one.

A build cuts the file into pieces (`blocks.cut`) and reuses, for every piece whose bytes
it has seen, what the last build derived from it (records, columns, search texts, the
layers' own parts), as long as the @strings the piece uses still mean the same. Only
new and changed pieces go through `store.parse` (bibtexparser stays the parser of
record); pieces that define @strings or whose entries read other entries (crossref,
xdata) are parsed every time. A file that does not parse piece by piece is parsed
whole, so that its error and line are the ones a full parse gives.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import gc
import marshal
import operator
import os
import signal
import sys
import tempfile
import threading
import warnings
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, chain, repeat
from pathlib import Path
from typing import Any, BinaryIO

from ke_papers import blocks, cache, identity, search, store
from ke_papers.errors import BibError, KePapersError, display_path
from ke_papers.latex import fold
from ke_papers.model import Paper

#: Per-paper lists of the `meta` part (and `lines`, which is not the pieces' own).
LISTS = ("keys", "years", "taxonomy", "folded_taxonomy", "arxiv", "doi", "title", "undefined")
FIELDS = tuple(search.WEIGHTS)


#: What the cache keeps per piece: the macros its values use and what they meant, its
#: number of entries, whether it is parsed every time, its start line, its size in
#: bytes, and its blocks (start, end in bytes, kind, line from its start), so that a
#: write can place every block without a parse or a decode.
PER_PIECE = ("uses", "counts", "volatile", "lines", "sizes", "layout")
_ARRAYS = {"counts": "l", "volatile": "b", "lines": "q", "sizes": "q"}


@dataclass
class _Run:
    """Consecutive pieces of the new file: the last build's pieces `old` (a range of its
    pieces, now `shift` lines further down), or pieces parsed now (their `papers`, and
    per piece what the cache keeps of it in `each`)."""

    old: tuple[int, int] | None = None
    shift: int = 0
    papers: list[Paper] = field(default_factory=list)
    #: The columns of pieces parsed now, already derived (their papers let go), in
    #: batches: each with its pieces' values under "each".
    batches: list[dict[str, Any]] | None = None
    #: How often each token occurs in the index texts of the papers parsed now.
    counted: Counter[str] = field(default_factory=Counter)
    each: dict[str, list[Any]] = field(default_factory=lambda: {k: [] for k in PER_PIECE})


@dataclass(frozen=True)
class _Input:
    """The file a build reads: its path, bytes, encoding and pieces."""

    path: Path
    data: bytes
    encoding: str
    pieces: blocks.Pieces

    def texts(self, indices: list[int]) -> list[str]:
        return [self.data[slice(*self.pieces.span(i))].decode(self.encoding) for i in indices]


class _Old:
    """The last build's parts, and where each of its pieces' papers stand."""

    def __init__(self, parts: dict[str, Any]) -> None:
        self.parts = parts
        self.pieces: dict[str, Any] = parts["pieces"]
        self.each: dict[str, Any] = {
            k: array(_ARRAYS[k], self.pieces[k]) if k in _ARRAYS else self.pieces[k]
            for k in PER_PIECE
        }
        self.first = [0, *accumulate(self.each["counts"])]
        self.offsets = array("q", parts["meta"]["offsets"])
        index = parts["index"]
        self.starts = {f: array("q", index["starts"][f]) for f in FIELDS}
        self.lengths = {f: array("l", index["lengths"][f]) for f in FIELDS}
        self.chunks: dict[str, list[str]] = index[cache.CHUNKS]
        self.bases = {f: search.value_starts(self.chunks[f]) for f in FIELDS}
        #: What each stored chunk is named: a chunk the new index shares keeps its name.
        self.stored = {
            id(c): n
            for f in FIELDS
            for c, n in zip(self.chunks[f], index[cache.IDS][f], strict=True)
        }

    @classmethod
    def load(cls, path: Path) -> _Old | None:
        parts = cache.previous(path, ["pieces", "meta", "records", "index"])
        try:
            return None if parts is None else cls(parts)
        except (KeyError, TypeError, ValueError):  # another shape: build afresh
            return None

    def where(self) -> dict[bytes, int]:
        digests, size = self.pieces["digests"], blocks.DIGEST_SIZE
        return {digests[i : i + size]: i // size for i in range(0, len(digests), size)}

    def texts(self, a: int, b: int) -> dict[str, str]:
        """The index text of papers a..b, per field (values joined by newlines)."""
        return {f: "\n".join(self.spanned(f, self.span(f, a, b))) for f in FIELDS}

    def spanned(self, f: str, span: tuple[int, int]) -> list[str]:
        return search.spanned(self.chunks[f], self.bases[f], *span)

    def span(self, f: str, a: int, b: int) -> tuple[int, int]:
        """Where the values of papers a..b stand in a field's index text."""
        starts, chunks = self.starts[f], self.chunks[f]
        return starts[a], starts[b] - 1 if b < len(starts) else self.bases[f][-1] + len(chunks[-1])


def build(path: Path, data: bytes) -> dict[str, Any]:
    """Every part of the parse cache for these bytes, reusing the last build where it can.

    A file read for the first time, or that was UTF-8, is UTF-8 if every piece parsed now
    decodes as UTF-8 (the others did before; the cuts are ASCII, so a piece never splits
    a character): the file is not decoded whole first. Otherwise the whole file decides
    its encoding again."""
    pieces = blocks.cut(data)
    old = _Old.load(path)
    with collector_paused():
        if old is None or old.parts["meta"]["encoding"] == "utf-8":
            with contextlib.suppress(UnicodeDecodeError):
                return _build(path, data, "utf-8", pieces, old)
        encoding = store.encoding_of(data, path)
        if old is not None and old.parts["meta"]["encoding"] != encoding:
            old = None  # every piece reads differently now
        return _build(path, data, encoding, pieces, old)


def _build(
    path: Path,
    data: bytes,
    encoding: str,
    pieces: blocks.Pieces,
    old: _Old | None,
) -> dict[str, Any]:
    try:
        runs, defined = _runs(_Input(path, data, encoding, pieces), old)
    except BibError:
        # The error a reader sees is the whole file's: same message, same line. (Bytes
        # that are not in the encoding guessed raise here, and `build` decides it again.)
        text = data.decode(encoding)
        doc = store.parse(text, path, encoding=encoding, duplicates_ok=True)
        whole = _Run(papers=doc.papers)
        runs, defined, pieces, old = [whole], doc.defined, blocks.cut(b""), None
    _resolve(runs, old)
    parts = _assemble(runs, old, pieces)
    parts["meta"]["duplicate_keys"] = _duplicates(parts["meta"], defined)
    parts["meta"]["encoding"] = encoding
    return parts


def _runs(src: _Input, old: _Old | None) -> tuple[list[_Run], list[tuple[int, str]]]:
    """The file as runs of reused and parsed pieces, and the @strings it defines."""
    pieces = src.pieces
    where = old.where() if old else {}
    table: dict[str, str] = {}
    runs: list[_Run] = []
    defined: list[tuple[int, str]] = []
    pending: list[int] = []
    meant: dict[Any, bool] = {}  # uses -> whether they still mean the same, for this table

    eager: list[bool] = []  # whether batches may be made (asked only for big parses)

    def batched() -> bool:
        """Whether batches may be made: the file decodes (a wrong guess of UTF-8 fails
        here, before most of the work) and no entry reads another."""
        if not eager:
            if src.encoding == "utf-8":  # a guess; other encodings decoded the whole file
                _decodes(src.data, src.encoding)
            eager.append(not _reads_others(src.data))
        return eager[0]

    def parse_pending() -> None:
        nonlocal table
        if not pending:
            return
        meant.clear()
        run, done = _Run(), None
        if len(pending) >= BATCH and (not eager or eager[0]):
            if len(pending) >= PARALLEL_AT and _may_fork():
                done = _shared(src, pending, table, defined, run.counted, batched)
            elif batched():
                done = _batches(src, pending, table, defined, run.counted)
        if done is None:  # entries may read others: all papers are kept until resolved
            table = _parse(src, pending, table, runs, defined)
        else:
            run.batches, table = done
            runs.append(run)
        pending.clear()

    for i in range(len(pieces)):
        j = where.get(pieces.digests[i]) if i not in pieces.strings else None
        if j is None or old is None or old.each["volatile"][j]:
            if i in pieces.strings:  # parsed alone: the strings below it depend on it
                parse_pending()
                pending.append(i)
                parse_pending()
            else:
                pending.append(i)
            continue
        parse_pending()
        uses = old.each["uses"][j]
        if uses and not _still(uses, table, meant):
            pending.append(i)
            continue
        last = runs[-1] if runs else None
        if last is not None and last.old is not None and last.old[1] == j:
            last.old = (last.old[0], j + 1)  # the next piece of the old file, lines alike
        else:
            runs.append(_Run(old=(j, j + 1), shift=pieces.line(i) - old.each["lines"][j]))
    parse_pending()
    return runs, defined


def _parse(
    src: _Input,
    indices: list[int],
    table: dict[str, str],
    runs: list[_Run],
    defined: list[tuple[int, str]],
) -> dict[str, str]:
    """Parse consecutive pieces in one go; their papers join the runs. Returns the
    @strings defined after them."""
    pieces = src.pieces
    texts = src.texts(indices)
    starts = [0, *accumulate(map(len, texts))]
    doc = store.parse(
        "".join(texts),
        src.path,
        encoding=src.encoding,
        duplicates_ok=True,
        strings=table,
        resolve=False,
    )
    lines = [pieces.line(i) for i in indices]  # in file order: the file is counted once
    first = lines[0]
    by_piece: list[list[Paper]] = [[] for _ in indices]
    layout: list[list[tuple[int, int, str, int]]] = [[] for _ in indices]
    sizes = [end - start for start, end in map(pieces.span, indices)]

    last = (-1, 0, 0)  # the piece, character and byte last asked for (they come in order)

    def offset(k: int, at: int) -> int:
        """Where character `at` of the batch stands in piece k, in bytes (a piece may hold
        many blocks: only the text since the last place asked is encoded)."""
        nonlocal last
        rel = at - starts[k]
        if len(texts[k]) == sizes[k]:  # one byte to each character
            return rel
        _, char, byte = last if last[0] == k and last[1] <= rel else (k, 0, 0)
        last = (k, rel, byte + len(texts[k][char:rel].encode(src.encoding)))
        return last[2]

    for chunk in doc.chunks:
        k = bisect_right(starts, chunk.start) - 1
        line = first + chunk.line - 1 - lines[k]
        layout[k].append((offset(k, chunk.start), offset(k, chunk.end), chunk.kind, line))
    for paper in doc.papers:
        k = bisect_right(starts, doc.chunks[paper.chunk or 0].start) - 1
        paper.line = first + (paper.line or 1) - 1
        paper.chunk = None
        by_piece[k].append(paper)
    defined += [(first + line - 1, key) for line, key in doc.defined]
    run = _Run()
    runs.append(run)
    for k, i in enumerate(indices):
        papers = by_piece[k]
        volatile = i in pieces.strings or any(map(store.is_child, papers))
        run.papers += papers
        each = run.each
        each["uses"].append(() if volatile else _uses(papers, table))
        each["counts"].append(len(papers))
        each["volatile"].append(int(volatile))
        each["lines"].append(lines[k])
        each["sizes"].append(sizes[k])
        each["layout"].append(tuple(layout[k]))
    return doc.strings


#: Pieces to parse at once that two processes share (on a first read).
PARALLEL_AT = 2000
#: Pieces parsed together, their papers turned into columns and let go before the next;
#: the share of work the two processes take from their queue one at a time.
BATCH = 2000
#: At most this many shares: their numbers (4 bytes each) must fit in a pipe's buffer,
#: which is a page (4 KiB) at the least.
SHARES = 1024
#: The last shares are this small (about 20 ms of work), so neither process waits long.
SMALLEST_SHARE = 100
#: How the child of a shared parse tells that a piece did not parse, or did not decode.
_UNPARSED, _UNDECODED = 2, 3


def _decodes(data: bytes, encoding: str) -> None:
    """Raise UnicodeDecodeError unless the bytes decode in `encoding` (checked a step at
    a time: no text of the whole file is made)."""
    if data.isascii():
        return
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    for at in range(0, len(data), cache.STEP):
        decoder.decode(view[at : at + cache.STEP])
    decoder.decode(b"", final=True)


def _reads_others(data: bytes) -> bool:
    """Whether some entry may read another entry's fields (a `crossref` or `xdata` field):
    then papers are kept until all are parsed. A word search, not a regular expression
    that ignores case, which would crawl over a big file."""
    low = data.lower()
    for word in (b"crossref", b"xdata"):
        at = low.find(word)
        while at >= 0:
            if low[at + len(word) : at + len(word) + 80].lstrip()[:1] == b"=":
                return True
            at = low.find(word, at + 1)
    return False


def _may_fork() -> bool:
    """Whether a big parse can be shared with a second process: there is a second core,
    and every other thread of this process is a daemon (on a terminal, the spinner's).
    The child only parses and writes to its scratch file, so it takes no lock such a
    thread may hold (and Python resets its import and logging locks in a child)."""
    others = [t for t in threading.enumerate() if t is not threading.current_thread()]
    return hasattr(os, "fork") and (os.cpu_count() or 1) > 1 and all(t.daemon for t in others)


def _batches(
    src: _Input,
    indices: list[int],
    table: dict[str, str],
    defined: list[tuple[int, str]],
    counted: Counter[str],
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Parse pieces a batch at a time, each batch's papers turned into columns at once
    (memory holds the columns, not the papers), their tokens counted into `counted`.
    Returns the columns and the @strings after."""
    done = []
    for k in range(0, len(indices), BATCH):
        runs: list[_Run] = []
        table = _parse(src, indices[k : k + BATCH], table, runs, defined)
        done.append(_batch(runs[0], counted))
    return done, table


def _batch(run: _Run, counted: Counter[str]) -> dict[str, Any]:
    """The columns of a run of parsed pieces, with the pieces' own values under "each"."""
    columns = _new_columns(run.papers, counted)
    columns["lines"] = [p.line or 0 for p in run.papers]
    columns["each"] = run.each
    return columns


def _shared(
    src: _Input,
    indices: list[int],
    table: dict[str, str],
    defined: list[tuple[int, str]],
    counted: Counter[str],
    ahead: Callable[[], bool],
) -> tuple[list[dict[str, Any]], dict[str, str]] | None:
    """`_batches` shared by this process and a child, each taking the next share of the
    pieces (none of which defines an @string) from a common queue until none is left:
    neither waits long for the other, however the machine's load falls. The child writes
    each share's columns to a scratch file as it goes. `ahead()` (whether batches may be
    made) is asked once the child has begun; None when not. A share that does not parse
    is a BibError; the shares of a child that died otherwise are parsed here."""
    shares = _shares(indices)
    queue, feed = os.pipe()
    os.write(feed, array("I", range(len(shares))).tobytes())  # fits: the pipe holds it all
    os.close(feed)  # an empty queue now reads as the end
    try:
        scratch = _scratch()
    except OSError:  # nowhere to put the child's columns: one process does it all
        os.close(queue)
        return _batches(src, indices, table, defined, counted) if ahead() else None
    with scratch:
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:  # no second process now (a limit on processes or memory)
            os.close(queue)
            return _batches(src, indices, table, defined, counted) if ahead() else None
        if pid == 0:  # the child: take shares, write their columns, leave without cleanup
            leaving = 0
            try:
                _quiet()
                # A parent killed outright takes nobody's results: stop with it.
                while os.getppid() == parent and (k := _take(queue)) is not None:
                    tokens: Counter[str] = Counter()
                    done = _batches(src, shares[k], table, [], tokens)[0]
                    _record(scratch, (k, _portable(done), dict(tokens)))
                scratch.flush()
            except BibError:
                leaving = _UNPARSED
            except UnicodeDecodeError:
                leaving = _UNDECODED
            except BaseException:
                leaving = 1
            os._exit(leaving)
        mine: dict[int, list[dict[str, Any]]] = {}
        inbox = _Inbox(scratch.fileno())
        # Linux grows a file's size only over bytes already written: what the child has
        # written can be read while it works. Elsewhere it is read once the child is gone.
        live = sys.platform == "linux"

        def receive() -> None:
            """What the child has written so far: read here while it works on."""
            for k, columns, tokens in inbox:
                mine[k] = [_restored(c) for c in columns]
                _add(counted, tokens)

        status: int | None = None  # the child's, once it is reaped
        try:
            if not ahead():  # the child's work so far is dropped
                os.kill(pid, signal.SIGKILL)
                return None
            while (k := _take(queue)) is not None:
                mine[k], table = _batches(src, shares[k], table, defined, counted)
                if live:
                    receive()
                reaped, code = os.waitpid(pid, os.WNOHANG)
                if reaped:
                    status = code
                    if code:  # the child failed: its error is the answer, and it is now
                        break
        except BaseException:
            if status is None:
                os.kill(pid, signal.SIGKILL)
            raise
        finally:
            os.close(queue)
            if status is None:
                _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code == _UNDECODED:
            raise UnicodeDecodeError(src.encoding, b"", 0, 0, "a piece the child read")
        if code == _UNPARSED:
            raise BibError(src.path, None, "cannot parse this file")
        receive()
        for k in range(len(shares)):  # the child died otherwise (killed, out of memory)
            if k not in mine:
                mine[k], table = _batches(src, shares[k], table, defined, counted)
    return [c for k in range(len(shares)) for c in mine[k]], table


def _shares(indices: list[int]) -> list[list[int]]:
    """The pieces in shares of a batch while much is left, then ever smaller ones (a
    quarter of what is left): both processes run out of work at about the same time."""
    most = max(BATCH, -(-len(indices) // (SHARES // 2)))  # never more shares than fit
    shares, start = [], 0
    while start < len(indices):
        size = min(most, max(SMALLEST_SHARE, (len(indices) - start) // 4))
        shares.append(indices[start : start + size])
        start += size
    return shares


def _quiet() -> None:
    """In a child: nothing it does may write to the terminal. A thread of the parent (the
    spinner) may have held the console's lock when it forked; that lock is never freed
    here, so a write would wait forever."""
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (open until _exit)
    warnings.simplefilter("ignore")


def _record(out: BinaryIO, value: Any) -> None:
    """One value on the scratch file, its length first (read back with one read)."""
    data = marshal.dumps(value)
    out.write(len(data).to_bytes(8, "little"))
    out.write(data)  # not joined to its length first: that would copy a share's columns


class _Inbox:
    """The values a child writes to a scratch file (`_record`), each read once it is
    whole. With pread, which leaves alone the file offset the child writes at."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.at = 0

    def __iter__(self) -> Iterator[Any]:
        end = os.fstat(self.fd).st_size
        while self.at + 8 <= end:
            length = int.from_bytes(os.pread(self.fd, 8, self.at), "little")
            if self.at + 8 + length > end:
                return  # still being written
            value = marshal.loads(os.pread(self.fd, length, self.at + 8))
            self.at += 8 + length
            yield value


def _take(queue: int) -> int | None:
    """The next share's number from the queue (a read this small from a pipe is whole),
    or None when the queue is empty."""
    got = os.read(queue, array("I").itemsize)
    return array("I", got)[0] if got else None


def _scratch() -> BinaryIO:
    """A file only this process and its child see, in memory where the system allows."""
    if hasattr(os, "memfd_create"):
        with contextlib.suppress(OSError):
            return os.fdopen(os.memfd_create("ke-papers-parse"), "w+b")
    return tempfile.TemporaryFile()


#: The columns of a batch that are arrays (bytes when they go from the child to here).
_ARRAY_COLUMNS = {"ends": "q"} | {
    f"{k}:{f}": "q" if k == "starts" else "l" for k in ("starts", "lengths") for f in FIELDS
}


def _portable(batches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Batches as marshal can write them: arrays as their bytes."""
    return [{k: v.tobytes() if isinstance(v, array) else v for k, v in c.items()} for c in batches]


def _restored(columns: dict[str, Any]) -> dict[str, Any]:
    """A batch as `_portable` wrote it, its arrays made again."""
    for key, kind in _ARRAY_COLUMNS.items():
        columns[key] = array(kind, columns[key])
    return columns


def _still(
    uses: tuple[tuple[str, str], ...], table: dict[str, str], meant: dict[Any, bool]
) -> bool:
    """Whether every macro in `uses` still means what it meant (remembered per uses)."""
    if uses not in meant:
        meant[uses] = all(store.expand(name, table) == value for name, value in uses)
    return meant[uses]


def _uses(papers: list[Paper], table: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The macros the papers' values use and what they meant: the piece is reused only
    while each still means the same."""
    names = {
        name
        for p in papers
        for raw in p.raw.values()
        if not (raw[:1] == "{" and raw[-1:] == "}")
        for name in store.macros(raw)
    }
    return tuple(sorted((name, store.expand(name, table)) for name in names))


def _resolve(runs: list[_Run], old: _Old | None) -> None:
    """Give parsed crossref/xdata children their parents' fields, wherever those stand."""
    children = [p for run in runs for p in run.papers if store.is_child(p)]
    if not children:
        return
    where: dict[str, tuple[_Run, int]] = {}
    for run in runs:
        keys = old.parts["meta"]["keys"][slice(*_papers_of(run, old))] if run.old and old else None
        for k in range(len(keys) if keys is not None else len(run.papers)):
            key = keys[k] if keys is not None else run.papers[k].key
            where[key.casefold()] = (run, k)
    built: dict[tuple[int, int], Paper] = {}

    def find(key: str) -> Paper | None:
        if key not in where:
            return None
        run, k = where[key]
        if run.old is None or old is None:
            return run.papers[k]
        at = (id(run), k)
        if at not in built:
            built[at] = _old_paper(old, _papers_of(run, old)[0] + k)
        return built[at]

    store.resolve_crossrefs(children, find)


def _papers_of(run: _Run, old: _Old) -> tuple[int, int]:
    """The range of the old file's papers a reused run holds."""
    assert run.old is not None
    return old.first[run.old[0]], old.first[run.old[1]]


def _old_paper(old: _Old, i: int) -> Paper:
    return Paper.from_record(old.parts["records"][old.offsets[i] : old.offsets[i + 1]])


def _new_columns(papers: list[Paper], counted: Counter[str]) -> dict[str, Any]:
    """The per-paper columns of papers parsed now; their tokens are counted in `counted`."""
    ids = [identity.Keys.of(p) for p in papers]
    values = [search.field_values(p) for p in papers]
    records = [p.record() for p in papers]
    columns: dict[str, Any] = {
        "keys": [p.key for p in papers],
        "years": [p.year or 0 for p in papers],
        "taxonomy": [p.taxonomy for p in papers],
        "folded_taxonomy": [fold(" / ".join(p.taxonomy)) for p in papers],
        "arxiv": [i.arxiv for i in ids],
        "doi": [i.doi for i in ids],
        "title": [i.title for i in ids],
        "undefined": [tuple(p.undefined_macros) or None for p in papers],  # None: loads fast
        "code": bytes(p.has_code for p in papers),
        "records": b"".join(records),
        "ends": array("q", accumulate(map(len, records))),
    }
    for k, f in enumerate(FIELDS):
        column = [v[k] for v in values]
        columns["text:" + f] = "\n".join(column)
        columns["starts:" + f] = search.value_starts(column)
        found = list(map(search.index_tokens, column))  # each value's tokens, found once
        columns["lengths:" + f] = array("l", map(len, found))
        counted.update(chain.from_iterable(found))
    return columns


def _cut(data: bytes, ends: Sequence[int]) -> Iterator[tuple[memoryview, None]]:
    """The records of papers parsed now, cut at records' ends into pieces of about
    BLOB_CHUNK bytes (`ends`: where each record ends in `data`)."""
    view, start = memoryview(data), 0
    while len(data) - start > 2 * cache.BLOB_CHUNK:
        cut = ends[bisect_left(ends, start + cache.BLOB_CHUNK)]
        yield view[start:cut], None
        start = cut
    yield view[start:], None


def _moved(numbers: Iterable[int], by: int) -> Iterator[int]:
    """Each number plus `by` (positions and lines of reused parts), at C speed."""
    return map(operator.add, numbers, repeat(by))


def _old_columns(old: _Old, a: int, b: int, shift: int, bases: dict[str, int]) -> dict[str, Any]:
    """The per-paper columns of the last build's papers a..b, as slices of its parts;
    lines moved by `shift`, positions in the index texts moved to `bases`."""
    meta, offsets = old.parts["meta"], old.offsets
    columns: dict[str, Any] = {name: meta[name][a:b] for name in LISTS}
    columns["lines"] = _moved(meta["lines"][a:b], shift)
    columns["code"] = meta["code"][a:b]
    columns["records"] = (offsets[a], offsets[b])  # shared by `take`, not copied
    columns["ends"] = offsets[a + 1 : b + 1]  # from the old start: `take` moves them
    for f in FIELDS:
        move = bases[f] - old.starts[f][a]
        columns["text:" + f] = old.span(f, a, b)  # sliced when the field is joined
        columns["starts:" + f] = array("q", _moved(old.starts[f][a:b], move))
        columns["lengths:" + f] = old.lengths[f][a:b]
    return columns


class _Vocabulary:
    """How often each token occurs in the index: the last build's counts, less the papers
    it had that are gone, plus the papers parsed now; counted afresh when most are new."""

    def __init__(self, old: _Old | None) -> None:
        self.old = old
        self.size = len(old.parts["meta"]["keys"]) if old else 0
        self.kept: list[tuple[int, int]] = []
        #: The token counts of the papers parsed now, counted run by run.
        self.new: list[Counter[str]] = []

    def tokens(self) -> tuple[array[int], str]:
        """The new index's vocabulary (sorted, space-separated), and how often each of
        its tokens occurs, in the same order."""
        old = self.old
        times = array("l", [0]) * (self.size + 1)
        for a, b in self.kept:  # how often each old paper is in the new file
            times[a] += 1
            times[b] -= 1
        times = array("l", accumulate(times))
        fresh: Counter[str] = Counter()
        for counted in self.new:
            _add(fresh, counted)
        if old is None or times.count(1) * 4 < self.size * 3:  # most papers are new
            for a, b in self.kept:
                for text in old.texts(a, b).values() if old else ():
                    _count(fresh, text)
            words = sorted(fresh)  # every count here is above zero
            return array("q", map(fresh.__getitem__, words)), " ".join(words)
        change = fresh
        for i in range(self.size):
            if times[i] != 1:
                for text in old.texts(i, i + 1).values():
                    for _ in range(abs(times[i] - 1)):  # gone, or standing twice now
                        _count(change, text, sign=1 if times[i] else -1)
        vocabulary: str = old.parts["index"]["vocabulary"]
        counts = array("q", old.pieces["counted"])
        change = Counter({token: n for token, n in change.items() if n})
        if not change:
            return counts, vocabulary
        words = vocabulary.split()
        for token, n in sorted(change.items()):
            at = bisect_left(words, token)
            if at < len(words) and words[at] == token:
                counts[at] += n
                if counts[at] <= 0:
                    del words[at], counts[at]
            elif n > 0:
                words.insert(at, token)
                counts.insert(at, n)
        return counts, " ".join(words)


def _add(counts: Counter[str], more: Mapping[str, int]) -> None:
    """`counts.update(more)` at C speed (Counter adds a mapping in a Python loop): each
    token's sum is read before it is stored, and `more` holds each token once."""
    tokens = list(more)
    sums = map(operator.add, map(counts.get, tokens, repeat(0)), more.values())
    dict.update(counts, zip(tokens, sums, strict=True))


def _count(counts: Counter[str], text: str, size: int = 1 << 20, sign: int = 1) -> None:
    """Count the tokens of `text` a slice at a time (memory stays flat on a big file)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start + size)
        end = len(text) if end < 0 else end
        found = search.index_tokens(text[start:end])
        if sign > 0:
            counts.update(found)
        else:
            counts.subtract(found)
        start = end + 1


def _assemble(runs: list[_Run], old: _Old | None, pieces: blocks.Pieces) -> dict[str, Any]:
    """The parts of the new file, run by run: slices of the old parts, columns of the new."""
    meta: dict[str, Any] = {name: [] for name in (*LISTS, "lines")}
    code, offsets = bytearray(), array("q", [0])
    records: list[tuple[bytes | memoryview, str | None]] = []  # pieces of the new Blob
    texts: dict[str, list[str | tuple[int, int]]] = {f: [] for f in FIELDS}
    starts = {f: array("q") for f in FIELDS}
    lengths = {f: array("l") for f in FIELDS}
    bases = dict.fromkeys(FIELDS, 0)
    vocabulary = _Vocabulary(old)
    each: dict[str, Any] = {k: array(_ARRAYS[k]) if k in _ARRAYS else [] for k in PER_PIECE}

    def take(columns: dict[str, Any], first_offset: int = 0) -> None:
        """Append one block of columns (reused or new) to the parts being built."""
        for name in (*LISTS, "lines"):
            meta[name] += columns[name]
        code.extend(columns["code"])
        if isinstance(columns["records"], tuple) and old is not None:
            records.extend(old.parts["records"].pieces(*columns["records"]))
        else:
            records.extend(_cut(columns["records"], columns["ends"]))
        offsets.extend(_moved(columns["ends"], offsets[-1] - first_offset))
        for f in FIELDS:
            text = columns["text:" + f]
            texts[f].append(text)
            starts[f] += columns["starts:" + f]
            bases[f] += (len(text) if isinstance(text, str) else text[1] - text[0]) + 1
            lengths[f] += columns["lengths:" + f]

    for run in runs:
        if run.old is not None and old is not None:
            j0, j1 = run.old
            for k in PER_PIECE:
                each[k] += old.each[k][j0:j1]
            each["lines"][-(j1 - j0) :] = array("q", _moved(old.each["lines"][j0:j1], run.shift))
            a, b = _papers_of(run, old)
            if a < b:
                vocabulary.kept.append((a, b))
                columns = _old_columns(old, a, b, run.shift, bases)
                take(columns, old.offsets[a])
            continue
        batches = run.batches if run.batches is not None else [_batch(run, run.counted)]
        vocabulary.new.append(run.counted)
        for columns in batches:
            for k in PER_PIECE:
                each[k] += (
                    array(_ARRAYS[k], columns["each"][k]) if k in _ARRAYS else columns["each"][k]
                )
            if columns["keys"]:
                for f in FIELDS:
                    columns["starts:" + f] = array("q", _moved(columns["starts:" + f], bases[f]))
                take(columns)
    meta["code"] = bytes(code)
    meta["offsets"] = offsets.tobytes()
    # Equal values as one object: the cache stores each once and loads it once.
    paths: dict[tuple[str, ...], list[str]] = {}
    meta["taxonomy"] = [paths.setdefault(tuple(t), t) for t in meta["taxonomy"]]
    for name, values in (("folded_taxonomy", meta), ("uses", each)):
        same: dict[Any, Any] = {}
        values[name] = [same.setdefault(v, v) for v in values[name]]

    def chunks(f: str) -> Iterator[str]:
        """A field's new text in chunks: the old chunks a run covers whole are shared."""
        for t in texts.pop(f):
            if isinstance(t, str):
                yield t
            elif old is not None:
                yield from old.spanned(f, t)

    joined = {f: search.compacted(chunks(f)) for f in FIELDS}
    stored = old.stored if old else {}
    counted, words = vocabulary.tokens()
    return {
        "pieces": {
            "digests": b"".join(pieces.digests),
            **{k: each[k].tobytes() if k in _ARRAYS else each[k] for k in PER_PIECE},
            "counted": counted.tobytes(),  # how often each token of the vocabulary occurs
        },
        "meta": meta,
        "records": cache.Blob.of(records),
        "index": {
            **search.Index.assemble(joined, starts, lengths, words),
            cache.IDS: {f: [stored.get(id(c)) for c in joined[f]] for f in FIELDS},
        },
    }


#: What a derived part keeps of the pieces it was made from, to reuse their values.
_MADE_FROM = ("digests", "uses", "volatile", "counts")


def derive(reader: cache.Reader, name: str, make: Callable[[Sequence[Paper]], list[Any]]) -> Any:
    """A part the layers above derive from the papers, one value per paper (`values`).

    It keeps what it knew of the pieces it was made from: its next version, built for a
    changed file when first asked for, reuses the values of every piece that reads the
    same now (same bytes, same macros, no crossref) and makes the others' from their
    records. A command that never asks for it never pays for it."""
    pieces, meta = reader.get("pieces"), reader.get("meta")
    offsets = array("q", meta["offsets"])
    counts, volatile = array("l", pieces["counts"]), pieces["volatile"]
    values: list[Any] = []
    todo: list[int] = []
    if sum(counts) == len(offsets) - 1:
        last = cache.previous(reader.path, [name])
        known = _known_values(last[name], meta["encoding"]) if last else {}
        digests, uses, size = pieces["digests"], pieces["uses"], blocks.DIGEST_SIZE
        for i, n in enumerate(counts):
            hit = None if volatile[i] else known.get((digests[i * size : (i + 1) * size], uses[i]))
            if hit is None or len(hit) != n:
                todo += range(len(values), len(values) + n)
                hit = [None] * n
            values += hit
    else:  # the file was parsed whole: no piece stands for its papers
        todo, values = list(range(len(offsets) - 1)), [None] * (len(offsets) - 1)
    records, lines = reader.get("records"), meta["lines"]
    for k in range(0, len(todo), BATCH):  # a batch of papers at a time: memory stays flat
        batch = todo[k : k + BATCH]
        papers = [Paper.from_record(records[offsets[i] : offsets[i + 1]], lines[i]) for i in batch]
        for i, value in zip(batch, make(papers), strict=True):
            values[i] = value
    made_from = {k: pieces[k] for k in _MADE_FROM}
    return {**made_from, "encoding": meta["encoding"], "values": values}


def _known_values(part: Any, encoding: str) -> dict[tuple[bytes, Any], list[Any]]:
    """The values a derived part's last version holds, per piece that may be reused (none
    when the file was decoded otherwise then: every piece reads differently now)."""
    try:
        if part["encoding"] != encoding:
            return {}
        values, volatile, size = part["values"], part["volatile"], blocks.DIGEST_SIZE
        digests, uses, counts = part["digests"], part["uses"], array("l", part["counts"])
        known, first = {}, 0
        for i, n in enumerate(counts):
            if not volatile[i]:
                known[digests[i * size : (i + 1) * size], uses[i]] = values[first : first + n]
            first += n
        return known if first == len(values) else {}
    except (KeyError, TypeError, ValueError, IndexError):  # another shape: make all
        return {}


class _Standin(Paper):
    """An entry of the file known by its key, line, place and section; the first read of
    anything else parses its block (alone, with the @strings above it)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or "_from" not in self.__dict__:
            raise AttributeError(name)
        source, table = self.__dict__["_from"]
        real = source.parse(self, table)  # an error here stays the answer to every read
        del self.__dict__["_from"]
        for attribute, value in real.__dict__.items():
            self.__dict__.setdefault(attribute, value)
        return getattr(self, name)


@dataclass
class _Source:
    """What a stand-in needs to parse its block: the file's text and its entries by key."""

    path: Path
    text: store.Undecoded
    chunks: list[store.Chunk]
    papers: list[Paper]

    def parse(self, paper: Paper, table: dict[str, str]) -> Paper:
        chunk = self.chunks[paper.chunk or 0]
        found = store.parse(self.text[chunk.start : chunk.end], self.path, strings=table).papers
        if len(found) != 1 or found[0].key != paper.key:
            raise KePapersError(
                f"{display_path(self.path)}:{chunk.line}: the parse cache is out of step "
                "with the file; run the command again (or set KE_PAPERS_NO_CACHE=1)"
            )
        real = found[0]
        if store.is_child(real):
            store.resolve_crossrefs([real], self.by_key.get)
        return real

    @functools.cached_property
    def by_key(self) -> dict[str, Paper]:
        """The entries by key, for a crossref child's parents (made when first needed)."""
        return {p.key.casefold(): p for p in self.papers}


def document(path: Path, data: bytes, known: cache.Reader | None = None) -> store.Document:
    """The document of these bytes for a write, from the parse cache (brought up to date
    for exactly these bytes): every block placed by the pieces' layout, every entry a
    stand-in that is parsed only if the write reads its fields, and the text kept as its
    bytes, decoded only where it is read. A file that is not safe to write (a duplicate
    key) is refused as a full parse refuses it. `known`, the reader of a read before the
    lock, most often holds these very bytes: its parts are used while they are hashed,
    and the document kept only if the hash agrees."""
    stamp = cache.Stamp(path, data) if cache.enabled() else None
    # A read of a file of another size cannot hold these bytes: not worth a try.
    if known is not None and stamp is not None and known.size == len(data):
        served = known.stamp
        try:
            doc = _read(path, data, known)
        except KePapersError:
            if served == stamp.value():
                raise  # the answer for these very bytes
        else:
            if served == stamp.value():
                return doc
    return _read(path, data, cache.Reader(path, lambda d: build(path, d), data=data, stamp=stamp))


def _read(path: Path, data: bytes, reader: cache.Reader) -> store.Document:
    meta, pieces = reader.get("meta"), reader.get("pieces")
    reader.data = None  # read or built: the reader need not keep the bytes any longer
    doc = None
    if not meta["duplicate_keys"] and sum(array("q", pieces["sizes"])) == len(data):
        # (A decode error: a block placed across a character.)
        with contextlib.suppress(UnicodeDecodeError), collector_paused():
            doc = _document(path, store.Undecoded(data, meta["encoding"]), meta, pieces)
    if doc is None:  # not safe to write, or the cache does not describe these bytes
        decoded, encoding = store.load_text(data, path)
        return store.parse(decoded, path, encoding=encoding)  # its error, or what it reads
    store.note_encoding(path, doc.encoding)
    return doc


def _document(
    path: Path, text: store.Undecoded, meta: dict[str, Any], pieces: dict[str, Any]
) -> store.Document | None:
    """The document, or None unless every entry's block, as placed, starts with `@` and
    ends with its closing brace (a stand-in checks its key when it is parsed)."""
    chunks: list[store.Chunk] = []
    papers: list[Paper] = []
    source = _Source(path, text, chunks, papers)
    table: dict[str, str] = {}
    keys, lines, taxonomy = meta["keys"], meta["lines"], meta["taxonomy"]
    # tuple.__new__ and a dict given whole: the fastest ways to make 100,000 of each.
    Chunk, make, new, standin = store.Chunk, tuple.__new__, _Standin.__new__, _Standin
    pos = 0
    starts = array("q", pieces["lines"])
    parsing = (source, table)
    for size, line, blocks_of_piece in zip(
        array("q", pieces["sizes"]), starts, pieces["layout"], strict=True
    ):
        for start, end, kind, rel in blocks_of_piece:
            chunk = make(Chunk, (pos + start, pos + end, kind, line + rel))
            if kind == "entry":
                i = len(papers)
                paper = new(standin)
                paper.__dict__ = {
                    "key": keys[i],
                    "line": lines[i],
                    "chunk": len(chunks),
                    "taxonomy": taxonomy[i],
                    "_from": parsing,
                }
                papers.append(paper)
            elif kind == "string":
                table = store.parse(text[chunk.start : chunk.end], strings=table).strings
                parsing = (source, table)
            chunks.append(chunk)
        pos += size
    if papers:  # each entry's first and last bytes, looked at in C
        # (One index more than the papers: even a single entry gives a tuple.)
        placed = operator.itemgetter(*map(operator.attrgetter("chunk"), papers), -1)(chunks)
        ends = list(map(operator.itemgetter(1), placed[:-1]))
        heads = list(map(operator.itemgetter(0), placed[:-1]))
        if not text.holds(heads, b"@") or not text.holds([e - 1 for e in ends], b"})"):
            return None
    ids = tuple(meta[kind] for kind in identity.KINDS)
    return store.Document(path, text, chunks, papers, table, encoding=text.encoding, ids=ids)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Building objects by the hundred thousand, none of them garbage: the cycle
    collector would only walk them over and over. What was built is then counted with
    the oldest objects (a freeze let go of at once), not walked by the next young pass."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()


def _duplicates(meta: dict[str, Any], defined: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """(line, key) of every entry whose key an entry above it has, and of every @string
    whose name a @string above it has, in file order (as bibtexparser reports them)."""
    found = []
    for pairs in (zip(meta["lines"], meta["keys"], strict=True), defined):
        seen: set[str] = set()
        for line, key in pairs:
            if key in seen:
                found.append((line, key))
            seen.add(key)
    return sorted(found, key=lambda pair: pair[0])
