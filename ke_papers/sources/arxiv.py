"""Papers fetched from the arXiv API: the arXiv source.

IDs are parsed by `identity` (no network, no heavy import); the `arxiv` client is
imported only by the functions that talk to arXiv. Answers are cached for a day.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ke_papers import entries
from ke_papers.errors import KePapersError
from ke_papers.identity import ArxivId, parse_id
from ke_papers.model import Paper
from ke_papers.sources import Failure, Progress
from ke_papers.sources.http import (
    TooLarge,
    bounded_session,
    cached,
    digest,
    env_seconds,
    env_url,
    store_cache,
)

if TYPE_CHECKING:
    import arxiv

DEFAULT_ENDPOINT = "https://export.arxiv.org/api/query"
ENV_URL = "KE_PAPERS_ARXIV_URL"
ENV_DELAY = "KE_PAPERS_ARXIV_DELAY"
ENV_TIMEOUT = "KE_PAPERS_ARXIV_TIMEOUT"
#: IDs per API request: arXiv's id_list takes many, and one request per 100 is polite.
BATCH = 100
#: arXiv asks for one request per 3 seconds.
DEFAULT_DELAY = 3.0
DEFAULT_TIMEOUT = 30.0
RETRIES = 3


@dataclass(frozen=True)
class Record:
    """What arXiv says about one paper."""

    id: str
    version: str
    title: str
    authors: tuple[str, ...]
    abstract: str
    year: int
    doi: str = ""
    journal_ref: str = ""
    primary_category: str = ""
    #: The day of the first version, YYYY-MM-DD.
    published: str = ""


#: The largest answer read, on the wire or unpacked: 100 papers' metadata is well under 1 MiB.
MAX_ANSWER = 32 * 2**20


def endpoint() -> str:
    return env_url(ENV_URL, DEFAULT_ENDPOINT)


def _cached(base: str) -> Record | None:
    try:
        return _from_dict(cached("arxiv", base))
    except (ValueError, KeyError, TypeError):
        return None


def _from_dict(data: dict[str, Any]) -> Record:
    """A record as cached; a field the cache does not know is an error (TypeError)."""
    return Record(**{**data, "authors": tuple(data["authors"])})


def _store_cache(record: Record) -> None:
    store_cache("arxiv", record.id, dataclasses.asdict(record))


def _record(result: object) -> Record:
    ident = parse_id(result.get_short_id())  # type: ignore[attr-defined]
    return Record(
        id=ident.base,
        version=ident.version,
        title=" ".join(result.title.split()),  # type: ignore[attr-defined]
        authors=tuple(a.name for a in result.authors),  # type: ignore[attr-defined]
        abstract=" ".join(result.summary.split()),  # type: ignore[attr-defined]
        year=result.published.year,  # type: ignore[attr-defined]
        doi=result.doi or "",  # type: ignore[attr-defined]
        journal_ref=" ".join((result.journal_ref or "").split()),  # type: ignore[attr-defined]
        primary_category=result.primary_category or "",  # type: ignore[attr-defined]
        published=result.published.date().isoformat(),  # type: ignore[attr-defined]
    )


def batches(ids: Sequence[ArxivId]) -> list[list[ArxivId]]:
    return [list(ids[i : i + BATCH]) for i in range(0, len(ids), BATCH)]


def fetch(
    ids: Sequence[ArxivId],
    use_cache: bool = True,
    on_batch: Progress | None = None,
) -> dict[str, Record]:
    """Records for the IDs arXiv knows, by ID without version; ceil(N/100) requests at most.

    Cached answers (a day old at most) are used unless `use_cache` is False; arXiv's
    answers are cached as they come, so a batch that failed half-way costs nothing twice.
    """
    found: dict[str, Record] = {}
    wanted: list[ArxivId] = []
    for ident in dict.fromkeys(ids):
        record = _cached(ident.base) if use_cache and not ident.version else None
        if record is not None:
            found[ident.base] = record
        else:
            wanted.append(ident)
    if not wanted:
        return found
    import arxiv

    client = _client()
    groups = batches(wanted)
    for done, group in enumerate(groups):
        if on_batch:
            on_batch(done, len(groups))
        search = arxiv.Search(id_list=[str(i) for i in group], max_results=len(group))
        with _asking():
            for result in client.results(search):
                record = _record(result)
                found[record.id] = record
                _store_cache(record)
    if on_batch:
        on_batch(len(groups), len(groups))
    return found


def search(
    query: str,
    most: int,
    use_cache: bool = True,
    on_page: Progress | None = None,
) -> list[Record]:
    """The records arXiv's search finds for `query` (its `search_query` syntax), most
    relevant first, at most `most`: pages of 100, one request per page, arXiv's pace kept.

    The whole answer is cached for a day under the query, and each record under its ID,
    so that adding a paper just found asks arXiv nothing more.
    """
    name = "search-" + digest(f"{most} {query}")
    if use_cache:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            return [_from_dict(record) for record in cached("arxiv", name)]
    import arxiv

    pages = max(1, math.ceil(most / BATCH))
    found: list[Record] = []
    asked = arxiv.Search(query=query, max_results=most, sort_by=arxiv.SortCriterion.Relevance)
    with _asking():
        for result in _client().results(asked):
            if on_page and len(found) % BATCH == 0:
                on_page(len(found) // BATCH, pages)
            record = _record(result)
            found.append(record)
            _store_cache(record)
    if on_page:
        on_page(pages, pages)
    store_cache("arxiv", name, [dataclasses.asdict(r) for r in found])
    return found


def _client() -> arxiv.Client:
    """An arXiv client at the configured endpoint, pacing its requests, whose every answer
    is whole within the time-out and at most MAX_ANSWER bytes."""
    import arxiv

    logging.getLogger("arxiv").disabled = True  # its warnings become our one-line errors
    timeout = env_seconds(ENV_TIMEOUT, DEFAULT_TIMEOUT, zero_ok=False)
    delay = env_seconds(ENV_DELAY, DEFAULT_DELAY, zero_ok=True)
    client = arxiv.Client(page_size=BATCH, delay_seconds=delay, num_retries=RETRIES)
    client.query_url_format = endpoint() + "?{}"
    client._session = bounded_session(timeout, MAX_ANSWER)  # it sets no timeout of its own
    return client


@contextlib.contextmanager
def _asking() -> Iterator[None]:
    """arXiv's failures as one line each: refused, down, slow, too large, unreachable."""
    import arxiv
    import requests

    try:
        yield
    except arxiv.HTTPError as exc:
        raise KePapersError(_http_message(exc.status, exc.retry)) from None
    except TooLarge:
        raise KePapersError(
            f"arXiv's answer is larger than {MAX_ANSWER // 2**20} MiB: not read ({endpoint()})"
        ) from None
    except requests.exceptions.Timeout:
        timeout = env_seconds(ENV_TIMEOUT, DEFAULT_TIMEOUT, zero_ok=False)
        raise KePapersError(f"arXiv did not answer within {timeout:g} s ({endpoint()})") from None
    except requests.exceptions.ConnectionError:
        raise KePapersError(
            f"cannot reach arXiv at {endpoint()} (no network, or the server is down; "
            f"{ENV_URL} names a mirror)"
        ) from None
    except (requests.exceptions.RequestException, arxiv.ArxivError) as exc:
        raise KePapersError(f"arXiv request failed: {exc}") from None


def _http_message(status: int, retries: int) -> str:
    if 400 <= status < 500:
        return f"arXiv rejected the request (HTTP {status}): check the IDs"
    return f"arXiv answered HTTP {status} after {retries + 1} tries; try again later"


def to_paper(record: Record, extras: entries.Extras | None = None) -> Paper:
    """A complete entry for an arXiv record, in the list's conventions."""
    return entries.new_entry(
        record.title,
        record.authors,
        arxiv=record.id,
        year=record.year,
        journal_ref=record.journal_ref,
        doi=record.doi,
        primary_class=record.primary_category,
        abstract=record.abstract,
        extras=extras or entries.Extras(),
    )


class ArxivSource:
    """The arXiv API as a source: one paper per ID it knows, a failure for each it does not."""

    def __init__(self, ids: Sequence[ArxivId], use_cache: bool = True) -> None:
        self.ids = list(dict.fromkeys(ids))
        self.use_cache = use_cache

    def requests(self) -> int:
        return len(batches(self.ids))

    def papers(self, progress: Progress | None = None) -> Iterator[Paper | Failure]:
        records = fetch(self.ids, self.use_cache, progress) if self.ids else {}
        for ident in self.ids:
            record = records.get(ident.base)
            if record is None:
                yield Failure(str(ident), "arXiv knows no such paper")
            else:
                yield to_paper(record)


class PublishedSource:
    """arXiv's own word on where a paper appeared: a journal reference that names a venue
    (`ICLR 2022`, `2023 IEEE ... Workshops (ICSTW)`, `publications.from_journal_ref`), with
    arXiv's DOI when it is not arXiv's own; one per entry, with the entry's key."""

    def __init__(self, wanted: Sequence[Paper], use_cache: bool = True) -> None:
        self.wanted = [p for p in wanted if p.arxiv]
        self.use_cache = use_cache

    def papers(self, progress: Progress | None = None) -> Iterator[Paper | Failure]:
        from ke_papers import publications, venues

        ids = [parse_id(p.arxiv) for p in self.wanted]
        records = fetch(ids, self.use_cache, progress) if ids else {}
        for paper, ident in zip(self.wanted, ids, strict=True):
            record = records.get(ident.base)
            if record is None or not record.journal_ref:
                continue
            label, container, article, workshop = publications.from_journal_ref(record.journal_ref)
            if not label:
                continue
            found = publications.candidate(
                record.title,
                record.authors,
                venues.parse(label).year,
                label,
                container=container,
                article=article,
                doi=record.doi,
                origin=f"arXiv {record.id} journal_ref",
                workshop=workshop,
            )
            if publications.is_publication(found) and publications.trusted(paper, found):
                found.key = paper.key
                yield found
