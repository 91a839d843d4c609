"""`add`: papers from a source into their section, with the user's links, keywords and venue.

Papers already in the list (same arXiv ID, DOI or title) are reported and left alone.
In a batch nothing is written unless every reference resolves (or `skip_missing`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ke_papers import files, keys, taxonomy
from ke_papers.catalog import Catalog
from ke_papers.entries import Extras, with_extras
from ke_papers.errors import KePapersError
from ke_papers.identity import ArxivId, parse_id
from ke_papers.model import Link, Paper
from ke_papers.sources import Failure, Progress, Source
from ke_papers.usecases.reading import Session, editing, open_catalog


@dataclass(frozen=True)
class Request:
    ids: Sequence[ArxivId]
    category: str | None = None
    new_category: bool = False
    #: Add outside every section, in a list that has sections.
    no_category: bool = False
    links: Sequence[Link] = ()
    keywords: Sequence[str] = ()
    key: str = ""
    venue: str = ""
    skip_missing: bool = False
    dry_run: bool = False
    use_cache: bool = True


@dataclass
class Added:
    added: list[Paper] = field(default_factory=list)
    #: (reference, key of the paper already in the list).
    present: list[tuple[str, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def read_ids(values: Sequence[str], listing: Path | None = None) -> list[ArxivId]:
    """IDs from arguments and from a file's lines (`#` starts a comment)."""
    listed = files.read_text(listing) if listing is not None else ""
    raw = list(values) + [line.split("#", 1)[0].strip() for line in listed.splitlines()]
    ids = [parse_id(value) for value in raw if value.strip()]
    if not ids:
        raise KePapersError("give at least one arXiv ID (or --from-file)")
    return ids


def _present(path: Path, session: Session | None) -> Catalog | None:
    return open_catalog(path, session) if path.exists() else None


def _section(catalog: Catalog | None, request: Request) -> tuple[str, ...]:
    """Where the papers go: a list with sections takes none outside them unless told so."""
    tree = catalog.sections() if catalog is not None else taxonomy.build([])
    if request.category and request.no_category:
        raise KePapersError("--category and --no-category contradict each other: choose one")
    if not request.category:
        if tree.children and not request.no_category:
            raise KePapersError(
                "this list has sections: say where with --category SECTION "
                "(or --no-category to add outside them)"
            )
        return ()
    try:
        return taxonomy.resolve(tree, request.category)
    except KePapersError:
        if not request.new_category:
            raise
        return taxonomy.split_path(request.category)


def add(
    path: Path,
    request: Request,
    source: Callable[[Sequence[ArxivId], bool], Source] | None = None,
    progress: Progress | None = None,
    session: Session | None = None,
) -> Added:
    """Fetch what is not there yet from the source (arXiv by default), then insert it.

    The fetch happens before the file is locked: a slow server holds up no other writer.
    The duplicate check is made again under the lock, against what the file holds then.
    """
    from ke_papers.sources.arxiv import ArxivSource

    if request.key and len(request.ids) > 1:
        raise KePapersError("--key names one paper; give one ID")
    if request.key:
        keys.check(request.key)
    catalog = _present(path, session)
    extras = Extras(
        taxonomy=_section(catalog, request),
        links=tuple(request.links),
        keywords=tuple(request.keywords),
        venue=request.venue,
        key=request.key,
    )
    report = Added()
    todo = []
    for ident in request.ids:
        same = catalog.arxiv_key(ident.base) if catalog is not None else None
        if same is not None:
            report.present.append((ident.base, same))
        else:
            todo.append(ident)
    found: list[Paper] = []
    for item in (source or ArxivSource)(todo, request.use_cache).papers(progress):
        if isinstance(item, Failure):
            report.failures.append(item)
        else:
            found.append(item)
    if report.failures and not request.skip_missing:
        raise KePapersError(
            f"nothing written: {len(report.failures)} of {len(request.ids)} IDs not found "
            "(--skip-missing adds the others)",
            notes=[f"{f.ref}: {f.reason}" for f in report.failures],
        )
    with editing(path, write=not request.dry_run) as library:
        for paper in found:
            match = library.duplicate_of(paper)
            if match is not None:
                report.present.append((paper.arxiv, match.paper.key))
                continue
            paper = with_extras(paper, extras)
            library.add(paper)
            report.added.append(paper)
    return report
