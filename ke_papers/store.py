"""Reading and writing the bib file.

Reading keeps the whole text and where each block stands in it, so that a write
can splice: entries nobody changed are copied byte for byte, changed and new ones
are written in canonical form. Every write of a bib file is a `transaction`: lock,
read, change, compare the result with the old text, then an atomic replace
(`files.write_atomic`) that keeps the file's owner and mode.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import operator
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ke_papers import fields as bibfields
from ke_papers import files
from ke_papers.bibtex import format_entry
from ke_papers.errors import BibError, EncodingNote, KePapersError, display_path
from ke_papers.model import END, Paper

_MONTHS = {m: m for m in bibfields.MONTHS}
#: Encodings tried in order; a file that is not UTF-8 is most often from an older Windows tool.
ENCODINGS = ("utf-8", "cp1252", "latin-1")
#: What the comment scan looks at: an entry's start, braces, quotes, `%`; an escaped one
#: (`\%`, `\}`) is text, as bibtexparser reads it.
_TOKEN = re.compile(r'\\.|@[ \t]*(\w+)[ \t\r\n]*([{(])|[{}"%]', re.DOTALL)
_NOT_ENTRIES = ("comment", "string", "preamble")
_NAMED_KEY = re.compile(r"after entry key `([^`]+)`")
#: Text between entries that reads like a field: `, year = 2000` or `title = {...}`.
_FIELD_LIKE = re.compile(r'^[ \t]*,?[ \t]*[A-Za-z][\w.:+-]*[ \t]*=[ \t]*[{"\w]', re.MULTILINE)


class Chunk(NamedTuple):
    """One top-level block of the file: where it stands and what it is (a tuple: a big
    file has many)."""

    start: int
    end: int
    kind: str  # entry, string, preamble, comment
    line: int


class Undecoded:
    """A file's text kept as its bytes and decoded only where it is read: a write into a
    big file reads a few blocks of it and copies the rest byte for byte. Positions in it
    are bytes (blocks start and end between characters)."""

    def __init__(self, data: bytes, encoding: str) -> None:
        self.data, self.encoding = data, encoding

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, key: slice) -> str:
        return self.data[key].decode(self.encoding)

    def count(self, sub: str, start: int, end: int) -> int:
        return self.data.count(sub.encode(self.encoding), start, end)

    def holds(self, positions: list[int], allowed: bytes) -> bool:
        """Whether the byte at each position is one of `allowed` (looked at in C)."""
        if not positions:
            return True
        if not 0 <= min(positions) <= max(positions) < len(self.data):
            return False
        found = bytes(operator.itemgetter(*positions, 0)(self.data))  # (0: always a tuple)
        return not found[:-1].translate(None, allowed)


@dataclass
class Document:
    """A parsed bib file: its text, its blocks and the papers read from them."""

    path: Path | None
    text: str | Undecoded
    chunks: list[Chunk]
    papers: list[Paper]
    strings: dict[str, str]
    #: (line, key) of entries whose key was already taken; only a lenient parse keeps them.
    duplicate_keys: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    #: (line, text) of text between entries that reads like fields; only a lenient parse keeps it.
    stray: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    #: How the file's bytes are decoded, and so how a write encodes them.
    encoding: str = "utf-8"
    #: (line, name) of every @string block, as written.
    defined: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    #: The papers' identities, when the parse cache already knows them: for each kind
    #: (`identity.KINDS`), one value per paper.
    ids: Sequence[Sequence[str]] | None = None


def _block_error(path: Path | str, block: object) -> BibError:
    from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock

    line = (getattr(block, "start_line", 0) or 0) + 1
    if isinstance(block, DuplicateBlockKeyBlock):
        return BibError(path, line, f"duplicate key '{block.key}'")
    if isinstance(block, DuplicateFieldKeyBlock):
        seen: set[str] = set()
        for f in getattr(block.ignore_error_block, "fields", []):
            name = f.key.casefold()
            if name in seen:
                return BibError(path, (f.start_line or 0) + 1, f"duplicate field '{name}'")
            seen.add(name)
        fields = ", ".join(f"'{k}'" for k in sorted(block.duplicate_keys))
        return BibError(path, line, f"duplicate field {fields}")
    error = getattr(block, "error", None)
    reason = getattr(error, "abort_reason", None) or str(error or "")
    reason = " ".join(reason.split()) or "cannot parse this block"
    raw = getattr(block, "raw", "") or ""
    head = raw.lstrip().split("{", 1)[0].split("(", 1)[0].strip() or "block"
    # The line of the problem: the field named in the reason, else where parsing stopped.
    named = _NAMED_KEY.search(reason)
    at = raw.find(named[1].split()[0]) if named else -1
    stop = line + (raw.count("\n", 0, at) if at >= 0 else raw.rstrip().count("\n"))
    where = f" (the entry starts at line {line})" if stop != line else ""
    return BibError(path, stop, f"cannot parse {head}{where}: {reason}")


def _unquote(raw: str, strings: dict[str, str]) -> str:
    """The value BibTeX sees for a raw field value: enclosing stripped, macros expanded."""
    raw = raw.strip()
    if _literal(raw):
        return raw if raw.isdigit() else raw[1:-1]
    parts = _split_concat(raw)
    if len(parts) == 1:
        return expand(raw, strings)
    return "".join(_unquote(p, strings) for p in parts)


def expand(name: str, strings: dict[str, str]) -> str:
    """What a bare word in a value stands for: an @string, a month, else itself."""
    folded = name.casefold()
    return strings.get(folded, _MONTHS.get(folded, name))


def macros(raw: str) -> list[str]:
    """The bare words (macro names) whose meaning `_unquote` looks up for this raw value."""
    raw = raw.strip()
    if _literal(raw):
        return []
    parts = _split_concat(raw)
    if len(parts) == 1:
        return [raw]
    return [name for p in parts for name in macros(p)]


def _unknown(raw: str, strings: dict[str, str]) -> str:
    """`raw` with the macros no @string above defines (nor a month) kept as macros and
    every other part as its braced text; '' when it uses none."""
    parts = _split_concat(raw.strip())
    unknown = [
        not _literal(p) and p.casefold() not in strings and p.casefold() not in _MONTHS
        for p in parts
    ]
    if not any(unknown):
        return ""
    return " # ".join(
        p if bare or p.casefold() in _MONTHS else "{" + _unquote(p, strings) + "}"
        for p, bare in zip(parts, unknown, strict=True)
    )


def _literal(raw: str) -> bool:
    """One braced, quoted or numeric value: `"a" # b # "c"` is three parts, not one."""
    return (
        (raw.startswith("{") and raw.endswith("}"))
        or (
            raw.startswith('"')
            and raw.endswith('"')
            and len(raw) >= 2
            and ('"' not in raw[1:-1] or len(_split_concat(raw)) == 1)
        )
        or raw.isdigit()
    )


def _split_concat(raw: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    quoted = False
    start = 0
    for i, ch in enumerate(raw):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == '"' and depth == 0:
            quoted = not quoted
        elif ch == "#" and depth == 0 and not quoted:
            parts.append(raw[start:i])
            start = i + 1
    parts.append(raw[start:])
    return [p.strip() for p in parts]


def _comment_lines(text: str) -> list[tuple[int, int]]:
    """Where `% comments` stand between the fields of an entry (start, end), each to the end
    of its line: a line of its own, or after a field (`year = 2000, % online 1999`).

    BibTeX has no comments inside an entry, but people write them; bibtexparser would
    read one as part of the next field's name. A `%` inside a value is the value's.
    Inside a `"..."` value braces do not count, as bibtexparser reads it (and `{"}` is a
    quote character, not the value's end).
    """
    if "%" not in text:
        return []
    spans: list[tuple[int, int]] = []
    depth, quoted, entry, skip = 0, False, False, -1
    for m in _TOKEN.finditer(text):
        token = m[0]
        if m.start() < skip or token[0] == "\\":
            continue
        if quoted and token != '"':
            continue
        if quoted and text[m.start() - 1 : m.start()] == "{" and text[m.end() : m.end() + 1] == "}":
            continue
        if m[2] is not None:
            if depth == 0 and m[2] == "{":
                depth, quoted, entry = 1, False, m[1].casefold() not in _NOT_ENTRIES
            elif depth and m[2] == "{":
                depth += 1
        elif token == "{" and depth:
            depth += 1
        elif token == "}" and depth:
            depth -= 1
        elif token == '"' and depth == 1:
            quoted = not quoted
        elif token == "%" and depth == 1 and entry and not quoted:
            end = text.find("\n", m.start())
            skip = len(text) if end < 0 else end
            spans.append((m.start(), skip))
    return spans


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with `spans` turned to spaces: same length, same lines, for the parser."""
    if not spans:
        return text
    parts, pos = [], 0
    for start, end in spans:
        parts += [text[pos:start], " " * (end - start)]
        pos = end
    return "".join(parts) + text[pos:]


def _quiet_logs() -> None:
    """bibtexparser logs each bad block (to stderr, through Python's last-resort handler);
    the first one becomes our own one-line error instead."""
    import logging

    log = logging.getLogger("bibtexparser")
    if not log.handlers:
        log.addHandler(logging.NullHandler())
        log.propagate = False
        log.setLevel(logging.CRITICAL + 1)


def is_child(paper: Paper) -> bool:
    """Whether the paper reads fields from other entries (crossref, xdata)."""
    return "crossref" in paper.fields or "xdata" in paper.fields


def resolve_crossrefs(children: Iterable[Paper], find: Callable[[str], Paper | None]) -> None:
    """Give each crossref/xdata child among `children` the fields its parents hold and it
    lacks; `find` gives the entry of a case-folded key (the last one of that key)."""
    children = [p for p in children if is_child(p)]
    if not children:
        return

    def parents(paper: Paper) -> Iterator[Paper]:
        names = [paper.fields.get("crossref", ""), *paper.fields.get("xdata", "").split(",")]
        for name in names:
            parent = find(name.strip().casefold())
            if parent is not None and parent is not paper:
                yield parent

    for child in children:
        got: dict[str, str] = {}
        todo, seen = list(parents(child)), {id(child)}
        while todo:
            parent = todo.pop(0)
            if id(parent) in seen:
                continue
            seen.add(id(parent))
            have = {**child.fields, **got}
            got.update(bibfields.inherited(child.entry_type, have, parent.fields))
            todo += parents(parent)
        child.inherited = got


def _attach(
    block: Any, spans: list[tuple[int, int]], text: str, newlines: list[int]
) -> dict[str, str]:
    """The comment lines of one entry, each joined to the field that follows it."""
    comments: dict[str, str] = {}
    starts = [((f.start_line or 0), f.key.casefold()) for f in block.fields]
    for start, end in spans:
        line = bisect.bisect_right(newlines, start)  # 0-based, as bibtexparser counts
        name = next((n for first, n in starts if first > line), END)
        written = text[start:end].strip()
        comments[name] = comments[name] + "\n" + written if name in comments else written
    return comments


def _stray(block: Any, previous: Any, path: Path | str, lenient: bool) -> tuple[int, str] | None:
    """Text between entries that reads like fields: most often a `}` that closed an entry early.

    Right after an entry it is an error (the fields would be lost), else lint's finding.
    """
    from bibtexparser import model as bm

    raw = block.raw or ""
    m = _FIELD_LIKE.search(raw)
    if not m:
        return None
    line = (block.start_line or 0) + 1 + raw.count("\n", 0, m.start())
    shown = " ".join(raw[m.start() :].split("\n", 1)[0].split())
    early = isinstance(previous, bm.Entry) and (
        raw.lstrip().startswith(",") or raw[: m.start()].strip() == ""
    )
    if early and not lenient:
        end = (previous.start_line or 0) + 1 + (previous.raw or "").count("\n")
        raise BibError(
            path,
            end,
            f"a '}}' here closes entry {previous.key} before its last fields, "
            f"so '{shown}' would be read as a comment",
        )
    return line, shown


def parse(
    text: str,
    path: Path | str = "papers.bib",
    lenient: bool = False,
    encoding: str = "utf-8",
    duplicates_ok: bool = False,
    strings: dict[str, str] | None = None,
    resolve: bool = True,
) -> Document:
    """Parse bib text; the first unreadable block raises BibError with its line.

    `lenient` (for lint) keeps an entry whose key is taken, and text between entries
    that reads like fields, and notes them, instead of failing; `duplicates_ok` (for
    reading) keeps and notes only entries whose key is taken. A part of a file is
    parsed with the @strings defined above it (`strings`), and without `resolve`
    its crossref children wait for the parents in the rest of the file (`resolve`).
    """
    import bibtexparser
    from bibtexparser import model as bm

    _quiet_logs()
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise BibError(path, line, "NUL byte: this is not a text file")
    spans = _comment_lines(text)
    parsed = _blank(text, spans)
    try:
        lib = bibtexparser.parse_string(parsed, parse_stack=[])
    except Exception as exc:  # bibtexparser's own state errors: still one line for the user
        raise BibError(path, None, f"cannot parse this file ({type(exc).__name__})") from None
    failed = [
        b
        for b in lib.failed_blocks
        if not ((lenient or duplicates_ok) and isinstance(b, bm.DuplicateBlockKeyBlock))
    ]
    if failed:
        raise _block_error(path, min(failed, key=lambda b: b.start_line or 0))
    chunks: list[Chunk] = []
    papers: list[Paper] = []
    strings = dict(strings or {})
    defined: list[tuple[int, str]] = []
    duplicate_keys: list[tuple[int, str]] = []
    stray: list[tuple[int, str]] = []
    newlines = [i for i, ch in enumerate(text) if ch == "\n"] if spans else []
    cursor = 0
    previous: Any = None
    for found in lib.blocks:
        block = found
        if isinstance(found, bm.DuplicateBlockKeyBlock):
            duplicate_keys.append(((found.start_line or 0) + 1, found.key))
            block = found.ignore_error_block or found
        raw = block.raw or ""
        start = parsed.find(raw, cursor)
        if start < 0:
            raise BibError(path, (block.start_line or 0) + 1, "cannot locate this block")
        end = start + len(raw)
        cursor = end
        line = (block.start_line or 0) + 1
        if isinstance(block, bm.Entry):
            fields: dict[str, str] = {}
            raws: dict[str, str] = {}
            undefined: dict[str, str] = {}
            for f in block.fields:
                name = f.key.casefold()
                if name in raws:
                    raise BibError(path, (f.start_line or 0) + 1, f"duplicate field '{name}'")
                raws[name] = f.value
                fields[name] = _unquote(f.value, strings)
                if not _literal(f.value.strip()) and (kept := _unknown(f.value, strings)):
                    undefined[name] = kept
            inside = [s for s in spans if start <= s[0] < end] if spans else []
            papers.append(
                Paper(
                    key=block.key,
                    entry_type=block.entry_type.casefold(),
                    fields=fields,
                    raw=raws,
                    line=line,
                    chunk=len(chunks),
                    comments=_attach(block, inside, text, newlines) if inside else {},
                    undefined=undefined,
                )
            )
            kind = "entry"
        elif isinstance(block, bm.String):
            strings[block.key.casefold()] = _unquote(block.value, strings)
            defined.append((line, block.key))
            kind = "string"
        elif isinstance(block, bm.Preamble):
            kind = "preamble"
        else:
            kind = "comment"
            if isinstance(block, bm.ImplicitComment):
                found_stray = _stray(block, previous, path, lenient)
                if found_stray:
                    stray.append(found_stray)
        previous = block
        chunks.append(Chunk(start, end, kind, line))
    if resolve and any(map(is_child, papers)):
        resolve_crossrefs(papers, {p.key.casefold(): p for p in papers}.get)
    return Document(
        Path(path), text, chunks, papers, strings, duplicate_keys, stray, encoding, defined
    )


def load_text(data: bytes, path: Path | None = None) -> tuple[str, str]:
    """The text of a bib file and the encoding it is in: UTF-8, else Windows-1252, else Latin-1.

    Latin-1 decodes any bytes, so an old file always reads; the encoding goes back on write.
    With `path`, a file that is not UTF-8 is noted (`note_encoding`).
    """
    if data.isascii():
        return data.decode("ascii"), "utf-8"
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if path is not None and b"\x00" not in data:  # binary data is refused by the parse
            note_encoding(path, encoding)
        return text, encoding
    raise AssertionError("latin-1 decodes any bytes")


def encoding_of(data: bytes, path: Path | None = None) -> str:
    """The encoding `load_text` reads these bytes in (noted, as there, with `path`)."""
    return "utf-8" if data.isascii() else load_text(data, path)[1]


def note_encoding(path: Path, encoding: str) -> None:
    """Tell the user (through `warnings`, which the CLI shows once) how a file that is not
    UTF-8 is read and written."""
    if encoding != "utf-8":
        message = f"note: {display_path(path)} is not UTF-8; read as {encoding}, and written back as {encoding}"
        warnings.warn(EncodingNote(message), stacklevel=2)


def read(path: Path, lenient: bool = False) -> Document:
    """Read and parse a bib file; a missing or unreadable file is a one-line error."""
    text, encoding = load_text(files.read_bytes(path), path)
    return parse(text, path, lenient, encoding)


def canonical(doc: Document) -> str:
    """The whole file in canonical form: blocks in order, one blank line between them."""
    parts = []
    by_chunk = {p.chunk: p for p in doc.papers}
    for i, chunk in enumerate(doc.chunks):
        if chunk.kind == "entry":
            parts.append(format_entry(by_chunk[i]))
        else:
            parts.append(doc.text[chunk.start : chunk.end].strip())
    return "\n\n".join(p for p in parts if p) + "\n" if parts else ""


@dataclass(frozen=True)
class Segment:
    """A part of a spliced file: old text `old` (start, end) copied verbatim, holding
    blocks `chunks` (first, last; none when it is only space), or `paper` written anew as
    `text`. `start` and `end` count old text in the document's own units (bytes when its
    text is undecoded) and new text in characters: they order the parts, nothing more."""

    start: int
    end: int
    paper: Paper | None = None
    old: tuple[int, int] | None = None
    chunks: tuple[int, int] | None = None
    text: str = ""


#: A spliced file's text, never built whole: new text, or (start, end) of the old text.
Parts = list[str | tuple[int, int]]


def splice(doc: Document, papers: list[Paper]) -> tuple[Parts, list[Segment]]:
    """The new file's text as parts (untouched entries byte for byte, changed and new ones
    canonical), and where each part stands.

    A paper read from the file keeps its place (its `chunk`); a new paper follows
    the paper before it in `papers`; a paper missing from `papers` is removed. Old text
    that stays as it was is named by its place in runs as long as possible, so a change
    to a big file costs about as much as its number of changes, not its size.
    """
    original = {id(p) for p in doc.papers}
    placed: dict[int, Paper] = {}
    followers: dict[int | None, list[Paper]] = {}
    anchor: int | None = None
    for paper in papers:
        if paper.chunk is not None and paper.chunk not in placed and paper.chunk >= (anchor or 0):
            placed[paper.chunk] = paper
            anchor = paper.chunk
        else:
            followers.setdefault(anchor, []).append(paper)

    out: Parts = []
    segments: list[Segment] = []
    size = 0
    run: list[Any] = []  # old text being copied: [start, end, first chunk, last chunk]

    def emit(text: str, paper: Paper | None = None) -> None:
        nonlocal size
        flush()
        if paper is not None:
            segments.append(Segment(size, size + len(text), paper, text=text))
        out.append(text)
        size += len(text)

    def flush() -> None:
        nonlocal size
        if run:
            start, end, first, last = run
            chunks = None if first is None else (first, last)
            segments.append(Segment(size, size + end - start, old=(start, end), chunks=chunks))
            out.append((start, end))
            size += end - start
            run.clear()

    def copy(start: int, end: int, chunk: int | None = None) -> None:
        if run and run[1] == start:
            run[1] = end
        else:
            flush()
            run[:] = [start, end, None, None]
        if chunk is not None:
            run[2] = chunk if run[2] is None else run[2]
            run[3] = chunk

    pos = 0
    leading = followers.pop(None, [])
    chunks = doc.chunks
    # Only entries removed, rewritten or followed by new ones need a look of their own;
    # the old text between them is copied whole.
    entries = [i for i, c in enumerate(chunks) if c.kind == "entry"]
    touched = {i for i in entries if i not in placed or id(placed[i]) not in original}
    touched.update(i for i in followers if i is not None)
    if leading and placed:
        touched.add(min(placed))  # new papers go before the first entry kept
    done = -1
    for i in sorted(touched):
        if i > done + 1:  # the blocks between, and the space before each
            copy(pos, chunks[i - 1].end, done + 1)
            run[3] = i - 1
            pos = chunks[i - 1].end
        done = i
        chunk = chunks[i]
        gap = (pos, chunk.start)
        pos = chunk.end
        kept = placed.get(i)
        if kept is None:
            continue
        copy(*gap)
        for new in leading:
            emit(format_entry(new), new)
            emit("\n\n")
        leading = []
        if id(kept) in original:
            copy(chunk.start, chunk.end, i)
        else:
            emit(format_entry(kept), kept)
        for new in followers.get(i, []):
            emit("\n\n")
            emit(format_entry(new), new)
    if done + 1 < len(chunks):
        copy(pos, chunks[-1].end, done + 1)
        run[3] = len(chunks) - 1
        pos = chunks[-1].end
    flush()
    if leading:  # no entry is kept: the new ones follow what is left, if anything
        segments = _rstripped(doc, segments)  # all old text here, one range per segment
        out = [seg.old for seg in segments if seg.old is not None]
        size = segments[-1].end if segments else 0
        emit("\n\n" if segments else "")
        for j, new in enumerate(leading):
            emit("\n\n" if j else "")
            emit(format_entry(new), new)
        emit("\n")
        return out, segments
    if out or doc.text[pos:].strip():
        copy(pos, len(doc.text))
        flush()
    return out, segments


def _rstripped(doc: Document, segments: list[Segment]) -> list[Segment]:
    """Old text without the space it ends with (none at all when it is only space)."""
    kept = list(segments)
    while kept and kept[-1].old is not None:
        seg, (start, end) = kept[-1], kept[-1].old
        length = _width(doc, doc.text[start:end].rstrip())
        if length:
            kept[-1] = dataclasses.replace(seg, end=seg.start + length, old=(start, start + length))
            break
        kept.pop()
    return kept


def _width(doc: Document, text: str) -> int:
    """How far `text` reaches in the document's old text (bytes when it is undecoded)."""
    return len(text.encode(doc.encoding)) if isinstance(doc.text, Undecoded) else len(text)


#: A decoded old text (after a full parse) is encoded this many characters at a time
#: when a spliced file is written.
WINDOW = 1 << 20


def spliced_bytes(doc: Document, parts: Parts, path: Path) -> Iterator[bytes | memoryview]:
    """A spliced file's bytes in its own encoding, a window at a time. A character the
    encoding cannot hold refuses the write, with its line (counted only then)."""
    for k, part in enumerate(parts):
        if not isinstance(part, str) and isinstance(doc.text, Undecoded):
            yield memoryview(doc.text.data)[part[0] : part[1]]  # as they are: never encoded
            continue
        windows: Iterable[tuple[int, str]] = (
            [(0, part)]
            if isinstance(part, str)
            else (  # sliced one at a time: the old text is never copied whole
                (at - part[0], doc.text[at : min(at + WINDOW, part[1])])
                for at in range(part[0], part[1], WINDOW)
            )
        )
        for offset, text in windows:
            try:
                yield text.encode(doc.encoding)
            except UnicodeEncodeError as exc:
                raise BibError(
                    path,
                    _line_of(doc, parts, k, offset + exc.start),
                    f"refusing to write: {text[exc.start]!r} cannot be written in this file's "
                    f"encoding ({doc.encoding}); convert the file to UTF-8 first",
                ) from None


def _line_of(doc: Document, parts: Parts, k: int, offset: int) -> int:
    """The line, in the spliced file, of character `offset` of part `k`."""

    def newlines(part: str | tuple[int, int], upto: int | None = None) -> int:
        if isinstance(part, str):
            return part.count("\n", 0, len(part) if upto is None else upto)
        return doc.text.count("\n", part[0], part[1] if upto is None else part[0] + upto)

    return 1 + sum(map(newlines, parts[:k])) + newlines(parts[k], offset)


def unchanged(doc: Document, parts: Parts) -> bool:
    """Whether the parts are the old text, whole."""
    pos = 0
    for part in parts:
        if isinstance(part, str):
            if part:
                return False
        elif part[0] != pos:
            return False
        else:
            pos = part[1]
    return pos == len(doc.text)


def check_splice(
    doc: Document, papers: list[Paper], parts: Parts, segments: list[Segment], path: Path
) -> None:
    """Refuse a spliced write unless it holds exactly the intended entries.

    Copied text must be old text, in order, and hold every block that is not an entry
    removed or rewritten; each entry written anew must parse, alone (with the file's
    @strings), into exactly the paper intended; and the entries must be `papers`, in
    order. This costs a look at the changes, not a parse or a copy of the whole file.
    """

    def refuse(why: str) -> KePapersError:
        return KePapersError(
            f"refusing to write {display_path(path)}: {why}; this is a bug in ke-papers"
        )

    copied = [part for part in parts if not isinstance(part, str)]
    if copied != [seg.old for seg in segments if seg.old is not None] or any(
        not 0 <= a <= b <= c <= d <= len(doc.text)
        for (a, b), (c, d) in zip([(0, 0), *copied], [*copied, (len(doc.text),) * 2], strict=True)
    ):
        raise refuse("a block it was not asked to touch would change")
    chunks, text = doc.chunks, doc.text
    by_chunk = {p.chunk: p for p in doc.papers}
    intended = set(map(id, papers))
    rewritten = {id(seg.paper) for seg in segments if seg.paper is not None}
    starts = list(map(operator.itemgetter(0), chunks))
    # A block must lie whole in one copied range (but for space at its end), unless it is
    # an entry removed or rewritten. Only a block that starts in the gap after a range,
    # or that a range's end cuts, can fail to.
    for (_, end), (start, _) in zip([(0, 0), *copied], [*copied, (len(text),) * 2], strict=True):
        first = bisect.bisect_left(starts, end)
        for i in range(max(first - 1, 0), bisect.bisect_left(starts, start)):
            chunk = chunks[i]
            if chunk.end <= end:
                continue  # before the range's end: in the range
            paper = by_chunk.get(i)
            if chunk.kind == "entry" and (
                paper is None or id(paper) not in intended or id(paper) in rewritten
            ):
                continue  # removed or rewritten: its old text may go
            if text[max(chunk.start, end) : chunk.end].strip():
                raise refuse("a block it was not asked to touch would change")
    strings = "\n".join(text[c.start : c.end] for c in chunks if c.kind == "string")
    entries: list[Paper] = []
    for seg in segments:
        if seg.old is not None:
            if seg.chunks is not None:
                first, last = seg.chunks
                entries += [by_chunk[i] for i in range(first, last + 1) if i in by_chunk]
            continue
        assert seg.paper is not None
        try:
            written = parse(strings + "\n" + seg.text, path).papers
        except BibError as exc:
            raise refuse(f"entry {seg.paper.key} would not parse ({exc.message})") from None
        if len(written) != 1 or not _same(written[0], seg.paper):
            raise refuse(f"entry {seg.paper.key} would not read back as written")
        entries.append(seg.paper)
    if entries != papers:  # the very papers intended, in order (compared by identity)
        raise refuse("the entries would not be the ones intended")


def _squeezed(fields: dict[str, str]) -> dict[str, str]:
    return {name: " ".join(value.split()) for name, value in fields.items()}


def _same(a: Paper, b: Paper) -> bool:
    return (
        a.key == b.key
        and a.entry_type == b.entry_type
        and _squeezed(a.fields) == _squeezed(b.fields)
        and a.comments == b.comments
    )


def verify(before: list[Paper], after_text: str, path: Path, lenient: bool = False) -> None:
    """Refuse a write whose result does not read back as exactly the intended papers."""
    try:
        after = parse(after_text, path, lenient).papers
    except BibError as exc:
        raise KePapersError(
            f"refusing to write {display_path(path)}: it would not parse "
            f"({exc.message}); this is a bug in ke-papers"
        ) from None
    if len(after) != len(before) or not all(map(_same, before, after)):
        raise KePapersError(
            f"refusing to write {display_path(path)}: the result would change "
            "entries it was not asked to touch; this is a bug in ke-papers"
        )


@dataclass
class Edit:
    """What a transaction will write: `papers` in order, spliced into the old text,
    or with `rewrite` every entry in canonical form (fmt, lint --fix)."""

    doc: Document
    papers: list[Paper]
    rewrite: bool = False
    lenient: bool = False
    changed: bool = False

    def result(self, path: Path) -> Parts:
        """The new text (as parts), checked against the old one: a write that would go
        wrong is refused."""
        if self.rewrite:
            text = canonical(dataclasses.replace(self.doc, papers=self.papers))
            if text == self.doc.text[:]:  # the whole old text (decoded, if it is not)
                return [(0, len(self.doc.text))]  # already canonical: nothing to write
            verify(self.papers, text, path, self.lenient)
            return [text]
        parts, segments = splice(self.doc, self.papers)
        if not unchanged(self.doc, parts):
            check_splice(self.doc, self.papers, parts, segments, path)
        return parts


@contextlib.contextmanager
def transaction(
    path: Path,
    write: bool = True,
    lenient: bool = False,
    load: Callable[[Path], Document] | None = None,
) -> Iterator[Edit]:
    """The one way a bib file is changed: lock, read, let the caller edit, check, replace.

    `load` reads the document (the parse cache's, when it is trusted for these bytes);
    a missing file is an empty one. With `write=False` (a dry run) no lock is taken
    and nothing is written. `Edit.changed` tells whether the file changed.
    """
    guard = files.locked(path) if write else contextlib.nullcontext()
    with guard:
        loader = load or (lambda target: read(target, lenient))
        doc = loader(path) if path.exists() else parse("", path)
        edit = Edit(doc, list(doc.papers), lenient=lenient)
        yield edit
        if not write:
            return
        parts = edit.result(path)
        if not unchanged(doc, parts):
            files.write_atomic(path, spliced_bytes(doc, parts, path))
            edit.changed = True
