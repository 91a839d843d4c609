"""Semantic Scholar as a source of published versions: its batch lookup by arXiv ID.

`POST /paper/batch` takes up to 500 IDs (`ARXIV:2202.05262`) and answers a list in the same
order, null for an ID it does not know. Settings: KE_PAPERS_S2_URL (default
https://api.semanticscholar.org/graph/v1), KE_PAPERS_S2_KEY (an API key, sent as x-api-key),
_DELAY (default 1 s, the public rate), _TIMEOUT (default 30). Answers are cached for a day.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

from ke_papers import publications
from ke_papers.errors import KePapersError
from ke_papers.identity import arxiv_base
from ke_papers.model import Paper
from ke_papers.sources import Failure, Progress
from ke_papers.sources.http import Service, cached, store_cache

SERVICE = Service("Semantic Scholar", "s2", "https://api.semanticscholar.org/graph/v1")
ENV_KEY = "KE_PAPERS_S2_KEY"
#: The most IDs /paper/batch takes in one request.
BATCH = 500
FIELDS = "title,authors,year,venue,publicationVenue,journal,externalIds,publicationTypes"


def fetch(ids: Sequence[str], use_cache: bool = True) -> dict[str, dict[str, Any]]:
    """Semantic Scholar's paper for each arXiv ID (without version) it knows."""
    found: dict[str, dict[str, Any]] = {}
    wanted: list[str] = []
    for ident in dict.fromkeys(arxiv_base(i) for i in ids):
        known = cached("s2", ident) if use_cache else None
        if known is None:
            wanted.append(ident)
        elif known:
            found[ident] = known
    key = os.environ.get(ENV_KEY, "").strip()
    headers = {"x-api-key": key} if key else {}
    for start in range(0, len(wanted), BATCH):
        group = wanted[start : start + BATCH]
        response = SERVICE.request(
            "POST",
            "/paper/batch",
            params={"fields": FIELDS},
            json={"ids": [f"ARXIV:{i}" for i in group]},
            headers=headers,
        )
        try:
            answer = response.json() if response.ok else [None] * len(group)
            if not isinstance(answer, list) or len(answer) != len(group):
                raise ValueError
        except ValueError:
            raise KePapersError(
                f"Semantic Scholar's answer is not a list of {len(group)} papers ({SERVICE.base})"
            ) from None
        for ident, paper in zip(group, answer, strict=True):
            store_cache("s2", ident, paper if isinstance(paper, dict) else {})
            if isinstance(paper, dict):
                found[ident] = paper
    return found


def to_candidate(paper: dict[str, Any]) -> Paper:
    venue = paper.get("publicationVenue") or {}
    journal = paper.get("journal") or {}
    year = paper.get("year") if isinstance(paper.get("year"), int) else None
    names = [venue.get("name", ""), *(venue.get("alternate_names") or []), paper.get("venue", "")]
    if journal.get("name"):
        names.append(journal["name"])
    label, workshop = publications.label([str(n) for n in names if n], year)
    ids = paper.get("externalIds") or {}
    return publications.candidate(
        str(paper.get("title") or ""),
        [str(a.get("name", "")) for a in paper.get("authors") or [] if isinstance(a, dict)],
        year,
        label,
        container=str(venue.get("name") or paper.get("venue") or ""),
        article=venue.get("type") == "journal",
        doi=str(ids.get("DOI") or ""),
        pages=str(journal.get("pages") or ""),
        origin=f"Semantic Scholar {paper.get('paperId', '')}",
        workshop=workshop,
    )


class S2Source:
    """For each entry with an arXiv ID, Semantic Scholar's published version when it can be
    trusted, with the entry's key."""

    def __init__(self, wanted: Sequence[Paper], use_cache: bool = True) -> None:
        self.wanted = [p for p in wanted if p.arxiv]
        self.use_cache = use_cache

    def papers(self, progress: Progress | None = None) -> Iterator[Paper | Failure]:
        known = fetch([p.arxiv for p in self.wanted], self.use_cache) if self.wanted else {}
        for paper in self.wanted:
            record = known.get(arxiv_base(paper.arxiv))
            if record is None:
                continue
            found = to_candidate(record)
            if publications.is_publication(found) and publications.trusted(paper, found):
                found.key = paper.key
                yield found
