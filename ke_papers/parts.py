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

from array import array
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ke_papers import blocks, cache, identity, search, store
from ke_papers.errors import BibError
from ke_papers.latex import fold
from ke_papers.model import Paper

if TYPE_CHECKING:
    from ke_papers.catalog import Derived

#: Per-paper lists of the `meta` part (and `lines`, which is not the pieces' own).
LISTS = ("keys", "years", "taxonomy", "folded_taxonomy", "arxiv", "doi", "title")
FIELDS = tuple(search.WEIGHTS)


@dataclass
class _Run:
    """Consecutive papers of the new file: reused from the last build (`old` range of its
    papers), or parsed now (`papers`)."""

    lines: list[int]
    uses: list[Any]
    counts: list[int]
    volatile: list[int]
    #: Per piece: its length in characters, and its blocks (start, end, kind, line) from
    #: its start, so that a write can place every block without a parse.
    chars: list[int] = field(default_factory=list)
    layout: list[Any] = field(default_factory=list)
    old: tuple[int, int] | None = None
    papers: list[Paper] = field(default_factory=list)


class _Old:
    """The last build's parts, and where each of its pieces' papers stand."""

    def __init__(self, parts: dict[str, Any]) -> None:
        self.parts = parts
        self.pieces: dict[str, Any] = parts["pieces"]
        self.first = [0, *accumulate(array("l", self.pieces["counts"]))]
        self.rel = array("l", self.pieces["rel"])
        self.chars = array("q", self.pieces["chars"])
        self.offsets = array("q", parts["meta"]["offsets"])
        index = parts["index"]
        self.starts = {f: array("q", index["starts"][f]) for f in FIELDS}
        self.lengths = {f: array("l", index["lengths"][f]) for f in FIELDS}

    @classmethod
    def load(cls, path: Path, derived: Derived) -> _Old | None:
        parts = cache.previous(path, ["pieces", "meta", "records", "index", *derived])
        try:
            return None if parts is None else cls(parts)
        except (KeyError, TypeError, ValueError):  # another shape: build afresh
            return None

    def where(self) -> dict[bytes, int]:
        digests, size = self.pieces["digests"], blocks.DIGEST_SIZE
        return {digests[i : i + size]: i // size for i in range(0, len(digests), size)}

    def texts(self, a: int, b: int) -> dict[str, str]:
        """The index text of papers a..b, per field (values joined by newlines)."""
        out = {}
        for f in FIELDS:
            text, starts = self.parts["index"]["text"][f], self.starts[f]
            out[f] = text[starts[a] : starts[b] - 1 if b < len(starts) else len(text)]
        return out


def build(path: Path, data: bytes, derived: Derived) -> dict[str, Any]:
    """Every part of the parse cache for these bytes, reusing the last build where it can."""
    encoding = store.encoding_of(data, path)
    pieces = blocks.cut(data)
    old = _Old.load(path, derived)
    try:
        runs, defined = _runs(path, data, encoding, pieces, old)
    except BibError:
        # The error a reader sees is the whole file's: same message, same line.
        text = store.load_text(data)[0]
        doc = store.parse(text, path, encoding=encoding, duplicates_ok=True)
        whole = _Run([p.line or 0 for p in doc.papers], [], [], [], papers=doc.papers)
        runs, defined, pieces, old = [whole], doc.defined, blocks.cut(b""), None
    _resolve(runs, old)
    parts = _assemble(runs, old, derived, pieces)
    parts["meta"]["duplicate_keys"] = _duplicates(parts["meta"], defined)
    parts["meta"]["encoding"] = encoding
    return parts


def _runs(
    path: Path, data: bytes, encoding: str, pieces: blocks.Pieces, old: _Old | None
) -> tuple[list[_Run], list[tuple[int, str]]]:
    """The file as runs of reused and parsed pieces, and the @strings it defines."""
    where = old.where() if old else {}
    table: dict[str, str] = {}
    runs: list[_Run] = []
    defined: list[tuple[int, str]] = []
    pending: list[int] = []

    def parse_pending() -> None:
        nonlocal table
        if pending:
            table = _parse(path, data, encoding, pieces, pending, table, runs, defined)
            pending.clear()

    for i in range(len(pieces)):
        j = where.get(pieces.digests[i]) if i not in pieces.strings else None
        if j is None or old is None or old.pieces["volatile"][j]:
            if i in pieces.strings:  # parsed alone: the strings below it depend on it
                parse_pending()
                pending.append(i)
                parse_pending()
            else:
                pending.append(i)
            continue
        parse_pending()
        uses = old.pieces["uses"][j]
        if any(store.expand(name, table) != value for name, value in uses):
            pending.append(i)
            continue
        _reuse(runs, old, j, pieces.lines[i])
    parse_pending()
    return runs, defined


def _reuse(runs: list[_Run], old: _Old, j: int, line: int) -> None:
    """Add old piece `j`, now starting at `line`, to the runs (joined to a reused run
    right before it in the old file)."""
    a, b = old.first[j], old.first[j + 1]
    lines = [line + old.rel[k] for k in range(a, b)]
    last = runs[-1] if runs else None
    if last is not None and last.old is not None and last.old[1] == a:
        last.old = (last.old[0], b)
    else:
        last = _Run([], [], [], [], old=(a, b))
        runs.append(last)
    last.chars.append(old.chars[j])
    last.layout.append(old.pieces["layout"][j])
    last.lines += lines
    last.uses.append(old.pieces["uses"][j])
    last.counts.append(b - a)
    last.volatile.append(0)


def _parse(
    path: Path,
    data: bytes,
    encoding: str,
    pieces: blocks.Pieces,
    indices: list[int],
    table: dict[str, str],
    runs: list[_Run],
    defined: list[tuple[int, str]],
) -> dict[str, str]:
    """Parse consecutive pieces in one go; their papers join the runs. Returns the
    @strings defined after them."""
    texts = [data[slice(*pieces.span(i))].decode(encoding) for i in indices]
    starts = [0, *accumulate(map(len, texts))]
    doc = store.parse(
        "".join(texts), path, encoding=encoding, duplicates_ok=True, strings=table, resolve=False
    )
    first = pieces.lines[indices[0]]
    by_piece: list[list[Paper]] = [[] for _ in indices]
    layout: list[list[tuple[int, int, str, int]]] = [[] for _ in indices]
    for chunk in doc.chunks:
        k = bisect_right(starts, chunk.start) - 1
        line = first + chunk.line - 1 - pieces.lines[indices[k]]
        layout[k].append((chunk.start - starts[k], chunk.end - starts[k], chunk.kind, line))
    for paper in doc.papers:
        k = bisect_right(starts, doc.chunks[paper.chunk or 0].start) - 1
        paper.line = first + (paper.line or 1) - 1
        paper.chunk = None
        by_piece[k].append(paper)
    defined += [(first + line - 1, key) for line, key in doc.defined]
    if not runs or runs[-1].old is not None:
        runs.append(_Run([], [], [], []))
    run = runs[-1]
    for k, i in enumerate(indices):
        papers = by_piece[k]
        volatile = i in pieces.strings or any(map(store.is_child, papers))
        run.papers += papers
        run.chars.append(len(texts[k]))
        run.layout.append(tuple(layout[k]))
        run.lines += [p.line or 0 for p in papers]
        run.uses.append(() if volatile else _uses(papers, table))
        run.counts.append(len(papers))
        run.volatile.append(int(volatile))
    return doc.strings


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
        keys = old.parts["meta"]["keys"][slice(*run.old)] if run.old and old else None
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
            built[at] = _old_paper(old, run.old[0] + k)
        return built[at]

    store.resolve_crossrefs(children, find)


def _old_paper(old: _Old, i: int) -> Paper:
    record = bytes(old.parts["records"][old.offsets[i] : old.offsets[i + 1]]).decode("utf-8")
    return Paper.from_record(record)


def _new_columns(papers: list[Paper], derived: Derived) -> dict[str, Any]:
    """The per-paper columns of papers parsed now."""
    ids = [identity.Keys.of(p) for p in papers]
    values = [search.field_values(p) for p in papers]
    records = [p.record().encode("utf-8") for p in papers]
    columns: dict[str, Any] = {
        "keys": [p.key for p in papers],
        "years": [p.year or 0 for p in papers],
        "taxonomy": [p.taxonomy for p in papers],
        "folded_taxonomy": [fold(" / ".join(p.taxonomy)) for p in papers],
        "arxiv": [i.arxiv for i in ids],
        "doi": [i.doi for i in ids],
        "title": [i.title for i in ids],
        "code": bytes(p.has_code for p in papers),
        "records": b"".join(records),
        "ends": array("q", accumulate(map(len, records))),
    }
    for k, f in enumerate(FIELDS):
        column = [v[k] for v in values]
        columns["text:" + f] = "\n".join(column)
        columns["starts:" + f] = search.value_starts(column)
        columns["lengths:" + f] = array("l", map(search.token_count, column))
    columns.update((name, list(make(papers))) for name, make in derived.items())
    return columns


def _old_columns(old: _Old, a: int, b: int, derived: Derived) -> dict[str, Any]:
    """The per-paper columns of the last build's papers a..b, as slices of its parts."""
    meta, offsets = old.parts["meta"], old.offsets
    columns: dict[str, Any] = {name: meta[name][a:b] for name in LISTS}
    columns["code"] = meta["code"][a:b]
    columns["records"] = old.parts["records"][offsets[a] : offsets[b]]
    columns["ends"] = array("q", (o - offsets[a] for o in offsets[a + 1 : b + 1]))
    for f, text in old.texts(a, b).items():
        first = old.starts[f][a]
        columns["text:" + f] = text
        columns["starts:" + f] = array("q", (s - first for s in old.starts[f][a:b]))
        columns["lengths:" + f] = old.lengths[f][a:b]
    columns.update((name, old.parts[name][a:b]) for name in derived)
    return columns


class _Vocabulary:
    """How often each token occurs in the index: the last build's counts, less the papers
    it had that are gone, plus the papers parsed now; counted afresh when most are new."""

    def __init__(self, old: _Old | None) -> None:
        self.old = old
        self.counts: Counter[str] = Counter(old.pieces["vocabulary"] if old else {})
        self.kept = bytearray(len(old.parts["meta"]["keys"]) if old else 0)
        self.new: list[str] = []

    def keep(self, a: int, b: int) -> None:
        for i in range(a, b):
            self.kept[i] = min(255, self.kept[i] + 1)

    def tokens(self, joined: dict[str, str]) -> Counter[str]:
        """The counts for the new index (only tokens that occur)."""
        old = self.old
        if old is None or self.kept.count(1) * 4 < len(self.kept) * 3:
            self.counts = Counter()
            for text in joined.values():
                _count(self.counts, text)
            return self.counts
        for text in self.new:
            _count(self.counts, text)
        gone: Counter[str] = Counter()
        for i, times in enumerate(self.kept):
            for _ in range(times - 1):  # a piece that now stands twice counts twice
                for text in old.texts(i, i + 1).values():
                    _count(self.counts, text)
            if not times:
                for text in old.texts(i, i + 1).values():
                    _count(gone, text)
        self.counts.subtract(gone)
        return +self.counts


def _count(counts: Counter[str], text: str, size: int = 1 << 20) -> None:
    """Count the tokens of `text` a slice at a time (memory stays flat on a big file)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start + size)
        end = len(text) if end < 0 else end
        counts.update(search.index_tokens(text[start:end]))
        start = end + 1


def _assemble(
    runs: list[_Run], old: _Old | None, derived: Derived, pieces: blocks.Pieces
) -> dict[str, Any]:
    """The parts of the new file, run by run: slices of the old parts, columns of the new."""
    meta: dict[str, Any] = {name: [] for name in (*LISTS, "lines")}
    code, records, offsets = bytearray(), [], array("q", [0])
    texts: dict[str, list[str]] = {f: [] for f in FIELDS}
    starts = {f: array("q") for f in FIELDS}
    lengths = {f: array("l") for f in FIELDS}
    bases = dict.fromkeys(FIELDS, 0)
    others: dict[str, list[Any]] = {name: [] for name in derived}
    vocabulary = _Vocabulary(old)
    uses: list[Any] = []
    layout: list[Any] = []
    counts, volatile, rel, chars = array("l"), bytearray(), array("l"), array("q")
    piece = 0
    for run in runs:
        uses += run.uses
        layout += run.layout
        chars.extend(run.chars)
        counts.extend(run.counts)
        volatile += bytes(run.volatile)
        k = 0
        for n in run.counts:  # each paper's line from the start of its piece
            rel.extend(line - pieces.lines[piece] for line in run.lines[k : k + n])
            k, piece = k + n, piece + 1
        if not run.lines:
            continue
        if run.old is not None and old is not None:
            columns = _old_columns(old, *run.old, derived)
            vocabulary.keep(*run.old)
        else:
            columns = _new_columns(run.papers, derived)
            vocabulary.new += [columns["text:" + f] for f in FIELDS]
        for name in LISTS:
            meta[name] += columns[name]
        meta["lines"] += run.lines
        code += columns["code"]
        records.append(columns["records"])
        base = offsets[-1]
        offsets.extend(base + end for end in columns["ends"])
        for f in FIELDS:
            texts[f].append(columns["text:" + f])
            starts[f].extend(bases[f] + s for s in columns["starts:" + f])
            bases[f] += len(texts[f][-1]) + 1
            lengths[f].extend(columns["lengths:" + f])
        for name in derived:
            others[name] += columns[name]
    meta["code"] = bytes(code)
    meta["offsets"] = offsets.tobytes()
    joined = {f: "\n".join(parts) for f, parts in texts.items()}
    tokens = vocabulary.tokens(joined)
    return {
        "pieces": {
            "digests": b"".join(pieces.digests),
            "counts": counts.tobytes(),
            "volatile": bytes(volatile),
            "uses": uses,
            "rel": rel.tobytes(),
            "chars": chars.tobytes(),
            "layout": layout,
            "vocabulary": dict(tokens),
        },
        "meta": meta,
        "records": records,  # buffers: the cache writes them one after another
        "index": search.Index.assemble(joined, starts, lengths, tokens),
        **others,
    }


class _Standin(Paper):
    """An entry of the file known by its key, line, place and section; the first read of
    anything else parses its block (alone, with the @strings above it)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or "_load" not in self.__dict__:
            raise AttributeError(name)
        real = self.__dict__.pop("_load")()
        for attribute, value in real.__dict__.items():
            self.__dict__.setdefault(attribute, value)
        return getattr(self, name)


def document(path: Path, data: bytes, derived: Derived) -> store.Document:
    """The document of these bytes for a write, from the parse cache (brought up to date
    for exactly these bytes): every block placed by the pieces' layout, every entry a
    stand-in that is parsed only if the write reads its fields. A file that is not safe
    to write (a duplicate key) is refused as a full parse refuses it."""
    reader = cache.Reader(path, lambda d: build(path, d, derived), data=data)
    meta, pieces = reader.get("meta"), reader.get("pieces")
    text, encoding = store.load_text(data, path)
    chars = array("q", pieces["chars"])
    if meta["duplicate_keys"] or encoding != meta["encoding"] or sum(chars) != len(text):
        return store.parse(text, path, encoding=encoding)  # its error, or what it reads
    chunks: list[store.Chunk] = []
    papers: list[Paper] = []
    tables: list[tuple[int, dict[str, str]]] = [(-1, {})]
    pos, line = 0, 1
    for size, blocks_of_piece in zip(chars, pieces["layout"], strict=True):
        for start, end, kind, rel in blocks_of_piece:
            chunk = store.Chunk(pos + start, pos + end, kind, line + rel)
            if kind == "string":
                table = store.parse(text[chunk.start : chunk.end], strings=tables[-1][1]).strings
                tables.append((len(chunks), table))
            elif kind == "entry":
                papers.append(_standin(path, text, chunk, len(chunks), meta, len(papers), tables))
            chunks.append(chunk)
        line += text.count("\n", pos, pos + size)
        pos += size
    ids = [
        identity.Keys(*row) for row in zip(meta["arxiv"], meta["doi"], meta["title"], strict=True)
    ]
    by_key = {p.key.casefold(): p for p in papers}
    for paper in papers:
        paper.__dict__["_find"] = by_key.get
    return store.Document(path, text, chunks, papers, tables[-1][1], encoding=encoding, ids=ids)


def _standin(
    path: Path,
    text: str,
    chunk: store.Chunk,
    place: int,
    meta: dict[str, Any],
    i: int,
    tables: list[tuple[int, dict[str, str]]],
) -> Paper:
    paper = _Standin.__new__(_Standin)
    table = tables[-1][1]

    def load() -> Paper:
        real = store.parse(text[chunk.start : chunk.end], path, strings=table).papers[0]
        if store.is_child(real):
            store.resolve_crossrefs([real], paper.__dict__["_find"])
        return real

    paper.__dict__.update(
        key=meta["keys"][i],
        line=meta["lines"][i],
        chunk=place,
        taxonomy=meta["taxonomy"][i],
        _load=load,
    )
    return paper


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
