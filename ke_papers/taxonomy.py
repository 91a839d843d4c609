"""The section tree: built from the papers' taxonomy paths, in order of first appearance.

The file's order is the display order, so the tree needs no file of its own: a
section exists while a paper is in it, and stands where its first paper stands.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ke_papers.errors import NotFound
from ke_papers.model import TAXONOMY_SEP, Paper

_WORDS = re.compile(r"\w+")


@dataclass
class Section:
    name: str
    path: tuple[str, ...]
    children: list[Section] = field(default_factory=list)
    papers: list[Any] = field(default_factory=list)

    @property
    def title(self) -> str:
        return TAXONOMY_SEP.join(self.path)

    def count(self) -> int:
        """Papers in this section and every section below it."""
        return len(self.papers) + sum(child.count() for child in self.children)

    def walk(self) -> Iterator[Section]:
        """This section and all below it, depth first, in display order."""
        yield self
        for child in self.children:
            yield from child.walk()


def build(papers: Iterable[Paper]) -> Section:
    """The tree of sections; papers with no taxonomy sit at the root."""
    return build_tree((paper.taxonomy, paper) for paper in papers)


def build_tree(items: Iterable[tuple[Sequence[str], Any]]) -> Section:
    """The tree of sections for (taxonomy, item) pairs; each item goes to its section."""
    root = Section(name="", path=())
    index: dict[tuple[str, ...], Section] = {(): root}
    # Papers of a section often share one taxonomy object: it is walked once.
    seen: dict[int, tuple[Sequence[str], Section]] = {}
    for taxonomy, paper in items:
        hit = seen.get(id(taxonomy))
        if hit is not None and hit[0] is taxonomy:
            hit[1].papers.append(paper)
            continue
        node = root
        for depth in range(1, len(taxonomy) + 1):
            path = tuple(taxonomy[:depth])
            child = index.get(path)
            if child is None:
                child = Section(name=path[-1], path=path)
                node.children.append(child)
                index[path] = child
            node = child
        node.papers.append(paper)
        seen[id(taxonomy)] = (taxonomy, node)
    return root


def split_path(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(">") if p.strip())


def belongs(paper: Paper, path: tuple[str, ...]) -> bool:
    """True when the paper is in the section or any section below it (names ignore case)."""
    if len(paper.taxonomy) < len(path):
        return False
    return all(a.casefold() == b.casefold() for a, b in zip(paper.taxonomy, path, strict=False))


def _same(part: str, name: str) -> bool:
    return part == name


def _prefix(part: str, name: str) -> bool:
    return name.startswith(part)


def _word(part: str, name: str) -> bool:
    """`edit` in `locate and edit`, `param` in `modify parameters`: the start of a word."""
    return any(word.startswith(part) for word in _WORDS.findall(name)) and bool(_WORDS.search(part))


def _tail_fits(path: tuple[str, ...], folded: tuple[str, ...], fits: Any) -> bool:
    """Whether the last names of `path` fit the query's names, one by one."""
    if len(path) < len(folded):
        return False
    return all(fits(q, p.casefold()) for q, p in zip(folded, path[-len(folded) :], strict=True))


def resolve(root: Section, query: str) -> tuple[str, ...]:
    """A section's path from its full path, any unambiguous name (ignoring case), or else
    the unambiguous start of a name (`Meta`) or of a word in it (`locate`)."""
    wanted = split_path(query)
    if not wanted:
        raise NotFound("empty section name")
    folded = tuple(w.casefold() for w in wanted)
    sections = list(root.walk())[1:]
    exact = [s for s in sections if tuple(p.casefold() for p in s.path) == folded]
    if exact:
        return exact[0].path
    for fits in (_same, _prefix, _word):
        tails = [s for s in sections if _tail_fits(s.path, folded, fits)]
        if len(tails) == 1:
            return tails[0].path
        if len(tails) > 1:
            options = ", ".join(f"'{s.title}'" for s in tails)
            raise NotFound(f"section '{query}' is ambiguous: it could be {options}")
    import difflib

    names = dict.fromkeys([s.name for s in sections] + [s.title for s in sections])
    close = difflib.get_close_matches(query, list(names), n=3, cutoff=0.5)
    if not close:
        tops = [s.name for s in root.children]
        raise NotFound(
            f"unknown section '{query}'; the top sections are {', '.join(map(repr, tops))} "
            "(ke-papers taxonomy shows them all)"
        )
    raise NotFound(f"unknown section '{query}' (did you mean {', '.join(map(repr, close))}?)")
