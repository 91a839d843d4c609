"""Growing and refreshing the list from arXiv: entries from records, and what an update changes.

Fields people edit by hand and arXiv does not have (taxonomy, links, keywords,
venue) are set only by `add` from the user's options and never touched by `update`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from ke_papers import names, venues
from ke_papers.errors import KePapersError
from ke_papers.latex import escape_text, from_text, to_text
from ke_papers.model import TAXONOMY_SEP, Link, Paper, format_links
from ke_papers.sources.arxiv import Record


def check_url(url: str) -> str:
    """Only http(s) links with a host: `javascript:` and friends never reach the README."""
    parts = urlsplit(url.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or any(c.isspace() for c in url.strip())
    ):
        raise KePapersError(f"'{url}' is not an http(s) URL")
    return url.strip()


def parse_link(option: str) -> Link:
    """`LABEL=URL` from --link."""
    label, sep, url = option.partition("=")
    if not sep or not label.strip() or ":" in label or ";" in label:
        raise KePapersError(f"--link takes LABEL=URL (a label without ':' or ';'), not '{option}'")
    return Link(label.strip(), check_url(url))


@dataclass(frozen=True)
class Extras:
    """What the user adds to what arXiv knows."""

    taxonomy: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    keywords: tuple[str, ...] = ()
    venue: str = ""
    key: str = ""


def paper_from(record: Record, extras: Extras) -> Paper:
    """A complete entry for an arXiv record, in the list's conventions."""
    fields: dict[str, str] = {
        "title": from_text(record.title),
        "author": names.author_field(record.authors),
    }
    venue = venues.parse(extras.venue) if extras.venue else None
    year = (venue.year if venue else None) or record.year
    entry_type = "article"
    if venue:
        entry_type = venue.entry_type
        fields["journal" if entry_type == "article" else "booktitle"] = from_text(venue.container)
    elif record.journal_ref:
        fields["journal"] = escape_text(record.journal_ref)
    else:
        fields["journal"] = f"arXiv preprint arXiv:{record.id}"
    fields["year"] = str(year)
    if record.doi:
        fields["doi"] = record.doi
    fields.update(eprint=record.id, archiveprefix="arXiv")
    if record.primary_category:
        fields["primaryclass"] = record.primary_category
    if extras.venue:
        fields["venue"] = escape_text(extras.venue)
    if extras.taxonomy:
        fields["taxonomy"] = escape_text(TAXONOMY_SEP.join(extras.taxonomy))
    if extras.keywords:
        fields["keywords"] = escape_text(", ".join(extras.keywords))
    if extras.links:
        fields["links"] = format_links(list(extras.links))
    if record.abstract:
        fields["abstract"] = escape_text(record.abstract)
    return Paper(key=extras.key, entry_type=entry_type, fields=fields)


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


def changes_for(paper: Paper, record: Record) -> list[Change]:
    """What arXiv knows better: a newer title or author list, a DOI, journal or class that appeared."""
    out: list[Change] = []
    title = from_text(record.title)
    if to_text(title) != paper.title:
        out.append(Change("title", paper.get("title"), title))
    authors = names.author_field(record.authors)
    if names.display_names(authors) != paper.authors:
        out.append(Change("author", paper.get("author"), authors))
    if record.doi and record.doi.casefold() != paper.doi.casefold():
        out.append(Change("doi", paper.doi, record.doi))
    journal = paper.get("journal")
    if (
        record.journal_ref
        and not paper.get("booktitle")
        and (not journal or journal.startswith("arXiv preprint"))
    ):
        out.append(Change("journal", journal, escape_text(record.journal_ref)))
    if record.primary_category and not paper.get("primaryclass"):
        out.append(Change("primaryclass", "", record.primary_category))
    return out


def apply(paper: Paper, changes: list[Change]) -> Paper:
    return paper.with_fields(**{c.field: c.new for c in changes})
