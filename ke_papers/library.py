"""The edit model: the entries of one bib file as a list that commands change.

A Library is opened by `edit`, under the file's lock, on the index of exactly the bytes
read under it: an entry is a place in the file until a command asks for its paper (its
record in the index), so a change to a big file reads only the entries it touches. When
the command is done, the changes become patches over the old bytes (`store`): an entry
removed, rewritten or put after another, and nothing else.
"""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import Iterator
from pathlib import Path

from ke_papers import files, keys, store, taxonomy
from ke_papers.bibtex import format_entry
from ke_papers.errors import BibError, KePapersError, NotFound
from ke_papers.identity import KINDS, Duplicates, Keys, Match
from ke_papers.index import Index
from ke_papers.model import Paper

#: An entry of the list: its place among the file's entries as read, or a paper written anew.
Item = int | Paper


class Library:
    """The entries in file order, with a key index and a duplicate finder kept up to date."""

    def __init__(self, path: Path, data: bytes, index: Index | None) -> None:
        self.path, self.data, self.index = path, data, index
        self.keys_at: list[str] = index.column("key") if index else []
        self.order: list[Item] = list(range(len(self.keys_at)))
        self._loaded: dict[int, Paper] = {}
        #: A paper that rewrites an entry in place: id(paper) -> the entry's place.
        self._replaces: dict[int, int] = {}
        self._by_key: dict[str, Item] = {}
        for i in range(len(self.keys_at) - 1, -1, -1):  # the first entry of a key is the one found
            self._by_key[self.keys_at[i]] = i
        self._sections: list[list[str]] | None = None
        self._added = Duplicates()

    def __len__(self) -> int:
        return len(self.order)

    def __iter__(self) -> Iterator[Paper]:
        return iter(self.papers)

    @property
    def papers(self) -> list[Paper]:
        """Every paper, in order (their records all loaded at once)."""
        if self.index is not None and len(self._loaded) < len(self.keys_at):
            wanted = [i for i in range(len(self.keys_at)) if i not in self._loaded]
            records = self.index.records([self.index.layout.ids[i] for i in wanted])
            for i in wanted:
                self._at(i, records[self.index.layout.ids[i]])
        return [self._paper(item) for item in self.order]

    def _at(self, i: int, record: str | None = None) -> Paper:
        paper = self._loaded.get(i)
        if paper is None:
            assert self.index is not None
            row = self.index.layout.ids[i]
            record = record or self.index.records([row])[row]
            paper = self._loaded[i] = Paper.from_record(record, self.index.layout.lines[i])
        return paper

    def _paper(self, item: Item) -> Paper:
        return self._at(item) if isinstance(item, int) else item

    def _key(self, item: Item) -> str:
        return self.keys_at[item] if isinstance(item, int) else item.key

    def _taxonomy(self, item: Item) -> list[str]:
        if not isinstance(item, int):
            return item.taxonomy
        if self._sections is None:
            assert self.index is not None
            self._sections = self.index.taxonomy()
        return self._sections[item]

    def all_keys(self) -> list[str]:
        return [self._key(item) for item in self.order]

    def get(self, key: str) -> Paper | None:
        item = self._by_key.get(key)
        return None if item is None else self._paper(item)

    def find(self, key: str) -> Paper:
        paper = self.get(key)
        if paper is None:
            from ke_papers.catalog import suggest_key

            raise NotFound(f"no paper with key '{key}'{suggest_key(key, self.all_keys())}")
        return paper

    def _place(self, key: str) -> int:
        """Where the entry `key` stands in `order` (an old entry by its number, a paper
        written anew by identity: two papers may be equal)."""
        item = self._by_key[key]
        if isinstance(item, int):
            return self.order.index(item)
        return next(k for k, x in enumerate(self.order) if x is item)

    def tree(self) -> taxonomy.Section:
        return taxonomy.build_tree((self._taxonomy(item), item) for item in self.order)

    @property
    def duplicates(self) -> Duplicates:
        """The duplicate finder over every paper (made when first asked for)."""
        return Duplicates(self.papers)

    def duplicate_of(self, paper: Paper) -> Match | None:
        """The paper already here that is the same work: same arXiv ID, DOI or title,
        looked up in the index's columns (no paper is loaded)."""
        ids = Keys.of(paper)
        for k, kind in enumerate(KINDS):
            value = ids[k]
            if not value:
                continue
            for i in self.index.where(kind, value) if self.index else []:
                if self._by_key.get(self.keys_at[i]) == i:
                    return Match(self._at(i), kind)
            added = self._added.by[kind].get(value)
            if added:
                return Match(added[0], kind)
        return None

    def new_key(self, paper: Paper) -> str:
        return keys.unique(keys.base_key(paper.names, paper.year, paper.get("title")), self._by_key)

    def add(self, paper: Paper) -> int:
        """Insert at the end of the paper's section (or of its nearest ancestor's subtree)."""
        path = [p.casefold() for p in paper.taxonomy]
        index = len(self.order)
        for depth in range(len(path), 0, -1):
            prefix = path[:depth]
            exact = depth == len(path)
            for k in range(len(self.order) - 1, -1, -1):  # the last one is wanted
                have = self._taxonomy(self.order[k])
                if (len(have) == depth if exact else len(have) >= depth) and [
                    p.casefold() for p in have[:depth]
                ] == prefix:
                    index = k + 1
                    break
            else:
                continue
            break
        self.insert(index, paper)
        return index

    def append(self, paper: Paper) -> None:
        self.insert(len(self.order), paper)

    def insert_after(self, key: str, paper: Paper) -> None:
        """Put `paper` right after the entry `key` (in its section: the caller sees to it)."""
        self.find(key)
        self.insert(self._place(key) + 1, paper)

    def insert(self, index: int, paper: Paper) -> None:
        """Insert with a key of its own (minted when it has none) and keep the indexes current."""
        if not paper.key:
            paper.key = self.new_key(paper)
        elif paper.key in self._by_key:
            raise KePapersError(f"key '{paper.key}' is already taken")
        self.order.insert(index, paper)
        self._by_key[paper.key] = paper
        self._added.add(paper)

    def replace(self, key: str, paper: Paper) -> None:
        """Put `paper` where the entry `key` stands (its bytes are rewritten)."""
        self.find(key)
        place = self._place(key)
        old = self.order[place]
        self._replaces[id(paper)] = old if isinstance(old, int) else self._replaces.get(id(old), -1)
        self.order[place] = paper
        del self._by_key[key]
        self._by_key[paper.key] = paper
        self._added.add(paper)

    def remove(self, key: str) -> Paper:
        paper = self.find(key)
        item = self.order.pop(self._place(key))
        del self._by_key[key]
        self._added.remove(paper)
        if not isinstance(item, int):
            self._replaces.pop(id(item), None)
        return paper

    # Writing

    def patches(self) -> list[store.Patch]:
        """The changes as patches over the old bytes, in order."""
        assert self.index is not None or not self.keys_at
        layout = self.index.layout if self.index else None
        found: list[store.Patch] = []
        kept: set[int] = set()
        anchor: int | None = None  # the last old entry kept (or rewritten) so far
        pending: list[Paper] = []  # new papers after it
        leading: list[Paper] = []  # new papers before any old entry kept

        def flush() -> None:
            if anchor is not None and pending:
                at = layout.ends[anchor]  # type: ignore[union-attr]
                found.extend(store.Patch(at, at, "\n\n" + format_entry(p), p) for p in pending)
            pending.clear()

        for item in self.order:
            old = item if isinstance(item, int) else self._replaces.get(id(item), -1)
            if old >= 0 and (anchor is None or old > anchor):
                if pending:
                    flush()
                if leading:
                    at = layout.starts[old]  # type: ignore[union-attr]
                    for p in leading:
                        found.append(store.Patch(at, at, format_entry(p), p))
                        found.append(store.Patch(at, at, "\n\n"))
                    leading = []
                anchor = old
                kept.add(old)
                if not isinstance(item, int):
                    start, end = layout.starts[old], layout.ends[old]  # type: ignore[union-attr]
                    found.append(store.Patch(start, end, format_entry(item), item))
            else:
                paper = self._paper(item)
                (pending if anchor is not None else leading).append(paper)
        flush()
        found += self._removals(kept)
        if leading:  # no old entry is kept: the new ones follow what is left
            found += self._appended(leading, found)
        return sorted(found, key=lambda p: (p.start, p.end > p.start))

    def _removals(self, kept: set[int]) -> list[store.Patch]:
        """An entry removed takes the space before it with it."""
        if self.index is None:
            return []
        layout = self.index.layout
        gone = [i for i in range(len(self.keys_at)) if i not in kept]
        return [store.Patch(layout.before[i], layout.ends[i], "") for i in gone]

    def _appended(self, papers: list[Paper], others: list[store.Patch]) -> list[store.Patch]:
        """New papers when no old entry is kept: after the text that is left, one blank
        line between, the space the file ended with replaced by one line end."""
        after = self.index.layout.ends[-1] if self.index and len(self.index) else 0
        encoding = self.index.encoding if self.index else "utf-8"
        at = after + len(self.data[after:].decode(encoding).rstrip().encode(encoding))
        left = at - sum(p.end - p.start for p in others)
        texts = [("\n\n" if left > 0 or k else "") + format_entry(p) for k, p in enumerate(papers)]
        out = [store.Patch(at, at, t, p) for t, p in zip(texts, papers, strict=True)]
        out[-1] = store.Patch(at, len(self.data), out[-1].text + "\n", papers[-1])
        return out

    def save(self) -> bool:
        """Write the changes back (checked); whether the file changed."""
        patches = self.patches()
        if not patches:
            return False
        spans = self._spans(patches)
        strings = self.index.strings(self.data) if self.index else ""
        encoding = self.index.encoding if self.index else "utf-8"
        store.check(
            self.path,
            self.data,
            encoding,
            patches,
            spans,
            strings,
            lambda: self._result_keys(patches),
            self.all_keys(),
        )
        return store.apply(self.path, self.data, encoding, patches)

    def _spans(self, patches: list[store.Patch]) -> list[store.Span]:
        """Every old entry a patch touches, and whether it may go (removed or rewritten)."""
        if self.index is None:
            return []
        layout = self.index.layout
        staying = {x for x in self.order if isinstance(x, int)}
        spans: dict[int, store.Span] = {}
        for patch in patches:
            i = bisect.bisect_right(layout.ends, patch.start)
            while i < len(layout.starts) and layout.starts[i] < patch.end:
                spans[i] = store.Span(layout.starts[i], layout.ends[i], i not in staying)
                i += 1
        return sorted(spans.values(), key=lambda s: s.start)

    def _result_keys(self, patches: list[store.Patch]) -> list[str]:
        """The keys of the entries the patched file holds, in order, worked out from
        the patches and the old entries' places alone."""
        starts: list[int] = []
        keys: list[str] = []
        if self.index is not None:
            layout = self.index.layout
            covered: set[int] = set()
            for p in patches:  # the old entries that start inside a patch
                first = bisect.bisect_left(layout.starts, p.start)
                covered.update(range(first, bisect.bisect_left(layout.starts, p.end, first)))
            kept = [i for i in range(len(self.keys_at)) if i not in covered]
            starts = [layout.starts[i] for i in kept]
            keys = [self.keys_at[i] for i in kept]
        for start, paper in reversed([(p.start, p.paper) for p in patches if p.paper]):
            at = bisect.bisect_left(starts, start)  # before an old entry at the same place
            starts.insert(at, start)
            keys.insert(at, paper.key)
        return keys


@contextlib.contextmanager
def edit(path: Path, write: bool = True) -> Iterator[Library]:
    """A library to change, written back (checked, atomically, under the lock) if all went well.

    The change is planned on the index of exactly the bytes read under the lock. With
    `write=False` (a dry run) no lock is taken, and the edits are made and then dropped.
    """
    with files.locked(path) if write else contextlib.nullcontext():
        data = files.read_bytes(path) if path.exists() else b""
        index = Index.open(path, data) if data else None
        if index is not None and index.info["duplicate_keys"]:
            line, key = index.info["duplicate_keys"][0]
            raise BibError(path, line, f"duplicate key '{key}'")
        library = Library(path, data, index)
        yield library
        if write:
            library.save()
