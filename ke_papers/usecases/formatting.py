"""`fmt`: the bib file in canonical form."""

from __future__ import annotations

from pathlib import Path

from ke_papers import store


def reformat(path: Path, check: bool = False) -> bool:
    """Whether the file was (with `check`: would be) changed; `check` writes nothing."""
    with store.rewrite(path, write=not check) as edit:
        would_change = store.canonical(edit.doc) != edit.doc.text
    return edit.changed or (check and would_change)
