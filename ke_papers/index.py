"""The index: a bib file's entries in SQLite, kept up to date with the file's bytes.

The .bib file is the one source of truth; the index is a cache anybody may delete. It
holds one row per entry (its paper as a JSON record, the columns commands filter and
sort on, and what renderers derive from it), an FTS5 table over the search fields, and
the file's layout: where each block stands. A file is cut into pieces that parse alone
(a cut before every line that starts with `@type{`); each piece is known by the hash of
its bytes and of the `@string`s in force above it, so a change parses only the pieces
that are new, in one transaction. Readers see the old index or the new one, never half
of one (SQLite's WAL).

When the database cannot be used (damaged, locked, read-only, a full disk, no FTS5, or
`KE_PAPERS_NO_CACHE=1`) the same index is built in memory from a full parse, and the
command says so once.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import os
import re
import sqlite3
import time
import warnings
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ke_papers import config, files
from ke_papers.errors import BibError, EncodingNote, display_path
from ke_papers.model import Paper

#: Bumped whenever what the index keeps changes: an older database is rebuilt.
VERSION = 21
ENV_DISABLE = "KE_PAPERS_NO_CACHE"
#: The search fields, in the order of the FTS5 table's columns.
FIELDS = ("key", "keywords", "title", "authors", "taxonomy", "venue", "year", "abstract", "urls")
#: A line that starts a block; `\w` in a bytes pattern is ASCII only, which can only miss
#: a cut (a piece then holds two blocks), never make a wrong one.
_CUT = re.compile(rb"\n@\w*[ \t]*[{(]")
#: Where an @string may start (a superset: also inside values).
_STRING = re.compile(rb"@string[ \t]*[{(]", re.IGNORECASE)
FP_SIZE = 16
#: Pieces a group: a change hashes each group whole first (see `_Pieces`).
GROUP = 256
#: A group's record: the hash of its bytes, and the salt before and after it.
_GROUP_SIZE = 16 + 32 + 32
#: From this many pieces to parse, the parse is shared with other processes.
PARALLEL_FROM = 4000
#: A file changed (ctime: an mtime can be put back, by `cp -p` say) this close to when it
#: was indexed is hashed, not trusted by its stamp, which a change within a clock step keeps.
RACY_NS = 2_000_000_000

_SCHEMA = f"""
CREATE TABLE file(id INTEGER PRIMARY KEY CHECK (id = 1), stamp TEXT, sha BLOB, indexed INT,
  size INT);
CREATE TABLE layout(name TEXT PRIMARY KEY, value BLOB);
CREATE TABLE piece(fp BLOB PRIMARY KEY, blocks TEXT) WITHOUT ROWID;
CREATE TABLE entry(id INTEGER PRIMARY KEY, fp BLOB, key TEXT, year INT, taxonomy TEXT,
  ftaxonomy TEXT, code INT, venue TEXT, arxiv TEXT, doi TEXT, title TEXT, child INT,
  n_title INT, n_keywords INT, n_abstract INT, undefined TEXT);
CREATE TABLE paper(id INTEGER PRIMARY KEY, record TEXT, markdown TEXT, bibtex TEXT, json TEXT);
CREATE INDEX entry_fp ON entry(fp);
CREATE INDEX entry_key ON entry(key);
CREATE INDEX entry_arxiv ON entry(arxiv);
CREATE INDEX entry_doi ON entry(doi);
CREATE INDEX entry_title ON entry(title);
CREATE INDEX entry_lengths ON entry(n_title, n_keywords, n_abstract);
CREATE INDEX entry_undefined ON entry(undefined) WHERE undefined IS NOT NULL;
CREATE INDEX entry_child ON entry(id) WHERE child = 1;
CREATE TABLE derived(name TEXT PRIMARY KEY, groups BLOB, value TEXT);
CREATE TABLE term(id INTEGER PRIMARY KEY, t TEXT UNIQUE);
CREATE INDEX term_length ON term(length(t));
CREATE VIRTUAL TABLE inside USING fts5(t, content = term, content_rowid = id, tokenize = trigram);
CREATE VIRTUAL TABLE fts USING fts5({", ".join(FIELDS)},
  tokenize = "unicode61 remove_diacritics 2");
CREATE VIRTUAL TABLE vocab USING fts5vocab(fts, row);
CREATE VIRTUAL TABLE fields USING fts5vocab(fts, col);
PRAGMA user_version = {VERSION};
"""
#: The tables, in the order they are dropped (the reverse of their making).
_TABLES = re.findall(r"CREATE (?:VIRTUAL )?TABLE (\w+)", _SCHEMA)[::-1]


class IndexUnusable(Exception):
    """The database on disk cannot be used; the index is made in memory instead."""


def location(path: Path) -> Path:
    """Where the index of a bib file lives: one database per file, named by checksums of
    its resolved path (zlib's: hashlib's import is a read's cost when the stamp is
    trusted; two paths that met in a name would only take turns rebuilding it)."""
    import zlib

    real = os.path.realpath(path).encode()
    return config.cache_dir() / "index" / f"{zlib.crc32(real):08x}{zlib.adler32(real):08x}.sqlite3"


def _stamp(st: os.stat_result) -> str:
    """What changes whenever the file's bytes may have: a write, a copy, a `touch`."""
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


def _connect(where: str) -> sqlite3.Connection:
    """A connection that waits for another process's write (KE_PAPERS_INDEX_TIMEOUT
    seconds, 10 by default) before it gives up."""
    try:
        timeout = float(os.environ.get("KE_PAPERS_INDEX_TIMEOUT", "") or 10)
    except ValueError:
        timeout = 10.0
    conn = sqlite3.connect(where, timeout=timeout, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def _fresh(conn: sqlite3.Connection) -> None:
    """An empty index of this version (the tables of another version, or of one that
    lost some, are dropped first). Looked at again under the write lock: another process
    may have made it meanwhile, and must not see it made twice."""

    def current() -> bool:
        names = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return conn.execute("PRAGMA user_version").fetchone()[0] == VERSION and names >= set(
            _TABLES
        )

    if current():
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if not current():
            for name in _TABLES:
                conn.execute(f"DROP TABLE IF EXISTS {name}")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # SQLite may have rolled it back itself (a full disk)
            conn.execute("ROLLBACK")
        raise


class _Columns:
    """Columns of integers kept as one blob."""

    CODE = "i"  # 32 bits: places in a file of at most a GiB (files.MAX_READ)

    def columns(self) -> tuple[array[int], ...]:
        return tuple(getattr(self, f.name) for f in fields(self))  # type: ignore[arg-type]

    def pack(self) -> bytes:
        return b"".join(column.tobytes() for column in self.columns())

    @classmethod
    def unpack(cls, data: bytes) -> Any:
        whole, n = array(cls.CODE, data), len(fields(cls))  # type: ignore[arg-type]
        size = len(whole) // n
        return cls(*(whole[k * size : (k + 1) * size] for k in range(n)))


@dataclass
class Layout(_Columns):
    """Where the entries stand in the file, in file order: their rows, lines and spans
    (bytes), and where the block before each ends (a removed entry takes the space
    between with it)."""

    ids: array[int] = field(default_factory=lambda: array("i"))
    lines: array[int] = field(default_factory=lambda: array("i"))
    starts: array[int] = field(default_factory=lambda: array("i"))
    ends: array[int] = field(default_factory=lambda: array("i"))
    before: array[int] = field(default_factory=lambda: array("i"))


@dataclass
class Rows(_Columns):
    """By row number: each entry's section (its place in `info["sections"]`), the
    lengths in words of its damped fields, its first place in the file, what search
    and the section tree read of every entry, and its line there (rows of entries gone
    keep theirs, unread)."""

    section: array[int] = field(default_factory=lambda: array("i"))
    n_title: array[int] = field(default_factory=lambda: array("i"))
    n_keywords: array[int] = field(default_factory=lambda: array("i"))
    n_abstract: array[int] = field(default_factory=lambda: array("i"))
    place: array[int] = field(default_factory=lambda: array("i"))
    line: array[int] = field(default_factory=lambda: array("i"))

    def put(self, row: int, values: Sequence[int]) -> None:
        """A row's first values (the others as they were, or 0)."""
        for k, have in enumerate(self.columns()):
            if row >= len(have):
                have.extend(array(self.CODE, bytes(have.itemsize * (row + 1 - len(have)))))
            if k < len(values):
                have[row] = values[k]


@dataclass
class _Cuts(_Columns):
    """Each piece's start (bytes) and line, and where the last block up to its end ends:
    what lets a change lay out only the pieces it made."""

    starts: array[int] = field(default_factory=lambda: array("i"))
    lines: array[int] = field(default_factory=lambda: array("i"))
    last: array[int] = field(default_factory=lambda: array("i"))


class Index:
    """The index of one bib file, up to date with the bytes it was opened for."""

    def __init__(self, path: Path, conn: sqlite3.Connection, database: str) -> None:
        self.path, self.conn, self.database = path, conn, database
        # One snapshot for the whole command: another process may bring the index up to
        # date meanwhile (WAL); this one keeps reading the version it opened.
        conn.execute("BEGIN")
        row = conn.execute("SELECT stamp FROM file").fetchone()
        kept = _kept(conn, "encoding", "info")
        if row is None or len(kept) < 2:  # another process began the index anew meanwhile
            conn.execute("ROLLBACK")
            raise IndexUnusable("was being built by another process")
        self.encoding: str = kept["encoding"]
        self.info: dict[str, Any] = json.loads(kept["info"])

    @functools.cached_property
    def layout(self) -> Layout:
        """Where every entry stands (read when first asked for: a search needs it not)."""
        return Layout.unpack(_kept(self.conn, "layout")["layout"])

    @classmethod
    def open(
        cls, path: Path, data: bytes | None = None, building: Callable[[], Any] | None = None
    ) -> Index:
        """The index of `path` (of `data`, its bytes read under a lock, when given),
        brought up to date; `building` is entered while a change is indexed."""
        if os.environ.get(ENV_DISABLE, "") in ("", "0"):
            try:
                return cls._on_disk(path, data, building)
            except IndexUnusable as exc:
                said = f"note: the index of {display_path(path)} {exc}; reading the file whole"
                warnings.warn(EncodingNote(said), stacklevel=2)
        conn = _connect(":memory:")
        try:
            conn.executescript(_SCHEMA)
        except sqlite3.OperationalError as exc:
            raise BibError(path, None, f"this Python's SQLite cannot index ({exc})") from None
        bytes_ = files.read_bytes(path) if data is None else data
        _update(conn, path, bytes_, files.status(path), building, b"")
        return cls(path, conn, ":memory:")

    @classmethod
    def _on_disk(cls, path: Path, data: bytes | None, building: Callable[[], Any] | None) -> Index:
        where = location(path)
        # after `data` was read: bytes read before a stamp the index trusts are its bytes
        st = files.status(path)  # a missing or unreadable file is the file's error
        try:
            where.parent.mkdir(parents=True, exist_ok=True)
            conn = _connect(str(where))
            _fresh(conn)
            row = conn.execute("SELECT stamp, sha, indexed, size FROM file").fetchone()
            fresh = row is not None and row[0] == _stamp(st)
            if fresh and row[2] - st.st_ctime_ns > RACY_NS:
                return cls(path, conn, str(where))
            bytes_ = files.read_bytes(path) if data is None else data
            sha = None  # bytes of another size are other bytes: the same size is hashed
            if row is not None and row[3] == len(bytes_):
                import hashlib

                sha = hashlib.sha256(bytes_).digest()
            if sha is None or row[1] != sha:
                _update(conn, path, bytes_, st, building, sha)
            elif row[0] != _stamp(st) or time.time_ns() - st.st_ctime_ns > RACY_NS:
                # the same bytes: their stamp, hashed long enough after the change, is trusted
                conn.execute("UPDATE file SET stamp = ?, indexed = ?", (_stamp(st), time.time_ns()))
            return cls(path, conn, str(where))
        except sqlite3.DatabaseError as exc:
            _set_aside(where, exc)
            raise IndexUnusable(_why(exc)) from None
        except OSError as exc:
            if exc.filename and Path(exc.filename) == path:
                raise
            raise IndexUnusable(f"cannot be written ({exc.strerror})") from None

    # Reading

    def __len__(self) -> int:
        return int(self.info["count"])

    def column(self, name: str) -> list[Any]:
        """One value per entry, in file order (a column of `entry`; the keys, which
        every write and many reads want, from the blob that keeps them)."""
        assert name in COLUMNS, name
        if name == "key":
            keys = _keys(_kept(self.conn, "keys")["keys"])
            return [keys[i] for i in self.layout.ids]
        values = dict(self.conn.execute(f"SELECT id, {name} FROM entry"))
        return [values[i] for i in self.layout.ids]

    def records(self, ids: Sequence[int]) -> dict[int, str]:
        """The JSON records of these rows, by row."""
        if len(ids) > len(self) // 4:
            return dict(self.conn.execute("SELECT id, record FROM paper"))
        return dict(_each(self.conn, "SELECT id, record FROM paper WHERE id IN ({})", ids))

    def derived(
        self,
        name: str,
        make: Callable[[list[Paper]], list[str]],
        building: Callable[[], Any] | None = None,
    ) -> list[str]:
        """A value renderers derive from each paper (`markdown`, `bibtex`), in file order,
        made for the entries that lack it and kept; `building` is entered meanwhile."""
        known = dict(self.conn.execute(f"SELECT id, {name} FROM paper"))
        missing = [row for row, value in known.items() if value is None]
        with building() if building and missing else contextlib.nullcontext():
            for k in range(0, len(missing), 2000):  # a batch of papers at a time in memory
                rows = missing[k : k + 2000]
                records = self.records(rows)
                made = make([Paper.from_record(records[row]) for row in rows])
                known.update(zip(rows, made, strict=True))
                self._keep(
                    f"UPDATE paper SET {name} = ? WHERE id = ? AND record = ?",
                    [(value, row, records[row]) for row, value in zip(rows, made, strict=True)],
                )
        return [known[i] for i in self.layout.ids]

    def cached(self, name: str, make: Callable[[], Any]) -> Any:
        """A value made from the whole file (lint's findings), kept until the file changes:
        known by its groups' hashes, which name the bytes (no change hashes them whole)."""
        groups = _kept(self.conn, "groups")["groups"]
        row = self.conn.execute("SELECT groups, value FROM derived WHERE name = ?", (name,))
        if (row := row.fetchone()) is not None and row[0] == groups:
            return json.loads(row[1])
        value = make()
        self._keep(
            "INSERT OR REPLACE INTO derived SELECT ?, ?, ? WHERE ? = (SELECT value FROM layout"
            " WHERE name = 'groups')",
            [(name, groups, json.dumps(value), groups)],
        )
        return value

    def _keep(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """Write what a read made, beside this command's snapshot (which stays as it is);
        a database that cannot take it now makes it again next time."""
        if self.database == ":memory:":
            return  # gone with the command anyway
        with contextlib.suppress(sqlite3.Error):
            conn = _connect(self.database)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(sql, rows)
                conn.execute("COMMIT")
            finally:
                conn.close()

    @functools.cached_property
    def rows(self) -> Rows:
        return Rows.unpack(_kept(self.conn, "rows")["rows"])

    def taxonomy(self) -> list[list[str]]:
        """Each entry's section path, in file order (one list per distinct path)."""
        paths = [json.loads(text) for text in self.info["sections"]]
        section = self.rows.section
        return [paths[section[row]] for row in self.layout.ids]

    def where(self, kind: str, value: str) -> list[int]:
        """The places of the entries whose identity `kind` (arxiv, doi, title) is `value`."""
        assert kind in ("arxiv", "doi", "title"), kind
        rows = {r for (r,) in self.conn.execute(f"SELECT id FROM entry WHERE {kind} = ?", (value,))}
        return [i for i, row in enumerate(self.layout.ids) if row in rows] if rows else []

    def strings(self, data: bytes) -> str:
        """The text of every @string block (what an entry written anew is parsed with)."""
        return "\n".join(data[a:b].decode(self.encoding) for a, b in self.info["strings"])


_WHY = {
    "no such module": "needs SQLite's FTS5, which this Python lacks",
    "no such tokenizer": "needs SQLite 3.34 or newer (FTS5's trigram tokenizer)",
    "locked": "is locked by another process",
    "readonly": "cannot be written",
    "full": "cannot be written (disk full)",
}


def _why(exc: sqlite3.DatabaseError) -> str:
    said = next((why for words, why in _WHY.items() if words in str(exc)), None)
    return said or f"was damaged ({exc}); it will be rebuilt"


def _set_aside(where: Path, exc: sqlite3.DatabaseError) -> None:
    """A damaged database goes, so that the next command builds it anew."""
    if isinstance(exc, sqlite3.OperationalError) and not any(
        word in str(exc) for word in ("malformed", "not a database", "corrupt")
    ):
        return
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            Path(f"{where}{suffix}").unlink()


# Building


@dataclass
class _Parsed:
    """What a parse of one piece gives the index."""

    #: Start and end (bytes), kind, line (from the piece's first), and the paper's number
    #: in the piece (an entry) or the name (an @string).
    blocks: list[tuple[int, int, str, int, int | str | None]]
    #: Each entry's row (all but its fingerprint) and its texts for the search table.
    rows: list[tuple[tuple[Any, ...], tuple[str, ...]]]
    #: Every word of those texts.
    words: set[str]


def _parse_run(
    path: str, texts: list[str], table: dict[str, str], encoding: str
) -> tuple[list[_Parsed], dict[str, str]]:
    """Parse neighbouring pieces in one go (their texts joined) and give each piece its
    blocks (places in its own bytes, lines from its first) and papers."""
    from ke_papers import bibread

    text = "".join(texts)
    doc = bibread.parse(text, path, duplicates_ok=True, strings=table, resolve=False)
    out = [_Parsed([], [], set()) for _ in texts]
    starts = [0, *itertools.accumulate(len(own) for own in texts[:-1])]
    lines = [0, *itertools.accumulate(own.count("\n") for own in texts[:-1])]
    by_chunk = {p.chunk: p for p in doc.papers}
    names = iter(name for _, name in doc.defined)
    for c, chunk in enumerate(doc.chunks):
        k = bisect_right(starts, chunk.start) - 1
        piece, base, own = out[k], starts[k], texts[k]
        paper = by_chunk.get(c)
        what: int | str | None = None  # the paper's number in the piece, or an @string's name
        if paper is not None:
            piece.rows.append(_row(paper))
            piece.words.update(_words(piece.rows[-1][1]))
            what = len(piece.rows) - 1
        elif chunk.kind == "string":
            what = next(names)
        a, b = chunk.start - base, chunk.end - base
        if not own.isascii():  # places in bytes
            a, b = len(own[:a].encode(encoding)), len(own[:b].encode(encoding))
        piece.blocks.append((a, b, chunk.kind, chunk.line - 1 - lines[k], what))
    return out, doc.strings


def _parse_batch(
    path: str, encoding: str, runs: list[tuple[list[str], dict[str, str]]]
) -> list[list[_Parsed]]:
    """A worker's share of a big parse: several runs of pieces."""
    return [_parse_run(path, texts, table, encoding)[0] for texts, table in runs]


def _update(
    conn: sqlite3.Connection,
    path: Path,
    data: bytes,
    st: os.stat_result,
    building: Callable[[], Any] | None,
    sha: bytes | None,
) -> None:
    """Bring the index up to date with `data` (whose SHA-256 is `sha`, when it was
    needed), in one transaction."""
    with building() if building else contextlib.nullcontext():
        conn.execute("BEGIN IMMEDIATE")
        try:
            _rebuild(conn, path, data)
            stamp = (_stamp(st), sha, time.time_ns(), len(data))
            conn.execute("INSERT OR REPLACE INTO file VALUES (1, ?, ?, ?, ?)", stamp)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled it back itself (a full disk)
                conn.execute("ROLLBACK")
            raise


@dataclass
class _Before:
    """What the index knew of the file before this change."""

    encoding: str = ""
    fps: list[bytes] = field(default_factory=list)
    layout: Layout = field(default_factory=Layout)
    cuts: _Cuts = field(default_factory=_Cuts)
    rows: Rows = field(default_factory=Rows)
    #: Each piece's place among them, by fingerprint.
    where: dict[bytes, int] = field(default_factory=dict)
    sections: list[str] = field(default_factory=list)
    #: Each row's key, by row number (`_keys`).
    keys: list[str] = field(default_factory=list)
    groups: bytes = b""
    size: int = 0
    #: The names used twice.
    duplicated: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, conn: sqlite3.Connection) -> _Before:
        kept = _kept(conn, *_KEPT)
        if len(kept) < len(_KEPT):
            return cls()
        fps = [kept["fps"][k : k + FP_SIZE] for k in range(0, len(kept["fps"]), FP_SIZE)]
        pairs = ((Layout, "layout"), (_Cuts, "cuts"), (Rows, "rows"))
        layout, cuts, rows = (c.unpack(kept[n]) for c, n in pairs)
        info, where = json.loads(kept["info"]), dict(zip(fps, range(len(fps)), strict=True))
        more = (where, info["sections"], _keys(kept["keys"]), kept["groups"], info["size"])
        duplicated = [name for _, name in info["duplicate_keys"]]
        return cls(kept["encoding"], fps, layout, cuts, rows, *more, duplicated)


class _Pieces:
    """A file cut into pieces (before every line that starts a block), each with its
    fingerprint: a hash of its bytes, the encoding and the @strings in force above it.
    A group of pieces whose bytes stand as they were (in place, or moved by as much as
    the file grew) keeps its places and fingerprints from one hash of the group; the
    rest is cut and hashed piece by piece."""

    def __init__(self, data: bytes, encoding: str, before: _Before) -> None:
        import hashlib

        self.sha = hashlib.sha256
        self.data, self.view = data, memoryview(data)
        #: Where an @string may start: a piece holding one may define macros.
        self.strings = [m.start() for m in _STRING.finditer(data)]
        self.starts: list[int] = []
        self.fps: list[bytes] = []
        #: The pieces cut and hashed one by one (the others were found in their groups).
        self.hashed: list[int] = []
        #: The groups found as they were (their record, and how many pieces they hold), by
        #: where they now begin.
        self.found: dict[int, tuple[bytes, int]] = {}
        self.salt = self.first = self.sha(encoding.encode()).digest()
        pos = 0
        olds = before.cuts.starts if before.encoding == encoding else array("i")
        for g in range(0, len(olds), GROUP):
            record = before.groups[g // GROUP * _GROUP_SIZE : (g // GROUP + 1) * _GROUP_SIZE]
            end = olds[g + GROUP] if g + GROUP < len(olds) else before.size
            for shift in dict.fromkeys((0, len(data) - before.size)):
                start, stop = olds[g] + shift, end + shift
                if (
                    pos <= start
                    and stop <= len(data)
                    and self._stands(start, stop, olds[g], end == before.size, record)
                ):
                    self.cut(pos, start)
                    self.found[len(self.starts)] = record, len(olds[g : g + GROUP])
                    part = olds[g : g + GROUP]
                    self.starts += part if not shift else [x + shift for x in part]
                    self.fps += before.fps[g : g + GROUP]
                    self.salt, pos = record[-32:], stop
                    break
        self.cut(pos, len(data))
        self.ends = [*self.starts[1:], len(data)][: len(self.starts)]
        self.defines = {bisect_right(self.starts, at) - 1 for at in self.strings}

    def _stands(self, start: int, stop: int, was: int, last: bool, record: bytes) -> bool:
        """Whether the group that stood at `was` stands at [start, stop): the same @strings
        above it, cuts where it begins and ends, and the same bytes."""
        data = self.data
        begins = start == 0 if was == 0 else start > 0 and data[start - 1] == 10
        ends = stop == len(data) if last else stop == len(data) or _CUT.match(data, stop - 1)
        return (
            record[16:48] == self.salt
            and begins
            and bool(ends)
            and self.sha(self.view[start:stop]).digest()[:16] == record[:16]
        )

    def cut(self, start: int, stop: int) -> None:
        """Cut [start, stop) (`start` begins a piece) and hash each piece."""
        if start >= stop:
            return
        cuts = [start, *(m.start() + 1 for m in _CUT.finditer(self.data, start, stop)), stop]
        for a, b in itertools.pairwise(cuts):
            self.hashed.append(len(self.starts))
            h = self.sha(self.salt)
            h.update(self.view[a:b])
            self.starts.append(a)
            self.fps.append(h.digest()[:FP_SIZE])
            if bisect_left(self.strings, a) < bisect_left(self.strings, b):  # an @string
                self.salt = self.sha(self.salt + self.fps[-1]).digest()

    def groups(self) -> bytes:
        """Each group's record for the next change: the hash of its bytes, and the salt
        (the @strings so far) before and after it."""
        salt, out, strings, i = self.first, [], sorted(self.defines), 0
        for g in range(0, len(self.starts), GROUP):
            top = min(g + GROUP, len(self.starts))
            above = salt
            while i < len(strings) and strings[i] < top:
                salt = self.sha(salt + self.fps[strings[i]]).digest()
                i += 1
            record, count = self.found.get(g, (b"", 0))
            if count != top - g or record[16:] != above + salt:  # not a group found whole
                end = self.starts[top] if top < len(self.starts) else len(self.data)
                record = self.sha(self.view[self.starts[g] : end]).digest()[:16] + above + salt
            out.append(record)
        return b"".join(out)


def _rebuild(conn: sqlite3.Connection, path: Path, data: bytes) -> None:
    """Parse the pieces not seen before, drop those gone, and lay the file out."""
    from ke_papers import bibread

    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise BibError(path, line, "NUL byte: this is not a text file")
    before = _Before.read(conn)
    known = set(before.where)
    # A UTF-8 file whose new pieces are UTF-8 is still UTF-8: only they need decoding.
    encoding = "utf-8" if before.encoding == "utf-8" else bibread.encoding_of(data)
    pieces = _Pieces(data, encoding, before)
    if encoding == "utf-8" and not data.isascii():
        try:
            for k in pieces.hashed:
                if pieces.fps[k] not in known:
                    data[pieces.starts[k] : pieces.ends[k]].decode(encoding)
        except UnicodeDecodeError:
            encoding = bibread.encoding_of(data)
            pieces = _Pieces(data, encoding, _Before())
    starts, ends, fps, defines = pieces.starts, pieces.ends, pieces.fps, pieces.defines
    # A piece that may define @strings is parsed every time, for those below it.
    table: dict[str, str] = {}
    runs: list[tuple[list[int], dict[str, str]]] = []
    new: list[tuple[bytes, _Parsed]] = []
    for k in sorted({*pieces.hashed, *defines}):  # the pieces found in groups are known
        fp = fps[k]
        if k in defines:
            text = data[starts[k] : ends[k]].decode(encoding)
            try:
                parsed, table = _parse_run(str(path), [text], table, encoding)
            except BibError:  # its line is the whole file's
                bibread.parse(data.decode(encoding), path, duplicates_ok=True)
                raise
            if fp not in known:
                new.append((fp, parsed[0]))
                known.add(fp)
        elif fp not in known:
            if (
                runs
                and runs[-1][0][-1] == k - 1
                and runs[-1][1] is table
                and len(runs[-1][0]) < 200
            ):
                runs[-1][0].append(k)
            else:
                runs.append(([k], table))
            known.add(fp)
    (words,) = conn.execute("SELECT coalesce(max(id), 0) FROM term").fetchone()
    _store(conn, new)

    def job(run: list[int], table: dict[str, str]) -> tuple[list[str], dict[str, str]]:
        return [data[starts[k] : ends[k]].decode(encoding) for k in run], table

    try:
        for done, parsed in _parsed(str(path), encoding, runs, job):
            _store(conn, [(fps[k], piece) for k, piece in zip(done, parsed, strict=True)])
    except BibError:  # a file that does not parse piece by piece: the whole file's error
        bibread.parse(data.decode(encoding), path, duplicates_ok=True)
        raise
    gone = list(before.where.keys() - set(fps))
    rows = "(SELECT id FROM entry WHERE fp IN ({}))"
    for sql in (
        f"fts WHERE rowid IN {rows}",
        f"paper WHERE id IN {rows}",
        "entry WHERE fp IN ({})",
        "piece WHERE fp IN ({})",
    ):
        list(_each(conn, f"DELETE FROM {sql}", gone))
    _lay_out(conn, data, encoding, pieces, before)
    conn.execute("INSERT INTO inside (rowid, t) SELECT id, t FROM term WHERE id > ?", (words,))


Job = Callable[[list[int], dict[str, str]], tuple[list[str], dict[str, str]]]


def _parsed(
    path: str, encoding: str, runs: list[tuple[list[int], dict[str, str]]], job: Job
) -> Iterator[tuple[list[int], list[_Parsed]]]:
    """Each run of pieces with what its parse gives, as parses finish. From a few
    thousand pieces they are shared among processes (one a core), a few batches in
    flight at a time, so that neither the texts nor the results are all held at once.
    Where other processes cannot be had (or die), this one parses what they did not.
    The other processes import the caller's main module, as every use of multiprocessing
    does: a script that calls ke-papers as a library guards its top level with
    `if __name__ == "__main__":` (the `ke-papers` command does)."""
    workers = min(os.cpu_count() or 1, 4)
    left = dict(enumerate(runs))
    if sum(len(run) for run, _ in runs) >= PARALLEL_FROM and workers >= 2:
        with contextlib.suppress(OSError, RuntimeError):  # BrokenProcessPool is one
            for k, parsed in _shared(path, encoding, runs, job, workers):
                yield left.pop(k)[0], parsed
    for run, table in left.values():
        yield run, _parse_run(path, *job(run, table), encoding)[0]


def _shared(
    path: str, encoding: str, runs: list[tuple[list[int], dict[str, str]]], job: Job, workers: int
) -> Iterator[tuple[int, list[_Parsed]]]:
    """Each run's number with what the other processes parsed of it, as they finish."""
    import concurrent.futures as cf
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    with cf.ProcessPoolExecutor(workers, mp_context=context) as pool:
        waiting: dict[cf.Future[list[list[_Parsed]]], list[int]] = {}
        for start in [*range(0, len(runs), 20), None]:
            while waiting and (start is None or len(waiting) >= 2 * workers):
                finished, _ = cf.wait(waiting, return_when=cf.FIRST_COMPLETED)
                for future in finished:
                    yield from zip(waiting.pop(future), future.result(), strict=True)
            if start is not None:
                numbers = list(range(start, min(start + 20, len(runs))))
                shares = [job(*runs[k]) for k in numbers]
                waiting[pool.submit(_parse_batch, path, encoding, shares)] = numbers


def _store(conn: sqlite3.Connection, pieces: list[tuple[bytes, _Parsed]]) -> None:
    """New pieces: their blocks, and a row (and a search row) for each of their entries."""
    (last,) = conn.execute("SELECT coalesce(max(id), 0) FROM entry").fetchone()
    entries, papers, texts, blocks = [], [], [], []
    words: set[str] = set()
    for fp, parsed in pieces:
        words |= parsed.words
        ids = list(range(last + 1, last + 1 + len(parsed.rows)))
        last += len(parsed.rows)
        for row, (values, line) in zip(ids, parsed.rows, strict=True):
            entries.append((row, fp, *values[:-1]))
            papers.append((row, values[-1]))
            texts.append((row, *line))
        layout = [
            (a, b, kind, dl, ids[p] if isinstance(p, int) else p)
            for a, b, kind, dl, p in parsed.blocks
        ]
        blocks.append((fp, json.dumps(layout)))
    conn.executemany(
        f"INSERT INTO entry (id, fp, {', '.join(COLUMNS)}) VALUES (?, ?, {_MARKS})", entries
    )
    conn.executemany("INSERT INTO paper (id, record) VALUES (?, ?)", papers)
    conn.executemany(
        f"INSERT INTO fts (rowid, {', '.join(FIELDS)}) VALUES (?, {_MARKS_FTS})", texts
    )
    conn.executemany("INSERT OR REPLACE INTO piece VALUES (?, ?)", blocks)
    conn.executemany("INSERT OR IGNORE INTO term (t) VALUES (?)", ((w,) for w in words))


def _words(texts: tuple[str, ...]) -> set[str]:
    """The words of an entry's search texts: the `term` table, where a query word is
    looked for inside words (FTS5 finds whole words and prefixes only). A word whose
    entries are gone stays there, and finds nothing."""
    from ke_papers.search import index_words

    return index_words(" ".join(texts))


#: The columns of an entry's row that come from its paper (its record is kept apart, in
#: `paper`, with what is derived from it: the columns scan fast).
COLUMNS = ("key", "year", "taxonomy", "ftaxonomy", "code", "venue", "arxiv", "doi", "title",
           "child", "n_title", "n_keywords", "n_abstract", "undefined")  # fmt: skip
_MARKS = ", ".join("?" * len(COLUMNS))
#: Each search field's total length in words (its mean dampens a hit, BM25's avgdl).
_SIZES = "total(n_title), total(n_keywords), total(n_abstract)"
_MARKS_FTS = ", ".join("?" * len(FIELDS))


def _row(paper: Paper) -> tuple[tuple[Any, ...], tuple[str, ...]]:
    """A paper's row in `entry` (but its fingerprint) then its record, and its texts in
    `fts`."""
    from ke_papers import bibread
    from ke_papers.identity import Keys
    from ke_papers.latex import fold
    from ke_papers.search import field_values, token_count

    ids = Keys.of(paper)
    texts = field_values(paper)
    values = (
        paper.key,
        paper.year,
        json.dumps(paper.taxonomy),
        fold(" / ".join(paper.taxonomy)),
        int(paper.has_code),
        fold(paper.venue),
        ids.arxiv,
        ids.doi,
        ids.title,
        int(bibread.is_child(paper)),
        *(token_count(texts[FIELDS.index(f)]) for f in ("title", "keywords", "abstract")),
        json.dumps(paper.undefined_macros) if paper.undefined else None,
        paper.record(),
    )
    return values, texts


def _lay_out(
    conn: sqlite3.Connection, data: bytes, encoding: str, pieces: _Pieces, before: _Before
) -> None:
    """The file's layout, its duplicate keys, and the crossref children brought up to
    date with their parents. Runs of pieces laid out before are copied from the old
    layout, moved by how far they moved; only new pieces' blocks are read."""
    starts, fps, defines, was = pieces.starts, pieces.fps, pieces.defines, before.where
    # the pieces found in their groups were all laid out before
    new = {fps[k] for k in pieces.hashed if fps[k] not in was}
    wanted = list(new | {fps[k] for k in defines})
    blocks = dict(_each(conn, "SELECT fp, blocks FROM piece WHERE fp IN ({})", wanted))
    old, cut = before.layout, before.cuts
    layout, cuts = Layout(), _Cuts(array("i", starts))
    strings: list[tuple[int, int]] = []
    defined: list[tuple[int, str]] = []
    line, prev, last, k = 1, 0, 0, 0
    moved: list[tuple[int, int]] = []  # entries whose place or line may have changed
    defining = sorted(defines)
    while k < len(fps):
        line += data.count(b"\n", prev, starts[k])
        prev, j = starts[k], was.get(fps[k])
        if j is None or k in defines:
            cuts.lines.append(line)
            at = len(layout.ids)
            for a, b, kind, dl, entry in json.loads(blocks[fps[k]]):
                a, b = starts[k] + a, starts[k] + b
                if kind == "entry":
                    values = (entry, line + dl, a, b, last)
                    for column, value in zip(layout.columns(), values, strict=True):
                        column.append(value)
                elif kind == "string":
                    strings.append((a, b))
                    defined.append((line + dl, entry))
                last = b
            cuts.last.append(last)
            moved.append((at, len(layout.ids)))
            k += 1
            continue
        # the run of pieces that follow each other as they did before, a group at a time
        d = bisect_right(defining, k)
        most = len(fps) if d == len(defining) else defining[d]
        most = min(most, len(before.fps) - j + k) - k
        n = 1
        while n < most:
            m = min(GROUP, most - n)
            if fps[k + n : k + n + m] != before.fps[j + n : j + n + m]:
                while fps[k + n] == before.fps[j + n]:
                    n += 1
                break
            n += m
        dl, db = line - cut.lines[j], starts[k] - cut.starts[j]
        # the run's entries: those that start in its pieces
        after = cut.starts[j + n] if j + n < len(cut.starts) else before.size + 1
        first, end = bisect_left(old.starts, cut.starts[j]), bisect_left(old.starts, after)
        at = len(layout.ids)
        if at != first or dl:
            moved.append((at, at + end - first))
        shifts = (0, dl, db, db, db)
        for column, was_, shift in zip(layout.columns(), old.columns(), shifts, strict=True):
            part = was_[first:end]
            column.extend(part if not shift else (x + shift for x in part))
        if first < end and old.before[first] <= cut.starts[j]:  # a block of another piece
            layout.before[at] = last
        cuts.lines.extend(x + dl for x in cut.lines[j : j + n])
        cuts.last.extend(x + db if x > cut.starts[j] else last for x in cut.last[j : j + n])
        last, line, prev = cuts.last[-1], cuts.lines[-1], starts[k + n - 1]
        k += n
    keys = _resolve_children(conn, layout)
    twice = len(set(fps)) < len(fps) or len(was) < len(before.fps)  # a piece stands twice
    if twice and keys is None:  # its keys stand twice: every key is looked at
        keys = dict(conn.execute("SELECT id, key FROM entry"))
    # only a new entry's key, or one used twice before, can be used twice now
    fresh = _each(conn, "SELECT key FROM entry WHERE fp IN ({})", list(new))
    maybe = [*before.duplicated, *(key for (key,) in fresh)] if before.fps else None
    (sizes,) = conn.execute(f"SELECT json_array({_SIZES}) FROM entry").fetchone()
    info = {
        "duplicate_keys": sorted(_duplicates(conn, layout, keys, maybe) + _repeated(defined)),
        "strings": strings,
        "defined": defined,
        "sizes": json.loads(sizes),
        "sections": before.sections,
        "count": len(layout.ids),
        "size": len(data),
    }
    _keep_rows(conn, before, list(new))
    place, lines = before.rows.place, before.rows.line
    # each row's first place (a piece set twice has two), where it may have changed
    for a, b in [(0, len(layout.ids))] if twice or not before.fps else moved:
        for i in range(b - 1, a - 1, -1):
            place[layout.ids[i]], lines[layout.ids[i]] = i, layout.lines[i]
    kept = [encoding, layout.pack(), json.dumps(info), b"".join(fps), cuts.pack()]
    kept += [before.rows.pack(), "\0".join(before.keys).encode(), pieces.groups()]
    conn.executemany("INSERT OR REPLACE INTO layout VALUES (?, ?)", zip(_KEPT, kept, strict=True))


#: What the `layout` table keeps of the file, one row each (a blob read alone).
_KEPT = ("encoding", "layout", "info", "fps", "cuts", "rows", "keys", "groups")


def _keys(blob: bytes) -> list[str]:
    """Each row's key, by row number, from its blob (written joined by NUL, which no bib
    file holds)."""
    return blob.decode().split("\0")


def _each(conn: sqlite3.Connection, sql: str, values: Sequence[Any]) -> Iterator[Any]:
    """The rows of `sql` for all `values`, its `{}` the marks of a batch of them (SQLite
    takes a few hundred marks a statement)."""
    for k in range(0, len(values), 500):
        batch = list(values[k : k + 500])
        yield from conn.execute(sql.format(",".join("?" * len(batch))), batch)


def _kept(conn: sqlite3.Connection, *names: str) -> dict[str, Any]:
    marks = ",".join("?" * len(names))
    return dict(conn.execute(f"SELECT name, value FROM layout WHERE name IN ({marks})", names))


def _keep_rows(conn: sqlite3.Connection, before: _Before, new: list[bytes]) -> None:
    """The rows of new pieces, and crossref children (resolved anew), into `Rows` and
    the keys by row."""
    sql = "SELECT id, key, taxonomy, n_title, n_keywords, n_abstract FROM entry"
    changed = [
        *conn.execute(f"{sql} WHERE child = 1"),
        *_each(conn, sql + " WHERE fp IN ({})", new),
    ]
    number = {path: k for k, path in enumerate(before.sections)}
    for row, key, path, *sizes in changed:
        if row >= len(before.keys):
            before.keys.extend([""] * (row + 1 - len(before.keys)))
        before.keys[row] = key
        if path not in number:
            number[path] = len(before.sections)
            before.sections.append(path)
        before.rows.put(row, (number[path], *sizes))


def _repeated(pairs: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
    """The (line, name) of each block whose name a block above it has."""
    seen: set[str] = set()
    out: list[tuple[int, str]] = []
    for at, name in pairs:
        if name in seen:
            out.append((at, name))
        seen.add(name)
    return out


def _duplicates(
    conn: sqlite3.Connection, layout: Layout, keys: dict[int, str] | None, maybe: list[str] | None
) -> list[tuple[int, str]]:
    """The entries whose key an entry above has (of `keys`, every entry's, if given; else
    SQL names the keys used twice among those that `maybe` are, or all)."""
    if keys is None:
        named = "SELECT key FROM entry" + (" WHERE key IN ({})" if maybe is not None else "")
        sql = f"SELECT id, key FROM entry WHERE key IN ({named} GROUP BY key HAVING count(*) > 1)"
        keys = dict(conn.execute(sql) if maybe is None else _each(conn, sql, maybe))
    pairs = zip(layout.lines, layout.ids, strict=True) if keys else ()
    return _repeated((at, keys[row]) for at, row in pairs if row in keys)


def _resolve_children(conn: sqlite3.Connection, layout: Layout) -> dict[int, str] | None:
    """Give crossref/xdata children their parents' fields: parents may have changed
    whatever the child's own bytes, so children are resolved on every change. The keys
    of every entry, when it read them."""
    from ke_papers import bibread

    children = [row for (row,) in conn.execute("SELECT id FROM entry WHERE child = 1")]
    if not children:
        return None
    keys = dict(conn.execute("SELECT id, key FROM entry"))
    first: dict[str, int] = {}
    for row in reversed(layout.ids):
        first[keys[row].casefold()] = row
    cache: dict[int, Paper] = {}

    def load(row: int) -> Paper:
        if row not in cache:
            (record,) = conn.execute("SELECT record FROM paper WHERE id = ?", (row,)).fetchone()
            old = Paper.from_record(record)
            cache[row] = Paper(old.key, old.entry_type, old.fields, comments=old.comments)
        return cache[row]

    def find(key: str) -> Paper | None:
        row = first.get(key)
        return None if row is None else load(row)

    papers = [load(row) for row in children]
    bibread.resolve_crossrefs(papers, find)
    for row, paper in zip(children, papers, strict=True):
        values, texts = _row(paper)
        conn.executemany("INSERT OR IGNORE INTO term (t) VALUES (?)", ((w,) for w in _words(texts)))
        sets = ", ".join(f"{c} = ?" for c in COLUMNS)
        conn.execute(f"UPDATE entry SET {sets} WHERE id = ?", (*values[:-1], row))
        conn.execute(
            "UPDATE paper SET record = ?, markdown = NULL, bibtex = NULL, json = NULL WHERE id = ?",
            (values[-1], row),
        )
        fields = ", ".join(f"{f} = ?" for f in FIELDS)
        conn.execute(f"UPDATE fts SET {fields} WHERE rowid = ?", (*texts, row))
    return keys
