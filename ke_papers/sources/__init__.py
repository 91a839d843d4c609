"""Where papers come from: one protocol that every source implements, and the file sources.

A source yields Papers, each built by `entries` in the list's conventions, or a
`Failure` that says which reference could not become a paper and why. The use cases
(add, update, import) take any source; a new one (a DOI resolver, DBLP, Semantic
Scholar) plugs in by implementing `Source`, and a new file format by one entry in
`FILE_SOURCES`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ke_papers.errors import KePapersError, display_path

if TYPE_CHECKING:
    from ke_papers.model import Paper

#: Told (done, total) as a long fetch goes on.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Failure:
    """A reference (an ID, a line of a list) that did not become a paper, and why; or,
    when `part` names it (a link), a link that was dropped or left (counted in `Links`)."""

    ref: str
    reason: str
    line: int | None = None
    part: str = ""


@dataclass
class Links:
    """Where a list's links went: into entries, merged into an entry that has them,
    resources (not papers, not imported), or left (each reported with its line)."""

    imported: int = 0
    merged: int = 0
    resources: int = 0
    left: int = 0

    @property
    def read(self) -> int:
        return self.imported + self.merged + self.resources + self.left


class Source(Protocol):
    def papers(self, progress: Progress | None = None) -> Iterator[Paper | Failure]: ...


@dataclass(frozen=True)
class FileSource:
    """A kind of file papers can be imported from."""

    name: str
    suffixes: tuple[str, ...]
    help: str
    #: (text, path, resources): `resources` asks for the links that are not papers too.
    open: Callable[[str, Path, bool], Source]


def _markdown(text: str, path: Path, resources: bool) -> Source:
    from ke_papers.sources.markdown import MarkdownSource

    return MarkdownSource(text, resources)


def _bib(text: str, path: Path, resources: bool) -> Source:
    from ke_papers.sources.bibfile import BibSource

    return BibSource(text, path)


FILE_SOURCES: dict[str, FileSource] = {
    s.name: s
    for s in (
        FileSource(
            "markdown",
            (".md", ".markdown", ".txt"),
            "an awesome-list README (items, bold or linked titles, headings, tables)",
            _markdown,
        ),
        FileSource("bib", (".bib", ".bibtex"), "a BibTeX or biblatex file", _bib),
    )
}


def file_source(path: Path, text: str, kind: str | None = None, resources: bool = False) -> Source:
    """The source for a file: of the kind named, else the kind its suffix says."""
    if kind is None:
        kind = next(
            (s.name for s in FILE_SOURCES.values() if path.suffix.casefold() in s.suffixes), None
        )
        if kind is None:
            raise KePapersError(
                f"{display_path(path)}: cannot tell the format from its name; "
                f"say --format {'|'.join(FILE_SOURCES)}"
            )
    if kind not in FILE_SOURCES:
        raise KePapersError(
            f"unknown import format '{kind}'; choose from {', '.join(FILE_SOURCES)}"
        )
    return FILE_SOURCES[kind].open(text, path, resources)
