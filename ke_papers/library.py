"""The papers of one bib file, in display order, and the edits commands make to them."""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Iterator
from pathlib import Path

from ke_papers import keys, store, taxonomy
from ke_papers.errors import NotFound
from ke_papers.latex import fold, to_text
from ke_papers.model import Paper

_VERSION = re.compile(r"v\d+$")


def normal_title(title: str) -> str:
    """A title reduced to lowercase letters and digits: how duplicates are recognised."""
    return re.sub(r"[^0-9a-z]+", "", fold(to_text(title)))


def arxiv_base(identifier: str) -> str:
    return _VERSION.sub("", identifier.strip())


class Library:
    """The papers in file order; `document` is the file they came from, if any."""

    def __init__(self, papers: list[Paper], document: store.Document | None = None) -> None:
        self.papers = papers
        self.document = document

    @classmethod
    def read(cls, path: Path) -> Library:
        doc = store.read(path)
        return cls(list(doc.papers), doc)

    def __len__(self) -> int:
        return len(self.papers)

    def __iter__(self) -> Iterator[Paper]:
        return iter(self.papers)

    @property
    def keys(self) -> set[str]:
        return {p.key for p in self.papers}

    def get(self, key: str) -> Paper | None:
        for paper in self.papers:
            if paper.key == key:
                return paper
        return None

    def find(self, key: str) -> Paper:
        paper = self.get(key)
        if paper is None:
            raise NotFound(f"no paper with key '{key}'{self.suggest(key)}")
        return paper

    def suggest(self, key: str) -> str:
        """` (did you mean ...?)` for the closest keys, or nothing."""
        close = difflib.get_close_matches(key, [p.key for p in self.papers], n=3, cutoff=0.8)
        return f" (did you mean {', '.join(close)}?)" if close else ""

    def tree(self) -> taxonomy.Section:
        return taxonomy.build(self.papers)

    def new_key(self, paper: Paper) -> str:
        return keys.unique(keys.base_key(paper.names, paper.year, paper.get("title")), self.keys)

    def by_arxiv(self, identifier: str) -> Paper | None:
        """The paper with this arXiv ID, whatever the version on either side."""
        base = arxiv_base(identifier).casefold()
        return next(
            (p for p in self.papers if p.arxiv and arxiv_base(p.arxiv).casefold() == base), None
        )

    def duplicate_of(self, paper: Paper) -> Paper | None:
        """The paper already here that is the same work: same arXiv ID, DOI or title."""
        same = self.by_arxiv(paper.arxiv) if paper.arxiv else None
        if same is not None:
            return same
        doi = paper.doi.casefold()
        title = normal_title(paper.get("title"))
        for other in self.papers:
            if doi and other.doi.casefold() == doi:
                return other
            if title and normal_title(other.get("title")) == title:
                return other
        return None

    def add(self, paper: Paper) -> int:
        """Insert at the end of the paper's section (or of its nearest ancestor's subtree)."""
        path = tuple(paper.taxonomy)
        index = len(self.papers)
        for depth in range(len(path), 0, -1):
            prefix = path[:depth]
            exact = depth == len(path)
            hits = [
                i
                for i, p in enumerate(self.papers)
                if taxonomy.belongs(p, prefix) and (not exact or len(p.taxonomy) == depth)
            ]
            if hits:
                index = hits[-1] + 1
                break
        self.papers.insert(index, paper)
        return index

    def replace(self, key: str, paper: Paper) -> None:
        old = self.find(key)
        paper.chunk = old.chunk
        self.papers[self.papers.index(old)] = paper

    def remove(self, key: str) -> Paper:
        paper = self.find(key)
        self.papers.remove(paper)
        return paper


@contextlib.contextmanager
def editing(path: Path, write: bool = True) -> Iterator[Library]:
    """Read `path` under its lock, let the caller edit, write back only if all went well.

    With `write=False` (a dry run) the edits are made and then dropped.
    """
    with store.locked(path):
        doc = store.read(path) if path.exists() else store.parse("", path)
        library = Library(list(doc.papers), doc)
        yield library
        if write:
            store.save(doc, library.papers, path)
