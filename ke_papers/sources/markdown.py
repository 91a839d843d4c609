"""Papers from an awesome list, read as Markdown: its sections, its entries and its tables.

markdown-it-py (CommonMark with GFM tables) gives the document's tree. Headings, in
Markdown or HTML, give the sections; so do a bold line, a `<summary>` or a bullet that
groups the entries below it. A list whose links all point inside the page is a table of
contents, whatever its heading says; News, Citation, Contributors and the like hold no
papers, and neither does a news item (a date, then what "we" did). A list item, a row of
a table with a title column, a heading with a paper link or details below it, or a
paragraph that starts with a bold or linked title is an entry, read by `mdentry`. An entry
that links a paper, or names authors or a venue, is a paper; one whose links go to a
repository, a model or a page is a resource. Every link to a paper ends up in an entry or
is reported with its line and why it was left.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from ke_papers.identity import arxiv_of_doi, parse_url
from ke_papers.model import Paper
from ke_papers.sources import Failure, Links, Progress
from ke_papers.sources.mdentry import (
    ANCHOR,
    BREAK,
    Parts,
    Span,
    clean,
    is_detail,
    is_paper_link,
    link_label,
    read,
    read_row,
    spans_of,
)

#: Where an entry stands: the (level, name) of each heading above it, then its groups.
Path = tuple[tuple[int, str], ...]

_NUMBERING = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[IVX]+\.)\s+")
_CONTENTS = re.compile(r"^(?:table of )?contents?|toc|overview of contents$", re.IGNORECASE)
#: Sections that hold no papers, whatever links they have.
_ASIDE = re.compile(
    r"^(?:(?:latest |recent |🔥 )?news\b.*|what'?s new|changelog|citations?|how to cite.*|"
    r"cite\b.*|citing\b.*|contribut\w*.*|star history|stargazers.*|acknowledg\w*|"
    r"licen[sc]e|contacts?(?: us)?|maintainers?|authors? of this list|team)$",
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
_DATE_NAME = re.compile(
    rf"^(?:(?:19|20)\d\d(?:[./\-]\d{{1,2}}){{0,2}}|{_MONTH}\s+(?:\d{{1,2}},?\s+)?(?:19|20)\d\d"
    rf"|\d{{1,2}}\s+{_MONTH}\s+(?:19|20)\d\d)$",
    re.IGNORECASE,
)
#: A news item: a date, then what the list's makers did.
_NEWS = re.compile(
    r"^\W*(?:(?:news|updates?)\W*)?\[?(?:19|20)\d\d[./\-]\d{1,2}.*"
    r"\b(?:we|our|us|releas\w*|accepted|publish\w*|updat\w*|"
    r"added|launch\w*|announc\w*)\b",
    re.IGNORECASE | re.DOTALL,
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
_LISTS = ("bullet_list", "ordered_list")


def heading_name(text: str) -> str:
    """A heading's text as a section name: emoji and numbering dropped
    (`📜 Papers` -> `Papers`, `2.1 Tools` -> `Tools`)."""
    text = "".join(
        ch
        for ch in unicodedata.normalize("NFC", clean(text))
        if unicodedata.category(ch) not in ("So", "Sk", "Cf", "Mn", "Co")
    )
    text = re.sub(r"^[^\w(\"']+|[\s:]+$", "", text.strip())
    return " ".join(_NUMBERING.sub("", text).split())


def _text(spans: list[Span]) -> str:
    return clean("".join(s.text for s in spans if s.style not in (BREAK, ANCHOR)))


def _links(spans: list[Span]) -> list[Span]:
    return [s for s in spans if s.style == "link" and not s.url.startswith("#")]


def _with_breaks(groups: list[list[Span]]) -> list[Span]:
    out: list[Span] = []
    for spans in groups:
        out += [*([Span("\n", BREAK)] if out else []), *spans]
    return out


@dataclass
class Entry:
    """A piece of the list that may be a paper: where it stands and what it says."""

    line: int
    path: Path
    parts: Parts
    #: Written like a paper (a bold title, a numbered item): reported when it cannot be read.
    paper_like: bool = False


@dataclass
class Loose:
    """A link to a paper outside any entry (in prose, news, a table of datasets)."""

    line: int
    url: str
    label: str
    where: str


class _Html(HTMLParser):
    """What an HTML block holds: headings, a `<summary>`, links, the end of a `<details>`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[tuple[int, str]] = []
        self.summary = ""
        self.closes = False
        self.links: list[tuple[str, str]] = []
        self._open: list[str] = []
        self._text = ""
        self._href: str | None = None
        self._label = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if re.fullmatch(r"h[1-6]|summary", tag):
            self._open.append(tag)
            self._text = ""
        elif tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._label = ""

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag == self._open[-1]:
            self._open.pop()
            if tag == "summary":
                self.summary = self._text
            else:
                self.headings.append((int(tag[1]), self._text))
        elif tag == "a" and self._href is not None:
            self.links.append((self._href, self._label))
            self._href = None
        elif tag == "details":
            self.closes = True

    def handle_data(self, data: str) -> None:
        self._text += data
        if self._href is not None:
            self._label += data


class _Walker:
    """The document's blocks in order: sections, groups, entries and loose paper links."""

    def __init__(self, parse: Any) -> None:
        self.parse = parse
        self.entries: list[Entry] = []
        self.loose: list[Loose] = []
        self.stack: list[tuple[int, str]] = []
        #: Names that group the entries below them: (depth, name); -1 a bold line or summary.
        self.groups: list[tuple[int, str]] = []
        self.aside: tuple[int, str] | None = None

    @property
    def path(self) -> Path:
        return (*self.stack, *((7 + depth, name) for depth, name in self.groups))

    def where(self, otherwise: str) -> str:
        return f"in the {self.aside[1]} section" if self.aside else otherwise

    def blocks(self, nodes: list[Any], offset: int) -> None:
        i = 0
        while i < len(nodes):
            i = self.block(nodes, i, offset)

    def block(self, nodes: list[Any], i: int, offset: int) -> int:
        node = nodes[i]
        line = (node.map[0] if node.map else 0) + 1 + offset
        if node.type == "heading":
            spans = spans_of(node.children[0], line)
            linked = any(is_paper_link(s.url, s.text) for s in _links(spans))
            end = self._details_end(nodes, i, linked)
            if linked or end > i + 1:
                below = [self._spans(n, offset) for n in nodes[i + 1 : end]]
                self.item(_with_breaks([spans, *below]), line, paper_like=True)
                return end
            self.heading(int(node.tag[1]), heading_name(_text(spans)))
        elif node.type == "html_block":
            self.html(node, offset)
        elif node.type == "paragraph":
            self.paragraph(spans_of(node.children[0], line), line)
        elif node.type in _LISTS:
            self.bullets(node, offset, 0)
        elif node.type == "table":
            self.table(node, offset)
        elif node.type == "blockquote":
            self.blocks(node.children, offset)
        return i + 1

    def _details_end(self, nodes: list[Any], i: int, linked: bool) -> int:
        """After a heading: the blocks below it that describe one paper (`Authors: ...`;
        a `Summary: ...` too once the heading links a paper or a detail came first)."""
        end = i + 1
        while end < len(nodes) and self._details(nodes[end], linked or end > i + 1):
            end += 1
        return end

    def _details(self, node: Any, prose: bool) -> bool:
        """A paragraph that starts with a detail, or a list of details only."""
        if node.type == "paragraph":
            return is_detail(_first_line(self._spans(node, 0)), prose, any_key=prose)
        if node.type not in _LISTS:
            return False
        firsts = [_first_line(self._spans(li, 0)) for li in node.children]
        return all(map(is_detail, firsts)) and (prose or any(is_detail(f, False) for f in firsts))

    def _spans(self, node: Any, offset: int) -> list[Span]:
        """A block's spans, its lines and items apart (for an entry that spans blocks)."""
        line = (node.map[0] if node.map else 0) + 1 + offset
        if node.type == "inline":
            return spans_of(node, line)
        return _with_breaks(
            [self._spans(c, offset) for c in node.children if c.type != "html_block"]
        )

    def heading(self, level: int, name: str) -> None:
        if self.aside and level > self.aside[0]:
            return
        self.aside = None
        self.stack = [(lv, nm) for lv, nm in self.stack if lv < level]
        self.groups = []
        if _ASIDE.match(name):
            self.aside = (level, name)
        elif name and not _CONTENTS.match(name) and not _DATE_NAME.match(name):
            self.stack.append((level, name))

    def group(self, name: str) -> None:
        """A bold line of its own or a `<summary>` groups the entries below it (not a date)."""
        self.groups = [] if _DATE_NAME.match(name) or not name else [(-1, name)]

    def set_aside(self, spans: list[Span], line: int, where: str) -> None:
        """The paper links of what is not an entry, each with the item's title or its label."""
        links = [s for s in _links(spans) if is_paper_link(s.url, s.text)]
        title = read(spans).title if links else ""
        for span in links:
            own = clean(span.text).strip(" []")
            named = own if len(own.split()) > 1 and link_label(own, span.url) != "paper" else ""
            self.loose.append(Loose(span.line or line, span.url, named or title or own, where))

    def item(self, spans: list[Span], line: int, paper_like: bool = False) -> None:
        """An entry, unless it stands in an aside or is news: then only its paper links count."""
        if self.aside:
            self.set_aside(spans, line, self.where(""))
        elif _NEWS.match(_text(spans)) and not (parts := read(spans)).authors and not parts.venue:
            self.set_aside(spans, line, "in a news item")
        else:
            bold = any(s.style == "bold" for s in spans)
            self.entries.append(Entry(line, self.path, read(spans), paper_like or bold))

    def paragraph(self, spans: list[Span], line: int) -> None:
        content = [s for s in spans if s.text.strip(" :：")]
        if len(content) == 1 and content[0].style == "bold" and not self.aside:
            parts = read(spans)
            if not parts.is_paper:
                self.group(heading_name(content[0].text))
                return
        for chunk in self._chunks(spans):
            if not _text([s for s in chunk if not s.badge]).strip(" []"):
                continue  # badges
            if _starts_entry(chunk):
                self.item(chunk, chunk[0].line or line)
            else:
                self.set_aside(chunk, line, self.where("in a paragraph of text"))

    @staticmethod
    def _chunks(spans: list[Span]) -> list[list[Span]]:
        """A paragraph's lines, cut where a line starts a new entry after an entry with a link."""
        lines: list[list[Span]] = [[]]
        for span in spans:
            if span.style == BREAK:
                lines.append([])
            else:
                lines[-1].append(span)
        chunks: list[list[Span]] = []
        for spans_of_line in lines:
            entry = chunks and _starts_entry(chunks[-1]) and _links(chunks[-1])
            if chunks and not (entry and _starts_entry(spans_of_line, strict=True)):
                chunks[-1] += [Span("\n", BREAK), *spans_of_line]
            elif spans_of_line:
                chunks.append(spans_of_line)
        return chunks

    def bullets(self, node: Any, offset: int, depth: int) -> None:
        hrefs = [s.url for s in self._spans(node, offset) if s.style == "link"]
        if hrefs and all(h.startswith("#") for h in hrefs):
            return  # a table of contents
        for li in node.children:
            self.list_item(li, offset, depth)

    def list_item(self, li: Any, offset: int, depth: int) -> None:
        line = (li.map[0] if li.map else 0) + 1 + offset
        own = self._own(li, offset)
        subs = [c for c in li.children if c.type in _LISTS]
        nested = [n for sub in subs for n in sub.children]
        alone = [n for n in nested if read(self._own(n, offset)).is_paper]
        details = [self._spans(n, offset) for n in nested if n not in alone]
        spans = _with_breaks([own, *details])
        ordered = li.parent is not None and li.parent.type == "ordered_list"
        if read(spans).is_paper or _links(own) or not subs:
            self.item(spans, line, paper_like=ordered)
            for n in alone:
                self.list_item(n, offset, depth + 1)
            return
        self.groups = [(d, name) for d, name in self.groups if d < depth]
        name = heading_name(_text(own))
        self.groups += [(depth, name)] if name else []
        for sub in subs:
            self.bullets(sub, offset, depth + 1)
        self.groups = [(d, name) for d, name in self.groups if d < depth]

    def _own(self, li: Any, offset: int) -> list[Span]:
        return _with_breaks([self._spans(c, offset) for c in li.children if c.type not in _LISTS])

    def table(self, node: Any, offset: int) -> None:
        rows = [tr for part in node.children for tr in part.children]
        cells = [[self._spans(td, offset) for td in tr.children] for tr in rows]
        header, body = [_column(_text(c)) for c in cells[0]], cells[1:]
        if "title" not in header:
            header = [_titles(body, k) or kind for k, kind in enumerate(header)]
        for tr, row in zip(rows[1:], body, strict=True):
            line = (tr.map[0] if tr.map else 0) + 1 + offset
            if self.aside or "title" not in header:
                self._cells(row, line)
                continue
            named = {kind: cell for kind, cell in zip(header, row, strict=False) if kind}
            others = [cell for kind, cell in zip(header, row, strict=False) if not kind]
            bold = any(s.style == "bold" for s in named.get("title", []))
            self.entries.append(Entry(line, self.path, read_row(named, others), bold))

    def _cells(self, row: list[list[Span]], line: int) -> None:
        """A row of a table without titles (datasets, benchmarks): each link a name."""
        for cell in row:
            self.set_aside(cell, line, self.where("in a table without a title column"))
            for span in _links(cell):
                if not self.aside and not is_paper_link(span.url, span.text):
                    parts = read([span])
                    self.entries.append(Entry(line, self.path, parts))

    def html(self, node: Any, offset: int) -> None:
        content = node.content
        if content.lstrip().startswith("<!--"):
            return
        parser = _Html()
        parser.feed(content)
        line = (node.map[0] if node.map else 0) + 1 + offset
        for level, text in parser.headings:
            self.heading(level, heading_name(text))
        if parser.summary and not self.aside:
            self.group(heading_name(parser.summary))
        spans = [Span(label, "link", href, line) for href, label in parser.links]
        self.set_aside(spans, line, self.where("in HTML"))
        lines = ["" if x.strip().startswith("<") else x for x in content.split("\n")]
        if any(x.strip() for x in lines):
            self.blocks(self.parse("\n".join(lines)).children, line - 1)
        if parser.closes:
            self.groups = [g for g in self.groups if g[0] != -1]


def _first_line(spans: list[Span]) -> str:
    end = next((k for k, s in enumerate(spans) if s.style == BREAK), len(spans))
    return _text(spans[:end])


def _starts_entry(spans: list[Span], strict: bool = False) -> bool:
    """Written as an entry: starts with a bold or linked title, a nickname or a date; or
    (`strict` off) carries a link labelled as the paper or code (`[[paper](url)]`)."""
    first = next(
        (s for s in spans if s.style != ANCHOR and (s.text.strip(" []【】") or s.style == "link")),
        None,
    )
    if first is None or is_detail(_first_line(spans)):
        return False
    if first.style in ("bold", "link") and not first.url.startswith("#"):
        return True
    if re.match(r"^\W*(?:【|\[[^\]]+\]\s|(?:19|20)\d\d[./\-]\d)", first.text):
        return True
    return not strict and any(
        clean(s.text).strip(" []").casefold() in ("paper", "pdf", "arxiv", "abs", "code")
        for s in _links(spans)
    )


def _column(header: str) -> str:
    """What a column holds, by its header's name: title, venue, year, date, code, authors, paper."""
    name = " ".join(header.casefold().split()).strip(" :")
    return next((kind for kind, pattern in _COLUMNS if pattern.match(name)), "")


def _titles(body: list[list[list[Span]]], k: int) -> str:
    """'title' for a column most of whose cells are links with a title (four words or more)."""
    cells = [row[k] for row in body if k < len(row)]
    titled = [c for c in cells if (links := _links(c)) and len(clean(links[0].text).split()) >= 4]
    return "title" if cells and len(titled) * 2 > len(cells) else ""


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


def _common(a: Path, b: Path) -> int:
    """How many headings two paths share from the top."""
    return next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )


def _why(parts: Parts) -> str:
    if not parts.title:
        return "no title found (a **bold title**, a [linked title](url) or a plain title): skipped"
    return f"'{parts.title}' has no link, authors or venue: skipped"


def _parser() -> Any:
    """CommonMark with GFM tables; every link kept as written (the URL policy judges it)."""
    from markdown_it import MarkdownIt

    class Reader(MarkdownIt):  # type: ignore[misc]
        def validateLink(self, url: str) -> bool:
            return True

        def normalizeLink(self, url: str) -> str:
            return url

    md = Reader("commonmark").enable("table")
    return lambda text: _tree(md, text)


def _tree(md: Any, text: str) -> Any:
    from markdown_it.tree import SyntaxTreeNode

    return SyntaxTreeNode(md.parse(text))


def _ids(url: str) -> set[str]:
    """What makes two links the same paper: the URL, and the arXiv ID it names."""
    arxiv = parse_url(url) or arxiv_of_doi(url)
    return {url.rstrip("/"), f"arxiv:{arxiv}"} if arxiv else {url.rstrip("/")}


@dataclass
class MarkdownSource:
    """An awesome list as a source: its papers in order, and what it could not read.
    `resources` imports the links that are not papers too, as `@misc` entries."""

    text: str
    resources: bool = False
    links: Links = field(default_factory=Links)

    def papers(self, progress: Progress | None = None) -> Iterator[Paper | Failure]:
        parse = _parser()
        walker = _Walker(parse)
        walker.blocks(parse(self.text).children, 0)
        root, base = _roots(walker.entries)
        known: set[str] = set()
        tally = self.links
        for entry in walker.entries:
            parts, ref = entry.parts, f"line {entry.line}"
            start = len(root) if entry.path[: len(root)] == root else _common(entry.path, base)
            taxonomy = tuple(name for _, name in entry.path[start:])
            http = [url for url in parts.urls if url]
            if parts.is_paper:
                paper = parts.paper(taxonomy, entry.line)
                tally.imported += len(paper.links)
                tally.merged += len(http) - len(paper.links)  # the abstract and the PDF
                known.update(i for url in http for i in _ids(url))
                yield paper
                for message in parts.dropped:
                    tally.left += 1
                    yield Failure(ref, message, entry.line, part="link")
                walker.loose += [
                    Loose(entry.line, u, label, "in a note") for u, label in parts.loose
                ]
            elif parts.paper_links:
                label = {link.url: link.label for link in parts.links}
                walker.loose += [
                    Loose(entry.line, u, parts.name or label.get(u, u), "without a title")
                    for u in parts.paper_links
                ]
            elif http and self.resources:
                tally.imported += len(http)
                yield parts.resource(taxonomy, entry.line)
            elif http:
                tally.resources += len(http)
            elif entry.paper_like and entry.path[: len(root)] == root:
                yield Failure(ref, _why(parts), entry.line)
        for loose in walker.loose:
            if _ids(loose.url) & known:
                tally.merged += 1
                continue
            tally.left += 1
            yield Failure(
                f"line {loose.line}",
                f"'{loose.label}' links a paper ({loose.url}) {loose.where}: left",
                loose.line,
                part="link",
            )
