"""The project's documentation as the tests read it: README.md, then docs/README.md (the
index) and the pages it links, in its order. Tests that check a section ask for the text
here, so that a section can move between README and docs/ without a test knowing where."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import REPO

README = REPO / "README.md"
DOCS = REPO / "docs"
INDEX = DOCS / "README.md"


def doc_files() -> list[Path]:
    """README.md, the docs index, the pages the index links (in its order), then any other
    page of docs/ (a page the index forgets is still read, and test_readme says so)."""
    linked = re.findall(r"\]\(([\w.-]+\.md)(?:#[^)]*)?\)", INDEX.read_text(encoding="utf-8"))
    pages = [DOCS / name for name in dict.fromkeys(linked) if (DOCS / name).is_file()]
    rest = sorted(set(DOCS.glob("*.md")) - {INDEX, *pages})
    return [README, INDEX, *pages, *rest]


def text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def docs_text() -> str:
    """Every file of the documentation, one after the other."""
    return "\n".join(text_of(path) for path in doc_files())
