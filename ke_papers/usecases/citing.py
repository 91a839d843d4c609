"""`cite`: the papers a document needs, chosen by key, query, section, .tex or .aux, rendered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ke_papers import files, outputs, taxonomy, texrefs
from ke_papers.catalog import Catalog
from ke_papers.errors import KePapersError, display_path
from ke_papers.model import Paper
from ke_papers.render.formats import Format
from ke_papers.usecases.exporting import render
from ke_papers.usecases.reading import Session, open_catalog
from ke_papers.usecases.searching import key_hint


@dataclass(frozen=True)
class Wanted:
    """How the user named the papers to cite."""

    keys: Sequence[str] = ()
    query: str | None = None
    limit: int = 1
    category: str | None = None
    tex: Path | None = None
    aux: Path | None = None


@dataclass(frozen=True)
class Cited:
    text: str
    papers: list[Paper]
    #: (key, " (did you mean ...?)") for every key the list does not have.
    missing: list[tuple[str, str]] = field(default_factory=list)
    status: str = "printed"
    target: Path | None = None
    added: int = 0


def select(catalog: Catalog, wanted: Wanted) -> tuple[list[int], list[tuple[str, str]]]:
    """Positions of the papers asked for, in the order asked, and the unknown keys."""
    keys: list[str] = list(wanted.keys)
    if wanted.tex:
        keys += texrefs.tex_keys(wanted.tex)
    if wanted.aux:
        keys += texrefs.aux_keys(wanted.aux)
    if texrefs.ALL in keys:
        keys = catalog.all_keys() + [k for k in keys if k != texrefs.ALL]
    if wanted.query:
        keys += [
            h.paper.key for h in catalog.search().search(wanted.query, limit=wanted.limit).hits
        ]
    if wanted.category:
        section = taxonomy.resolve(catalog.sections(), wanted.category)
        keys += [catalog.all_keys()[i] for i in catalog.select(section)]
    if not (keys or wanted.query):
        raise KePapersError("name keys, or use --query, --category, --tex or --aux")
    positions = {k: i for i, k in reversed(list(enumerate(catalog.all_keys())))}
    keys = list(dict.fromkeys(keys))
    chosen = [positions[k] for k in keys if k in positions]
    missing = [(k, key_hint(catalog, k)) for k in keys if k not in positions]
    return chosen, missing


#: Fields naming other entries a cited entry needs in the same file.
LINKS = ("crossref", "xref", "xdata", "related", "entryset")


def with_parents(catalog: Catalog, chosen: list[int]) -> list[int]:
    """The chosen entries, then every entry they name (crossref, xdata, set members, ...):
    BibTeX reads a crossref parent only after its children, so parents come last, once."""
    positions = {k.casefold(): i for i, k in reversed(list(enumerate(catalog.all_keys())))}
    needed: list[int] = []
    seen = set(chosen)
    todo = list(chosen)
    while todo:
        paper = catalog.papers[todo.pop(0)]
        for name in LINKS:
            for key in paper.get(name).split(","):
                i = positions.get(key.strip().casefold())
                if i is not None and i not in needed:
                    needed.append(i)
                    if i not in seen:
                        seen.add(i)
                        todo.append(i)
    return [i for i in chosen if i not in needed] + needed


def cite(
    path: Path,
    fmt: Format,
    wanted: Wanted,
    *,
    full: bool = False,
    ascii_only: bool = False,
    command: str = "cite",
    output: Path | None = None,
    merge: bool = False,
    force: bool = False,
    session: Session | None = None,
) -> Cited:
    """The chosen papers in `fmt`: printed, written to `output`, or merged into it.

    An existing `output` that holds other text is replaced only with `force`: it may
    be a bibliography written by hand.
    """
    if merge and (output is None or fmt.name not in ("bibtex", "biblatex")):
        raise KePapersError("--merge needs -o FILE and a BibTeX format")
    catalog = open_catalog(path, session)
    chosen, missing = select(catalog, wanted)
    if fmt.name in ("bibtex", "biblatex"):
        chosen = with_parents(catalog, chosen)
    papers = [catalog.papers[i] for i in chosen]
    options = {"full": full, "ascii_only": ascii_only, "cite_command": command}
    text = render(catalog, fmt, "cite", chosen, **options)
    if output is None:
        return Cited(text, papers, missing)
    if merge and output.exists():
        added = _merge(output, papers, full, ascii_only, fmt.name == "biblatex")
        return Cited(text, papers, missing, "merged", output, added)
    outputs.check(output, path, force=True)  # the bib itself, never
    with files.locked(output):
        current = files.read_text(output) if output.exists() else None
        if current not in (None, text) and not force:
            raise KePapersError(
                f"{display_path(output)} exists and holds other text: "
                "--merge adds to it, --force replaces it"
            )
        if current != text:
            files.write_atomic(output, text)
    return Cited(text, papers, missing, "wrote", output, len(papers))


def _merge(path: Path, papers: list[Paper], full: bool, ascii_only: bool, biblatex: bool) -> int:
    """Append the entries `path` lacks (by key), through the bib file's one write path."""
    from ke_papers.render.cite import clean
    from ke_papers.usecases.reading import editing  # only a merge writes a bib file

    with editing(path) as library:
        have = set(library.all_keys())
        new = [clean(p, full, ascii_only, biblatex) for p in papers if p.key not in have]
        for paper in new:
            library.append(paper)
    return len(new)
