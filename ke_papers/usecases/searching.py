"""Searching the list: ranked hits for a query, within filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ke_papers import taxonomy
from ke_papers.model import Paper
from ke_papers.search import Filters
from ke_papers.usecases.reading import open_catalog


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
    scores: Sequence[float]
    #: When nothing matched: keys or words close to the query.
    suggestions: Sequence[str] = ()


def search(path: Path, query: Query) -> Found:
    catalog = open_catalog(path)
    section = taxonomy.resolve(catalog.tree(), query.category) if query.category else None
    filters = Filters(
        author=query.author,
        year=query.year,
        since=query.since,
        until=query.until,
        venue=query.venue,
        category=section,
        has_code=query.has_code,
    )
    index = catalog.index()
    hits = index.search(query.words, filters, query.limit)
    close = index.suggest(query.words) if not hits and query.words.strip() else []
    return Found([h.paper for h in hits], [h.score for h in hits], close)
