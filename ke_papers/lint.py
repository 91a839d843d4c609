"""Checks that keep the list valid: one finding per problem, with its line and a rule id.

The rules are the list `RULES`: each a `Rule(id, severity, summary, check)`. `lint`
runs them all; README's rule list and the tests' expected set are read from it, so a
new rule is one entry there.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ke_papers import cache, files, keys, names, store, urls, venues
from ke_papers.identity import Duplicates, arxiv_base, is_arxiv_id
from ke_papers.model import TAXONOMY_SEP, Paper, parse_links

REQUIRED = {
    "article": ("author", "title", "journal", "year"),
    "inproceedings": ("author", "title", "booktitle", "year"),
    "incollection": ("author", "title", "booktitle", "year"),
    "book": ("title", "publisher", "year"),
    "phdthesis": ("author", "title", "school", "year"),
    "mastersthesis": ("author", "title", "school", "year"),
    "techreport": ("author", "title", "institution", "year"),
    "misc": ("title",),
    "online": ("title",),
}
TYPO_RATIO = 0.85
_KEY_SUFFIX = re.compile(r"[a-z]{0,2}$")


@dataclass(frozen=True)
class Finding:
    line: int
    key: str
    rule: str
    message: str
    severity: str = "error"


@dataclass(frozen=True)
class Context:
    """What the rules look at: the parsed file, and what the layers above found out."""

    doc: store.Document
    this_year: int
    #: None outside a checkout; else whether README's generated list is out of date.
    readme_stale: bool | None = None


#: (line, key, message) for one finding of a rule.
Hit = tuple[int, str, str]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    summary: str
    check: Callable[[Context], Iterable[Hit]]
    #: Depends on more than the bib file's bytes (its findings are not cached with them).
    needs_readme: bool = False


def _each(check: Callable[[Paper, Context], Iterable[str]]) -> Callable[[Context], Iterator[Hit]]:
    """A rule about single entries: its messages, at each entry's line."""

    def run(ctx: Context) -> Iterator[Hit]:
        for paper in ctx.doc.papers:
            for message in check(paper, ctx):
                yield paper.line or 1, paper.key, message

    return run


def _missing(paper: Paper, ctx: Context) -> Iterator[str]:
    missing = [f for f in REQUIRED.get(paper.entry_type, ("title",)) if not paper.get(f).strip()]
    if missing:
        yield f"@{paper.entry_type} needs {', '.join(missing)}"


def _bad_year(paper: Paper, ctx: Context) -> Iterator[str]:
    year = paper.get("year").strip()
    if year and (not year.isdigit() or not 1900 <= int(year) <= ctx.this_year + 1):
        yield f"year '{year}' is not a plausible year"


def _venue_year(paper: Paper, ctx: Context) -> Iterator[str]:
    if paper.venue and paper.year:
        label_year = venues.parse(paper.venue).year
        if label_year and label_year != paper.year:
            yield f"venue '{paper.venue}' says {label_year} but year is {paper.year}"


def _bad_arxiv(paper: Paper, ctx: Context) -> Iterator[str]:
    eprint = paper.get("eprint").strip()
    if (
        eprint
        and paper.get("archiveprefix").casefold() in ("", "arxiv")
        and not is_arxiv_id(arxiv_base(eprint))
    ):
        yield f"eprint '{eprint}' is not an arXiv ID"


def _urls(kind: str) -> Callable[[Paper, Context], Iterator[str]]:
    """The url field and every link, by the one URL policy; `kind` is empty-url or bad-url."""

    def check(paper: Paper, ctx: Context) -> Iterator[str]:
        if "url" in paper.fields and urls.problem(paper.get("url")) == kind:
            what = "empty" if kind == "empty-url" else "not an http(s) URL"
            yield f"url '{paper.get('url')}' is {what}"
        for link in parse_links(paper.get("links")):
            if urls.problem(link.url) == kind:
                yield (
                    f"link '{link.label}' has no URL"
                    if kind == "empty-url"
                    else f"link '{link.label}' is not an http(s) URL: {link.url}"
                )

    return check


_NOT_IN_A_NAME = re.compile(
    r"(?<!\d)(?:19|20)\d\d(?!\d)|[()\[\]<>*|#]|\\_|\bet\.?\s*al\b", re.IGNORECASE
)


def _bad_author(paper: Paper, ctx: Context) -> Iterator[str]:
    for name in names.split_authors(paper.get("author")):
        if _NOT_IN_A_NAME.search(name):
            yield f"author name '{name}' holds a year, parentheses, 'et al.' or markup"


def _title_venue(paper: Paper, ctx: Context) -> Iterator[str]:
    label = venues.split_title(paper.title)[1]
    if label:
        yield f"title ends with the venue '{label}' (the venue field holds it)"


def _key_year(paper: Paper, ctx: Context) -> Iterator[str]:
    if not re.search(r"(?:19|20)\d\d", paper.key):
        yield "key has no year (a paper with no year: add it and re-key)"


def _bad_taxonomy(paper: Paper, ctx: Context) -> Iterator[str]:
    if "taxonomy" in paper.fields and any(not p.strip() for p in paper.get("taxonomy").split(">")):
        yield f"taxonomy '{paper.get('taxonomy')}' has an empty level"


def _key_style(paper: Paper, ctx: Context) -> Iterator[str]:
    base = keys.base_key(paper.names, paper.year, paper.get("title"))
    if not (paper.key.startswith(base) and _KEY_SUFFIX.fullmatch(paper.key[len(base) :])):
        yield f"key does not follow the key rule (expected {base})"


def _duplicate_keys(ctx: Context) -> Iterator[Hit]:
    for line, key in ctx.doc.duplicate_keys:
        yield line, key, f"key '{key}' is already used above"


_WHAT = {"arxiv": "arXiv ID", "doi": "DOI", "title": "title"}


def _duplicates(kind: str) -> Callable[[Context], Iterator[Hit]]:
    def run(ctx: Context) -> Iterator[Hit]:
        for found, value, same in Duplicates(ctx.doc.papers).groups():
            if found != kind:
                continue
            first = same[0]
            for other in same[1:]:
                shown = value if kind != "title" else repr(other.title)
                message = f"same {_WHAT[kind]} {shown} as {first.key} (line {first.line})"
                yield other.line or 1, other.key, message

    return run


def _taxonomy_typos(ctx: Context) -> Iterator[Hit]:
    uses: dict[str, list[Paper]] = defaultdict(list)
    for paper in ctx.doc.papers:
        for depth in range(1, len(paper.taxonomy) + 1):
            uses[TAXONOMY_SEP.join(paper.taxonomy[:depth])].append(paper)
    for path, users in uses.items():
        if len(users) != 1:
            continue
        others = [p for p, u in uses.items() if len(u) > 1 and p.count(">") == path.count(">")]
        close = difflib.get_close_matches(path, others, n=1, cutoff=TYPO_RATIO)
        if close:
            paper = users[0]
            yield (
                paper.line or 1,
                paper.key,
                f"section '{path}' is used once; a typo of '{close[0]}'?",
            )


def _not_canonical(ctx: Context) -> Iterator[Hit]:
    from ke_papers.bibtex import format_entry

    doc, found = ctx.doc, False
    for paper in doc.papers:
        chunk = doc.chunks[paper.chunk] if paper.chunk is not None else None
        if chunk and doc.text[chunk.start : chunk.end] != format_entry(paper):
            found = True
            yield (
                paper.line or 1,
                paper.key,
                "formatting differs from canonical form (ke-papers fmt)",
            )
    if not found and store.canonical(doc) != doc.text:
        yield 1, "-", "spacing between blocks differs from canonical form (ke-papers fmt)"


def _readme_stale(ctx: Context) -> Iterator[Hit]:
    if ctx.readme_stale:
        yield (
            1,
            "-",
            "README's generated list is out of date "
            "(ke-papers export --markdown --readme README.md)",
        )


RULES: list[Rule] = [
    Rule("duplicate-key", "error", "two entries with one key", _duplicate_keys),
    Rule("duplicate-arxiv", "error", "the same arXiv ID twice (any version)", _duplicates("arxiv")),
    Rule("duplicate-doi", "error", "the same DOI twice", _duplicates("doi")),
    Rule("duplicate-title", "error", "the same title twice", _duplicates("title")),
    Rule("missing-field", "error", "a field the entry type needs for citing", _each(_missing)),
    Rule(
        "taxonomy-typo",
        "error",
        "a section used once whose name is close to another's",
        _taxonomy_typos,
    ),
    Rule("bad-taxonomy", "error", "an empty level in a section path", _each(_bad_taxonomy)),
    Rule("empty-url", "error", "a link with no URL", _each(_urls("empty-url"))),
    Rule("bad-url", "error", "a link that is not http(s)", _each(_urls("bad-url"))),
    Rule("bad-arxiv", "error", "an eprint that is not an arXiv ID", _each(_bad_arxiv)),
    Rule("bad-year", "error", "a year that is not a plausible year", _each(_bad_year)),
    Rule(
        "venue-year",
        "error",
        "a venue label whose year is not the entry's (EMNLP 2022 on a 2021 entry)",
        _each(_venue_year),
    ),
    Rule(
        "bad-author",
        "error",
        "an author name holding a year, parentheses, 'et al.' or markup",
        _each(_bad_author),
    ),
    Rule("title-venue", "error", "a title that ends with a venue label", _each(_title_venue)),
    Rule("key-style", "warning", "a key that does not follow the key rule", _each(_key_style)),
    Rule("key-no-year", "error", "a key with no year in it", _each(_key_year)),
    Rule("not-canonical", "error", "formatting that `fmt` would change", _not_canonical),
    Rule(
        "readme-stale",
        "error",
        "in a checkout, README's generated list is out of date",
        _readme_stale,
        needs_readme=True,
    ),
]


def check(ctx: Context, rules: Iterable[Rule] | None = None) -> list[Finding]:
    """Every finding of `rules` (all of them by default), in line order."""
    findings = [
        Finding(line, key, rule.id, message, rule.severity)
        for rule in (RULES if rules is None else rules)
        for line, key, message in rule.check(ctx)
    ]
    return sorted(findings, key=lambda f: (f.line, f.rule))


def check_file(path: Path, readme_stale: bool | None = None) -> list[Finding]:
    """The findings for a bib file; those that depend only on its bytes come from the parse cache."""
    data = files.read_bytes(path)
    own = [r for r in RULES if not r.needs_readme]
    ids = [r.id for r in own]

    def doc() -> store.Document:
        return store.parse(store.decode(data, path), path, lenient=True)

    def build() -> dict[str, Any]:
        return {
            "rules": ids,
            "rows": [dataclasses.astuple(f) for f in check(Context(doc(), _year()), own)],
        }

    cached = cache.cached(path, data, "lint", build)
    if cached["rules"] != ids:  # rules changed since the cache was written
        cached = build()
    findings = [Finding(*row) for row in cached["rows"]]
    others = [r for r in RULES if r.needs_readme]
    if readme_stale is not None and others:
        empty = store.parse("", path)
        findings += check(Context(empty, _year(), readme_stale), others)
    return sorted(findings, key=lambda f: (f.line, f.rule))


def _year() -> int:
    return datetime.date.today().year


def fix(doc: store.Document) -> tuple[list[Paper], list[str]]:
    """The papers with the safe repairs made, and what each repair changed (the caller
    also rewrites the file in canonical form)."""
    changes: list[str] = []
    papers = []
    for paper in doc.papers:
        eprint = paper.get("eprint").strip()
        if eprint and paper.arxiv and arxiv_base(eprint) != eprint:
            changes.append(f"{paper.key}: eprint {eprint} -> {arxiv_base(eprint)}")
            paper = paper.with_fields(eprint=arxiv_base(eprint))
        papers.append(paper)
    if store.canonical(doc) != doc.text:
        changes.append("reformatted into canonical form")
    return papers, changes


def readme_for(bib: Path) -> Path | None:
    """In a checkout (`ROOT/data/papers.bib`), the README whose list is generated from it."""
    if bib.parent.name != "data":
        return None
    readme = bib.parent.parent / "README.md"
    return readme if readme.is_file() else None
