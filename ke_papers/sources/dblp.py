"""DBLP as a source of published versions: its publication search by title, and a record's
BibTeX (`/rec/KEY.bib`) when the list has no name for the venue's proceedings or journal.

Settings: KE_PAPERS_DBLP_URL (default https://dblp.org), _DELAY (seconds between requests,
default 1), _TIMEOUT (default 30). Answers are cached for a day.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ke_papers import publications, venues
from ke_papers.errors import KePapersError
from ke_papers.latex import to_text
from ke_papers.model import Paper
from ke_papers.sources import Failure, Progress
from ke_papers.sources.http import Service, cached, digest, store_cache

SERVICE = Service("DBLP", "dblp", "https://dblp.org", max_bytes=8 * 2**20)
#: Hits asked per title: the published version is among the first few when it is there.
HITS = 10
#: DBLP's homonym number after a name (`Ningyu Zhang 0001`).
_HOMONYM = re.compile(r"\s+\d{4}$")


def _authors(info: dict[str, Any]) -> list[str]:
    """Names of a hit: DBLP gives a list of `{"@pid", "text"}` (once a list of strings), or
    one of them alone for a single author."""
    found = (info.get("authors") or {}).get("author") or []
    if not isinstance(found, list):
        found = [found]
    names = [a.get("text", "") if isinstance(a, dict) else str(a) for a in found]
    return [_HOMONYM.sub("", html.unescape(n)) for n in names if n]


def search(title: str, use_cache: bool = True) -> list[dict[str, Any]]:
    """The `info` of each hit of a title search (DBLP's JSON)."""
    # DBLP's search reads `-`, `|`, `$` and `*` as operators: a title is asked as its words
    query = " ".join(re.sub(r"[^\w\s]", " ", title).split())
    name = digest(query)
    hits = cached("dblp", name) if use_cache else None
    if hits is None:
        response = SERVICE.request(
            "GET", "/search/publ/api", params={"q": query, "format": "json", "h": HITS}
        )
        try:
            found = response.json()["result"]["hits"].get("hit", []) if response.ok else []
        except (ValueError, KeyError, TypeError, AttributeError):
            raise KePapersError(f"DBLP's answer is not its search JSON ({SERVICE.base})") from None
        hits = [h["info"] for h in found if isinstance(h, dict) and isinstance(h.get("info"), dict)]
        store_cache("dblp", name, hits)
    return list(hits)


def record(key: str, use_cache: bool = True) -> Paper | None:
    """A DBLP record's own BibTeX entry (`/rec/KEY.bib`), parsed; None when DBLP has none."""
    from ke_papers.sources.bibfile import BibSource

    text = cached("dblp-rec", key) if use_cache else None
    if text is None:
        response = SERVICE.request("GET", f"/rec/{quote(key)}.bib")
        text = response.text if response.ok else ""
        store_cache("dblp-rec", key, text)
    try:
        found = next(iter(BibSource(str(text), Path(f"{key}.bib")).papers()), None)
    except KePapersError:
        return None
    return found if isinstance(found, Paper) else None


def to_candidate(info: dict[str, Any], use_cache: bool = True, full: bool = False) -> Paper:
    """A hit as a published version; with `full`, the record's BibTeX gives the container when
    the list has no name of its own for the venue."""
    year = int(info["year"]) if str(info.get("year", "")).isdigit() else None
    venue = info.get("venue") or ""
    names = venue if isinstance(venue, list) else [venue]
    label, workshop = publications.label(names, year)
    article = info.get("type") == "Journal Articles"
    container = ""
    if full and label and venues.parse(label).container == label:
        rec = record(str(info.get("key", "")), use_cache)
        if rec is not None:
            container = to_text(rec.value("booktitle") or rec.value("journal"))
            workshop = workshop or "workshop" in container.casefold()
    return publications.candidate(
        html.unescape(str(info.get("title", ""))),
        _authors(info),
        year,
        label,
        container=container,
        article=article,
        doi=str(info.get("doi", "")),
        pages=str(info.get("pages", "")),
        origin=f"DBLP {info.get('key', '')}",
        workshop=workshop,
    )


class DblpSource:
    """For each entry, DBLP's published versions that can be trusted (`publications.trusted`),
    each with the entry's key; the rest of a search's hits are left out."""

    def __init__(self, wanted: Sequence[Paper], use_cache: bool = True) -> None:
        self.wanted = list(wanted)
        self.use_cache = use_cache

    def papers(self, progress: Progress | None = None) -> Iterator[Paper | Failure]:
        for done, paper in enumerate(self.wanted):
            if progress:
                progress(done, len(self.wanted))
            for info in search(paper.title, self.use_cache):
                found = to_candidate(info, self.use_cache)
                if publications.is_publication(found) and publications.trusted(paper, found):
                    found = to_candidate(info, self.use_cache, full=True)
                    found.key = paper.key
                    yield found
        if progress:
            progress(len(self.wanted), len(self.wanted))
