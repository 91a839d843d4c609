"""The paper: one BibTeX entry, read through the fields the list cares about.

A Paper keeps its fields as decoded BibTeX values (what BibTeX would see after
`@string` expansion) and, beside them, the raw text of each field as written in the
file, so that an entry nobody edited is written back exactly as it was.

Custom fields of the list:
- `venue`: the short label the list shows (`NeurIPS 2022`).
- `taxonomy`: the section path, `Methods > Modify Parameters > Locate and edit`.
- `links`: labelled links in order, `code: URL; page: URL; code by EleutherAI: URL`.
  A URL never holds whitespace (it is percent-encoded), so `;` + space separates.
- `keywords`: names people search by, comma-separated.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, overload

from ke_papers import fields as bibfields
from ke_papers import names
from ke_papers.latex import to_text

T = TypeVar("T")


class cached_property(Generic[T]):
    """functools.cached_property without its lock: on Python 3.11 every first read of a
    value takes a lock, and a first read of a big list reads a million of them."""

    def __init__(self, func: Callable[[Any], T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> cached_property[T]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...

    def __get__(self, obj: object, owner: type | None = None) -> T | cached_property[T]:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.func(obj)  # read from there from now on
        return value


TAXONOMY_SEP = " > "
ARXIV_ABS = "https://arxiv.org/abs/"
#: How the list (and Google Scholar) names the container of an arXiv-only paper.
PREPRINT = "arXiv preprint"
#: Where comments after an entry's last field are kept in `Paper.comments` (no field's name).
END = "}"
_LINK_SEP = re.compile(r";\s+|;$")
_YEAR = re.compile(r"\b(1\d\d\d|20\d\d|21\d\d)\b")
#: A journal that only says "this is on arXiv": no venue of its own.
_PREPRINT_JOURNAL = re.compile(r"^\s*(?:arxiv|corr)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Link:
    label: str
    url: str


def parse_links(value: str) -> list[Link]:
    """`code: URL; page: URL` -> links in order; an item without `:` is a bare URL."""
    links = []
    for item in _LINK_SEP.split(value.strip()):
        item = item.strip()
        if not item:
            continue
        label, sep, url = item.partition(": ")
        if not sep:
            label, sep, url = item.partition(":") if item.endswith(":") else ("link", "", item)
        links.append(Link(label.strip(), url.strip()))
    return links


def format_links(links: list[Link]) -> str:
    return "; ".join(f"{link.label}: {link.url}".rstrip() for link in links)


def preprint_journal(arxiv: str) -> str:
    """`arXiv preprint arXiv:2305.13172`: the journal of a paper known only from arXiv."""
    return f"{PREPRINT} arXiv:{arxiv}"


def concatenated(value: str) -> list[str]:
    """The parts of a BibTeX value joined by `#` (`AcostaJ # { and } # jan`), each stripped."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(value):
        if ch in "{}":
            depth += 1 if ch == "{" else -1
        elif ch == "#" and depth == 0:
            parts.append(value[start:i].strip())
            start = i + 1
    return [*parts, value[start:].strip()]


def _bare(value: str) -> list[str]:
    """The macro names in a value that `Paper.undefined` keeps: its parts not braced,
    months left out (styles define them)."""
    return [
        p
        for p in concatenated(value)
        if p and not p.startswith("{") and p.casefold() not in bibfields.MONTHS
    ]


@dataclass(eq=False)
class Paper:
    key: str
    entry_type: str
    fields: dict[str, str]
    raw: dict[str, str] = field(default_factory=dict)
    line: int | None = None
    chunk: int | None = None
    #: Fields its crossref/xdata parents give it (read and checked, never written with it).
    inherited: dict[str, str] = field(default_factory=dict)
    #: Comment lines written inside the entry, by the field they stand before (END: the end).
    comments: dict[str, str] = field(default_factory=dict)
    #: Fields that use @string macros the file does not define (above them), each as a
    #: BibTeX value with only those macros left bare (`AcostaJ # { and } # PattersonK`):
    #: their text holds the macros' names, not what they stand for.
    undefined: dict[str, str] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default)

    @cached_property
    def resolved(self) -> dict[str, str]:
        """What a style reads: own fields under BibTeX and biblatex names, then inherited ones."""
        own = bibfields.readable(self.fields, self.entry_type)
        if self.inherited:
            for name, value in bibfields.readable(self.inherited, self.entry_type).items():
                own.setdefault(name, value)
        return own

    def value(self, name: str) -> str:
        """A field as styles read it: under either name, from `date`, or from a parent."""
        return self.resolved.get(name, "")

    @property
    def undefined_macros(self) -> list[str]:
        """The @string macros its fields use that the file does not define, in order, once."""
        return list(dict.fromkeys(n for value in self.undefined.values() for n in _bare(value)))

    def text(self, name: str) -> str:
        """A field as plain text (no braces, no LaTeX)."""
        return to_text(self.fields.get(name, ""))

    def with_fields(self, **changes: str | None) -> Paper:
        """A copy with fields set (or removed, with None); the raw text of those fields is dropped."""
        fields = dict(self.fields)
        raw = dict(self.raw)
        comments = dict(self.comments)
        for name, value in changes.items():
            raw.pop(name, None)
            if value is None:
                fields.pop(name, None)
                if name in comments:  # a removed field's comment stays, at the entry's end
                    moved = comments.pop(name)
                    comments[END] = comments[END] + "\n" + moved if END in comments else moved
            else:
                fields[name] = value
        undefined = {n: v for n, v in self.undefined.items() if n not in changes}
        return dataclasses.replace(
            self, fields=fields, raw=raw, comments=comments, undefined=undefined
        )

    @cached_property
    def title(self) -> str:
        return self.text("title")

    @cached_property
    def names(self) -> list[names.Name]:
        return [names.parse(n) for n in names.split_authors(self.value("author"))]

    @cached_property
    def authors(self) -> list[str]:
        return names.display_names(self.value("author"))

    @cached_property
    def year(self) -> int | None:
        m = _YEAR.search(self.value("year"))
        return int(m[1]) if m else None

    @cached_property
    def venue(self) -> str:
        """The list's label (`NeurIPS 2022`), else where it appeared: journal, proceedings, school."""
        label = self.text("venue")
        if label:
            return label
        journal = self.value("journal")
        if journal and not _PREPRINT_JOURNAL.match(journal):
            return to_text(journal)
        for name in ("booktitle", "school" if self.entry_type in bibfields.THESES else ""):
            if name and self.value(name):
                return to_text(self.value(name))
        return ""

    @cached_property
    def taxonomy(self) -> list[str]:
        value = self.text("taxonomy")
        return [p.strip() for p in value.split(">") if p.strip()] if value else []

    @cached_property
    def arxiv(self) -> str:
        """The arXiv ID however the entry records it (`identity.arxiv_in`)."""
        from ke_papers.identity import arxiv_in

        return arxiv_in(self.value)

    @property
    def is_preprint(self) -> bool:
        """On arXiv and nowhere else yet: no booktitle, no journal but an arXiv one."""
        journal = self.value("journal")
        return (
            bool(self.arxiv)
            and not self.value("booktitle")
            and (not journal or bool(_PREPRINT_JOURNAL.match(journal)))
        )

    @property
    def doi(self) -> str:
        return self.value("doi").strip()

    @cached_property
    def keywords(self) -> list[str]:
        return [k.strip() for k in self.text("keywords").split(",") if k.strip()]

    @property
    def abstract(self) -> str:
        return self.text("abstract")

    @property
    def paper_url(self) -> str:
        """The paper link: `url` when given, else the arXiv abstract page."""
        url = self.value("url").strip()
        if url:
            return url
        return ARXIV_ABS + self.arxiv if self.arxiv else ""

    @cached_property
    def extra_links(self) -> list[Link]:
        """The labelled links (code, page, demo, video, ...) without the paper link."""
        return parse_links(self.get("links"))

    @property
    def has_code(self) -> bool:
        return any(link.label.casefold().startswith("code") and link.url for link in self.links)

    @property
    def links(self) -> list[Link]:
        paper = [Link("paper", self.paper_url)] if self.paper_url else []
        return paper + self.extra_links

    def record(self) -> str:
        """The paper as one JSON value for the index, its derived values included (so a
        read builds no names or venues again). Its line is kept apart: it moves when an
        entry above it changes."""
        return json.dumps(
            [
                self.key,
                self.entry_type,
                self.fields,
                self.raw,
                self.inherited,
                self.comments,
                self.undefined,
                self.title,
                self.authors,
                self.year,
                self.venue,
                self.taxonomy,
                self.arxiv,
                self.keywords,
                [(link.label, link.url) for link in self.extra_links],
            ],
            ensure_ascii=False,
        )

    @classmethod
    def from_record(cls, record: str, line: int | None = None) -> Paper:
        """A paper from `record()`, with its derived values already in place (no re-parsing)."""
        key, entry_type, fields, raw, inherited, comments, undefined, *derived = json.loads(record)
        paper = cls(
            key,
            entry_type,
            fields,
            raw,
            line=line,
            inherited=inherited,
            comments=comments,
            undefined=undefined,
        )
        title, authors, year, venue, taxonomy, arxiv, keywords, links = derived
        paper.__dict__.update(
            title=title,
            authors=authors,
            year=year,
            venue=venue,
            taxonomy=taxonomy,
            arxiv=arxiv,
            keywords=keywords,
            extra_links=[Link(label, url) for label, url in links],
        )
        return paper

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of a paper (`list --json`, `show --json`, `export --json`)."""
        return {
            "key": self.key,
            "type": self.entry_type,
            "title": self.title,
            "authors": self.authors,
            "year": self.year,
            "venue": self.venue or None,
            "taxonomy": self.taxonomy,
            "links": [{"label": link.label, "url": link.url} for link in self.links],
            "arxiv": self.arxiv or None,
            "doi": self.doi or None,
            "keywords": self.keywords,
            "abstract": self.abstract or None,
        }
