"""arXiv identifiers in every form people paste, and papers fetched from the arXiv API.

Parsing IDs needs no network and no heavy import; the `arxiv` client is imported
only by the functions that talk to arXiv.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ke_papers.errors import KePapersError

_ID = (
    r"(?:(?P<new>\d{4}\.\d{4,5})|(?P<old>[a-z][a-z\-]*(?:\.[A-Za-z]{2})?/\d{7}))"
    r"(?P<version>v\d+)?"
)
_BARE = re.compile(rf"^(?:arxiv:)?{_ID}$", re.IGNORECASE)
_URL = re.compile(
    rf"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/{_ID}(?:\.pdf)?/?(?:[?#].*)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ArxivId:
    base: str
    version: str = ""

    def __str__(self) -> str:
        return self.base + self.version


def _from_match(m: re.Match[str]) -> ArxivId:
    base = m["new"] or m["old"]
    if m["old"]:
        archive, _, number = base.partition("/")
        subject, dot, cls = archive.partition(".")
        base = f"{subject.lower()}{dot}{cls.upper()}/{number}"
    return ArxivId(base, (m["version"] or "").lower())


def parse_url(url: str) -> str | None:
    """The arXiv ID (without version) of an arXiv abstract or PDF URL, else None."""
    m = _URL.match(url.strip())
    return _from_match(m).base if m else None


def parse_id(text: str) -> ArxivId:
    """`2305.13172`, `arXiv:2305.13172v2`, `hep-th/9901001`, or an arxiv.org URL."""
    value = text.strip()
    m = _BARE.match(value) or _URL.match(value)
    if not m:
        raise KePapersError(
            f"'{text}' is not an arXiv ID (expected e.g. 2305.13172, arXiv:2305.13172v2, "
            "hep-th/9901001 or https://arxiv.org/abs/2305.13172)"
        )
    return _from_match(m)


def year_of(base: str) -> int:
    """The year an arXiv ID was first submitted, from its yymm part."""
    digits = base.rpartition("/")[2] if "/" in base else base
    yy = int(digits[:2])
    return 1900 + yy if yy >= 91 else 2000 + yy


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
CACHE_SECONDS = 24 * 3600


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


def endpoint() -> str:
    return os.environ.get(ENV_URL) or DEFAULT_ENDPOINT


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        raise KePapersError(f"${name} must be a number of seconds, not '{value}'") from None


def _cache_file(base: str) -> Path:
    from ke_papers.config import cache_dir

    return cache_dir() / "arxiv" / (base.replace("/", "_") + ".json")


def _cached(base: str) -> Record | None:
    try:
        data = json.loads(_cache_file(base).read_text(encoding="utf-8"))
        if time.time() - float(data["fetched"]) > CACHE_SECONDS:
            return None
        record = dict(data["record"])
        record["authors"] = tuple(record["authors"])
        return Record(**record)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store_cache(record: Record) -> None:
    path = _cache_file(record.id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"fetched": time.time(), "record": dataclasses.asdict(record)}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # the cache only saves requests; a read-only cache folder is no error


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
    )


def batches(ids: Sequence[ArxivId]) -> list[list[ArxivId]]:
    return [list(ids[i : i + BATCH]) for i in range(0, len(ids), BATCH)]


def fetch(
    ids: Sequence[ArxivId],
    use_cache: bool = True,
    on_batch: Callable[[int, int], None] | None = None,
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
    import requests

    logging.getLogger("arxiv").disabled = True  # its warnings become our one-line errors
    timeout = _env_float(ENV_TIMEOUT, DEFAULT_TIMEOUT)

    class _Session(requests.Session):
        def request(self, *args: object, **kwargs: object) -> requests.Response:
            kwargs.setdefault("timeout", timeout)
            return super().request(*args, **kwargs)  # type: ignore[arg-type]

    client = arxiv.Client(
        page_size=BATCH, delay_seconds=_env_float(ENV_DELAY, DEFAULT_DELAY), num_retries=RETRIES
    )
    client.query_url_format = endpoint() + "?{}"
    client._session = _Session()  # the client sets no timeout of its own
    groups = batches(wanted)
    for done, group in enumerate(groups):
        if on_batch:
            on_batch(done, len(groups))
        search = arxiv.Search(id_list=[str(i) for i in group], max_results=len(group))
        try:
            for result in client.results(search):
                record = _record(result)
                found[record.id] = record
                _store_cache(record)
        except arxiv.HTTPError as exc:
            raise KePapersError(_http_message(exc.status, exc.retry)) from None
        except requests.exceptions.Timeout:
            raise KePapersError(
                f"arXiv did not answer within {timeout:g} s ({endpoint()})"
            ) from None
        except requests.exceptions.ConnectionError:
            raise KePapersError(
                f"cannot reach arXiv at {endpoint()} (no network, or the server is down)"
            ) from None
        except (requests.exceptions.RequestException, arxiv.ArxivError) as exc:
            raise KePapersError(f"arXiv request failed: {exc}") from None
    if on_batch:
        on_batch(len(groups), len(groups))
    return found


def _http_message(status: int, retries: int) -> str:
    if 400 <= status < 500:
        return f"arXiv rejected the request (HTTP {status}): check the IDs"
    return f"arXiv answered HTTP {status} after {retries + 1} tries; try again later"
