"""The list as data: CSV rows and grouped JSON, for spreadsheets and other programs."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from ke_papers.model import TAXONOMY_SEP, Paper, format_links
from ke_papers.taxonomy import build

LINK_COLUMNS = ("paper", "code", "page", "demo", "video")
COLUMNS = (
    "key",
    "title",
    "authors",
    "year",
    "venue",
    "section",
    "arxiv",
    "doi",
    "keywords",
    *LINK_COLUMNS,
    "other_links",
)


def _cell(value: object) -> object:
    """A cell a spreadsheet shows as text: one starting like a formula gets a `'` first."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(papers: Sequence[Paper]) -> str:
    """One row per paper; the usual links have columns, any other goes to `other_links`.

    Data from outside (titles from arXiv, imported lists) is untrusted: no cell starts a
    formula (`=HYPERLINK(...)`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for paper in papers:
        columns = dict.fromkeys(LINK_COLUMNS, "")
        other = []
        for link in paper.links:
            if link.label in columns and not columns[link.label]:
                columns[link.label] = link.url
            else:
                other.append(link)
        writer.writerow(
            _cell(value)
            for value in [
                paper.key,
                paper.title,
                "; ".join(paper.authors),
                paper.year or "",
                paper.venue,
                TAXONOMY_SEP.join(paper.taxonomy),
                paper.arxiv,
                paper.doi,
                ", ".join(paper.keywords),
                *columns.values(),
                format_links(other),
            ]
        )
    return out.getvalue()


def grouped(papers: Sequence[Paper]) -> list[dict[str, Any]]:
    """Sections in display order, each with its own papers (the `list --json` objects)."""
    return [
        {"section": list(s.path), "papers": [p.as_dict() for p in s.papers]}
        for s in build(papers).walk()
        if s.papers
    ]
