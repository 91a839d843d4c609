"""The papers of one bib file, in display order, and the edits commands make to them."""

from __future__ import annotations

import contextlib
import re
from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from ke_papers import cache, keys, store, taxonomy
from ke_papers.errors import NotFound
from ke_papers.latex import fold, to_text
from ke_papers.model import Paper

if TYPE_CHECKING:
    from ke_papers.search import Index

_VERSION = re.compile(r"v\d+$")


def normal_title(title: str) -> str:
    """A title reduced to lowercase letters and digits: how duplicates are recognised."""
    return re.sub(r"[^0-9a-z]+", "", fold(to_text(title)))


def arxiv_base(identifier: str) -> str:
    return _VERSION.sub("", identifier.strip())


class LazyPapers(Sequence[Paper]):
    """Papers from the parse cache, each built from its record only when first asked for."""

    def __init__(self, blob: bytes | memoryview, offsets: bytes) -> None:
        self.blob = blob
        self.offsets = array("q", offsets)
        self.built: dict[int, Paper] = {}

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @overload
    def __getitem__(self, i: int) -> Paper: ...

    @overload
    def __getitem__(self, i: slice) -> list[Paper]: ...

    def __getitem__(self, i: int | slice) -> Paper | list[Paper]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        paper = self.built.get(i)
        if paper is None:
            record = bytes(self.blob[self.offsets[i] : self.offsets[i + 1]]).decode("utf-8")
            paper = self.built[i] = Paper.from_record(record)
        return paper


def catalog_of(papers: Sequence[Paper]) -> dict[str, Any]:
    """What the parse cache keeps of a file, in parts that commands load separately.

    meta: keys and the columns filters need; records: each paper as JSON (memory-mapped);
    markdown: each entry ready for the list; index: the search index.
    """
    from ke_papers.latex import fold
    from ke_papers.render.markdown import entry_body
    from ke_papers.search import Index

    records = [p.record().encode("utf-8") for p in papers]
    offsets = array("q", [0])
    for record in records:
        offsets.append(offsets[-1] + len(record))
    return {
        "meta": {
            "keys": [p.key for p in papers],
            "years": [p.year or 0 for p in papers],
            "taxonomy": [p.taxonomy for p in papers],
            "folded_taxonomy": [fold(" / ".join(p.taxonomy)) for p in papers],
            "code": bytes(p.has_code for p in papers),
            "arxiv": [arxiv_base(p.arxiv).casefold() for p in papers],
            "doi": [p.doi.casefold() for p in papers],
            "title": [normal_title(p.get("title")) for p in papers],
            "offsets": offsets.tobytes(),
        },
        "records": b"".join(records),
        "markdown": [entry_body(p) for p in papers],
        "index": Index.build(papers),
    }


def _cached(path: Path) -> tuple[cache.Reader, bytes]:
    """The parse cache of a file; a miss parses it once and builds every part."""
    data = store.read_bytes(path)

    def build() -> dict[str, Any]:
        doc = store.parse(store.decode(data, path), path)
        return {**catalog_of(doc.papers), "document": store.encode(doc)}

    return cache.Reader(path, data, build), data


class Library:
    """The papers in file order; `document` is the parsed file when it can be written back.

    `originals` are the cache's columns for the document's papers, by position: they let
    duplicate checks skip re-deriving every paper's ID, DOI and title.
    """

    def __init__(
        self,
        papers: Sequence[Paper],
        document: store.Document | None = None,
        path: Path | None = None,
        reader: cache.Reader | None = None,
        originals: dict[str, Any] | None = None,
    ) -> None:
        self.papers = papers
        self.originals = originals
        self.document = document
        self.path = path or (document.path if document else None)
        self._reader = reader
        self._parts: dict[str, Any] = {}
        self._positions: dict[str, int] | None = None

    @classmethod
    def read(cls, path: Path) -> Library:
        """The papers of a bib file for reading, through the parse cache."""
        reader, _ = _cached(path)
        meta = reader.get("meta")
        return cls(LazyPapers(reader.get("records"), meta["offsets"]), path=path, reader=reader)

    def part(self, name: str) -> Any:
        """A part of the catalog: from the cache, or built from the papers in memory."""
        if self._reader is not None:
            return self._reader.get(name)
        if name not in self._parts:
            self._parts = catalog_of(self.papers)
        return self._parts[name]

    def index(self) -> Index:
        from ke_papers.search import Index

        return Index(self.part("index"), self.part("meta"), self.papers)

    def markdown_items(self, positions: Sequence[int] | None = None) -> list[tuple[list[str], str]]:
        """(taxonomy, entry body) pairs for the Markdown list, ready-made when cached."""
        chosen = range(len(self.papers)) if positions is None else positions
        if self._reader is None:
            from ke_papers.render.markdown import entry_body

            return [(self.papers[i].taxonomy, entry_body(self.papers[i])) for i in chosen]
        taxonomy, bodies = self.part("meta")["taxonomy"], self.part("markdown")
        return [(taxonomy[i], bodies[i]) for i in chosen]

    def select(self, section: tuple[str, ...] | None = None, since: int | None = None) -> list[int]:
        """Positions of the papers in a section (and below it) and from a year on."""
        from ke_papers.search import Filters, passing

        chosen = passing(self.part("meta"), Filters(category=section, since=since))
        return list(range(len(self.papers))) if chosen is None else chosen

    def __len__(self) -> int:
        return len(self.papers)

    def __iter__(self) -> Iterator[Paper]:
        return iter(self.papers)

    @property
    def keys(self) -> set[str]:
        return set(self.all_keys())

    def get(self, key: str) -> Paper | None:
        if self._reader is not None:
            if self._positions is None:
                keys = self.all_keys()
                self._positions = {k: i for i, k in reversed(list(enumerate(keys)))}
            i = self._positions.get(key)
            return None if i is None else self.papers[i]
        return next((p for p in self.papers if p.key == key), None)

    def find(self, key: str) -> Paper:
        paper = self.get(key)
        if paper is None:
            raise NotFound(f"no paper with key '{key}'{self.suggest(key)}")
        return paper

    def suggest(self, key: str) -> str:
        """` (did you mean ...?)` for the closest keys, or nothing."""
        import difflib

        close = difflib.get_close_matches(key, self.all_keys(), n=3, cutoff=0.8)
        return f" (did you mean {', '.join(close)}?)" if close else ""

    def all_keys(self) -> list[str]:
        if self._reader is not None:
            return self.part("meta")["keys"]
        return [p.key for p in self.papers]

    def tree(self) -> taxonomy.Section:
        """The section tree; its sections hold the positions of their papers."""
        if self._reader is not None:
            paths = self.part("meta")["taxonomy"]
        else:
            paths = [p.taxonomy for p in self.papers]
        return taxonomy.build_tree((path, i) for i, path in enumerate(paths))

    def new_key(self, paper: Paper) -> str:
        return keys.unique(keys.base_key(paper.names, paper.year, paper.get("title")), self.keys)

    def _column_hit(self, column: str, value: str) -> Paper | None:
        """The first paper whose cached `column` equals `value` (originals, else the meta)."""
        columns = self.originals or (self.part("meta") if self._reader is not None else None)
        if columns is None or not value:
            return None
        try:
            i = columns[column].index(value)
        except ValueError:
            return None
        return self.document.papers[i] if self.originals is not None else self.papers[i]

    def _fresh(self) -> Sequence[Paper]:
        """The papers the cached columns do not describe (all of them when there are none)."""
        if self.originals is not None:
            return [p for p in self.papers if p.chunk is None]
        return [] if self._reader is not None else self.papers

    def by_arxiv(self, identifier: str) -> Paper | None:
        """The paper with this arXiv ID, whatever the version on either side."""
        base = arxiv_base(identifier).casefold()
        hit = self._column_hit("arxiv", base)
        if hit is not None:
            return hit
        return next(
            (p for p in self._fresh() if p.arxiv and arxiv_base(p.arxiv).casefold() == base), None
        )

    def duplicate_of(self, paper: Paper) -> Paper | None:
        """The paper already here that is the same work: same arXiv ID, DOI or title."""
        same = self.by_arxiv(paper.arxiv) if paper.arxiv else None
        if same is not None:
            return same
        doi = paper.doi.casefold()
        title = normal_title(paper.get("title"))
        hit = self._column_hit("doi", doi) or self._column_hit("title", title)
        if hit is not None:
            return hit
        for other in self._fresh():
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

    The file is read through the parse cache (trusted only for these exact bytes).
    With `write=False` (a dry run) the edits are made and then dropped.
    """
    with store.locked(path):
        if path.exists():
            reader, data = _cached(path)
            doc = store.decoded(reader.get("document"), store.decode(data, path), path)
            library = Library(list(doc.papers), doc, originals=reader.get("meta"))
        else:
            doc = store.parse("", path)
            library = Library([], doc)
        yield library
        if write:
            store.save(doc, library.papers, path)
