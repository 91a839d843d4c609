"""The read model: a bib file's papers as the parse cache keeps them, for commands that only read.

A catalog loads only the parts a command needs: `meta` (keys and the columns filters
and duplicate checks use), `records` (each paper as one marshal value, memory-mapped, built into a
Paper only when asked for), `index` (search), and whatever parts the layers above
derive from the papers (`derived`, e.g. the Markdown body of every entry).
"""

from __future__ import annotations

import contextlib
import functools
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, overload

from ke_papers import cache, identity, taxonomy
from ke_papers.errors import NotFound, display_path
from ke_papers.model import Paper

#: Parts the layers above derive from the papers, one value per paper, by name, cached
#: beside the parse.
Derived = Mapping[str, Callable[[Sequence[Paper]], list[Any]]]
#: Told (the file, and "papers" or a derived part's name) while the parse cache builds
#: something, which can take seconds for a big file: the command line shows it.
Building = Callable[[Path, str], contextlib.AbstractContextManager[Any]]


class _View(Sequence[Paper]):
    """A read-only sequence of papers, each fetched by `_at` only when asked for."""

    def _at(self, i: int) -> Paper:
        raise NotImplementedError

    @overload
    def __getitem__(self, i: int) -> Paper: ...

    @overload
    def __getitem__(self, i: slice) -> list[Paper]: ...

    def __getitem__(self, i: int | slice) -> Paper | list[Paper]:
        if isinstance(i, slice):
            return [self._at(j) for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._at(i)


class LazyPapers(_View):
    """Papers from the parse cache, each built from its record only when first asked for."""

    def __init__(self, blob: cache.Blob, offsets: bytes, lines: list[int]) -> None:
        self.blob = blob
        self.offsets = array("q", offsets)
        self.lines = lines
        self.built: dict[int, Paper] = {}

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def _at(self, i: int) -> Paper:
        paper = self.built.get(i)
        if paper is None:
            record = self.blob[self.offsets[i] : self.offsets[i + 1]]
            paper = self.built[i] = Paper.from_record(record, self.lines[i])
        return paper


class _Chosen(_View):
    def __init__(self, papers: Sequence[Paper], positions: Sequence[int]) -> None:
        self.papers = papers
        self.positions = positions

    def __len__(self) -> int:
        return len(self.positions)

    def _at(self, i: int) -> Paper:
        return self.papers[self.positions[i]]


def _reader(path: Path, derived: Derived, building: Building | None) -> cache.Reader:
    """The parse cache of a file; a miss builds every part, reusing the last build's
    parts for the pieces of the file it has seen (`parts.build`). A derived part is made
    when first asked for, from its own last version (`parts.derive`). `building` is told
    what is being built, while it is."""

    def working(what: str) -> contextlib.AbstractContextManager[Any]:
        return building(path, what) if building else contextlib.nullcontext()

    def build(data: bytes) -> dict[str, Any]:
        from ke_papers import parts  # only a cache miss parses

        with working("papers"):
            return parts.build(path, data)

    def deriving(name: str) -> Callable[[cache.Reader], Any]:
        def derive(reader: cache.Reader) -> Any:
            from ke_papers import parts

            with working(name):
                return parts.derive(reader, name, derived[name])

        return derive

    derive = {name: deriving(name) for name in derived}
    return cache.Reader(path, build, derive=derive, probe="meta")


class Catalog:
    """The papers of one bib file in file order, read-only, backed by the parse cache."""

    def __init__(self, path: Path, reader: cache.Reader) -> None:
        self.path = path
        self.reader = reader
        self.meta: dict[str, Any] = reader.get("meta")
        if self.meta["encoding"] != "utf-8":
            from ke_papers import store

            store.note_encoding(path, self.meta["encoding"])
        self._positions: dict[str, int] | None = None

    @functools.cached_property
    def papers(self) -> LazyPapers:
        """The papers, their records loaded when first asked for: a command that reads only
        the columns (`add` resolving a section, `info`) never loads them."""
        return LazyPapers(self.reader.get("records"), self.meta["offsets"], self.meta["lines"])

    @classmethod
    def open(cls, path: Path, derived: Derived, building: Building | None = None) -> Catalog:
        return cls(path, _reader(path, derived, building))

    @property
    def warnings(self) -> list[str]:
        """What a reader should know: duplicate keys (the first entry of each is used), and
        @string macros used but not defined (their names stand in the text)."""
        said = [
            f"{display_path(self.path)}:{line}: duplicate key '{key}' (the first one is used)"
            for line, key in self.meta["duplicate_keys"]
        ]
        undefined = [names for names in self.meta["undefined"] if names]
        if undefined:
            said.append(undefined_note(self.path, undefined))
        return said

    def part(self, name: str) -> Any:
        return self.reader.get(name)

    def __len__(self) -> int:
        return len(self.meta["keys"])

    def __iter__(self) -> Iterator[Paper]:
        return iter(self.papers)

    def all_keys(self) -> list[str]:
        return self.meta["keys"]

    def get(self, key: str) -> Paper | None:
        if self._positions is None:
            self._positions = {k: i for i, k in reversed(list(enumerate(self.all_keys())))}
        i = self._positions.get(key)
        return None if i is None else self.papers[i]

    def find(self, key: str) -> Paper:
        paper = self.get(key)
        if paper is None:
            raise NotFound(f"no paper with key '{key}'{suggest_key(key, self.all_keys())}")
        return paper

    def arxiv_key(self, identifier: str) -> str | None:
        """The key of the paper with this arXiv ID (any version, or named by its arXiv DOI),
        from the columns: no record is loaded."""
        base = identity.arxiv_base(identifier).casefold()
        try:
            return self.meta["keys"][self.meta["arxiv"].index(base)] if base else None
        except ValueError:
            return None

    def tree(self) -> taxonomy.Section:
        """The section tree; its sections hold the positions of their papers."""
        return taxonomy.build_tree((path, i) for i, path in enumerate(self.meta["taxonomy"]))

    def sections(self) -> taxonomy.Section:
        """The section tree without its papers: enough to find a section by its name, and
        made from the few distinct paths, not from every paper."""
        paths = {id(path): path for path in self.meta["taxonomy"]}.values()
        root = taxonomy.build_tree((path, None) for path in paths)
        for section in root.walk():
            section.papers.clear()
        return root

    def select(self, section: tuple[str, ...] | None = None, since: int | None = None) -> list[int]:
        """Positions of the papers in a section (and below it) and from a year on."""
        from ke_papers.search import Filters, passing

        chosen = passing(self.meta, Filters(category=section, since=since))
        return list(range(len(self))) if chosen is None else chosen

    def index(self) -> Any:
        from ke_papers.search import Index

        return Index(self.part("index"), self.meta, self.papers)

    def chosen(self, positions: Sequence[int]) -> Sequence[Paper]:
        """The papers at `positions`, each built only when a renderer asks for it."""
        return _Chosen(self.papers, positions)

    def column(self, name: str, positions: Sequence[int] | None = None) -> list[Any]:
        """A per-paper part (a `derived` one or a meta column), for the chosen positions."""
        values = self.meta[name] if name in self.meta else self.part(name)["values"]
        return list(values) if positions is None else [values[i] for i in positions]


def suggest_key(key: str, known: Sequence[str]) -> str:
    """` (did you mean ...?)` for the same key in another case or the closest keys; for
    a word that is no key at all, the search that would find it."""
    import difflib
    import shlex

    folded = key.casefold()
    close = [k for k in known if k.casefold() == folded]
    close = close or difflib.get_close_matches(key, known, n=3, cutoff=0.8)
    if close:
        return f" (did you mean {', '.join(close)}?)"
    return f" (to find papers by a word: ke-papers search {shlex.quote(key)})"


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
