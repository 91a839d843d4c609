"""`update --published`: which preprints of the list have been published, and where.

Each source (arXiv's journal reference, DBLP, Semantic Scholar) yields the published
versions it can trust (`publications.trusted`); a preprint whose sources agree on one venue
(a main venue before a workshop) gets its venue label, entry type, booktitle or journal,
year, DOI and pages as a diff. The arXiv ID, links, section and (unless asked) key stay.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ke_papers import fields, publications, venues
from ke_papers import keys as keyrule
from ke_papers.errors import KePapersError
from ke_papers.model import Paper
from ke_papers.sources import Failure, Progress, Source
from ke_papers.usecases.reading import open_catalog
from ke_papers.usecases.updating import Change


def _arxiv(wanted: Sequence[Paper], use_cache: bool) -> Source:
    from ke_papers.sources.arxiv import PublishedSource

    return PublishedSource(wanted, use_cache)


def _dblp(wanted: Sequence[Paper], use_cache: bool) -> Source:
    from ke_papers.sources.dblp import DblpSource

    return DblpSource(wanted, use_cache)


def _s2(wanted: Sequence[Paper], use_cache: bool) -> Source:
    from ke_papers.sources.s2 import S2Source

    return S2Source(wanted, use_cache)


#: The sources of published versions, in the order their records are preferred.
SOURCES: dict[str, Callable[[Sequence[Paper], bool], Source]] = {
    "dblp": _dblp,
    "s2": _s2,
    "arxiv": _arxiv,
}
DEFAULT_SOURCES = ("arxiv", "dblp", "s2")


def parse_sources(text: str) -> list[str]:
    """`arxiv,dblp,s2` -> the names, each known."""
    names = [n.strip().casefold() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in SOURCES]
    if unknown or not names:
        raise KePapersError(
            f"unknown source '{','.join(unknown) or text}'; choose from "
            f"{', '.join(DEFAULT_SOURCES)} (comma-separated)"
        )
    return list(dict.fromkeys(names))


@dataclass
class Published:
    #: The diff of each entry that was published, by key (a `key` change with --rekey).
    changes: dict[str, list[Change]] = field(default_factory=dict)
    #: Where each published version was found, in one line (`publications.describe`).
    found_in: dict[str, str] = field(default_factory=dict)
    #: Entries still preprints: no source knows a published version that can be trusted.
    preprints: list[str] = field(default_factory=list)
    #: Entries whose sources name different venues: the candidates, one line each.
    ambiguous: dict[str, list[str]] = field(default_factory=dict)


def _choose(found: list[Paper]) -> list[Paper] | Paper:
    """The published version the candidates agree on (main venues before workshops; the
    sources' order decides between records of one venue, whose years may differ: Semantic
    Scholar's year can be the preprint's), else the disagreeing ones."""
    main = [f for f in found if not f.get(publications.WORKSHOP)] or found
    names = dict.fromkeys(venues.parse(f.get("venue")).name.casefold() for f in main)
    if len(names) > 1:
        return main
    best, *others = main
    missing = {
        name: next((o.get(name) for o in others if o.get(name)), "")
        for name in ("doi", "pages")
        if not best.get(name)
    }
    return best.with_fields(**{k: v for k, v in missing.items() if v})


def _named(paper: Paper, name: str) -> str:
    """The field a datum goes in, in the entry's own world: biblatex's `date` or
    `journaltitle` when the entry uses them (and not the BibTeX names)."""
    other = "date" if name == "year" else fields.TO_BIBLATEX.get(name, "")
    return other if other and other in paper.fields and name not in paper.fields else name


def _diff(paper: Paper, found: Paper) -> list[Change]:
    out = []
    if found.entry_type != paper.entry_type:
        out.append(Change("type", paper.entry_type, found.entry_type))
    for name in publications.PUBLISHED_FIELDS:
        old, new = paper.get(_named(paper, name)), found.get(name)
        if name == "doi" and not new:
            continue  # a DOI of the preprint (arXiv's own) stays when the venue gives none
        if name == "pages" and not new:
            continue
        if old != new:
            out.append(Change(_named(paper, name), old, new))
    return out


def gather(
    papers: Sequence[Paper],
    sources: Sequence[str] = DEFAULT_SOURCES,
    use_cache: bool = True,
    progress: Progress | None = None,
) -> dict[str, list[Paper]]:
    """The trusted published versions of each paper, by key, in the sources' order."""
    found: dict[str, list[Paper]] = {p.key: [] for p in papers}
    for name, source in SOURCES.items():
        if name in sources and papers:
            for item in source(papers, use_cache).papers(progress if name == "arxiv" else None):
                if not isinstance(item, Failure) and item.key in found:
                    found[item.key].append(item)
    return found


def plan(
    path: Path,
    keys: Sequence[str] = (),
    sources: Sequence[str] = DEFAULT_SOURCES,
    use_cache: bool = True,
    rekey: bool = False,
    progress: Progress | None = None,
) -> Published:
    """What each named preprint (every one by default) became, by the sources named."""
    catalog = open_catalog(path)
    if keys:
        papers = [catalog.find(k) for k in dict.fromkeys(keys)]
        done = [p.key for p in papers if not publications.is_unpublished(p)]
        if done:
            raise KePapersError(f"not a preprint (it has a venue): {', '.join(done)}")
    else:
        papers = [p for p in catalog if publications.is_unpublished(p)]
    found = gather(papers, sources, use_cache, progress)
    result = Published()
    taken = set(catalog.all_keys())
    for paper in papers:
        if not found[paper.key]:
            result.preprints.append(paper.key)
            continue
        chosen = _choose(found[paper.key])
        if isinstance(chosen, list):
            result.ambiguous[paper.key] = [publications.describe(f) for f in chosen]
            continue
        changes = _diff(paper, chosen)
        if rekey:
            new = keyrule.base_key(chosen.names or paper.names, chosen.year, paper.get("title"))
            if not paper.key.startswith(new):
                taken.discard(paper.key)
                changes.append(Change("key", paper.key, keyrule.unique(new, taken)))
                taken.add(changes[-1].new)
        result.found_in[paper.key] = publications.describe(chosen)
        if changes:
            result.changes[paper.key] = changes
    return result
