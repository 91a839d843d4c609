"""`import`: papers from another list (an awesome list, a bib file) into this one.

Nothing already in the list is overwritten: the same paper (by the one duplicate
finder) is skipped and reported. A paper whose arXiv ID is taken under a title that is
not a typo of the other is imported all the same, with the conflict reported. The same
paper twice in the imported list becomes one entry with the richer fields. Nothing is
lost in silence: the report counts what was read, written, already there, incomplete
(no authors, no year or no link) and skipped, and where a list's links went (into
entries, merged, resources, left), so that the caller can fail a script. With `resolve`,
entries with an arXiv ID take title, authors and year from arXiv (the list's venue,
section and links kept), unless arXiv's title is another paper's: then the list's ID is
likely wrong, and the import says so.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ke_papers import bibread, entries, files, identity
from ke_papers.config import BibChoice
from ke_papers.errors import KePapersError, display_path
from ke_papers.library import Library
from ke_papers.model import Paper
from ke_papers.sources import Failure, Links, file_source
from ke_papers.usecases.reading import Target, editing, writable

#: How alike two titles of one arXiv paper must be to count as the same title with a typo.
TYPO_RATIO = 0.9


@dataclass(frozen=True)
class Incomplete:
    """A written entry that lacks what a citation or the list needs."""

    line: int
    key: str
    title: str
    missing: tuple[str, ...]


@dataclass
class Imported:
    target: Target
    #: Papers the file holds (copies of one paper counted once).
    read: int = 0
    added: list[Paper] = field(default_factory=list)
    #: Papers skipped because the list already holds them.
    skipped: int = 0
    #: Copies of a paper that the file holds more than once, merged into one entry.
    merged: int = 0
    incomplete: list[Incomplete] = field(default_factory=list)
    #: Lines that look like papers but could not be read.
    unread: int = 0
    #: (line in the imported file, message), in line order.
    messages: list[tuple[int, str]] = field(default_factory=list)
    #: Where a Markdown list's links went; None for a bib file.
    links: Links | None = None
    #: Entries whose title, authors and year came from arXiv (`resolve`).
    resolved: int = 0

    @property
    def complete(self) -> bool:
        """Every line read, every paper link kept and every written entry complete."""
        return not self.incomplete and not self.unread and not (self.links and self.links.left)

    def as_dict(self) -> dict[str, Any]:
        """The report for programs (`import --json`)."""
        return {
            "target": str(self.target.path),
            "read": self.read,
            "written": len(self.added),
            "already_there": self.skipped,
            "merged": self.merged,
            "incomplete": [
                {"line": i.line, "key": i.key, "title": i.title, "missing": list(i.missing)}
                for i in self.incomplete
            ],
            "lines_skipped": self.unread,
            "resolved": self.resolved,
            "links": None
            if self.links is None
            else {
                "read": self.links.read,
                "imported": self.links.imported,
                "merged": self.links.merged,
                "resources": self.links.resources,
                "left": self.links.left,
            },
            "messages": [{"line": line, "message": message} for line, message in self.messages],
            "papers": [paper.as_dict() for paper in self.added],
        }


def _same_title(a: Paper, b: Paper) -> bool:
    ta, tb = identity.normal_title(a.get("title")), identity.normal_title(b.get("title"))
    return difflib.SequenceMatcher(None, ta, tb).ratio() >= TYPO_RATIO


def missing(paper: Paper) -> tuple[str, ...]:
    """What an imported entry lacks: authors, a year, a link."""
    lacks = [("authors", bool(paper.get("author"))), ("year", bool(paper.year))]
    lacks.append(("link", any(link.url for link in paper.links)))
    return tuple(name for name, present in lacks if not present)


def merge_copies(papers: list[Paper], report: Imported) -> list[Paper]:
    """The papers with every later copy of a paper merged into its first one."""
    seen = identity.Duplicates()
    out: list[Paper] = []
    for paper in papers:
        match = next(
            (m for m in seen.matches(paper) if m.kind != "arxiv" or _same_title(paper, m.paper)),
            None,
        )
        if match is None:
            seen.add(paper)
            out.append(paper)
            continue
        first = match.paper
        merged = entries.merge(first, paper)
        seen.remove(first)
        seen.add(merged)
        out[out.index(first)] = merged
        report.merged += 1
        if report.links:
            report.links.imported -= len(paper.links)
            report.links.merged += len(paper.links)
        line = paper.line or 0
        report.messages.append(
            (line, f"'{paper.title}' is also on line {first.line}: merged into one entry")
        )
        a, b = identity.arxiv_base(first.arxiv), identity.arxiv_base(paper.arxiv)
        if a and b and a != b:
            report.messages.append(
                (line, f"conflict: the copies name arXiv {a} and arXiv {b}; kept {merged.arxiv}")
            )
    return out


def import_file(
    choice: BibChoice,
    source_file: Path,
    kind: str | None = None,
    dry_run: bool = False,
    resolve: bool = False,
    resources: bool = False,
) -> Imported:
    """Add every paper the file holds; `kind` names its format (else its suffix says);
    `resources` imports a list's links that are not papers as `@misc` entries too."""
    text = bibread.load_text(files.read_bytes(source_file))[0]  # a Windows-1252 export reads too
    source = file_source(source_file, text, kind, resources)
    items = list(source.papers())
    papers = [item for item in items if isinstance(item, Paper)]
    if not papers:
        raise KePapersError(
            f"{display_path(source_file)}: no paper entries found "
            "(a bold or linked title with authors, a venue or links; or a table with a title column)"
        )
    target = Target(choice.path) if dry_run else writable(choice)
    report = Imported(target=target, links=getattr(source, "links", None))
    for failure in (item for item in items if isinstance(item, Failure)):
        report.messages.append((failure.line or 0, failure.reason))
        if not failure.part:
            report.unread += 1
    papers = merge_copies(papers, report)
    if resolve:
        papers = _resolve(papers, report)
    report.read = len(papers)
    with editing(target.path, write=not dry_run) as library:
        for item in papers:
            _add(library, item, report)
    report.messages.sort(key=lambda m: m[0])
    return report


def _add(library: Library, item: Paper, report: Imported) -> None:
    line = item.line or 0
    matches = library.duplicates.matches(item)
    same = next((m for m in matches if m.kind != "arxiv" or _same_title(item, m.paper)), None)
    if same is not None:
        report.skipped += 1
        report.messages.append(
            (line, f"'{item.title}' is already in the list as {same.paper.key}: skipped")
        )
        return
    if matches:
        clash = matches[0].paper
        report.messages.append(
            (
                line,
                f"conflict: arXiv {identity.arxiv_base(item.arxiv)} is also the ID of "
                f"{clash.key} ('{clash.title}'); imported all the same, check the link",
            )
        )
    if item.key and library.get(item.key) is not None:
        item.key = ""
    library.add(item)
    report.added.append(item)
    lacks = missing(item)
    if lacks:
        report.incomplete.append(Incomplete(line, item.key, item.title, lacks))
        report.messages.append(
            (line, f"{item.key}: incomplete: no {', no '.join(lacks)} ('{item.title}')")
        )


def _titles_agree(listed: str, known: str) -> bool:
    """The same title, but for a typo or a subtitle one of them leaves out."""
    a, b = identity.normal_title(listed), identity.normal_title(known)
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    return ratio >= TYPO_RATIO or (
        min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a))
    )


def _resolve(papers: list[Paper], report: Imported) -> list[Paper]:
    """Title, authors and year from arXiv for every paper with an arXiv ID (batched,
    rate-limited and cached by `sources.arxiv`); venue, section and links the list's."""
    from ke_papers.sources import arxiv

    records = arxiv.fetch([identity.parse_id(p.arxiv) for p in papers if p.arxiv])
    out = []
    for paper in papers:
        record = records.get(identity.arxiv_base(paper.arxiv)) if paper.arxiv else None
        line = paper.line or 0
        if paper.arxiv and record is None:
            report.messages.append(
                (line, f"arXiv knows no paper {paper.arxiv}: '{paper.title}' kept as listed")
            )
        elif record and not _titles_agree(paper.title, record.title):
            report.messages.append(
                (
                    line,
                    f"'{paper.title}' links arXiv {record.id}, which is '{record.title}': "
                    "likely a wrong ID in the list; kept the list's title and authors",
                )
            )
        elif record:
            extras = entries.Extras(
                tuple(paper.taxonomy),
                tuple(paper.extra_links),
                tuple(paper.keywords),
                paper.text("venue"),
            )
            paper = entries.new_entry(
                record.title,
                record.authors,
                arxiv=record.id,
                year=record.year,
                url=paper.value("url"),
                extras=extras,
                line=paper.line,
            )
            report.resolved += 1
        out.append(paper)
    return out
