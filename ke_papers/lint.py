"""Checks that keep the list valid: one finding per problem, with its line and a rule id.

Rules (error unless marked):
  duplicate-key, duplicate-arxiv, duplicate-doi, duplicate-title: the same paper twice
  missing-field: a field the entry type needs for citing
  taxonomy-typo: a section used once whose name is close to another section
  bad-taxonomy: an empty level in a taxonomy path
  empty-url, bad-url: a link that is empty or not http(s)
  bad-arxiv: an eprint that is not an arXiv ID
  bad-year: a year that is not a plausible year
  venue-year: a venue label whose year is not the entry's year
  key-style (warning): a key that does not follow the key rule
  not-canonical: formatting that `fmt` would change
  readme-stale: the README's generated list is out of date
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ke_papers import keys, store, venues
from ke_papers.errors import KePapersError
from ke_papers.library import arxiv_base, normal_title
from ke_papers.model import TAXONOMY_SEP, Paper, is_arxiv_id, parse_links

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


def _url_problem(url: str) -> str | None:
    from urllib.parse import urlsplit

    if not url.strip():
        return "empty-url"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        return "bad-url"
    return None


def _paper_findings(paper: Paper, this_year: int) -> list[Finding]:
    line, key = paper.line or 1, paper.key
    out = []

    def add(rule: str, message: str, severity: str = "error") -> None:
        out.append(Finding(line, key, rule, message, severity))

    missing = [f for f in REQUIRED.get(paper.entry_type, ("title",)) if not paper.get(f).strip()]
    if missing:
        add("missing-field", f"@{paper.entry_type} needs {', '.join(missing)}")
    year = paper.get("year").strip()
    if year and (not year.isdigit() or not 1900 <= int(year) <= this_year + 1):
        add("bad-year", f"year '{year}' is not a plausible year")
    if paper.venue and paper.year:
        label_year = venues.parse(paper.venue).year
        if label_year and label_year != paper.year:
            add("venue-year", f"venue '{paper.venue}' says {label_year} but year is {paper.year}")
    eprint = paper.get("eprint").strip()
    if (
        eprint
        and paper.get("archiveprefix").casefold() in ("", "arxiv")
        and not is_arxiv_id(arxiv_base(eprint))
    ):
        add("bad-arxiv", f"eprint '{eprint}' is not an arXiv ID")
    if "url" in paper.fields:
        problem = _url_problem(paper.get("url"))
        if problem:
            add(
                problem,
                f"url '{paper.get('url')}' is {'empty' if problem == 'empty-url' else 'not an http(s) URL'}",
            )
    for link in parse_links(paper.get("links")):
        problem = _url_problem(link.url)
        if problem == "empty-url":
            add(problem, f"link '{link.label}' has no URL")
        elif problem:
            add(problem, f"link '{link.label}' is not an http(s) URL: {link.url}")
    if "taxonomy" in paper.fields and any(not p.strip() for p in paper.get("taxonomy").split(">")):
        add("bad-taxonomy", f"taxonomy '{paper.get('taxonomy')}' has an empty level")
    base = keys.base_key(paper.names, paper.year, paper.get("title"))
    if not (key.startswith(base) and _KEY_SUFFIX.fullmatch(key[len(base) :])):
        add("key-style", f"key does not follow the key rule (expected {base})", "warning")
    return out


def _duplicates(papers: list[Paper]) -> list[Finding]:
    out = []
    groups: dict[tuple[str, str], list[Paper]] = defaultdict(list)
    for paper in papers:
        if paper.arxiv:
            groups["duplicate-arxiv", arxiv_base(paper.arxiv).casefold()].append(paper)
        if paper.doi:
            groups["duplicate-doi", paper.doi.casefold()].append(paper)
        if normal_title(paper.get("title")):
            groups["duplicate-title", normal_title(paper.get("title"))].append(paper)
    what = {"duplicate-arxiv": "arXiv ID", "duplicate-doi": "DOI", "duplicate-title": "title"}
    for (rule, value), same in groups.items():
        first = same[0]
        for other in same[1:]:
            shown = value if rule != "duplicate-title" else repr(other.title)
            out.append(
                Finding(
                    other.line or 1,
                    other.key,
                    rule,
                    f"same {what[rule]} {shown} as {first.key} (line {first.line})",
                )
            )
    return out


def _taxonomy_typos(papers: list[Paper]) -> list[Finding]:
    uses: dict[str, list[Paper]] = defaultdict(list)
    for paper in papers:
        for depth in range(1, len(paper.taxonomy) + 1):
            uses[TAXONOMY_SEP.join(paper.taxonomy[:depth])].append(paper)
    out = []
    for path, users in uses.items():
        if len(users) != 1:
            continue
        others = [p for p, u in uses.items() if len(u) > 1 and p.count(">") == path.count(">")]
        close = difflib.get_close_matches(path, others, n=1, cutoff=TYPO_RATIO)
        if close:
            paper = users[0]
            out.append(
                Finding(
                    paper.line or 1,
                    paper.key,
                    "taxonomy-typo",
                    f"section '{path}' is used once; a typo of '{close[0]}'?",
                )
            )
    return out


def _format_findings(doc: store.Document) -> list[Finding]:
    out = []
    for paper in doc.papers:
        chunk = doc.chunks[paper.chunk] if paper.chunk is not None else None
        if chunk and doc.text[chunk.start : chunk.end] != store.format_entry(paper):
            out.append(
                Finding(
                    paper.line or 1,
                    paper.key,
                    "not-canonical",
                    "formatting differs from canonical form (ke-papers fmt)",
                )
            )
    if not out and store.canonical(doc) != doc.text:
        out.append(
            Finding(
                1,
                "-",
                "not-canonical",
                "spacing between blocks differs from canonical form (ke-papers fmt)",
            )
        )
    return out


def check_file(path: Path) -> list[Finding]:
    """The findings for a bib file, through the parse cache (they depend only on its bytes)."""
    from ke_papers import cache

    data = store.read_bytes(path)

    def build() -> list[tuple[Any, ...]]:
        doc = store.parse(store.decode(data, path), path, lenient=True)
        return [dataclasses.astuple(f) for f in check(doc)]

    return [Finding(*row) for row in cache.cached(path, data, "lint", build)]


def readme_finding(readme: Path, items: list[tuple[list[str], str]]) -> Finding | None:
    """A readme-stale finding when the README's generated list differs from `items`'."""
    from ke_papers.render import markdown

    current = readme.read_bytes().decode("utf-8", errors="replace")
    if markdown.START not in current:
        return None
    try:
        stale = markdown.splice_readme(current, markdown.paper_list(items)) != current
    except KePapersError:
        return None
    if not stale:
        return None
    return Finding(
        1,
        "-",
        "readme-stale",
        "README's generated list is out of date (ke-papers export --markdown --readme README.md)",
    )


def check(doc: store.Document) -> list[Finding]:
    """Every finding for a parsed (leniently, so duplicate keys are seen) bib file."""
    this_year = datetime.date.today().year
    findings = [
        Finding(line, key, "duplicate-key", f"key '{key}' is already used above")
        for line, key in doc.duplicate_keys
    ]
    for paper in doc.papers:
        findings += _paper_findings(paper, this_year)
    findings += _duplicates(doc.papers)
    findings += _taxonomy_typos(doc.papers)
    findings += _format_findings(doc)
    return sorted(findings, key=lambda f: (f.line, f.rule))


def fix(doc: store.Document) -> tuple[list[Paper], str, list[str]]:
    """The papers and text with the safe repairs made, and what each repair changed."""
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
    return papers, store.canonical(dataclasses.replace(doc, papers=papers)), changes


def readme_for(bib: Path) -> Path | None:
    """In a checkout (`ROOT/data/papers.bib`), the README whose list is generated from it."""
    if bib.parent.name != "data":
        return None
    readme = bib.parent.parent / "README.md"
    return readme if readme.is_file() else None
