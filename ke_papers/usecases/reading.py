"""Opening the bib file in use: for reading (a catalog) or for editing (a library)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ke_papers import config
from ke_papers.catalog import Building, Catalog, Derived
from ke_papers.model import Paper

if TYPE_CHECKING:
    from ke_papers.library import Library


def _markdown_bodies(papers: Sequence[Paper]) -> list[str]:
    from ke_papers.render.markdown import entry_body

    return [entry_body(p) for p in papers]


def _bibtex_entries(papers: Sequence[Paper]) -> list[str]:
    from ke_papers.render.cite import entry

    return [entry(p) for p in papers]


def _json_objects(papers: Sequence[Paper]) -> list[str]:
    from ke_papers.render.formats import json_object

    return [json_object(p) for p in papers]


#: What the index keeps beside each paper for the renderers: each entry's Markdown
#: body and clean BibTeX (`export`, `search` and `cite` in those formats).
DERIVED: Derived = {
    "markdown": _markdown_bodies,
    "bibtex": _bibtex_entries,
    "json": _json_objects,
}


class Session:
    """One command's reads: a file read twice (its warnings, then its papers) is opened
    once while it is unchanged; `building` is told while an index is brought up to date.
    The command line makes one per command and passes it down to the use cases."""

    def __init__(self, building: Building | None = None) -> None:
        self.building = building
        self.opened: dict[tuple[object, ...], Catalog] = {}

    def catalog(self, path: Path) -> Catalog:
        """The catalog of `path`, opened once while the file is unchanged (the same
        inode, size, mtime and ctime: a write, even one that puts the old mtime back,
        changes the ctime)."""
        try:
            st = path.stat()
        except OSError:
            return Catalog.open(path, DERIVED)  # the open names the problem
        stamp = (path, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        if stamp not in self.opened:
            self.opened[stamp] = Catalog.open(path, DERIVED, self.building)
        return self.opened[stamp]


def open_catalog(path: Path, session: Session | None = None) -> Catalog:
    """The catalog of `path`, through the command's session when there is one."""
    return (session or Session()).catalog(path)


def warnings(path: Path, session: Session | None = None) -> list[str]:
    """What to tell someone reading `path` (duplicate keys, undefined macros)."""
    return open_catalog(path, session).warnings


@contextlib.contextmanager
def editing(path: Path, write: bool = True) -> Iterator[Library]:
    """The library at `path` to change; written back when the block ends without error."""
    from ke_papers import library  # reads never need the edit model or the store

    with library.edit(path, write) as lib:
        yield lib


@dataclass(frozen=True)
class Target:
    """Where a write goes, and a note for the user when that is not the file they read."""

    path: Path
    note: str = ""


def writable(choice: config.BibChoice) -> Target:
    """The file a write goes to: the shipped list is first copied to the user's library."""
    path, copied = config.writable(choice)
    note = f"copied the shipped list to {path}; your changes go there" if copied else ""
    return Target(path, note)


def info(choice: config.BibChoice, session: Session | None = None) -> dict[str, Any]:
    """Which bib file is used and why, its paper count, and where config and cache live."""
    count = len(open_catalog(choice.path, session)) if choice.path.is_file() else None
    return {
        "bib": str(choice.path),
        "reason": choice.reason,
        "papers": count,
        "writes_go_to": str(config.user_library() if choice.shipped else choice.path),
        "config_dir": str(config.config_dir()),
        "cache_dir": str(config.cache_dir()),
    }
