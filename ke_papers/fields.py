"""BibTeX and biblatex name the same data differently: one table both ways, dates and months.

A biblatex file writes `date = {2006-05}`, `journaltitle`, `location`, `eprinttype`; a
BibTeX one `year`, `month`, `journal`, `address`, `archiveprefix`. Reading (year, venue,
arXiv ID), lint (required fields) and cite (each format's own names) all go through this
module, so they agree. Its pairs are biber's default source map.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: (BibTeX name, biblatex name): one datum under the names each world uses.
ALIASES = (
    ("journal", "journaltitle"),
    ("address", "location"),
    ("school", "institution"),
    ("archiveprefix", "eprinttype"),
    ("primaryclass", "eprintclass"),
    ("annote", "annotation"),
)
TO_BIBLATEX = dict(ALIASES)
TO_BIBTEX = {blx: bib for bib, blx in ALIASES if bib != "school"}
#: biblatex's `institution` is BibTeX's `school` only in a thesis.
THESES = frozenset({"thesis", "phdthesis", "mastersthesis"})

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NAMES = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH_NUMBER = re.compile(r"^0?([1-9]|1[0-2])$")
#: A biblatex date's first year and month: `2006`, `2006-05-12`, `2006-05/2007`, `2006~`, `-0044`.
_DATE = re.compile(r"^\s*(?P<year>-?\d{1,4})[?~%]?(?:-(?P<month>\d{2}))?")

#: The entry types BibTeX's standard styles know; anything else is cited as its nearest one.
BIBTEX_TYPES = frozenset(
    [
        "article",
        "book",
        "booklet",
        "conference",
        "inbook",
        "incollection",
        "inproceedings",
        "manual",
        "mastersthesis",
        "misc",
        "phdthesis",
        "proceedings",
        "techreport",
        "unpublished",
    ]
)
_NEAREST = {
    "mvbook": "book",
    "bookinbook": "inbook",
    "suppbook": "inbook",
    "collection": "book",
    "mvcollection": "book",
    "reference": "book",
    "mvreference": "book",
    "inreference": "incollection",
    "suppcollection": "incollection",
    "mvproceedings": "proceedings",
    "report": "techreport",
    "suppperiodical": "article",
}

#: What BibTeX's standard and natbib styles read.
BIBTEX_FIELDS = frozenset(
    [
        "address",
        "author",
        "booktitle",
        "chapter",
        "crossref",
        "edition",
        "editor",
        "howpublished",
        "institution",
        "journal",
        "key",
        "month",
        "note",
        "number",
        "organization",
        "pages",
        "publisher",
        "school",
        "series",
        "title",
        "type",
        "volume",
        "year",
        "doi",
        "url",
        "eprint",
        "archiveprefix",
        "primaryclass",
        "isbn",
        "issn",
    ]
)
#: What biblatex's data model knows (the standard styles read these).
BIBLATEX_FIELDS = BIBTEX_FIELDS - {"journal", "address", "school", "archiveprefix"} | frozenset(
    [
        "addendum",
        "afterword",
        "annotator",
        "authortype",
        "bookauthor",
        "bookpagination",
        "booksubtitle",
        "booktitleaddon",
        "commentator",
        "date",
        "editora",
        "editorb",
        "editorc",
        "editortype",
        "editoratype",
        "editorbtype",
        "editorctype",
        "eid",
        "entryset",
        "entrysubtype",
        "eprintclass",
        "eprinttype",
        "eventdate",
        "eventtitle",
        "eventtitleaddon",
        "foreword",
        "holder",
        "ids",
        "indexsorttitle",
        "indextitle",
        "institution",
        "introduction",
        "isan",
        "ismn",
        "isrn",
        "issue",
        "issuesubtitle",
        "issuetitle",
        "iswc",
        "journalsubtitle",
        "journaltitle",
        "label",
        "langid",
        "langidopts",
        "language",
        "location",
        "mainsubtitle",
        "maintitle",
        "maintitleaddon",
        "nameaddon",
        "options",
        "origdate",
        "origlanguage",
        "origlocation",
        "origpublisher",
        "origtitle",
        "pagetotal",
        "pagination",
        "part",
        "presort",
        "pubstate",
        "related",
        "relatedoptions",
        "relatedstring",
        "relatedtype",
        "reprinttitle",
        "shortauthor",
        "shorteditor",
        "shorthand",
        "shorthandintro",
        "shortjournal",
        "shortseries",
        "shorttitle",
        "sortkey",
        "sortname",
        "sorttitle",
        "sortyear",
        "subtitle",
        "titleaddon",
        "translator",
        "urldate",
        "version",
        "volumes",
        "xdata",
        "xref",
        "gender",
        "hyphenation",
    ]
)


#: Field names some entry type of BibTeX's standard styles or biblatex uses, and the
#: list's own fields: `edit --set` refuses any other name unless forced (a typo, `vnue`,
#: would otherwise become a field no tool reads).
KNOWN_FIELDS = (
    BIBTEX_FIELDS
    | BIBLATEX_FIELDS
    | {"venue", "taxonomy", "keywords", "links", "abstract", "annote", "annotation"}
    | {"file", "library", "sortshorthand", *(f"user{c}" for c in "abcdef")}
)

#: Fields a crossref or xdata child never takes from its parent (biblatex's defaults).
NOT_INHERITED = frozenset(
    [
        "ids",
        "crossref",
        "xref",
        "xdata",
        "entryset",
        "entrysubtype",
        "execute",
        "label",
        "options",
        "presort",
        "related",
        "relatedoptions",
        "relatedstring",
        "relatedtype",
        "shorthand",
        "shorthandintro",
        "sortkey",
    ]
)
#: Child types whose parent's `title` is their `booktitle` (and so on), as biblatex inherits.
_CONTAINED = frozenset(
    [
        "inbook",
        "bookinbook",
        "suppbook",
        "incollection",
        "suppcollection",
        "inreference",
        "inproceedings",
        "conference",
    ]
)
_TITLES = {
    "title": "booktitle",
    "subtitle": "booksubtitle",
    "titleaddon": "booktitleaddon",
    "shorttitle": "",
    "sorttitle": "",
    "indextitle": "",
    "indexsorttitle": "",
}


def month_macro(value: str) -> str:
    """`jan` for `1`, `01`, `jan`, `Jan.` or `January`; '' when it is no single month."""
    value = value.strip().rstrip(".").casefold()
    m = _MONTH_NUMBER.match(value)
    if m:
        return MONTHS[int(m[1]) - 1]
    if value[:3] in MONTHS and _MONTH_NAMES[MONTHS.index(value[:3])].startswith(value):
        return value[:3]
    return ""


def date_parts(date: str) -> tuple[str, str]:
    """(year, month macro) of a biblatex date; '' for what it does not say."""
    m = _DATE.match(date)
    if not m:
        return "", ""
    month = m["month"] or ""
    return m["year"], month_macro(month) if month else ""


def readable(fields: Mapping[str, str], entry_type: str = "") -> dict[str, str]:
    """The fields under both their BibTeX and biblatex names, and `year`/`month` from `date`.

    What a reader asks for (`journal`, `year`) is then there whichever world wrote it.
    """
    out = dict(fields)
    for bib, blx in ALIASES:
        if bib in out:
            out.setdefault(blx, out[bib])
        elif blx in out and (bib != "school" or entry_type in THESES):
            out[bib] = out[blx]
    if "date" in out:
        year, month = date_parts(out["date"])
        if year:
            out.setdefault("year", year)
        if month:
            out.setdefault("month", month)
    return out


def inherited(child_type: str, own: Mapping[str, str], parent: Mapping[str, str]) -> dict[str, str]:
    """What a child takes from a crossref parent it lacks, as biblatex (and BibTeX) do.

    A parent's `title` becomes an `@inproceedings` or `@incollection` child's `booktitle`.
    """
    out: dict[str, str] = {}
    contained = child_type in _CONTAINED
    for name, value in parent.items():
        if name in NOT_INHERITED:
            continue
        if name in _TITLES:
            name = _TITLES[name] if contained else ""
            if not name or name in parent:
                continue
        if name not in own:
            out[name] = value
    return out


def bibtex_type(entry_type: str, fields: Mapping[str, str]) -> str:
    """The BibTeX entry type closest to a biblatex one (`@thesis` by its `type`)."""
    if entry_type in BIBTEX_TYPES:
        return entry_type
    if entry_type == "thesis":
        kind = fields.get("type", "").casefold()
        return "mastersthesis" if "master" in kind or kind.startswith("ma") else "phdthesis"
    return _NEAREST.get(entry_type, "misc")
