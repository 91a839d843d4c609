"""One entry of an awesome list, read from its Markdown into a paper's parts.

Lists write an entry in many shapes: a bold or linked title, or a plain one before
italic authors; authors before or after the title, on one line or the next (after a
`<br />` or a blank line); the venue in parentheses (also full-width), in bold, as a
link's label or glued to the title; a date or a year; links as `[[label](url)]`,
`[[label]](url)`, `[label](url)`, badges or `<a href>`. This module knows none of the
list's structure (sections, tables): `sources.markdown` hands it the text of one entry.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from ke_papers import names, urls, venues
from ke_papers.entries import Extras, new_entry
from ke_papers.identity import arxiv_of_doi, parse_url
from ke_papers.model import ARXIV_ABS, Link, Paper

#: A link's target: no spaces, parentheses only in balanced pairs (`...wiki/Foo_(bar)`).
_URL = r"(?P<url>(?:[^()\s]|\([^()\s]*\))*)(?:\s+\"[^\"]*\")?"
_BADGE = re.compile(rf"\[\s*!\[(?P<label>[^\]]*)\]\([^)]*\)\s*\]\({_URL}\)")
_SEED_LINK = re.compile(rf"\[\[(?P<label>[^\]]*)\]\({_URL}\)\]")
_LABEL_LINK = re.compile(rf"\[\[(?P<label>[^\]]*)\]\]\({_URL}\)")
_LINK = re.compile(rf"(?<!!)\[(?P<label>(?:\\.|[^\[\]\\]|\[[^\[\]]*\])*)\]\({_URL}\)")
_HTML_LINK = re.compile(
    r"<a\s[^>]*?href\s*=\s*[\"'](?P<url>[^\"']*)[\"'][^>]*>(?P<label>.*?)</a\s*>",
    re.IGNORECASE | re.DOTALL,
)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|<img\b[^>]*>", re.IGNORECASE)
_BARE_URL = re.compile(r"<?(?P<url>https?://[^\s<>()\[\]]+[^\s<>()\[\].,;:])>?")
#: Taken out in this order, after badges (before images go) and before bare URLs.
_LINK_PATTERNS = (_SEED_LINK, _LABEL_LINK, _HTML_LINK, _LINK, _BARE_URL)
_SLOT = re.compile(r"\x00(\d+)\x00")

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")
_LATEX_COMMAND = re.compile(r"\\(?=[A-Za-z@])")
_MARKER = re.compile(r"^\s*(?:>\s*)*(?:(?:\d+[.)]|[-*+])\s+)?(?:\[[ xX]\]\s+)?")
_BOLD = re.compile(r"\*\*(?P<a>.+?)\*\*|(?<!\w)__(?P<b>.+?)__(?!\w)", re.DOTALL)
_ITALIC = re.compile(
    r"(?<![*\w\\])\*(?![*\s])(?P<a>[^*\n]+?)(?<!\s)\*(?!\*)|(?<![\w\\])_(?![_\s])(?P<b>[^_\n]+?)(?<!\s)_(?!\w)"
)
_PAREN = re.compile(r"[(（]\s*(?P<text>[^()（）]*?)\s*[)）]")
_KEY_VALUE = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?(?P<key>[A-Za-z][A-Za-z ;./-]{0,20}?)\s*(?:\*\*|__)?\s*[:：]"
    r"\s*(?:\*\*|__)?\s*(?P<value>.*)$"
)
_KEYS = {
    "authors": "authors",
    "author": "authors",
    "by": "authors",
    "venue": "venue",
    "conference": "venue",
    "conf": "venue",
    "journal": "venue",
    "published": "venue",
    "publication": "venue",
    "accepted": "venue",
    "year": "year",
    "date": "date",
    "time": "date",
    "code": "code",
    "github": "code",
    "repo": "code",
    "paper": "paper",
    "pdf": "paper",
    "arxiv": "paper",
    "link": "paper",
    "url": "paper",
    "source": "paper",
}
#: Lines that describe the paper rather than cite it; their text is not authors or venue.
_PROSE_KEYS = re.compile(
    r"^(?:summary|abstract|tl;?dr|description|notes?|key ?words|keywords|comments?|"
    r"motivation|methods?|contributions?|highlights?|tags?|tasks?|datasets?|results?)$",
    re.IGNORECASE,
)
_PAPER_LABELS = {"paper", "abs", "abstract", "pdf", "arxiv", "link", "url", "preprint", "html"}
_CODE_LABELS = {"code", "codes", "github", "repo", "repository", "official code"}
_CODE_HOSTS = re.compile(r"^https?://(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org)/", re.I)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    rf"\b(?P<a>(?:19|20)\d\d)[./\-](?:0?[1-9]|1[0-2])\b(?:[./\-]\d{{1,2}}\b)?"
    rf"|\b{_MONTH}\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?(?P<b>(?:19|20)\d\d)\b"
    rf"|\b\d{{1,2}}\s+{_MONTH}\s+(?P<c>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<![\w./-])(?P<y>(?:19|20)\d\d)(?![\w/-])")
_ANY_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_SHORT_DATE = re.compile(r"^(?P<y>\d\d)[./\-](?:0?[1-9]|1[0-2])(?:[./\-]\d\d)?$")
_PUNCT = " \t\n.,;:|-–—"
#: Emoji and other symbols around a title (`🔥 Title ⭐`).
_SYMBOLS = re.compile(r"^[^\w\"'(\[“‘$]+|[^\w.?!)\]\"'”’$]+$")
#: Where one piece of an entry's text ends: a line, a link, a sentence (`Chen. ACL 2022`).
_PIECE = re.compile(r"\n|\x00\d+\x00|(?<=[^\W\d_]{2})\.\s+")
_CODE_SPAN = re.compile(r"`(?P<a>[^`\n]+)`(?P<b>)")
_ARXIV_IN_TEXT = re.compile(r"\barxiv:\s*(\d{4}\.\d{4,5})(?:v\d+)?\b", re.IGNORECASE)
_BARE_ID = re.compile(r"(?:arxiv:?\s*)?(\d{4}\.\d{4,5})(?:v\d+)?", re.IGNORECASE)
#: A nickname before the title (`【ROME】 Locating ...`, `[MEND] Fast ...`): kept as a keyword.
_NICKNAME = re.compile(r"^\s*(?:【(?P<a>[^】]{1,40})】|\[(?P<b>[^\]\x00]{1,40})\](?!\())\s*")


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

    @property
    def is_paper(self) -> bool:
        """A title and something a paper has besides: a link, authors or a venue.
        A linked title whose only link is a code repository is a tool, not a paper."""
        if not self.title:
            return False
        if self.authors or self.venue:
            return True
        found = [self.title_link] if self.title_link else []
        found += [link.url for link in self.links]
        if any(not _CODE_HOSTS.match(url) for url in found):
            return True
        return bool(found) and not self.title_link

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
            extras=Extras(
                taxonomy=taxonomy,
                links=tuple(extra),
                keywords=tuple(self.keywords),
                venue=self.venue,
            ),
            line=line,
        )


def _arxiv_of(url: str) -> str | None:
    """The arXiv ID an abstract, PDF or DOI link names (`doi.org/10.48550/arXiv.ID`)."""
    return parse_url(url) or arxiv_of_doi(url) or None


def plain(text: str) -> str:
    """Markdown inline text as plain text: escapes, entities, tags and emphasis undone;
    a LaTeX command's backslash dropped, so that no command reaches the bib file."""
    text = _TAG.sub(" ", text)
    text = re.sub(r"\*\*|(?<!\w)__|__(?!\w)|`", "", text)
    text = re.sub(r"(?<![\w\\])[*_](?=\S)|(?<=\S)(?<!\\)[*_](?!\w)", "", text)
    text = html.unescape(_MD_ESCAPE.sub(r"\1", text))
    return " ".join(_LATEX_COMMAND.sub("", text).split())


def link_label(label: str, url: str, key: str = "") -> str:
    """The label a link gets in the list: `abs`, `pdf`, `arXiv`, `Paper` are the paper link;
    `GitHub`, a code badge or a repository's name on a code host are code; others keep
    their own words (`code by EleutherAI`)."""
    text = key or plain(label).strip(" []").casefold()
    if parse_url(url) and re.fullmatch(r"(?:arxiv:?\s*)?\d{4}\.\d{4,5}(?:v\d+)?", text):
        return "paper"
    if text in _PAPER_LABELS or text.startswith(("arxiv", "paper")):
        return "paper"
    if text in _CODE_LABELS or (_CODE_HOSTS.match(url) and " " not in text.strip()):
        return "code"
    if not text:
        return "paper" if parse_url(url) else "link"
    return " ".join(plain(label).strip(" []").split()).replace(";", ",").replace(":", "")


def is_detail(line: str) -> bool:
    """A line that describes a paper (`- **Authors**: ...`, `Summary: ...`), not a new entry."""
    m = _KEY_VALUE.match(line)
    key = " ".join(m["key"].casefold().split()) if m else ""
    return bool(m) and (key in _KEYS or bool(_PROSE_KEYS.match(key)))


def year_in(text: str) -> int | None:
    """The year a date or year says: `2022.12`, `2024-10-26`, `Mar 18, 2024`, `23-10`, `2022`."""
    text = text.strip()
    m = _DATE.search(text) or _YEAR.search(text)
    if m:
        return int(next(g for g in m.groups() if g))
    short = _SHORT_DATE.match(text)
    return 2000 + int(short["y"]) if short else None


def venue_of(text: str) -> str:
    """A venue cell or label as the list writes it ('' for none or a preprint)."""
    return venues.normalise(plain(text))


class _Reader:
    """The entry's text with every link taken out into numbered slots, read piece by piece."""

    def __init__(self, text: str) -> None:
        self.raw: list[tuple[str, str]] = []
        self.kind: dict[int, str] = {}
        self.skip: set[int] = set()
        self.parts = Parts()
        self.spans: list[str] = []
        text = _CODE_SPAN.sub(self._hide, text)
        text = _BADGE.sub(self._take, _BREAK.sub("\n", text))
        text = _IMAGE.sub(" ", text)
        for pattern in _LINK_PATTERNS:
            text = pattern.sub(self._take, text)
        text = re.sub(r"\x01(\d+)\x01", lambda m: self.spans[int(m[1])], text)
        self.text = "\n".join(_MARKER.sub("", line, count=1) for line in text.split("\n"))

    def _hide(self, m: re.Match[str]) -> str:
        """A `code span` is text: kept out of the way while links are taken out."""
        self.spans.append(_inert(m))
        return f"\x01{len(self.spans) - 1}\x01"

    def _take(self, m: re.Match[str]) -> str:
        self.raw.append((m.groupdict().get("label") or "", m["url"].strip()))
        return f"\x00{len(self.raw) - 1}\x00"

    def all_words(self) -> str:
        """The whole text without links, as plain text."""
        return self.words(self.text)

    def words(self, text: str) -> str:
        """Text without its link slots, as plain text."""
        return plain(_SLOT.sub(" ", text))

    def title(self) -> None:
        nickname = _NICKNAME.match(self.text)
        if nickname and (nickname["a"] or nickname["b"] or "").strip():
            self.parts.keywords.append(plain(nickname["a"] or nickname["b"] or ""))
            self.text = self.text[nickname.end() :]
        text = self.text
        m = re.match(r"^\s*(?:\*\*|__)?\s*\x00(\d+)\x00(?:\s*(?:\*\*|__))?", text)
        if m and self._is_title_link(int(m[1])):
            self._title_from_link(int(m[1]))
            self.text = text[m.end() :]
        else:
            for bold in _BOLD.finditer(text):
                inner = bold["a"] or bold["b"] or ""
                after = text[bold.end() : bold.end() + 2].lstrip(" ")
                words = self.words(inner).strip(_PUNCT)
                if after.startswith((":", "：")) or inner.rstrip().endswith(":"):
                    continue
                if not words or venues.is_label(words) or _only_date(words):
                    continue
                slot = _SLOT.fullmatch(inner.strip())
                if slot and self._is_title_link(int(slot[1])):
                    self._title_from_link(int(slot[1]))
                else:
                    self.parts.title = words
                self.text = text[: bold.start()] + "\n" + text[bold.end() :]
                break
            else:
                self._plain_title()
        self._venue_in_title()

    def _is_title_link(self, index: int) -> bool:
        label, url = self.raw[index]
        words = plain(label).strip(_PUNCT)
        return (
            len(words) > 1
            and not url.startswith("#")
            and link_label(label, url) not in ("paper", "code")
            and not venues.is_label(words)
        )

    def _title_from_link(self, index: int) -> None:
        label, url = self.raw[index]
        self.parts.title = plain(label).strip(_PUNCT)
        self.skip.add(index)
        if urls.problem(url) is None:
            self.parts.title_link = urls.check(url)
        else:
            self.parts.dropped.append(f"the title's link is not an http(s) URL: '{url}': dropped")

    def _plain_title(self) -> None:
        """A title in plain text, before the italic authors, a bold venue, a link or a venue."""
        text = self.text
        ends = [len(text), text.find("\n") if "\n" in text else len(text)]
        for pattern in (_ITALIC, _BOLD, _SLOT):
            m = pattern.search(text)
            if m:
                ends.append(m.start())
        paren = next((p for p in _PAREN.finditer(text) if _ANY_YEAR.search(p[0])), None)
        if paren:
            ends.append(paren.start())
        end = min(ends)
        head = text[:end]
        sentence = re.search(r"\.\s+(?=[A-Z])", head)
        if sentence:
            end = sentence.start()
        title = plain(text[:end]).strip(_PUNCT)
        if len(title.split()) >= 2:
            self.parts.title = title
            self.text = text[end:]

    def _venue_in_title(self) -> None:
        title, venue = venues.split_title(self.parts.title)
        self.parts.venue = self.parts.venue or venue
        if title.endswith(".") and not title.endswith(".."):
            title = title[:-1].rstrip()
        self.parts.title = _SYMBOLS.sub("", title)

    def key_values(self) -> None:
        """`Authors: ...`, `**Venue**: ...`, `Code: [link](url)`; summaries are set aside."""
        kept = []
        for line in self.text.split("\n"):
            m = _KEY_VALUE.match(line)
            key = " ".join(m["key"].casefold().split()) if m else ""
            if m and key in _KEYS:
                self._key_value(_KEYS[key], m["value"])
            elif m and _PROSE_KEYS.match(key):
                self.skip.update(int(i) for i in _SLOT.findall(line))
            else:
                kept.append(line)
        self.text = "\n".join(kept)

    def _key_value(self, kind: str, value: str) -> None:
        parts = self.parts
        if kind == "authors":
            parts.authors = parts.authors or names.from_list(self.words(value))
        elif kind == "venue":
            parts.venue = parts.venue or venue_of(self.words(value))
            parts.year = parts.year or year_in(self.words(value))
        elif kind in ("year", "date"):
            parts.year = parts.year or year_in(self.words(value))
            named = _PAREN.search(self.words(value))
            if named and parts.year and venues.is_label(named["text"]) and not parts.venue:
                parts.venue = venue_of(f"{named['text']} {parts.year}")
        if kind == "paper" and not _SLOT.search(value):
            arxiv = _BARE_ID.fullmatch(self.words(value).strip(_PUNCT))
            if arxiv:
                self.raw.append(("arXiv", ARXIV_ABS + arxiv[1]))
        for index in _SLOT.findall(value):
            self.kind[int(index)] = kind if kind in ("code", "paper") else ""

    def venue_and_year(self) -> None:
        parts = self.parts
        for index, (label, _url) in enumerate(self.raw):
            words = plain(label).strip(_PUNCT)
            if index not in self.skip and words and venues.is_label(words):
                parts.venue = parts.venue or venue_of(words)
                self.kind[index] = "paper"
        self.text = _ARXIV_IN_TEXT.sub(self._arxiv_id, self.text)
        self.text = _PAREN.sub(self._paren, self.text)
        self.text = _BOLD.sub(self._bold, self.text)
        self.text = _ITALIC.sub(self._italic, self.text)
        self.text = _CODE_SPAN.sub(self._italic, self.text)
        for pattern in (_DATE, _YEAR):
            m = pattern.search(self.words(self.text))
            if m and parts.year is None:
                parts.year = int(next(g for g in m.groups() if g))
        for piece in re.split(_PIECE, self.text):
            words = self.words(piece).strip(_PUNCT)
            if not parts.venue and _YEAR.search(venue_of(words)) and venues.is_label(words):
                parts.venue = venue_of(words)

    def _paren(self, m: re.Match[str]) -> str:
        words = self.words(m["text"]).strip(_PUNCT)
        if not words or not (_ANY_YEAR.search(words) or venues.is_label(words)):
            return m[0]
        for part in words.split(",") if "," in words else [words]:
            part = part.strip(_PUNCT)
            people = names.from_list(part)
            if _only_date(part):
                self.parts.year = self.parts.year or year_in(part)
            elif "," in words and people and not venues.is_label(part):
                self.parts.authors = self.parts.authors or people
            elif not self.parts.venue:
                self.parts.venue = venue_of(part)
        return " "

    def _arxiv_id(self, m: re.Match[str]) -> str:
        self.raw.append(("arXiv", ARXIV_ABS + m[1]))
        return f"\x00{len(self.raw) - 1}\x00"

    def _italic(self, m: re.Match[str]) -> str:
        """An italic or `code` span that is a venue label (`*ACL 2023*`, `` `arXiv 2024` ``)."""
        words = self.words(m["a"] or m["b"] or "").strip(_PUNCT)
        if words and venues.is_preprint(words.split()[0]):
            year = year_in(words)
            self.parts.year = self.parts.year or year
            return " "
        if words and venues.is_label(words):
            self.parts.venue = self.parts.venue or venue_of(words)
            return " "
        return m[0]

    def _bold(self, m: re.Match[str]) -> str:
        inner = m["a"] or m["b"] or ""
        words = self.words(inner).strip(_PUNCT)
        if words and venues.is_label(words):
            self.parts.venue = self.parts.venue or venue_of(words)
            return " "
        return inner

    def authors(self) -> None:
        parts = self.parts
        text = self.text
        if not parts.authors:
            for m in _ITALIC.finditer(text):
                found = names.from_list(self.words(m["a"] or m["b"] or ""))
                if found:
                    parts.authors = found
                    return
        if not parts.authors:
            for piece in re.split(_PIECE, text):
                words = _DATE.sub(" ", self.words(piece))
                words = _YEAR.sub(" ", words).strip(_PUNCT)
                found = names.from_list(words) if words else []
                if len(found) > 1 or (found and len(found[0].split()) > 1):
                    parts.authors = found
                    return

    def links(self) -> None:
        for index, (label, url) in enumerate(self.raw):
            if index in self.skip:
                continue
            _add_link(self.parts, link_label(label, url, self.kind.get(index, "")), url)


def read_row(row: dict[str, str], others: list[str]) -> Parts:
    """One row of a paper table: cells named by their column (title, venue, year, date,
    code, authors, paper); links in other columns are kept when they are http(s)."""
    parts = read(row.get("title", ""))
    year = {kind: year_in(_Reader(row.get(kind, "")).all_words()) for kind in ("year", "date")}
    parts.year = year["year"] or year["date"] or parts.year
    found = [link.url for link in parts.links] + [parts.title_link]
    for kind, cell in [*row.items(), *(("", c) for c in others)]:
        reader = _Reader(cell)
        if kind == "venue" and not parts.venue:
            parts.venue = venue_of(reader.all_words())
            if parts.venue and year["year"] and not _YEAR.search(parts.venue):
                parts.venue = f"{parts.venue} {year['year']}"
        elif kind == "authors":
            parts.authors = names.from_list(reader.all_words())
        if kind in ("title", "year", "date"):
            continue
        for label, url in reader.raw:
            name = link_label(label, url, kind if kind in ("code", "paper") else "")
            if kind == "venue":
                name = "paper"
            if url in found or (not kind and urls.problem(url)):
                continue
            found.append(url)
            _add_link(parts, name, url)
    return parts


def _add_link(parts: Parts, name: str, url: str) -> None:
    problem = urls.problem(url)
    if problem == "empty-url":
        parts.dropped.append(f"link '{name}' has no URL: dropped")
    elif problem:
        parts.dropped.append(f"link '{name}' is not an http(s) URL: '{url}': dropped")
    else:
        parts.links.append(Link(name, urls.check(url)))


def _inert(m: re.Match[str]) -> str:
    """A `code span` whose Markdown is text, not links or emphasis."""
    return "`" + re.sub(r"[\[\]()（）*_<>]", " ", m["a"]) + "`"


def _only_date(text: str) -> bool:
    return not _YEAR.sub("", _DATE.sub("", text)).strip(_PUNCT + "()")


def read(text: str) -> Parts:
    """The parts of one entry's Markdown (its list marker included or not)."""
    reader = _Reader(text)
    reader.title()
    reader.key_values()
    reader.venue_and_year()
    reader.authors()
    reader.links()
    return reader.parts
