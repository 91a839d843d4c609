"""Searching the list: ranked hits for a query, within filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ke_papers import taxonomy
from ke_papers.model import Paper
from ke_papers.search import Filters
from ke_papers.usecases.reading import Session, open_catalog


@dataclass(frozen=True)
class Query:
    words: str = ""
    author: str | None = None
    year: int | None = None
    since: int | None = None
    until: int | None = None
    venue: str | None = None
    category: str | None = None
    has_code: bool = False
    limit: int = 20


@dataclass(frozen=True)
class Found:
    papers: Sequence[Paper]
    #: None when the query had no words (nothing was ranked).
    scores: Sequence[float] | None
    #: How many papers matched before the limit cut the list.
    total: int
    #: When nothing matched: keys or words close to the query.
    suggestions: Sequence[str] = ()
    #: When the filters removed every match: how many the words alone match.
    without_filters: int = 0


def search(path: Path, query: Query, session: Session | None = None) -> Found:
    catalog = open_catalog(path, session)
    section = taxonomy.resolve(catalog.sections(), query.category) if query.category else None
    filters = Filters(
        author=query.author,
        year=query.year,
        since=query.since,
        until=query.until,
        venue=query.venue,
        category=section,
        has_code=query.has_code,
    )
    index = catalog.search()
    found = index.search(query.words, filters, query.limit)
    hits, scores = found.hits, [h.score for h in found.hits]
    if hits or not query.words.strip():
        return Found([h.paper for h in hits], scores if query.words.strip() else None, found.total)
    unfiltered = index.search(query.words, limit=1).total if filters.active() else 0
    close = [] if unfiltered else index.suggest(query.words)
    return Found([], [], 0, close, unfiltered)
