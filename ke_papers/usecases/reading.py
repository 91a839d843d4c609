"""Opening the bib file in use: for reading (a catalog) or for editing (a library)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ke_papers import config, library
from ke_papers.catalog import Catalog, Derived
from ke_papers.model import Paper


def _markdown_bodies(papers: Sequence[Paper]) -> list[str]:
    from ke_papers.render.markdown import entry_body

    return [entry_body(p) for p in papers]


#: What the parse cache keeps beside the parse for the renderers: each entry's Markdown body.
DERIVED: Derived = {"markdown": _markdown_bodies}


def open_catalog(path: Path) -> Catalog:
    return Catalog.open(path, DERIVED)


@contextlib.contextmanager
def editing(path: Path, write: bool = True) -> Iterator[library.Library]:
    """The library at `path` to change; written back when the block ends without error."""
    with library.edit(path, DERIVED, write) as lib:
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


def info(choice: config.BibChoice) -> dict[str, Any]:
    """Which bib file is used and why, its paper count, and where config and cache live."""
    count = len(open_catalog(choice.path)) if choice.path.is_file() else None
    return {
        "bib": str(choice.path),
        "reason": choice.reason,
        "papers": count,
        "writes_go_to": str(config.user_library() if choice.shipped else choice.path),
        "config_dir": str(config.config_dir()),
        "cache_dir": str(config.cache_dir()),
    }
