"""Papers from an awesome-list README: its sections, its entries and its tables.

The list is cut into entries (list items, lines that start with a bold or linked title,
headings like `### 1. [Title](url)`, table rows) and each is read by `mdentry`. Headings
(and bold lines or bullets that group entries) give the taxonomy, which starts below the
heading that holds the papers, whatever it is called ("Papers", "Resources", or none).
Headings such as News, Contents, Citation or Contributing are never sections and nothing
under them is a paper; a date heading (`### 2024-10-26`) is not a section. Every entry
that looks like a paper (bold text, a link, a number) but cannot be read is reported with
its line, never dropped in silence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from ke_papers import venues
from ke_papers.model import Paper
from ke_papers.sources import Failure, Progress
from ke_papers.sources.mdentry import Parts, is_detail, plain, read, read_row

#: Where an entry stands: the (level, name) of each heading above it, then its groups.
Path = tuple[tuple[int, str], ...]

_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^(?P<indent>\s*)(?P<marker>\d+[.)]|[-*+])(?:\s+|$)")
_FENCE = re.compile(r"^\s*(```|~~~)")
_ROW = re.compile(r"^\s*\|.*\|\s*$")
_RULE = re.compile(r"^\s*\|?(?:\s*:?-+:?\s*\|)+\s*(?::?-+:?\s*)?$")
_BREAK_END = re.compile(r"<br\s*/?>\s*$", re.IGNORECASE)
_BOLD_LINE = re.compile(r"^\s*(?:\*\*|__)[^*_]+(?:\*\*|__)\s*:?\s*$")
_BOLD_START = re.compile(r"^\s*(?:\*\*|__)(?P<inner>.+?)(?:\*\*|__)(?P<after>.?)")
_LINK_START = re.compile(r"^\s*(?:\*\*)?\[(?!\[|!)(?P<label>[^\]]+)\]\((?P<url>[^)\s]*)")
_HEADING_ENTRY = re.compile(r"^(?:\d+[.)]\s*)?(?:\*\*)?\[(?!!)[^\]]+\]\(https?://")
_NUMBERED = re.compile(r"^\d+[.)]\s+\S")
_PAPER_LINK = re.compile(r"\[\[?\s*(?:paper|pdf|arxiv|abs)\b[^\]]*\]\]?\(https?://", re.IGNORECASE)
_NUMBERING = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[IVX]+\.)\s+")
_NOT_SECTION = re.compile(
    r"^(?:(?:latest |recent )?news\b.*|(?:table of )?contents?|toc|citations?|how to cite.*|"
    r"cite\b.*|citing\b.*|contribut\w*.*|star history|stargazers.*|acknowledg\w*|"
    r"licen[sc]e|contacts?(?: us)?)$",
    re.IGNORECASE,
)
#: The share of the papers a "Papers" heading must hold to be the list's paper area.
MAJORITY = 0.8
#: Names of the heading that holds a list's papers (not a section of the taxonomy).
_HOLDER = re.compile(
    r"^(?:(?:the|all|full|selected|recent|latest|must[- ]read|research|related|curated|awesome|"
    r"daily|weekly|paper|reading)\s+)*(?:papers?(?:\s+list)?|list\s+of\s+papers|reading\s+list|"
    r"resources?|publications?|literature|references|lists?|articles|collections?|updates)$",
    re.IGNORECASE,
)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE_HEADING = re.compile(
    rf"^(?:(?:19|20)\d\d(?:[./\-]\d{{1,2}}){{0,2}}|{_MONTH}\s+(?:\d{{1,2}},?\s+)?(?:19|20)\d\d"
    rf"|\d{{1,2}}\s+{_MONTH}\s+(?:19|20)\d\d)$",
    re.IGNORECASE,
)
_COLUMNS = (
    ("title", re.compile(r"^(?:paper\s+)?(?:title|name)s?$|^papers?$|^articles?$")),
    ("venue", re.compile(r"^(?:venue|conference|conf\.?|journal|publication|published(?: in)?)$")),
    ("year", re.compile(r"^year$")),
    ("date", re.compile(r"^(?:date|time|release(?: date)?|published date|arxiv date|month)$")),
    ("code", re.compile(r"^(?:code|codes|github|repo|repository|implementation|code link)$")),
    ("authors", re.compile(r"^authors?$")),
    ("paper", re.compile(r"^(?:link|links|url|pdf|arxiv|preprint|paper link|paper url)$")),
)


def heading_name(text: str) -> str:
    """A heading's text as a section name: links, markup, emoji and numbering dropped
    (`📜 Papers` -> `Papers`, `[Methods](#methods)` -> `Methods`, `2.1 Tools` -> `Tools`)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = "".join(
        ch
        for ch in unicodedata.normalize("NFC", plain(text))
        if unicodedata.category(ch) not in ("So", "Sk", "Cf", "Mn", "Co")
    )
    text = re.sub(r"^[^\w(\"']+|[\s:]+$", "", text.strip())
    return " ".join(_NUMBERING.sub("", text).split())


@dataclass
class Entry:
    """A piece of the list that may be a paper: where it stands and what it says."""

    line: int
    path: Path
    parts: Parts
    #: Looks like a paper (bold text, a link, a number): reported when it cannot be read.
    paper_like: bool


@dataclass
class _Document:
    lines: list[str]
    entries: list[Entry] = field(default_factory=list)
    stack: list[tuple[int, str]] = field(default_factory=list)
    #: Bullets that group the entries nested below them: (indent, name), sections too.
    bullets: list[tuple[int, str]] = field(default_factory=list)
    hidden_below: int | None = None

    @property
    def path(self) -> Path:
        """The sections an entry here stands in: headings, then grouping bullets."""
        return (*self.stack, *((7 + indent, name) for indent, name in self.bullets))


def _visible_lines(text: str) -> list[str]:
    """The lines, with fenced code and HTML comments blanked (line numbers kept)."""
    text = re.sub(r"<!--.*?-->", lambda m: "\n" * m[0].count("\n"), text, flags=re.DOTALL)
    lines = text.splitlines()
    fenced = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
            lines[i] = ""
        elif fenced:
            lines[i] = ""
    return lines


def _indent(line: str) -> int:
    return len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())


def _titled_link(line: str) -> bool:
    m = _LINK_START.match(line)
    return bool(m and len(plain(m["label"]).split()) > 1 and not m["url"].startswith("#"))


def _titled_bold(line: str) -> bool:
    m = _BOLD_START.match(line)
    if not m or m["after"] in (":", "：") or m["inner"].rstrip().endswith(":"):
        return False
    words = plain(m["inner"]).strip(" .,;:")
    return bool(words) and not venues.is_label(words)


def _starts_entry(line: str, paragraph: bool = False) -> bool:
    """A list item, or a line that starts with a bold or linked title; with `paragraph`
    (outside any entry) also a line of text that carries a paper link
    (`【KAFT】 Title (2022.11) [[paper](url)]`)."""
    if _ITEM.match(line) or _titled_bold(line) or _titled_link(line):
        return True
    starts_with_link = re.match(r"^\s*(?:\[\[|\[[^\]]*\]\(|\()", line)
    return paragraph and bool(_PAPER_LINK.search(line)) and not starts_with_link


def _standalone(line: str) -> bool:
    """A nested list item that is an entry of its own, not a line of its parent's."""
    body = _ITEM.sub("", line, count=1)
    return _titled_bold(body) or _titled_link(body)


def _block_end(lines: list[str], start: int, base: int) -> int:
    """The line after the entry that starts at `start` (its marker indented `base`)."""
    i = start + 1
    while i < len(lines):
        line = lines[i]
        if _BREAK_END.search(lines[i - 1]) and line.strip() and not _ends_block(line, base):
            i += 1
            continue
        if not line.strip():
            k = i
            while k < len(lines) and not lines[k].strip():
                k += 1
            if k < len(lines) and _indent(lines[k]) > base and not _ends_block(lines[k], base):
                i = k
                continue
            return i
        if _ends_block(line, base) or (_starts_entry(line) and _indent(line) <= base):
            return i
        i += 1
    return i


def _ends_block(line: str, base: int) -> bool:
    if _HEADING.match(line) or _ROW.match(line):
        return True
    item = _ITEM.match(line)
    if item:
        return _indent(line) <= base or _standalone(line)
    return False


def _paper_like(text: str) -> bool:
    """Bold text, an http(s) link or a number: what a reader would take for a paper."""
    return bool(re.search(r"\*\*|__|https?://", text) or re.match(r"^\s*\d+[.)]", text))


class _Parser:
    def __init__(self, text: str) -> None:
        self.doc = _Document(_visible_lines(text))
        self.seen: dict[str, Parts] = {}

    def _read(self, block: list[str]) -> Parts:
        """An entry's parts, read once however often the parser asks."""
        text = "\n".join(block)
        if text not in self.seen:
            self.seen[text] = read(text)
        return self.seen[text]

    def parse(self) -> list[Entry]:
        lines = self.doc.lines
        i = 0
        while i < len(lines):
            i = self._step(i)
        return self.doc.entries

    def _step(self, i: int) -> int:
        lines, doc = self.doc.lines, self.doc
        line = lines[i]
        heading = _HEADING.match(line)
        if heading and doc.hidden_below is None and _NUMBERED.match(heading[2]):
            end = self._details_end(i + 1)
            block = [heading[2], *lines[i + 1 : end]]
            if _HEADING_ENTRY.match(heading[2]) or self._read(block).is_paper:
                self._entry(i, block)
                return end
        if heading:
            self._heading(len(heading[1]), heading[2])
            return i + 1
        if doc.hidden_below is not None or not line.strip():
            return i + 1
        if _ROW.match(line) and i + 1 < len(lines) and _RULE.match(lines[i + 1]):
            return self._table(i)
        if _BOLD_LINE.match(line) and not _titled_bold(line):
            self._group(line)  # `**Group name:**` on a line of its own
            return i + 1
        if not _starts_entry(line, paragraph=True):
            return i + 1
        item = _ITEM.match(line)
        base = _indent(line) if item else 0
        doc.bullets = [(indent, name) for indent, name in doc.bullets if indent < base]
        end = _block_end(lines, i, base)
        nested = end < len(lines) and _ITEM.match(lines[end]) and _indent(lines[end]) > base
        if item and nested and not self._read(lines[i:end]).is_paper:
            doc.bullets.append((base, heading_name(_ITEM.sub("", line, count=1))))
            return end
        end = self._with_next_paragraph(i, end)
        if not item and _BOLD_LINE.match(line) and not self._read(lines[i:end]).is_paper:
            self._group(line)  # a bold line that names the entries below it
            return end
        self._entry(i, lines[i:end])
        return end

    def _group(self, line: str) -> None:
        """A bold line of its own groups the entries below it, as a section (not a date)."""
        name = heading_name(line)
        self.doc.bullets = [] if _DATE_HEADING.match(name) or not name else [(-1, name)]

    def _details_end(self, start: int) -> int:
        """After a heading: the end of the lines below it that describe one paper (a summary,
        `- **Authors**: ...` items), up to a blank line before something else."""
        lines = self.doc.lines
        i = start
        while i < len(lines) and not _HEADING.match(lines[i]) and not _ROW.match(lines[i]):
            line = lines[i]
            starts = _standalone(line) if _ITEM.match(line) else _starts_entry(line)
            if line.strip() and starts and not is_detail(line):
                break
            if not lines[i].strip() and not (i + 1 < len(lines) and is_detail(lines[i + 1])):
                break
            i += 1
        return i

    def _with_next_paragraph(self, start: int, end: int) -> int:
        """A title alone, then a blank line, then its authors and links: one entry."""
        lines = self.doc.lines
        parts = self._read(lines[start:end])
        if not parts.title or parts.is_paper:
            return end
        k = end
        while k < len(lines) and not lines[k].strip():
            k += 1
        if k == end or k >= len(lines) or _starts_entry(lines[k]) or _ends_block(lines[k], 0):
            return end
        while k < len(lines) and lines[k].strip() and not _ends_block(lines[k], 0):
            k += 1
        return k

    def _heading(self, level: int, text: str) -> None:
        doc = self.doc
        name = heading_name(text)
        if doc.hidden_below is not None and level > doc.hidden_below:
            return
        doc.hidden_below = None
        doc.stack = [(lv, nm) for lv, nm in doc.stack if lv < level]
        doc.bullets = []
        if _NOT_SECTION.match(name):
            doc.hidden_below = level
        elif name and not _DATE_HEADING.match(name):
            doc.stack.append((level, name))

    def _entry(self, start: int, block: list[str]) -> None:
        text = "\n".join(block)
        self.doc.entries.append(
            Entry(start + 1, self.doc.path, self._read(block), _paper_like(text))
        )

    def _table(self, start: int) -> int:
        lines = self.doc.lines
        header = [_column(cell) for cell in _cells(lines[start])]
        i = start + 2
        while i < len(lines) and _ROW.match(lines[i]):
            if "title" in header:
                cells = _cells(lines[i])
                row = {kind: cell for kind, cell in zip(header, cells, strict=False) if kind}
                others = [c for kind, c in zip(header, cells, strict=False) if not kind]
                text = " ".join(cells)
                self.doc.entries.append(
                    Entry(i + 1, self.doc.path, read_row(row, others), _paper_like(text))
                )
            i += 1
        return i


def _cells(line: str) -> list[str]:
    """A table row's cells (a `|` inside a link, code or after a backslash is no border)."""
    cells, depth, cell = [], 0, ""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    prev = ""
    for ch in body:
        if ch in "[(`":
            depth += 1
        elif ch in "])`" and depth:
            depth -= 1
        if ch == "|" and not depth and prev != "\\":
            cells.append(cell.strip())
            cell = ""
        else:
            cell += ch
        prev = ch
    cells.append(cell.strip())
    return cells


def _column(header: str) -> str:
    """What a column holds, by its header's name: title, venue, year, date, code, authors, paper."""
    name = " ".join(plain(header).casefold().split()).strip(" :")
    found = [kind for kind, pattern in _COLUMNS if pattern.match(name)]
    return found[0] if found else ""


def _roots(entries: list[Entry]) -> tuple[Path, Path]:
    """Where the taxonomy starts: the headings every paper stands under that are not
    sections (the document's title, the heading that holds the papers: "Papers",
    "Resources", "Paper List" ...); and the paper area, which is the heading that holds
    nearly all the papers when one does (a stray paper elsewhere does not move it)."""
    paths = [e.path for e in entries if e.parts.is_paper]
    if not paths:
        return (), ()
    common = 0
    while common < min(len(p) for p in paths) and all(p[common] == paths[0][common] for p in paths):
        common += 1
    depth = 0
    for i, (level, name) in enumerate(paths[0][:common]):
        if (i == 0 and level == 1) or _HOLDER.match(name):
            depth = i + 1
    base = paths[0][:depth]
    holders = {p[: i + 1] for p in paths for i, (_, name) in enumerate(p) if _HOLDER.match(name)}
    held = {h: sum(p[: len(h)] == h for p in paths) for h in holders}
    best = min(held, key=lambda h: (-held[h], len(h)), default=None)
    if best is not None and len(best) > depth and held[best] >= MAJORITY * len(paths):
        return best, base
    return base, base


def _why(parts: Parts) -> str:
    if not parts.title:
        return "no title found (a **bold title**, a [linked title](url) or a plain title): skipped"
    if parts.title_link and not parts.links:
        return f"'{parts.title}' links only to a code repository, not to a paper: skipped"
    return f"'{parts.title}' has no link, authors or venue: skipped"


class MarkdownSource:
    """An awesome list as a source: its papers in order, and what it could not read."""

    def __init__(self, text: str) -> None:
        self.text = text

    def papers(self, progress: Progress | None = None) -> Iterator[Paper | Failure]:
        entries = _Parser(self.text).parse()
        root, base = _roots(entries)
        for entry in entries:
            ref = f"line {entry.line}"
            if entry.parts.is_paper:
                start = len(root) if entry.path[: len(root)] == root else len(base)
                taxonomy = tuple(name for _, name in entry.path[start:])
                yield entry.parts.paper(taxonomy, entry.line)
                for message in entry.parts.dropped:
                    yield Failure(ref, message, entry.line, part="link")
            elif entry.paper_like and entry.path[: len(root)] == root:
                yield Failure(ref, _why(entry.parts), entry.line)
