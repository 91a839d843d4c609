"""Reading BibTeX: a bib file's text parsed (bibtexparser 2) into its blocks and papers.

Each block keeps where it stands in the text and its line, and each field its raw text,
so that a write can leave untouched entries byte for byte (`store`). Comments inside
entries, macros, crossref inheritance and the encodings old tools write are handled here.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ke_papers import fields as bibfields
from ke_papers import files
from ke_papers.errors import BibError, EncodingNote, display_path
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


@dataclass
class Document:
    """A parsed bib file: its text, its blocks and the papers read from them."""

    path: Path | None
    text: str
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
    #: Crossref/xdata cycles, each as the keys around it (cut where they close).
    cycles: list[tuple[str, ...]] = dataclasses.field(default_factory=list)


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


#: Macros may add this many times the text's length to what a parse holds (and a floor):
#: `@string{b = a # a}` doubles, and thirty of them would ask for gigabytes.
_GROWTH = 8
_GROWTH_FLOOR = 1 << 12


def _grown(
    raw: str, value: str, strings: dict[str, str], left: int, path: Path | str, line: int | None
) -> int:
    """What is left of a parse's budget for text macros add, after `value` (read from
    `raw`); one line when it is spent. A bare macro shares its @string's text, so it
    costs nothing; a concatenation is a new copy."""
    if len(value) <= len(raw) or value is strings.get(raw.strip().casefold()):
        return left
    left -= len(value)
    if left < 0:
        raise BibError(
            path,
            (line or 0) + 1,
            f"@string macros expand here to {len(value):,} characters, more than this file "
            "can hold (macros built from each other, doubling?)",
        )
    return left


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


def resolve_crossrefs(
    children: Iterable[Paper], find: Callable[[str], Paper | None]
) -> list[tuple[str, ...]]:
    """Give each crossref/xdata child among `children` the fields its parents hold and it
    lacks; `find` gives the entry of a case-folded key. Returns the cycles found (each
    as the keys around it), which are cut where they close.

    Each entry's fields after inheritance are worked out once and kept, so a chain of
    any length (each entry the parent of the next) costs one pass, not one walk per child.
    A parent's own parents come after it, so its inherited fields count as its own.
    """
    children = [p for p in children if is_child(p)]
    if not children:
        return []

    def parents(paper: Paper) -> list[Paper]:
        names = [paper.fields.get("crossref", ""), *paper.fields.get("xdata", "").split(",")]
        found = (find(name.strip().casefold()) for name in names if name.strip())
        return [p for p in found if p is not None and p is not paper]

    full: dict[int, dict[str, str]] = {}  # id(paper) -> its fields after inheritance
    got: dict[int, dict[str, str]] = {}  # id(paper) -> what it inherited
    cycles: list[tuple[str, ...]] = []
    for child in children:
        if id(child) in full:
            continue
        path = [child]  # the walk from `child` up to the paper being worked on
        on_path = {id(child)}
        stack = [(child, iter(parents(child)))]
        while stack:
            paper, todo = stack[-1]
            for parent in todo:
                if id(parent) in full:
                    continue
                if id(parent) in on_path:
                    ring = path[path.index(parent) :]
                    cycles.append(tuple(p.key for p in ring))
                    continue
                if not is_child(parent):
                    full[id(parent)] = parent.fields
                    continue
                path.append(parent)
                on_path.add(id(parent))
                stack.append((parent, iter(parents(parent))))
                break
            else:
                stack.pop()
                path.pop()
                on_path.discard(id(paper))
                inherited: dict[str, str] = {}
                for parent in parents(paper):
                    if id(parent) in full:  # not a parent that closes a cycle
                        have = {**paper.fields, **inherited}
                        inherited.update(
                            bibfields.inherited(paper.entry_type, have, full[id(parent)])
                        )
                got[id(paper)] = inherited
                full[id(paper)] = {**paper.fields, **inherited}
    for child in children:
        child.inherited = got[id(child)]
    return cycles


def _attach(block: Any, spans: list[tuple[int, int]], text: str, at: int) -> dict[str, str]:
    """The comment lines of one entry (which starts at `at` in `text`), each joined to the
    field that follows it. Lines are counted from the entry's start, span by span."""
    comments: dict[str, str] = {}
    starts = [((f.start_line or 0), f.key.casefold()) for f in block.fields]
    line, pos = block.start_line or 0, at  # 0-based, as bibtexparser counts
    for start, end in spans:
        line += text.count("\n", pos, start)
        pos = start
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
    grown = _GROWTH * len(text) + _GROWTH_FLOOR  # what macros may add: see _grown
    cursor = next_span = 0
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
                grown = _grown(f.value, fields[name], strings, grown, path, f.start_line)
                if not _literal(f.value.strip()) and (kept := _unknown(f.value, strings)):
                    undefined[name] = kept
            while next_span < len(spans) and spans[next_span][0] < start:
                next_span += 1  # blocks and spans both come in order: one pass over both
            first = next_span
            while next_span < len(spans) and spans[next_span][0] < end:
                next_span += 1
            inside = spans[first:next_span]
            papers.append(
                Paper(
                    key=block.key,
                    entry_type=block.entry_type.casefold(),
                    fields=fields,
                    raw=raws,
                    line=line,
                    chunk=len(chunks),
                    comments=_attach(block, inside, text, start) if inside else {},
                    undefined=undefined,
                )
            )
            kind = "entry"
        elif isinstance(block, bm.String):
            value = strings[block.key.casefold()] = _unquote(block.value, strings)
            grown = _grown(block.value, value, strings, grown, path, block.start_line)
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
    cycles = []
    if resolve and any(map(is_child, papers)):
        cycles = resolve_crossrefs(papers, {p.key.casefold(): p for p in papers}.get)
    return Document(
        Path(path), text, chunks, papers, strings, duplicate_keys, stray, encoding, defined, cycles
    )


def load_text(data: bytes, path: Path | None = None) -> tuple[str, str]:
    """The text of a bib file and the encoding it is in (`encoding_of`); with `path`, a
    file that is not UTF-8 is noted (`note_encoding`)."""
    encoding = encoding_of(data)
    if path is not None and b"\x00" not in data:  # binary data is refused by the parse
        note_encoding(path, encoding)
    return data.decode(encoding), encoding


def encoding_of(data: bytes) -> str:
    """UTF-8, else Windows-1252 (an older Windows tool), else Latin-1, which decodes any
    bytes, so an old file always reads; the encoding goes back on write. Checked a MiB
    at a time: a big file is never held decoded whole."""
    import codecs

    if data.isascii():
        return "utf-8"
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for at in range(0, len(data), 1 << 20):
                decoder.decode(data[at : at + (1 << 20)])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise AssertionError("latin-1 decodes any bytes")


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
