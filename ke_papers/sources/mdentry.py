"""One entry of an awesome list, read from the Markdown parser's inline tokens.

`sources.markdown` hands over an entry as spans: runs of text that are plain, bold,
italic, code or a link (with its URL), and line breaks. The title is a leading link whose
label is a title, else the first bold text that is not a venue, a date or a key (a bold
acronym before a title link is a keyword), else the plain text before the authors.
Authors are italic or a line of names (`et al.` and a venue after it split off); venue
and year come from parentheses, bold, italic, code and link labels, `Venue'YY`, and
date prefixes (`[2022/08]`, `2024.05`); `**arXiv 2024**` is a preprint's year. This
module knows nothing of the list's structure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ke_papers import names, urls, venues
from ke_papers.entries import Extras, new_entry
from ke_papers.identity import arxiv_of_doi, parse_url
from ke_papers.model import ARXIV_ABS, Link, Paper

if TYPE_CHECKING:
    from collections.abc import Iterable

BREAK = "break"
_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z][\w-]*)([^>]*)>")
_HREF = re.compile(r"""href\s*=\s*["']?([^"'\s>]*)""", re.IGNORECASE)
_BARE_URL = re.compile(r"https?://[^\s<>()\[\]]+[^\s<>()\[\].,;:'\"]")
_LATEX_COMMAND = re.compile(r"\\(?=[A-Za-z@])")
_PUNCT = " \t\n.,;:|-–—[]"
_KEY_VALUE = re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z ;./-]{0,20}?)\s*[:：]\s*(?P<value>.*)$")
_KEYS = {
    **dict.fromkeys(("authors", "author", "by"), "authors"),
    **dict.fromkeys(("venue", "conference", "conf", "journal", "published", "accepted"), "venue"),
    **dict.fromkeys(("year", "date", "time", "publication"), "year"),
    **dict.fromkeys(("code", "github", "repo"), "code"),
    **dict.fromkeys(("paper", "pdf", "arxiv", "link", "url", "source"), "paper"),
}
#: Lines that describe the paper rather than cite it: their text is not authors or venue.
_PROSE_KEYS = re.compile(
    r"^(?:summary|abstract|tl;?dr|description|notes?|key ?words|comments?|motivation|methods?|"
    r"contributions?|highlights?|tags?|tasks?|datasets?|results?|files?|why .*)$",
    re.IGNORECASE,
)
_PAPER_LABELS = {"paper", "abs", "abstract", "pdf", "arxiv", "link", "url", "preprint", "html"}
_CODE_LABELS = {"code", "codes", "github", "repo", "repository", "official code"}
_CODE_HOSTS = re.compile(r"^https?://(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org)/", re.I)
#: Where papers live: preprint servers, anthologies, publishers, proceedings, DOIs.
_PAPER_HOSTS = re.compile(
    r"^https?://(?:[\w-]+\.)*(?:arxiv\.org|aclanthology\.org|aclweb\.org|openreview\.net|"
    r"doi\.org|dl\.acm\.org|ieeexplore\.ieee\.org|link\.springer\.com|sciencedirect\.com|"
    r"proceedings\.neurips\.cc|papers\.nips\.cc|proceedings\.mlr\.press|jmlr\.org|ojs\.aaai\.org|"
    r"ijcai\.org|openaccess\.thecvf\.com|ecva\.net|biorxiv\.org|medrxiv\.org|nature\.com|"
    r"science\.org|pnas\.org|ssrn\.com|aaai\.org/(?:ojs|papers)|semanticscholar\.org/paper|"
    r"huggingface\.co/papers|paperswithcode\.com/paper|isca-archive\.org|usenix\.org/conference)"
    r"(?:[/:?#]|$)",
    re.IGNORECASE,
)
_PDF = re.compile(r"\.pdf(?:[?#].*)?$", re.IGNORECASE)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    rf"\b(?P<a>(?:19|20)\d\d)[./\-](?:0?[1-9]|1[0-2])\b(?:[./\-]\d{{1,2}}\b)?"
    rf"|\b{_MONTH}\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?(?P<b>(?:19|20)\d\d)\b"
    rf"|\b\d{{1,2}}\s+{_MONTH}\s+(?P<c>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<![\w./-])(?P<y>(?:19|20)\d\d)(?![\w/-])")
_SHORT_DATE = re.compile(r"^(?P<y>\d\d)[./\-](?:0?[1-9]|1[0-2])(?:[./\-]\d\d)?$")
#: What may stand before a title: a number (headings), a date, a nickname, emoji.
_NUMBER = re.compile(r"^\s*\d+[.)]\s+")
_DATE_PREFIX = re.compile(
    r"^\s*\[?(?P<y>(?:19|20)\d\d)[./\-](?:0?[1-9]|1[0-2])(?:[./\-]\d{1,2})?\]?\s*[:：\-–]?\s*"
)
_NICKNAME = re.compile(r"^\s*(?:【(?P<a>[^】]{1,40})】|\[(?P<b>[^\]]{1,40})\])\s*")
_LEAD = re.compile(r"^[^\w\"'(\[【“‘$]+")
_SYMBOLS = re.compile(r"^[^\w\"'(\[“‘$]+|[^\w.?!)\]\"'”’$]+$")
_PAREN = re.compile(r"[(（]\s*(?P<text>(?:[^()（）]|\([^()（）]*\))*?)\s*[)）]")
_SENTENCE = re.compile(r"(?<=[^\W\d_]{2})\.\s+|(?<=[^\W\d_]{2}\))\.\s+")
_ET_AL = re.compile(r"\bet\.?\s*al\b\.?", re.IGNORECASE)
_ARXIV_IN_TEXT = re.compile(r"\barxiv:\s*(\d{4}\.\d{4,5})(?:v\d+)?\b", re.IGNORECASE)
_BARE_ID = re.compile(r"(?:arxiv:?\s*)?(\d{4}\.\d{4,5})(?:v\d+)?", re.IGNORECASE)


@dataclass
class Span:
    """A run of an entry's text: plain, bold, italic, code or a link (with its URL); or a break."""

    text: str
    style: str = ""
    url: str = ""
    line: int = 0


class _Inline:
    """Spans from an inline token's children, HTML tags read for breaks, links and emphasis."""

    def __init__(self, line: int) -> None:
        self.spans: list[Span] = []
        self.line = line
        self.bold = self.italic = 0
        self.url: str | None = None

    def add(self, text: str, style: str = "") -> None:
        if self.url is not None:
            style = "link"
        elif not style:
            style = "bold" if self.bold else "italic" if self.italic else ""
        self.spans.append(Span(text, style, self.url or "", self.line))

    def walk(self, nodes: Iterable[Any]) -> None:
        for node in nodes:
            kind = node.type
            if kind == "text":
                self.text(node.content)
            elif kind in ("softbreak", "hardbreak"):
                self.spans.append(Span("\n", BREAK, line=self.line))
                self.line += 1
            elif kind == "code_inline":
                self.add(node.content, "code")
            elif kind in ("strong", "em"):
                self.emphasis(kind == "strong", 1)
                self.walk(node.children)
                self.emphasis(kind == "strong", -1)
            elif kind == "link":
                self.link(str(node.attrs.get("href", "")), node.children)
            elif kind == "image" and self.url is not None:
                self.walk(node.children)  # a badge: its alt text labels the link
            elif kind == "html_inline":
                self.html(node.content)

    def emphasis(self, bold: bool, step: int) -> None:
        if bold:
            self.bold = max(0, self.bold + step)
        else:
            self.italic = max(0, self.italic + step)

    def link(self, url: str, children: Iterable[Any]) -> None:
        outer, self.url, count = self.url, url, len(self.spans)
        self.walk(children)
        if len(self.spans) == count:
            self.add("")  # a link with no label still counts
        self.url = outer

    def text(self, text: str) -> None:
        if self.url is not None:
            self.add(text)
            return
        start = 0
        for m in _BARE_URL.finditer(text):
            self.add(text[start : m.start()])
            self.url = m[0]
            self.add(m[0])
            self.url = None
            start = m.end()
        self.add(text[start:])

    def html(self, tag: str) -> None:
        m = _TAG.match(tag)
        if not m:
            return
        closing, name = bool(m[1]), m[2].casefold()
        if name == "br":
            self.spans.append(Span("\n", BREAK, line=self.line))
        elif name == "a":
            href = _HREF.search(m[3])
            self.url = None if closing or not href else href[1]
        elif name in ("b", "strong", "i", "em"):
            self.emphasis(name in ("b", "strong"), -1 if closing else 1)


def spans_of(inline: Any, line: int) -> list[Span]:
    """An inline node's spans (adjacent runs of one style joined); `line` is its first line."""
    reader = _Inline(line)
    reader.walk(inline.children or [])
    out: list[Span] = []
    for span in reader.spans:
        last = out[-1] if out else None
        if last and span.style != BREAK and (last.style, last.url) == (span.style, span.url):
            last.text += span.text
        elif span.text or span.style == "link":
            out.append(span)
    return out


def clean(text: str) -> str:
    """Text as the bib gets it: one space between words, no LaTeX command's backslash."""
    return " ".join(_LATEX_COMMAND.sub("", text).split())


def is_paper_link(url: str, label: str = "") -> bool:
    """A link to a paper: a preprint server, an anthology, a publisher, a DOI, a PDF; or
    one the list labels as the paper (`[[paper](url)]`)."""
    if url.startswith("#") or urls.problem(url):
        return False
    return bool(_PAPER_HOSTS.match(url) or _PDF.search(url) or link_label(label, url) == "paper")


def link_label(label: str, url: str, key: str = "") -> str:
    """The label a link gets in the list: `abs`, `pdf`, `arXiv`, `Paper` are the paper link;
    `GitHub`, a code badge or a repository's name on a code host are code; others keep
    their own words (`code by EleutherAI`)."""
    words = clean(label).strip(" []")
    text = key or words.casefold()
    if parse_url(url) and re.fullmatch(r"(?:arxiv:?\s*)?\d{4}\.\d{4,5}(?:v\d+)?", text):
        return "paper"
    if text in _PAPER_LABELS or text.startswith(("arxiv", "paper")):
        return "paper"
    if text in _CODE_LABELS or (_CODE_HOSTS.match(url) and " " not in text.strip()):
        return "code"
    if not text:
        return "paper" if parse_url(url) else "link"
    return words.replace(";", ",").replace(":", "")


def year_in(text: str) -> int | None:
    """The year a date or year says: `2022.12`, `2024-10-26`, `Mar 18, 2024`, `23-10`, `2022`."""
    m = _DATE.search(text) or _YEAR.search(text)
    if m:
        return int(next(g for g in m.groups() if g))
    short = _SHORT_DATE.match(text.strip())
    return 2000 + int(short["y"]) if short else None


def _only_date(text: str) -> bool:
    return not _YEAR.sub("", _DATE.sub("", text)).strip(_PUNCT + "()")


def _preprint_year(words: str) -> bool:
    """`arXiv 2024`, `Preprint`: says when, not where."""
    return bool(words) and venues.is_preprint(_YEAR.sub("", words))


def is_detail(text: str, prose: bool = True, any_key: bool = False) -> bool:
    """A line that describes a paper: `Authors: ...`; with `prose`, `Summary: ...` too;
    with `any_key`, any `Key: value` of three words at most (`Relevance: ...`)."""
    m = _KEY_VALUE.match(text)
    key = " ".join(m["key"].casefold().split()) if m else ""
    if any_key and m and len(key.split()) <= 3:
        return True
    return bool(m) and (key in _KEYS or (prose and bool(_PROSE_KEYS.match(key))))


@dataclass
class Parts:
    """What one entry says: the pieces a paper is built from, and what was dropped."""

    title: str = ""
    authors: list[str] = field(default_factory=list)
    venue: str = ""
    year: int | None = None
    #: Labelled links in order; the title's own link first when the title is a link.
    links: list[Link] = field(default_factory=list)
    title_link: str = ""
    keywords: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    #: Paper links in the entry's notes (a summary line): not the entry's own links.
    loose: list[tuple[str, str]] = field(default_factory=list)
    #: A one-word name before the links (`[LiveBench](url)`): not a title.
    name: str = ""

    @property
    def urls(self) -> list[str]:
        return [self.title_link] * bool(self.title_link) + [link.url for link in self.links]

    @property
    def paper_links(self) -> list[str]:
        label = {link.url: link.label for link in self.links}
        return [url for url in self.urls if is_paper_link(url, label.get(url, ""))]

    @property
    def is_paper(self) -> bool:
        """A title and what only a paper has: a paper link, authors or a venue."""
        return bool(self.title) and bool(self.authors or self.venue or self.paper_links)

    def paper(self, taxonomy: tuple[str, ...], line: int) -> Paper:
        """The entry as a paper, built by the one recipe (`entries.new_entry`)."""
        paper_link = self.title_link or next(
            (link.url for link in self.links if link.label == "paper"), ""
        )
        arxiv = _arxiv_of(paper_link) if paper_link else None
        for link in self.links:
            arxiv = arxiv or (_arxiv_of(link.url) if link.label == "paper" else None)
        if not paper_link and arxiv:
            paper_link = next(link.url for link in self.links if _arxiv_of(link.url) == arxiv)
        extra: list[Link] = []
        for link in self.links:
            if link.url == paper_link or (arxiv and _arxiv_of(link.url) == arxiv):
                continue
            if link not in extra:
                extra.append(link)
        return new_entry(
            self.title,
            self.authors,
            arxiv=arxiv or "",
            year=self.year,
            url=paper_link,
            extras=Extras(taxonomy, tuple(extra), tuple(self.keywords), self.venue),
            line=line,
        )

    def resource(self, taxonomy: tuple[str, ...], line: int) -> Paper:
        """A link that is not a paper (a repository, a model, a course) as a `@misc` entry."""
        url, *others = self.urls
        title = self.title or self.name or url
        extra = tuple(link for link in self.links if link.url in others)
        return new_entry(title, self.authors, url=url, extras=Extras(taxonomy, extra), line=line)


def _arxiv_of(url: str) -> str | None:
    """The arXiv ID an abstract, PDF or DOI link names (`doi.org/10.48550/arXiv.ID`)."""
    return parse_url(url) or arxiv_of_doi(url) or None


def _names_and_venue(text: str) -> tuple[list[str], str, int | None]:
    """`Jessy Lin et al. ACL.`, `Ann Lee, Bo Chen. ACL 2023` -> names, venue, year."""
    etal = _ET_AL.search(text)
    pieces = _SENTENCE.split(text)
    if etal:
        head, tail = text[: etal.end()], text[etal.end() :]
    elif len(pieces) > 1:
        head, tail = pieces[0], " ".join(pieces[1:])
    else:
        head, tail = text, ""
    tail = tail.strip(_PUNCT)
    people = names.from_list(head)
    venue = venues.normalise(tail) if tail and venues.is_label(tail) else ""
    return people, venue, year_in(tail) if tail else None


class _Reader:
    """One entry's spans, read in turn: key lines, title, venue and year, authors, links."""

    def __init__(self, spans: list[Span]) -> None:
        self.spans = [Span(s.text, s.style, s.url, s.line) for s in spans]
        self.used: set[int] = set()
        self.kind: dict[int, str] = {}
        self.parts = Parts()

    def _open(self, style: str | None = None, breaks: bool = False) -> list[int]:
        return [
            i
            for i, s in enumerate(self.spans)
            if i not in self.used
            and (s.style != BREAK or breaks)
            and (style is None or s.style == style)
        ]

    def key_values(self) -> None:
        """`Authors: ...`, `**Venue**: ...`, `Code: [link](url)`; summaries are set aside."""
        line: list[int] = []
        for i, span in enumerate([*self.spans, Span("\n", BREAK)]):
            if span.style != BREAK:
                line.append(i)
                continue
            text = "".join(self.spans[k].text for k in line)
            m = _KEY_VALUE.match(text)
            key = " ".join(m["key"].casefold().split()) if m else ""
            if m and (key in _KEYS or _PROSE_KEYS.match(key)):
                self._key_value(_KEYS.get(key, "prose"), m["value"], line)
            line = []

    def _key_value(self, kind: str, value: str, line: list[int]) -> None:
        parts = self.parts
        links = [k for k in line if self.spans[k].style == "link"]
        self.used.update(k for k in line if k not in links or kind == "prose")
        words = clean(" ".join(self.spans[k].text for k in line if k not in links))
        words = clean(_KEY_VALUE.sub(r"\g<value>", words))
        if kind == "authors":
            parts.authors = parts.authors or names.from_list(words)
        elif kind == "venue":
            parts.venue = parts.venue or venues.normalise(value)
            parts.year = parts.year or year_in(value)
        elif kind == "year":
            parts.year = parts.year or year_in(value)
            named = _PAREN.search(value)
            if named and parts.year and venues.is_label(named["text"]) and not parts.venue:
                parts.venue = venues.normalise(f"{named['text']} {parts.year}")
        elif kind == "paper" and not links and _BARE_ID.fullmatch(value.strip(_PUNCT)):
            arxiv = _BARE_ID.fullmatch(value.strip(_PUNCT))
            self.spans.append(Span("arXiv", "link", ARXIV_ABS + arxiv[1] if arxiv else ""))
        for k in links:
            span = self.spans[k]
            if kind == "prose" and is_paper_link(span.url, span.text):
                parts.loose.append((span.url, clean(span.text)))
            self.kind[k] = kind if kind in ("code", "paper") else ""

    def prefix(self) -> None:
        """A number (a heading's), a date (`[2022/08]`, `2024.05`: the year), a nickname
        (`【ROME】`: a keyword) and emoji before the title."""
        for i in self._open():
            span = self.spans[i]
            if span.style == "link":
                return
            text = _NUMBER.sub("", _LEAD.sub("", span.text))
            date = _DATE_PREFIX.match(text)
            if date:
                self.parts.year = int(date["y"])
                text = text[date.end() :]
            nick = _NICKNAME.match(text) if not span.style else None
            if nick and (nick["a"] or nick["b"] or "").strip():
                self.parts.keywords.append(clean(nick["a"] or nick["b"] or ""))
                text = text[nick.end() :]
            span.text = _LEAD.sub("", text)
            if span.text.strip(_PUNCT):
                return
            self.used.add(i)

    def _titled(self, i: int) -> bool:
        span = self.spans[i]
        words = clean(span.text).strip(_PUNCT)
        return (
            span.style == "link"
            and len(words.split()) > 1
            and not span.url.startswith("#")
            and link_label(span.text, span.url) not in ("paper", "code")
            and not venues.is_label(words)
        )

    def title(self) -> None:
        open_ = self._open()
        if open_ and self.spans[open_[0]].style == "link":
            first = open_[0]
            if self._titled(first):
                self._title_link(first)
            elif len(clean(self.spans[first].text).split()) == 1:
                self.parts.name = clean(self.spans[first].text).strip(_PUNCT)
        if not self.parts.title:
            self._bold_title() or self._plain_title()
        title, venue = venues.split_title(self.parts.title)
        self.parts.venue = self.parts.venue or venue
        title = title[:-1].rstrip() if title.endswith(".") and not title.endswith("..") else title
        self.parts.title = _SYMBOLS.sub("", title)

    def _title_link(self, i: int) -> None:
        span = self.spans[i]
        self.parts.title = clean(span.text).strip(_PUNCT)
        self.used.add(i)
        if urls.problem(span.url) is None:
            self.parts.title_link = urls.check(span.url)
        else:
            self.parts.dropped.append(
                f"the title's link is not an http(s) URL: '{span.url}': dropped"
            )

    def _bold_title(self) -> bool:
        bold = self._open("bold")
        for i in bold:
            words = clean(self.spans[i].text).strip(_PUNCT)
            after = self.spans[i + 1].text.lstrip() if i + 1 < len(self.spans) else ""
            if after.startswith((":", "：")) or self.spans[i].text.rstrip().endswith(":"):
                continue
            if not words or venues.is_label(words) or _only_date(words) or _preprint_year(words):
                continue
            following = [
                k for k in self._open() if k > i and clean(self.spans[k].text).strip(_PUNCT)
            ]
            if " " not in words and following and self._titled(following[0]):
                self.parts.keywords.append(words)  # `**HalLoc** [Title](url)`
                self.used.add(i)
                self._title_link(following[0])
                return True
            self.parts.title = words
            self.used.add(i)
            return True
        return False

    def _plain_title(self) -> bool:
        """A title in plain text, before the authors, a bold venue, a link or a dated `(...)`."""
        run: list[int] = []
        for i in self._open():
            if self.spans[i].style or (run and run[-1] != i - 1):
                break
            run.append(i)
        text = "".join(self.spans[i].text for i in run)
        end = len(text)
        paren = next((p for p in _PAREN.finditer(text) if _YEAR.search(p[0])), None)
        end = min(end, paren.start()) if paren else end
        sentence = re.search(r"\.\s+(?=[A-Z])", text[:end])
        end = sentence.start() if sentence else end
        title = clean(text[:end]).strip(_PUNCT)
        if len(title.split()) < 2 or not run:
            return False
        self.parts.title = title
        for i in run[1:]:
            self.used.add(i)
        self.spans[run[0]].text = text[end:]
        return True

    def venue_and_authors(self) -> None:
        parts = self.parts
        plain: list[str] = []
        for i in self._open(breaks=True):
            span = self.spans[i]
            words = clean(span.text).strip(_PUNCT)
            if span.style == "link":
                if _preprint_year(words) or (words and venues.is_label(words)):
                    venue = "" if _preprint_year(words) else venues.normalise(words)
                    parts.venue, parts.year = parts.venue or venue, parts.year or year_in(words)
                    self.kind[i] = "paper"
                plain.append("\n")
            elif span.style in ("bold", "italic", "code") and _preprint_year(words):
                parts.year = parts.year or year_in(words)
            elif span.style in ("bold", "italic", "code") and words and venues.is_label(words):
                parts.venue = parts.venue or venues.normalise(words)
            elif span.style == "italic" and names.from_list(_ET_AL.split(words)[0]):
                people, venue, year = _names_and_venue(words)
                parts.authors = parts.authors or people
                parts.venue, parts.year = parts.venue or venue, parts.year or year
            elif span.style != "code":  # code is text to show, not to read
                plain.append(span.text)
        self._plain_text("".join(plain))

    def _plain_text(self, text: str) -> None:
        parts = self.parts
        for m in _ARXIV_IN_TEXT.finditer(text):
            self.spans.append(Span("arXiv", "link", ARXIV_ABS + m[1]))
        text = _PAREN.sub(self._paren, _ARXIV_IN_TEXT.sub(" ", text))
        for piece in re.split(r"\n|" + _SENTENCE.pattern, text):
            for part in re.split(r"[,;|\[\]]", piece):
                words = part.strip(_PUNCT)
                if (
                    not parts.venue
                    and venues.is_label(words)
                    and _YEAR.search(venues.normalise(words))
                ):
                    parts.venue = venues.normalise(words)
            words = _YEAR.sub(" ", _DATE.sub(" ", piece)).strip(_PUNCT)
            found = names.from_list(words) if words else []
            if not parts.authors and (len(found) > 1 or (found and " " in found[0])):
                parts.authors = found
        parts.year = parts.year or year_in(text)

    def _paren(self, m: re.Match[str]) -> str:
        """`(ICLR 2023)`, `(June. 12, 2025, CVPR 2025)`, `(Eve Fry et al., Coling2020)`."""
        parts = self.parts
        text = m["text"].strip(_PUNCT)
        date = _DATE.search(text)
        if date:
            parts.year = parts.year or year_in(date[0])
            text = (text[: date.start()] + text[date.end() :]).strip(_PUNCT)
        pieces = [p.strip(_PUNCT) for p in text.split(",")]
        if not any(venues.is_label(p) or _YEAR.search(p) for p in pieces):
            return m[0] if not date else " "
        for piece in text.split(",") if "," in text else [text]:
            piece = piece.strip(_PUNCT)
            people = names.from_list(piece)
            if _only_date(piece):
                parts.year = parts.year or year_in(piece)
            elif "," in text and people and not venues.is_label(piece):
                parts.authors = parts.authors or people
            elif venues.is_label(piece) and not parts.venue:
                parts.venue = venues.normalise(piece)
        return " "

    def links(self) -> None:
        for i, span in enumerate(self.spans):
            if span.style == "link" and i not in self.used and not span.url.startswith("#"):
                add_link(
                    self.parts, link_label(span.text, span.url, self.kind.get(i, "")), span.url
                )
        if self.parts.venue and not _YEAR.search(self.parts.venue) and self.parts.year:
            self.parts.venue = f"{self.parts.venue} {self.parts.year}"


def read(spans: list[Span]) -> Parts:
    """The parts of one entry."""
    reader = _Reader(spans)
    reader.key_values()
    reader.prefix()
    reader.title()
    reader.venue_and_authors()
    reader.links()
    return reader.parts


def read_row(row: dict[str, list[Span]], others: list[list[Span]]) -> Parts:
    """One row of a paper table: cells named by their column (title, venue, year, date,
    code, authors, paper); http(s) links in other columns are kept too."""
    parts = read(row.get("title", []))

    def words(kind: str) -> str:
        return clean("".join(s.text for s in row.get(kind, []) if s.style != BREAK))

    parts.year = year_in(words("year")) or year_in(words("date")) or parts.year
    if words("venue") and not parts.venue:
        parts.venue = venues.normalise(words("venue"))
        if parts.venue and parts.year and not _YEAR.search(parts.venue):
            parts.venue = f"{parts.venue} {parts.year}"
    if words("authors"):
        parts.authors = names.from_list(words("authors"))
    seen = set(parts.urls)
    cells = [(k, c) for k, c in row.items() if k not in ("title", "year", "date")]
    for kind, cell in [*cells, *(("", c) for c in others)]:
        for span in cell:
            if span.style != "link" or span.url in seen or (not kind and urls.problem(span.url)):
                continue
            seen.add(span.url)
            key = "paper" if kind == "venue" else kind if kind in ("code", "paper") else ""
            add_link(parts, link_label(span.text, span.url, key), span.url)
    return parts


def add_link(parts: Parts, name: str, url: str) -> None:
    problem = urls.problem(url)
    if problem == "empty-url":
        parts.dropped.append(f"link '{name}' has no URL: dropped")
    elif problem:
        parts.dropped.append(f"link '{name}' is not an http(s) URL: '{url}': dropped")
    elif Link(name, urls.check(url)) not in parts.links:
        parts.links.append(Link(name, urls.check(url)))
