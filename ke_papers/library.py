"""The edit model: the papers of one bib file as a list that commands change, and its indexes.

A Library is opened by `edit`, inside a store transaction: the list it holds is the
list the transaction writes back. Every edit keeps the key index and the duplicate
finder current, so a batch of additions checks each new paper against the earlier ones.
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Iterator, Sequence
from pathlib import Path

from ke_papers import cache, files, keys, parts, store, taxonomy
from ke_papers.catalog import suggest_key
from ke_papers.errors import KePapersError, NotFound
from ke_papers.identity import KINDS, Duplicates, Keys, Match
from ke_papers.model import Paper

_key = operator.attrgetter("key")


class Library:
    """The papers in file order, with a key index and a duplicate finder kept up to date."""

    def __init__(self, papers: list[Paper], ids: Sequence[Sequence[str]] | None = None) -> None:
        """`ids`, when the parse cache knows them, are the identities of `papers`: for
        each kind (`KINDS`), a column of one value per paper."""
        self.papers = papers
        #: The papers the identity columns describe, in their order (edits change `papers`).
        self._read = list(papers) if ids is not None else []
        self._ids = ids
        self._added = Duplicates()
        # The first paper of a key is the one found: the later ones go in first.
        last_first = papers[::-1]
        self._by_key = dict(zip(map(_key, last_first), last_first, strict=True))
        self._duplicates: Duplicates | None = None

    def __len__(self) -> int:
        return len(self.papers)

    def __iter__(self) -> Iterator[Paper]:
        return iter(self.papers)

    def all_keys(self) -> list[str]:
        return [p.key for p in self.papers]

    def get(self, key: str) -> Paper | None:
        return self._by_key.get(key)

    def find(self, key: str) -> Paper:
        paper = self.get(key)
        if paper is None:
            raise NotFound(f"no paper with key '{key}'{suggest_key(key, self.all_keys())}")
        return paper

    def tree(self) -> taxonomy.Section:
        return taxonomy.build(self.papers)

    @property
    def duplicates(self) -> Duplicates:
        if self._duplicates is None:
            columns = self._ids or ((),) * len(KINDS)
            known = {id(p): Keys(*k) for p, *k in zip(self._read, *columns, strict=True)}
            ids = [known.get(id(p)) or Keys.of(p) for p in self.papers]
            self._duplicates = Duplicates(self.papers, ids)
        return self._duplicates

    def duplicate_of(self, paper: Paper) -> Match | None:
        """The paper already here that is the same work: same arXiv ID, DOI or title.

        With the identities the parse cache knows, a look down each column answers,
        and no index of every paper is built."""
        if self._duplicates is not None or self._ids is None:
            return self.duplicates.find(paper)
        ids = Keys.of(paper)
        for k, kind in enumerate(KINDS):
            value = ids[k]
            first = self._first_read(self._ids[k], value) if value else None
            if first is not None:
                return Match(first, kind)
            added = self._added.by[kind].get(value) if value else None
            if added:
                return Match(added[0], kind)
        return None

    def _first_read(self, column: Sequence[str], value: str) -> Paper | None:
        """The first paper read from the file, and still here, whose identity is `value`."""
        at = -1
        with contextlib.suppress(ValueError):
            while True:
                at = column.index(value, at + 1)
                if self._here(self._read[at]):
                    return self._read[at]
        return None

    def _here(self, paper: Paper) -> bool:
        return self._by_key.get(paper.key) is paper

    def new_key(self, paper: Paper) -> str:
        return keys.unique(keys.base_key(paper.names, paper.year, paper.get("title")), self._by_key)

    def add(self, paper: Paper) -> int:
        """Insert at the end of the paper's section (or of its nearest ancestor's subtree)."""
        path = tuple(paper.taxonomy)
        index = len(self.papers)
        for depth in range(len(path), 0, -1):
            prefix = path[:depth]
            exact = depth == len(path)
            last = next(
                (
                    i
                    for i in range(len(self.papers) - 1, -1, -1)  # the last one is wanted
                    if taxonomy.belongs(self.papers[i], prefix)
                    and (not exact or len(self.papers[i].taxonomy) == depth)
                ),
                None,
            )
            if last is not None:
                index = last + 1
                break
        self._insert(index, paper)
        return index

    def insert_after(self, key: str, paper: Paper) -> None:
        """Put `paper` right after the entry `key` (in its section: the caller sees to it)."""
        self._insert(self.papers.index(self.find(key)) + 1, paper)

    def _insert(self, index: int, paper: Paper) -> None:
        """Insert with a key of its own (minted when it has none) and keep the indexes current."""
        if not paper.key:
            paper.key = self.new_key(paper)
        elif paper.key in self._by_key:
            raise KePapersError(f"key '{paper.key}' is already taken")
        self.papers.insert(index, paper)
        self._by_key[paper.key] = paper
        self._added.add(paper)
        if self._duplicates is not None:
            self._duplicates.add(paper)

    def replace(self, key: str, paper: Paper) -> None:
        """Put `paper` where the entry `key` stands (same key: its bytes are rewritten)."""
        old = self.find(key)
        paper.chunk = old.chunk
        self.papers[self.papers.index(old)] = paper
        del self._by_key[key]
        self._by_key[paper.key] = paper
        self._added.add(paper)
        if self._duplicates is not None:
            self._duplicates.remove(old)
            self._duplicates.add(paper)

    def remove(self, key: str) -> Paper:
        paper = self.find(key)
        self.papers.remove(paper)
        del self._by_key[key]
        self._added.remove(paper)
        if self._duplicates is not None:
            self._duplicates.remove(paper)
        return paper


@contextlib.contextmanager
def edit(
    path: Path,
    write: bool = True,
    known: cache.Reader | None = None,
) -> Iterator[Library]:
    """A library to change, written back (checked, atomically, under the lock) if all went well.

    The write is planned from the file's bytes read under the lock: the parse cache of
    exactly those bytes places every block and parses only the entries the change reads
    (`parts.document`; `known`, a read's parse cache, serves when it holds those bytes).
    With `write=False` (a dry run) the edits are made and then dropped.
    """

    def load(target: Path) -> store.Document:
        return parts.document(target, files.read_bytes(target), known)

    # A big list's stand-ins live as long as the edit: the collector would walk them in vain.
    with parts.collector_paused(), store.transaction(path, write=write, load=load) as change:
        yield Library(change.papers, change.doc.ids)
