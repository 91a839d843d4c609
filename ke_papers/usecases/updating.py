"""`update`: what a source knows better than the list (a newer title or author list, a DOI, a
journal reference (as a note), a primary class), planned first and written only when asked.

Fields people edit by hand (taxonomy, links, keywords, venue) are never touched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ke_papers.errors import KePapersError
from ke_papers.identity import ArxivId, parse_id
from ke_papers.latex import to_text
from ke_papers.model import PREPRINT, Paper
from ke_papers.names import display_names
from ke_papers.sources import Failure, Progress, Source
from ke_papers.usecases.reading import Session, editing, open_catalog


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass
class Plan:
    #: Changes by key, only for entries that change.
    changes: dict[str, list[Change]] = field(default_factory=dict)
    #: Entries the source does not know: (key, its arXiv ID).
    unknown: list[tuple[str, str]] = field(default_factory=list)


def changes_for(paper: Paper, fresh: Paper) -> list[Change]:
    """What `fresh` (the source's entry for the same paper) knows better than `paper`."""
    out: list[Change] = []
    if to_text(fresh.get("title")) != paper.title:
        out.append(Change("title", paper.get("title"), fresh.get("title")))
    if display_names(fresh.get("author")) != paper.authors:
        out.append(Change("author", paper.get("author"), fresh.get("author")))
    if fresh.doi and fresh.doi.casefold() != paper.doi.casefold():
        out.append(Change("doi", paper.doi, fresh.doi))
    journal, reference = paper.get("journal"), fresh.get("note")
    if (
        reference
        and not paper.get("note")
        and not paper.get("booktitle")
        and (not journal or journal.startswith(PREPRINT))
    ):
        out.append(Change("note", "", reference))
    if fresh.get("primaryclass") and not paper.get("primaryclass"):
        out.append(Change("primaryclass", "", fresh.get("primaryclass")))
    return out


def plan(
    path: Path,
    keys: Sequence[str] = (),
    use_cache: bool = True,
    source: Callable[[Sequence[ArxivId], bool], Source] | None = None,
    progress: Progress | None = None,
    session: Session | None = None,
) -> Plan:
    """The changes for the entries named (every arXiv entry by default)."""
    from ke_papers.sources.arxiv import ArxivSource

    catalog = open_catalog(path, session)
    papers = [catalog.find(k) for k in keys] if keys else [p for p in catalog if p.arxiv]
    without = [p.key for p in papers if not p.arxiv]
    if without:
        raise KePapersError(f"no arXiv ID to update from: {', '.join(without)}")
    ids = {p.key: parse_id(p.arxiv) for p in papers}
    fresh = {
        item.arxiv: item
        for item in (source or ArxivSource)(list(ids.values()), use_cache).papers(progress)
        if not isinstance(item, Failure)
    }
    result = Plan()
    for paper in papers:
        new = fresh.get(ids[paper.key].base)
        if new is None:
            result.unknown.append((paper.key, paper.arxiv))
        elif changes := changes_for(paper, new):
            result.changes[paper.key] = changes
    return result


def apply(path: Path, changes: dict[str, list[Change]]) -> None:
    """Write the diffs through the one write path: fields set or dropped, type and key changed."""
    with editing(path) as library:
        for key, diff in changes.items():
            paper = library.find(key)
            fields = {c.field: c.new or None for c in diff if c.field not in ("type", "key")}
            new = paper.with_fields(**fields)
            for change in diff:
                if change.field == "type":
                    new = dataclasses.replace(new, entry_type=change.new)
                elif change.field == "key":
                    if library.get(change.new) is not None:
                        raise KePapersError(f"key '{change.new}' is already taken")
                    new = dataclasses.replace(new, key=change.new)
            library.replace(key, new)
