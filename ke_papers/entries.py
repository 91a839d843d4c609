"""Entries built from what a source knows, in the list's conventions: one recipe for every source.

arXiv records, imported awesome lists and the user's `add` options all end here, so
that an arXiv-only paper, a venue label or a link is written the same way whoever
found it. Text from outside is escaped for LaTeX on the way in; links pass the one
URL policy (`urls`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ke_papers import names, urls, venues
from ke_papers.errors import KePapersError
from ke_papers.identity import year_of
from ke_papers.latex import defang, escape_text, from_text
from ke_papers.model import ARXIV_ABS, TAXONOMY_SEP, Link, Paper, format_links, preprint_journal


def links_from(named: dict[str, str | None], other: Sequence[str]) -> list[Link]:
    """Links from `add`'s options: `--code URL` and friends, then each `--link LABEL=URL`."""
    links = [Link(label, urls.check(url)) for label, url in named.items() if url is not None]
    for option in other:
        label, sep, url = option.partition("=")
        if not sep or not label.strip() or ":" in label or ";" in label:
            raise KePapersError(
                f"--link takes LABEL=URL (a label without ':' or ';'), not '{option}'"
            )
        links.append(Link(label.strip(), urls.check(url)))
    return links


@dataclass(frozen=True)
class Extras:
    """What the user adds to what a source knows: section, links, keywords, venue, key."""

    taxonomy: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    keywords: tuple[str, ...] = ()
    venue: str = ""
    key: str = ""


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain(value: str) -> str:
    """Untrusted text without control characters (a NUL byte, terminal escapes)."""
    return _CONTROL.sub("", value)


def new_entry(
    title: str,
    authors: Sequence[str] = (),
    *,
    arxiv: str = "",
    year: int | None = None,
    journal_ref: str = "",
    doi: str = "",
    primary_class: str = "",
    url: str = "",
    abstract: str = "",
    extras: Extras | None = None,
    line: int | None = None,
) -> Paper:
    """A complete entry: the venue decides type and container, else arXiv's preprint
    convention; a journal reference becomes a note; the year comes from the venue, else
    `year`, else the ID."""
    title, abstract, journal_ref = plain(title), plain(abstract), plain(journal_ref)
    fields: dict[str, str] = {"title": defang(from_text(title))}
    if authors:
        fields["author"] = defang(names.author_field([plain(a) for a in authors]))
    entry_type = "misc"
    if arxiv:
        entry_type, fields["journal"] = "article", preprint_journal(arxiv)
    if journal_ref:
        # Free text ("Acta Astron. 56:1-50, 2006"), not a journal name: styles print a note as is.
        fields["note"] = defang(escape_text(journal_ref))
    year = year or (year_of(arxiv) if arxiv else None)
    if year:
        fields["year"] = str(year)
    if doi:
        fields["doi"] = doi
    if arxiv:
        fields.update(eprint=arxiv, archiveprefix="arXiv")
    if primary_class:
        fields["primaryclass"] = primary_class
    if url and url != ARXIV_ABS + arxiv:
        fields["url"] = urls.for_bibtex(url)
    if abstract:
        fields["abstract"] = defang(escape_text(abstract))
    paper = Paper(key="", entry_type=entry_type, fields=fields, line=line)
    return with_extras(paper, extras) if extras else paper


def with_extras(paper: Paper, extras: Extras) -> Paper:
    """The paper with the user's section, links, keywords, key and venue label.

    A venue label with a known year sets the entry type, the container and the year.
    """
    changes: dict[str, str | None] = {}
    entry_type = paper.entry_type
    if extras.venue:
        venue = venues.parse(extras.venue)
        entry_type = venue.entry_type
        container = "journal" if entry_type == "article" else "booktitle"
        changes.update(journal=None, booktitle=None)
        changes[container] = from_text(venue.container)
        if venue.year:
            changes["year"] = str(venue.year)
        changes["venue"] = escape_text(extras.venue)
    if extras.taxonomy:
        changes["taxonomy"] = escape_text(TAXONOMY_SEP.join(extras.taxonomy))
    if extras.keywords:
        changes["keywords"] = escape_text(", ".join(extras.keywords))
    if extras.links:
        links = [Link(link.label, urls.for_bibtex(link.url)) for link in extras.links]
        changes["links"] = format_links(links)
    return dataclasses.replace(
        paper.with_fields(**changes), entry_type=entry_type, key=extras.key or paper.key
    )


def merge(first: Paper, second: Paper) -> Paper:
    """One entry from two copies of a paper in a list: the first copy's identity (arXiv ID,
    paper link, section), filled in from the second: the longer author list, a venue with
    its type, container and year, any other field the first lacks, and links not already
    there."""
    fields = dict(first.fields)
    entry_type = first.entry_type
    if len(second.names) > len(first.names):
        fields["author"] = second.fields["author"]
    if not first.get("venue") and second.get("venue"):
        for name in ("journal", "booktitle"):
            fields.pop(name, None)
        fields.update(
            {
                n: second.fields[n]
                for n in ("venue", "booktitle", "journal", "year")
                if n in second.fields
            }
        )
        entry_type = second.entry_type
    kept = {"links", "taxonomy", "url"} if first.paper_url else {"links", "taxonomy"}
    for name, value in second.fields.items():
        if name not in fields and name not in kept:
            fields[name] = value
            entry_type = "article" if name == "journal" and entry_type == "misc" else entry_type
    links = first.extra_links + [
        link for link in second.extra_links if link.url not in {x.url for x in first.links}
    ]
    if links:
        fields["links"] = format_links(links)
    return Paper(key="", entry_type=entry_type, fields=fields, line=first.line)
