"""The read model: a bib file's papers as the index keeps them, for commands that only read.

A catalog loads only what a command needs: the index's columns (keys, sections, years),
the search table, and each paper's record, built into a Paper only when asked for.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, overload

from ke_papers import taxonomy
from ke_papers.errors import NotFound, display_path
from ke_papers.index import Index
from ke_papers.model import Paper

#: Values the layers above derive from each paper, by name, kept in the index.
Derived = dict[str, Callable[[list[Paper]], list[str]]]
#: Told (the file, and "papers" or a derived value's name) while the index is brought up
#: to date or a value made for every entry, which can take seconds for a big file: the
#: command line shows it.
Building = Callable[[Path, str], contextlib.AbstractContextManager[Any]]


class Papers(Sequence[Paper]):
    """The papers at some places of the file, each built from its record when first
    asked for; asking for many loads their records in one query."""

    def __init__(self, source: Index, positions: Sequence[int] | None = None) -> None:
        self.source = source
        self.positions = range(len(source)) if positions is None else positions
        self.built: dict[int, Paper] = {}

    def __len__(self) -> int:
        return len(self.positions)

    @overload
    def __getitem__(self, i: int) -> Paper: ...

    @overload
    def __getitem__(self, i: slice) -> list[Paper]: ...

    def __getitem__(self, i: int | slice) -> Paper | list[Paper]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self._at(self.positions[i])

    def __iter__(self) -> Iterator[Paper]:
        self._load([p for p in self.positions if p not in self.built])
        return (self._at(p) for p in self.positions)

    def of_rows(self, rows: Sequence[int]) -> list[Paper]:
        """The papers of these rows of the index (each at its first place), loaded at
        once: what a search found, without reading where every entry stands."""
        have = self.source.rows
        missing = [row for row in rows if have.place[row] not in self.built]
        records = self.source.records(missing)
        for row in missing:
            self.built[have.place[row]] = Paper.from_record(records[row], have.line[row])
        return [self.built[have.place[row]] for row in rows]

    def _load(self, places: Sequence[int]) -> None:
        layout = self.source.layout
        records = self.source.records([layout.ids[p] for p in places])
        for p in places:
            self.built[p] = Paper.from_record(records[layout.ids[p]], layout.lines[p])

    def _at(self, p: int) -> Paper:
        if p not in self.built:
            self._load([p])
        return self.built[p]


class Catalog:
    """The papers of one bib file in file order, read-only, backed by its index."""

    def __init__(
        self, path: Path, index: Index, derived: Derived, building: Building | None = None
    ) -> None:
        self.path = path
        self.index = index
        self.derived = derived
        self.building = building
        if index.encoding != "utf-8":
            from ke_papers import bibread

            bibread.note_encoding(path, index.encoding)

    @classmethod
    def open(cls, path: Path, derived: Derived, building: Building | None = None) -> Catalog:
        told = (lambda: building(path, "papers")) if building else None
        return cls(path, Index.open(path, building=told), derived, building)

    @functools.cached_property
    def papers(self) -> Papers:
        return Papers(self.index)

    @functools.cached_property
    def _keys(self) -> list[str]:
        return self.index.column("key")

    @property
    def warnings(self) -> list[str]:
        """What a reader should know: duplicate keys (the first entry of each is used), and
        @string macros used but not defined (their names stand in the text)."""
        import json

        said = [
            f"{display_path(self.path)}:{line}: duplicate key '{key}' (the first one is used)"
            for line, key in self.index.info["duplicate_keys"]
        ]
        sql = "SELECT id, undefined FROM entry WHERE undefined IS NOT NULL"
        rows = dict(self.index.conn.execute(sql))
        ids = self.index.layout.ids if rows else ()
        undefined = [json.loads(rows[row]) for row in ids if row in rows]
        if undefined:
            said.append(undefined_note(self.path, undefined))
        return said

    def __len__(self) -> int:
        return len(self.index)

    def __iter__(self) -> Iterator[Paper]:
        return iter(self.papers)

    def all_keys(self) -> list[str]:
        return self._keys

    def get(self, key: str) -> Paper | None:
        rows = [r for (r,) in self.index.conn.execute("SELECT id FROM entry WHERE key = ?", (key,))]
        if not rows:
            return None
        return self.papers[min(self.index.rows.place[r] for r in rows)]

    def find(self, key: str) -> Paper:
        paper = self.get(key)
        if paper is None:
            raise NotFound(f"no paper with key '{key}'{suggest_key(key, self.all_keys())}")
        return paper

    def arxiv_key(self, identifier: str) -> str | None:
        """The key of the paper with this arXiv ID (any version, or named by its arXiv DOI)."""
        from ke_papers import identity

        base = identity.arxiv_base(identifier).casefold()
        places = self.index.where("arxiv", base) if base else []
        return self._keys[places[0]] if places else None

    def tree(self) -> taxonomy.Section:
        """The section tree; its sections hold the positions of their papers."""
        return taxonomy.build_tree(zip(self.index.taxonomy(), range(len(self)), strict=True))

    def sections(self) -> taxonomy.Section:
        """The section tree without its papers: enough to find a section by its name."""
        paths = {id(path): path for path in self.index.taxonomy()}.values()
        root = taxonomy.build_tree((path, None) for path in paths)
        for section in root.walk():
            section.papers.clear()
        return root

    def select(self, section: tuple[str, ...] | None = None, since: int | None = None) -> list[int]:
        """Positions of the papers in a section (and below it) and from a year on."""
        from ke_papers.search import Filters, passing

        chosen = passing(self.index, Filters(category=section, since=since))
        return list(range(len(self))) if chosen is None else chosen

    def _told(self, what: str) -> Callable[[], contextlib.AbstractContextManager[Any]] | None:
        building = self.building
        return (lambda: building(self.path, what)) if building else None

    def search(self) -> Any:
        from ke_papers.search import Search

        return Search(self.index, self.papers, self.papers.of_rows)

    def chosen(self, positions: Sequence[int]) -> Sequence[Paper]:
        """The papers at `positions`, each built only when a renderer asks for it."""
        return Papers(self.index, positions)

    def column(self, name: str, positions: Sequence[int] | None = None) -> list[Any]:
        """A per-paper value (`taxonomy`, a derived one, or a column of the index such as
        `key`, `year`, `arxiv`), for the chosen positions."""
        values: list[Any]
        if name == "taxonomy":
            values = self.index.taxonomy()
        elif name in self.derived:
            values = self.index.derived(name, self.derived[name], self._told(name))
        else:
            values = self.index.column(name)
        return values if positions is None else [values[i] for i in positions]


def suggest_key(key: str, known: Sequence[str]) -> str:
    """` (did you mean ...?)` for the same key in another case or the closest keys, else
    nothing (`usecases.searching.key_hint` adds a search, where it finds papers)."""
    import difflib

    folded = key.casefold()
    close = [k for k in known if k.casefold() == folded]
    close = close or difflib.get_close_matches(key, known, n=3, cutoff=0.8)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def undefined_note(path: Path, undefined: Sequence[Sequence[str]]) -> str:
    """One line for the entries (each with the macro names it uses) whose @string macros
    the file does not define: defined in another file, BibTeX reads them with it."""
    found = list(dict.fromkeys(name for names in undefined for name in names))
    shown = ", ".join(found[:5]) + (f" and {len(found) - 5:,} more" if len(found) > 5 else "")
    entries = f"{len(undefined):,} entr{'y uses' if len(undefined) == 1 else 'ies use'}"
    return (
        f"{display_path(path)}: {entries} @string macros the file does not define ({shown}): "
        "their names stand in the text; cite keeps them as macros (ke-papers lint lists each)"
    )
