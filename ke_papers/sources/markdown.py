"""Papers from an awesome-list README written in the seed's shapes.

An entry is a numbered or bulleted item (or a bare line) that starts with a bold
title (and, in a list without a "Papers" heading, carries `[[label](url)]` links); the venue is a parenthesised label with a
year, before or after the authors; headings give the taxonomy. When the list has a
heading called "Papers", only what stands below it is read and the taxonomy starts
under it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ke_papers.entries import Extras, new_entry
from ke_papers.identity import parse_url
from ke_papers.model import Link, Paper
from ke_papers.sources import Failure, Progress

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^\s*(?:\d+[.)]|[-*+])(?:\s+|$)")
_ENTRY = re.compile(
    r"^\s*(?:(?:\d+[.)]|[-*+])\s*)?\*\*(?P<title>(?:\\.|[^*\\]|\*(?!\*))+?)\*\*(?P<rest>.*)$"
)
_LINK = re.compile(r"\[\[(?P<label>[^\]]*)\]\((?P<url>[^)\s]*)\)\]")
_VENUE = re.compile(r"\(\s*(?P<venue>[^()]*?(?:19|20)\d\d[^()]*?)\s*\)")
_TAG = re.compile(r"<[^>]*>")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")


@dataclass
class ImportResult:
    papers: list[Paper] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)


def heading_name(text: str) -> str:
    """A heading's text without its decoration (`📜 Papers` -> `Papers`)."""
    return re.sub(r"^[^\w(\"']+", "", _unescape(text)).strip()


def _unescape(text: str) -> str:
    return html.unescape(_MD_ESCAPE.sub(r"\1", text))


def _clean(text: str) -> str:
    return " ".join(_TAG.sub(" ", text).split())


def parse(text: str) -> ImportResult:
    lines = text.splitlines()
    headings = [(i, m) for i, line in enumerate(lines) if (m := _HEADING.match(line))]
    papers_level = next(
        (len(m[1]) for _, m in headings if heading_name(m[2]).casefold() == "papers"), None
    )
    result = ImportResult()
    stack: list[tuple[int, str]] = []
    in_papers = papers_level is None
    i = 0
    while i < len(lines):
        line = lines[i]
        heading = _HEADING.match(line)
        if heading:
            level, name = len(heading[1]), heading_name(heading[2])
            if papers_level is not None and level <= papers_level:
                in_papers = level == papers_level and name.casefold() == "papers"
                stack = []
            else:
                stack = [(lv, nm) for lv, nm in stack if lv < level] + [(level, name)]
            i += 1
            continue
        if not in_papers or not line.strip():
            i += 1
            continue
        start = i
        i += 1
        while i < len(lines) and lines[i].strip() and not _starts_block(lines[i]):
            i += 1
        path = [name for level, name in stack if level > 1 or papers_level is not None]
        _read_entry(lines[start:i], start + 1, path, result, papers_level is None)
    return result


def _starts_block(line: str) -> bool:
    return bool(_HEADING.match(line) or _ENTRY.match(line) or _ITEM.match(line))


def _read_entry(
    block: list[str], line_no: int, path: list[str], result: ImportResult, need_links: bool
) -> None:
    """Read one entry; outside a Papers section only items with [[links]] count as papers."""
    first = _ENTRY.match(block[0])
    if not first:
        if _ITEM.match(block[0]):
            result.problems.append((line_no, "list item without a **bold title**: skipped"))
        return
    body = " ".join([first["rest"], *block[1:]])
    links = [Link(_unescape(m["label"]).strip(), m["url"].strip()) for m in _LINK.finditer(body)]
    if not links and need_links:
        result.problems.append((line_no, "entry without [[label](url)] links: skipped"))
        return
    body = _clean(_LINK.sub(" ", body))
    venue_match = _VENUE.search(body)
    venue = _clean(venue_match["venue"]) if venue_match else ""
    if venue_match:
        body = body[: venue_match.start()] + " " + body[venue_match.end() :]
    authors_text = _unescape(_clean(body)).strip(" .,;:")
    people = [a.strip().rstrip(".").strip() for a in authors_text.split(",")]
    people = [p for p in people if p]
    title = _unescape(first["title"]).strip()
    if title.endswith(".") and not title.endswith(".."):
        title = title[:-1].rstrip()
    if not title:
        result.problems.append((line_no, "empty title: skipped"))
        return
    result.papers.append(_paper(title, people, venue, links, path, line_no))


def _paper(
    title: str, people: list[str], venue: str, links: list[Link], path: list[str], line_no: int
) -> Paper:
    paper_link = next(
        (link for link in links if link.label.casefold() == "paper" and link.url), None
    )
    extra = tuple(link for link in links if link is not paper_link)
    arxiv = parse_url(paper_link.url) if paper_link else None
    return new_entry(
        title,
        people,
        arxiv=arxiv or "",
        url=paper_link.url if paper_link else "",
        extras=Extras(taxonomy=tuple(path), links=extra, venue=venue),
        line=line_no,
    )


class MarkdownSource:
    """An awesome list as a source: its entries in order, and what it could not read."""

    def __init__(self, text: str) -> None:
        self.text = text

    def papers(self, progress: Progress | None = None) -> Iterator[Paper | Failure]:
        result = parse(self.text)
        items: list[Paper | Failure] = [*result.papers]
        items += [Failure(f"line {line}", message, line) for line, message in result.problems]
        yield from sorted(items, key=lambda item: item.line or 0)
