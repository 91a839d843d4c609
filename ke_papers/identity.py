"""When two entries are the same paper: arXiv IDs, DOIs and titles, normalised, and one finder.

An arXiv ID is written many ways (`arXiv:2305.13172v2`, `https://arxiv.org/pdf/2305.13172`,
`hep-th/9901001`, the DOI `10.48550/arXiv.2305.13172`); a DOI too (`https://doi.org/...`,
`doi:...`, any case). Every command that asks "is this paper already here?" (add,
import, update, lint) asks `Duplicates`, so they all agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from ke_papers.errors import KePapersError
from ke_papers.latex import fold, to_text

if TYPE_CHECKING:
    from ke_papers.model import Paper

_ID = (
    r"(?:(?P<new>\d{4}\.\d{4,5})|(?P<old>[a-z][a-z\-]*(?:\.[A-Za-z]{2})?/\d{7}))"
    r"(?P<version>v\d+)?"
)
_BARE = re.compile(rf"^(?:arxiv:)?{_ID}$", re.IGNORECASE)
_URL = re.compile(
    rf"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/{_ID}(?:\.pdf)?/?(?:[?#].*)?$",
    re.IGNORECASE,
)
NEW_ARXIV_ID = re.compile(r"^\d{4}\.\d{4,5}$")
OLD_ARXIV_ID = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}$")
_VERSION = re.compile(r"v\d+$")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_ARXIV_DOI = re.compile(rf"^10\.48550/arxiv\.{_ID}$", re.IGNORECASE)
#: `arXiv:2006.04182` or `arXiv 2006.04182` inside a journal, note or howpublished.
_IN_TEXT = re.compile(rf"\barxiv(?:\s*:\s*|\s+|\.)(?:abs/)?{_ID}\b", re.IGNORECASE)
_IN_URL = re.compile(rf"arxiv\.org/(?:abs|pdf)/{_ID}", re.IGNORECASE)
#: DBLP's `journal = {CoRR}, volume = {abs/ID}`, Semantic Scholar's `journal = {ArXiv}`.
_ABS_VOLUME = re.compile(rf"^\s*(?:abs/)?{_ID}\s*$", re.IGNORECASE)
_ARXIV_JOURNAL = re.compile(r"^\s*(?:corr|arxiv)\b", re.IGNORECASE)
#: An arXiv ID anywhere in a text: a URL, `arXiv:ID`, a command line, a bare ID.
_ANYWHERE = re.compile(rf"(?<![\w.]){_ID}(?!\w)", re.IGNORECASE)


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


def is_arxiv_id(value: str) -> bool:
    return bool(NEW_ARXIV_ID.match(value) or OLD_ARXIV_ID.match(value))


def parse_url(url: str) -> str | None:
    """The arXiv ID (without version) of an arXiv abstract or PDF URL, else None."""
    m = _URL.match(url.strip())
    return _from_match(m).base if m else None


def parse_id(text: str) -> ArxivId:
    """`2305.13172`, `arXiv:2305.13172v2`, `hep-th/9901001`, an arxiv.org URL, or its DOI."""
    value = text.strip()
    m = _BARE.match(value) or _URL.match(value) or _ARXIV_DOI.match(normal_doi(value))
    if not m:
        raise KePapersError(
            f"'{text}' is not an arXiv ID (expected e.g. 2305.13172, arXiv:2305.13172v2, "
            "hep-th/9901001 or https://arxiv.org/abs/2305.13172)"
        )
    problem = _impossible(m)
    if problem:
        raise KePapersError(f"'{text}' is not an arXiv ID: {problem}")
    return _from_match(m)


def _impossible(m: re.Match[str]) -> str:
    """What makes a well-shaped ID one arXiv never gave ('' when nothing): its month, a
    year outside its scheme, or a number of the wrong length for its month."""
    if m["new"]:
        yymm, number = m["new"].split(".")
        year, month = int(yymm[:2]), int(yymm[2:])
        if not 1 <= month <= 12 or yymm < "0704":
            return f"{yymm} is no month of arXiv's YYMM.NNNNN IDs (they start at 0704)"
        digits = 4 if yymm < "1501" else 5
        if len(number) != digits:
            since = "before 2015" if digits == 4 else "from 2015 on"
            return f"IDs of {2000 + year}-{month:02d} have {digits} digits after the dot ({since})"
        return ""
    yymm = m["old"].rpartition("/")[2][:4]
    year, month = int(yymm[:2]), int(yymm[2:])
    if not 1 <= month <= 12 or not (year >= 91 or year <= 7):
        return f"{yymm} is no month of the old archive/YYMMNNN IDs (1991 to 2007)"
    return ""


def arxiv_in(get: Callable[[str], str]) -> str:
    """The arXiv ID of an entry, however it is recorded (`get` reads a field, '' if absent).

    `eprint` with `archiveprefix`/`eprinttype` arXiv (or none) is kept as written; then
    Mendeley's `arxivId`, `arXiv:ID` in journal, note or howpublished, `volume = {abs/ID}` under a CoRR or arXiv
    journal, an arxiv.org URL and the DOI 10.48550/arXiv.ID give the ID without version.
    An eprint of another kind (`eprinttype = {googlebooks}`) is not an arXiv ID.
    """
    eprint = get("eprint").strip()
    kind = (get("archiveprefix") or get("eprinttype")).strip().casefold()
    if eprint and kind in ("", "arxiv"):
        m = _BARE.match(eprint)
        if m and eprint.casefold().startswith("arxiv:"):
            return str(_from_match(m))
        if m or kind == "arxiv":
            return eprint
    m = _BARE.match(get("arxivid").strip())  # Mendeley's own field
    if m:
        return str(_from_match(m))
    for name in ("journal", "note", "howpublished", "pubstate", "addendum"):
        m = _IN_TEXT.search(get(name))
        if m:
            return _from_match(m).base
    if _ARXIV_JOURNAL.match(get("journal")):
        m = _ABS_VOLUME.match(get("volume")) or _ABS_VOLUME.match(get("number"))
        if m:
            return _from_match(m).base
    m = _IN_URL.search(get("url"))
    if m:
        return _from_match(m).base
    return arxiv_of_doi(get("doi"))


def ids_in(text: str) -> list[str]:
    """Every arXiv ID a text names (without version, each once, in order)."""
    return list(dict.fromkeys(_from_match(m).base for m in _ANYWHERE.finditer(text)))


def year_of(base: str) -> int:
    """The year an arXiv ID was first submitted, from its yymm part."""
    digits = base.rpartition("/")[2] if "/" in base else base
    yy = int(digits[:2])
    return 1900 + yy if yy >= 91 else 2000 + yy


def arxiv_base(identifier: str) -> str:
    """The ID without its version: `2305.13172v2` -> `2305.13172`."""
    return _VERSION.sub("", identifier.strip())


def normal_doi(doi: str) -> str:
    """A DOI as a key: resolver prefix dropped, lowercase (DOIs ignore case)."""
    return _DOI_PREFIX.sub("", doi.strip()).casefold()


def arxiv_of_doi(doi: str) -> str:
    """The arXiv ID a DataCite arXiv DOI (`10.48550/arXiv.ID`) names, else ''."""
    m = _ARXIV_DOI.match(normal_doi(doi))
    return _from_match(m).base if m else ""


def normal_title(title: str) -> str:
    """A title reduced to lowercase letters and digits: how duplicates are recognised."""
    return re.sub(r"[^0-9a-z]+", "", fold(to_text(title)))


class Keys(NamedTuple):
    """What identifies one paper: its arXiv ID (no version), DOI and title, normalised."""

    arxiv: str
    doi: str
    title: str

    @classmethod
    def of(cls, paper: Paper) -> Keys:
        doi = normal_doi(paper.doi)
        arxiv = arxiv_base(paper.arxiv).casefold() or arxiv_of_doi(doi).casefold()
        return cls(arxiv, "" if arxiv_of_doi(doi) else doi, normal_title(paper.get("title")))


#: The identities in the order a match is trusted: an ID beats a DOI beats a title.
KINDS = ("arxiv", "doi", "title")


@dataclass(frozen=True)
class Match:
    """`paper` is already there, found by `kind` (arxiv, doi or title)."""

    paper: Paper
    kind: str


class Duplicates:
    """Papers by each identity, kept current as papers are added: the one duplicate finder."""

    def __init__(self, papers: Iterable[Paper] = (), ids: Iterable[Keys] | None = None) -> None:
        """`ids`, when given, are the papers' identities, already known (from the cache)."""
        self.by: dict[str, dict[str, list[Paper]]] = {kind: {} for kind in KINDS}
        if ids is None:
            for paper in papers:
                self.add(paper)
        else:
            for paper, known in zip(papers, ids, strict=True):
                self.add(paper, known)

    def add(self, paper: Paper, ids: Keys | None = None) -> None:
        ids = ids or Keys.of(paper)
        for kind in KINDS:
            value = getattr(ids, kind)
            if value:
                self.by[kind].setdefault(value, []).append(paper)

    def remove(self, paper: Paper) -> None:
        for table in self.by.values():
            for value, same in list(table.items()):
                if paper in same:
                    same.remove(paper)
                    if not same:
                        del table[value]

    def matches(self, paper: Paper) -> list[Match]:
        """The first paper here sharing each identity with `paper`, most trusted first."""
        ids = Keys.of(paper)
        found = [(kind, self.by[kind].get(getattr(ids, kind))) for kind in KINDS]
        return [Match(same[0], kind) for kind, same in found if same]

    def find(self, paper: Paper) -> Match | None:
        """The paper here that is the same work: same arXiv ID, DOI or title."""
        return next(iter(self.matches(paper)), None)

    def by_arxiv(self, identifier: str) -> Paper | None:
        same = self.by["arxiv"].get(arxiv_base(identifier).casefold())
        return same[0] if same else None

    def groups(self) -> Iterator[tuple[str, str, list[Paper]]]:
        """(kind, value, papers) for every identity that more than one paper shares."""
        for kind in KINDS:
            for value, same in self.by[kind].items():
                if len(same) > 1:
                    yield kind, value, same
