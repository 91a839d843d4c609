"""Searching the list: ranked hits for a query, within filters."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ke_papers import taxonomy
from ke_papers.catalog import Catalog, suggest_key
from ke_papers.errors import NotFound
from ke_papers.model import Paper
from ke_papers.search import Filters, Search, tokens
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
    close = [] if unfiltered else suggestions(index, query.words, filters)
    return Found([], [], 0, close, unfiltered)


def _whole(index: Search, words: str, filters: Filters | None = None, n: int = 3) -> list[str]:
    """Keys of the papers that match every word (none when only some words match)."""
    wanted = len(tokens(words))
    hits = index.search(words, filters, n).hits if wanted else []
    return [h.paper.key for h in hits if h.matched >= wanted]


def _parts(text: str) -> str:
    """A key-like word in its parts, `meng2022rome` -> `meng 2022 rome`."""
    return " ".join(re.findall(r"[^\W\d_]+|\d+", text))


def suggestions(index: Search, text: str, filters: Filters | None = None) -> list[str]:
    """At most three keys or words, each once, each of which finds a paper: the papers a
    key-like word's parts find (`meng2022rome` -> the paper by Meng, 2022, on ROME),
    then the keys and words closest to it."""
    out = _whole(index, _parts(text), filters) if _parts(text) != text.strip() else []
    for close in index.suggest(text):
        if close not in out and _whole(index, close, filters, 1):
            out.append(close)
    return out[:3]


def key_hint(catalog: Catalog, key: str) -> str:
    """` (did you mean ...?)` for a key no paper has: the same key in another case, the
    closest keys, or the papers its parts find; else the search that finds papers by
    it, only when that search finds some."""
    import shlex

    close = suggest_key(key, catalog.all_keys())
    if close:
        return close
    index = catalog.search()
    found = suggestions(index, key)
    known = [k for k in found if catalog.get(k) is not None]
    if known:
        return f" (did you mean {', '.join(known)}?)"
    for words in (key, *found):
        total = index.search(words, limit=1).total
        if total and _whole(index, words, n=1):
            return f" (ke-papers search {shlex.quote(words)} finds {total:,} paper{'' if total == 1 else 's'})"
    return ""


def find(path: Path, keys: Sequence[str], session: Session | None = None) -> list[Paper]:
    """The papers with these keys; a key no paper has is refused with the keys it may mean."""
    catalog = open_catalog(path, session)
    for key in keys:
        if catalog.get(key) is None:
            raise NotFound(f"no paper with key '{key}'{key_hint(catalog, key)}")
    return [catalog.find(key) for key in keys]
