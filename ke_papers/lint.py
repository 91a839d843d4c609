"""Checks that keep the list valid: one finding per problem, with its line and a rule id.

The rules are the list `RULES`: each a `Rule(id, severity, summary, check)`. `lint`
runs them all; the rule table in docs/commands.md and the tests' expected set are read
from it, so a new rule is one entry there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ke_papers import bibread, files, keys, names, store, urls, venues
from ke_papers.errors import BibError
from ke_papers.identity import Duplicates, Keys, arxiv_base, is_arxiv_id, year_of
from ke_papers.latex import fold, to_text
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
    "thesis": ("author", "title", "school", "year"),
    "report": ("author", "title", "institution", "year"),
    "set": ("entryset",),
    "xdata": (),
}
TYPO_RATIO = 0.85
#: A file-wide style finding (not-canonical) on more entries than this, and on most of
#: them, is reported once with a count: the file was never formatted by ke-papers.
SUMMARY_AFTER = 3
#: The oldest year a publication can plausibly have: printed books are cited from the
#: 1450s on (an edition of 1866 passes; `1066`, a slip for 2016 or 1996, does not).
FIRST_YEAR = 1450
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

    doc: bibread.Document
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
    """Fields under either name (`date` for year, `journaltitle`) or from a crossref parent count;
    an arXiv preprint's journal is the one cite writes."""
    wanted = REQUIRED.get(paper.entry_type, ("title",))
    if paper.is_preprint:  # cite writes its journal: arXiv preprint arXiv:ID
        wanted = tuple(f for f in wanted if f != "journal")
    missing = [f for f in wanted if not paper.value(f).strip()]
    if missing:
        yield f"@{paper.entry_type} needs {', '.join(missing)}"


def _bad_year(paper: Paper, ctx: Context) -> Iterator[str]:
    year = paper.value("year").strip()
    if year.isdigit() and not FIRST_YEAR <= int(year) <= ctx.this_year + 1:
        yield f"year '{year}' is not a plausible year"


def _year_not_number(paper: Paper, ctx: Context) -> Iterator[str]:
    """`in press`, `submitted`, `2023a`: styles sort and label by the year, which is not one."""
    year = paper.value("year").strip()
    if year and not year.isdigit():
        yield f"year '{year}' is not a number"


def _undefined_macro(paper: Paper, ctx: Context) -> Iterator[str]:
    """Macros defined in another file (or below their use): BibTeX alone reads their names."""
    used = paper.undefined_macros
    if used:
        where = ", ".join(paper.undefined)
        yield (
            f"@string macro{'s' if len(used) > 1 else ''} {', '.join(used)} "
            f"not defined above (in {where})"
        )


def _crossref_cycle(ctx: Context) -> Iterator[Hit]:
    """Entries that are their own ancestors through crossref/xdata: styles loop or give up."""
    lines = {p.key: p.line or 1 for p in ctx.doc.papers}
    for ring in ctx.doc.cycles:
        shown = " -> ".join((*ring, ring[0]))
        yield lines.get(ring[0], 1), ring[0], f"crossref/xdata cycle: {shown}"


def _venue_year(paper: Paper, ctx: Context) -> Iterator[str]:
    label = paper.text("venue")
    if label and paper.year:
        label_year = venues.parse(label).year
        if label_year and label_year != paper.year:
            yield f"venue '{label}' says {label_year} but year is {paper.year}"


def _bad_arxiv(paper: Paper, ctx: Context) -> Iterator[str]:
    """Only an arXiv eprint (or one of no stated kind): `eprinttype = googlebooks` is not."""
    eprint = paper.get("eprint").strip()
    if (
        eprint
        and paper.value("archiveprefix").strip().casefold() in ("", "arxiv")
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


#: A nickname in parentheses after a given name (`Huang, Ting-Hao (Kenneth)`).
_NICKNAME = re.compile(r"(?<=[^\W\d_])\.?\s+\([^\W\d_][^()\[\]\d]*\)(?=\s|$)")


def _bad_author(paper: Paper, ctx: Context) -> Iterator[str]:
    """A braced name is a corporate one, taken as written; a nickname after a given name is
    a name's own."""
    for name in names.split_authors(paper.get("author")):
        if _braced(name):
            continue
        parsed = names.parse(name)
        rest = " ".join((parsed.last, parsed.jr, _NICKNAME.sub("", parsed.first)))
        if _NOT_IN_A_NAME.search(rest):
            yield f"author name '{name}' holds a year, parentheses, 'et al.' or markup"


def _braced(name: str) -> bool:
    """Whether the whole name is one brace group (`{(DES Collaboration)}`)."""
    depth = 0
    for i, ch in enumerate(name):
        depth += (ch == "{") - (ch == "}")
        if depth == 0:
            return i == len(name) - 1 and i > 0
    return False


def _title_venue(paper: Paper, ctx: Context) -> Iterator[str]:
    """Only the entry's own venue repeated: a title may end with the name of the event it
    is about (`Findings of the 2017 Conference on Machine Translation (WMT17)`)."""
    label = venues.split_title(paper.title)[1]
    if label and _own_venue(label, paper):
        yield f"title ends with the venue '{label}' (the venue field holds it)"


def _own_venue(label: str, paper: Paper) -> bool:
    """Whether `label` names the entry's venue, in its year: its `venue` label, or its
    booktitle or journal, spelled out (`venues.Venue.container`) or by the label's name."""
    venue = venues.parse(label)
    if venue.year and paper.year and venue.year != paper.year:
        return False
    name, container = fold(venue.name), fold(venue.container)
    for field in ("venue", "booktitle", "journal", "journaltitle", "eventtitle"):
        text = fold(to_text(paper.value(field)))
        if text and (
            container in text or re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)
        ):
            return True
    return False


def _key_year(ctx: Context) -> Iterator[Hit]:
    """Keys with no year, in a file that mostly follows the key rule (a bad import leaves
    `ilharcoediting`); a foreign file's own keys (`sigfridsson`) are its own business."""
    papers = ctx.doc.papers
    if sum(_off_key_rule(p) is None for p in papers) * 2 <= len(papers):
        return
    for paper in papers:
        if not re.search(r"(?:1[0-9]|20)\d\d", paper.key):
            message = "key has no year (a paper with no year: add it and re-key)"
            yield paper.line or 1, paper.key, message


def _bad_taxonomy(paper: Paper, ctx: Context) -> Iterator[str]:
    if "taxonomy" in paper.fields and any(not p.strip() for p in paper.get("taxonomy").split(">")):
        yield f"taxonomy '{paper.get('taxonomy')}' has an empty level"


def _off_key_rule(paper: Paper) -> str | None:
    """The expected key when `paper.key` is off the key rule, else None.

    The entry's year or its arXiv year both count: a key minted while the paper was a
    preprint stays right after it is published."""
    years = [paper.year]
    if paper.arxiv and is_arxiv_id(arxiv_base(paper.arxiv)):
        years.append(year_of(arxiv_base(paper.arxiv)))
    bases = [keys.base_key(paper.names, year, paper.get("title")) for year in years]
    if any(
        paper.key.startswith(base) and _KEY_SUFFIX.fullmatch(paper.key[len(base) :])
        for base in bases
    ):
        return None
    return bases[0]


def _key_style(ctx: Context) -> Iterator[Hit]:
    """Keys off the key rule, in a file that mostly follows it (else it has a rule of its own)."""
    hits = []
    for paper in ctx.doc.papers:
        expected = _off_key_rule(paper)
        if expected is not None:
            message = f"key does not follow the key rule (expected {expected})"
            hits.append((paper.line or 1, paper.key, message))
    if len(hits) * 2 <= len(ctx.doc.papers):
        yield from hits


def _duplicate_keys(ctx: Context) -> Iterator[Hit]:
    for line, key in ctx.doc.duplicate_keys:
        yield line, key, f"key '{key}' is already used above"


_WHAT = {"arxiv": "arXiv ID", "doi": "DOI", "title": "title"}


def _duplicates(kind: str) -> Callable[[Context], Iterator[Hit]]:
    def run(ctx: Context) -> Iterator[Hit]:
        for found, value, same in Duplicates(ctx.doc.papers).groups():
            if found != kind:
                continue
            for i, other in enumerate(same[1:], 1):
                first = next((p for p in same[:i] if _one_work(p, other)), None)
                if kind != "title":
                    first = same[0]
                if first is None:
                    continue
                shown = value if kind != "title" else repr(other.title)
                message = f"same {_WHAT[kind]} {shown} as {first.key} (line {first.line})"
                yield other.line or 1, other.key, message

    return run


def _one_work(a: Paper, b: Paper) -> bool:
    """Two entries with one title are one work only with a second sign: a shared author,
    the same DOI or arXiv ID, or the same year and venue (volume, number and pages
    included). A book and its review, or `Advertisements` in two volumes, are not."""
    if _families(a) & _families(b):
        return True
    ka, kb = Keys.of(a), Keys.of(b)
    if (ka.doi and ka.doi == kb.doi) or (ka.arxiv and ka.arxiv == kb.arxiv):
        return True
    return bool(a.year and a.year == b.year and a.venue) and _place(a) == _place(b)


def _families(paper: Paper) -> set[str]:
    return {fold(to_text(n.last)) for n in paper.names} - {"others"}


def _place(paper: Paper) -> tuple[str, ...]:
    """Where an entry appeared: its venue, volume, number and pages."""
    return (fold(paper.venue), *(paper.value(f).strip() for f in ("volume", "number", "pages")))


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


def _no_section(ctx: Context) -> Iterator[Hit]:
    if not any(p.taxonomy for p in ctx.doc.papers):
        return
    for paper in ctx.doc.papers:
        if not paper.taxonomy:
            yield paper.line or 1, paper.key, "no section: the list shows it under no heading"


def _not_canonical(ctx: Context) -> Iterator[Hit]:
    from ke_papers.bibtex import format_entry

    doc = ctx.doc
    hits = [
        (paper.line or 1, paper.key, "formatting differs from canonical form (ke-papers fmt)")
        for paper in doc.papers
        if paper.chunk is not None
        and doc.text[doc.chunks[paper.chunk].start : doc.chunks[paper.chunk].end]
        != format_entry(paper)
    ]
    if len(hits) > SUMMARY_AFTER and len(hits) * 2 > len(doc.papers):
        what = f"{len(hits):,} of {len(doc.papers):,} entries"
        yield 1, "-", f"{what} differ from canonical form; run ke-papers fmt"
    elif hits:
        yield from hits
    elif store.canonical(doc) != doc.text:
        yield 1, "-", "spacing between blocks differs from canonical form (ke-papers fmt)"


def _stray_text(ctx: Context) -> Iterator[Hit]:
    """Right after an entry, at the `}` that closed it early (where `list` says it)."""
    for line, text in ctx.doc.stray:
        closed = _closed_early(ctx.doc, line)
        if closed is None:
            yield (
                line,
                "-",
                f"text between entries reads like a field, '{text}' (a stray '}}' above?)",
            )
        else:
            end, key = closed
            message = (
                f"a '}}' here closes entry {key} before its last fields, "
                f"so '{text}' would be read as a comment"
            )
            yield end, key, message


def _closed_early(doc: bibread.Document, line: int) -> tuple[int, str] | None:
    """(line of its last `}`, key) of the entry the stray text at `line` follows with nothing
    but a comma between, else None."""
    at = max((i for i, c in enumerate(doc.chunks) if c.line <= line), default=None)
    if not at or doc.chunks[at].kind != "comment" or doc.chunks[at - 1].kind != "entry":
        return None
    comment, entry = doc.chunks[at], doc.chunks[at - 1]
    before = "\n".join(doc.text[comment.start : comment.end].split("\n")[: line - comment.line])
    if before.strip() not in ("", ","):
        return None
    key = next((p.key for p in doc.papers if p.chunk == at - 1), "-")
    return entry.line + doc.text[entry.start : entry.end].count("\n"), key


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
    Rule(
        "duplicate-title",
        "error",
        "the same title twice, with a shared author, the same DOI or arXiv ID, "
        "or the same year and venue",
        _duplicates("title"),
    ),
    Rule("missing-field", "error", "a field the entry type needs for citing", _each(_missing)),
    Rule(
        "taxonomy-typo",
        "error",
        "a section used once whose name is close to another's",
        _taxonomy_typos,
    ),
    Rule("bad-taxonomy", "error", "an empty level in a section path", _each(_bad_taxonomy)),
    Rule(
        "no-section",
        "error",
        "a paper outside every section, in a list that has sections",
        _no_section,
    ),
    Rule("empty-url", "error", "a link with no URL", _each(_urls("empty-url"))),
    Rule("bad-url", "error", "a link that is not http(s)", _each(_urls("bad-url"))),
    Rule("bad-arxiv", "error", "an eprint that is not an arXiv ID", _each(_bad_arxiv)),
    Rule(
        "bad-year",
        "error",
        f"a year (or date) outside {FIRST_YEAR} to next year",
        _each(_bad_year),
    ),
    Rule(
        "year-not-number",
        "warning",
        "a year that is not a number (`in press`, `2023a`)",
        _each(_year_not_number),
    ),
    Rule(
        "venue-year",
        "error",
        "a venue label whose year is not the entry's (EMNLP 2022 on a 2021 entry)",
        _each(_venue_year),
    ),
    Rule(
        "bad-author",
        "error",
        "an author name holding a year, parentheses, 'et al.' or markup "
        "(a braced name, or a nickname after a given name, is fine)",
        _each(_bad_author),
    ),
    Rule(
        "title-venue",
        "error",
        "a title that ends with its own venue's label (`..., EMNLP 2023` in EMNLP 2023)",
        _each(_title_venue),
    ),
    Rule(
        "undefined-macro",
        "error",
        "an `@string` macro used but not defined above (it may be in another file)",
        _each(_undefined_macro),
    ),
    Rule(
        "crossref-cycle",
        "error",
        "entries that inherit from each other in a circle through crossref or xdata",
        _crossref_cycle,
    ),
    Rule(
        "key-style",
        "warning",
        "a key that does not follow the key rule (in a file whose keys mostly do)",
        _key_style,
    ),
    Rule(
        "key-no-year",
        "error",
        "a key with no year in it (in a file whose keys mostly follow the key rule)",
        _key_year,
    ),
    Rule(
        "not-canonical",
        "error",
        "formatting that `fmt` would change (once, with a count, when most entries differ)",
        _not_canonical,
    ),
    Rule(
        "stray-text",
        "error",
        "a stray `}` that ends an entry early (at its line), or other text between entries "
        "that reads like fields",
        _stray_text,
    ),
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
    """The findings for a bib file; those that depend only on its bytes are kept in its
    index until the file (or a rule, or the year) changes."""
    from ke_papers.index import Index

    own = [r for r in RULES if not r.needs_readme]
    ids = [r.id for r in own] + [_rules_digest(), str(_year())]  # a year's findings are its own

    index: Index | None = None

    def build() -> dict[str, Any]:
        data = files.read_bytes(path)
        if index is not None and index.database != ":memory:":
            with contextlib.suppress(BibError):  # the index of these bytes: kept only for them
                Index.open(path, data).conn.close()
        text, encoding = bibread.load_text(data)
        doc = bibread.parse(text, path, lenient=True, encoding=encoding)
        rows = [dataclasses.astuple(f) for f in check(Context(doc, _year()), own)]
        return {"rules": ids, "rows": rows, "encoding": encoding}

    try:
        index = Index.open(path)
    except BibError:  # what the index refuses, lint reads leniently and reports
        cached = build()
    else:
        cached = index.cached("lint", build)
        if cached["rules"] != ids:  # rules changed since the findings were kept
            cached = build()
    bibread.note_encoding(path, cached["encoding"])
    findings = [Finding(*row) for row in cached["rows"]]
    others = [r for r in RULES if r.needs_readme]
    if readme_stale is not None and others:
        empty = bibread.parse("", path)
        findings += check(Context(empty, _year(), readme_stale), others)
    return sorted(findings, key=lambda f: (f.line, f.rule))


def _rules_digest() -> str:
    """Cached findings are trusted only for the rules that found them: this module's text."""
    import hashlib

    return hashlib.blake2b(Path(__file__).read_bytes(), digest_size=8).hexdigest()


def _year() -> int:
    return datetime.date.today().year


def fix(doc: bibread.Document) -> tuple[list[Paper], list[str]]:
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
