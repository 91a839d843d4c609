"""arXiv identifiers in every form people paste, and papers fetched from the arXiv API.

Parsing IDs needs no network and no heavy import; the `arxiv` client is imported
only by the functions that talk to arXiv.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
