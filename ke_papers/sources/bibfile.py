"""Papers from another bib file: its entries, `@string`s expanded, written anew in this list."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

from ke_papers import bibread
from ke_papers.model import Paper
from ke_papers.sources import Failure, Progress


class BibSource:
    def __init__(self, text: str, path: Path) -> None:
        self.text = text
        self.path = path

    def papers(self, progress: Progress | None = None) -> Iterator[Paper | Failure]:
        for paper in bibread.parse(self.text, self.path).papers:
            # The other file's raw values may name its own @strings: keep the expanded values.
            yield dataclasses.replace(paper, raw={}, chunk=None)
