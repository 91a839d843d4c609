"""Bringing papers from another list into the library without overwriting anything."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from ke_papers.errors import KePapersError
from ke_papers.library import Library, arxiv_base, normal_title
from ke_papers.model import Paper
from ke_papers.sources import markdown

#: How alike two titles of one arXiv paper must be to count as the same title with a typo.
TYPO_RATIO = 0.9


@dataclass
class ImportReport:
    added: list[Paper] = field(default_factory=list)
    skipped: int = 0
    messages: list[tuple[int, str]] = field(default_factory=list)


def _already_there(library: Library, paper: Paper) -> Paper | None:
    """The same normalised title, or the same arXiv ID under a title that differs by a typo."""
    title = normal_title(paper.get("title"))
    base = arxiv_base(paper.arxiv)
    for other in library:
        other_title = normal_title(other.get("title"))
        if other_title == title:
            return other
        same_id = base and arxiv_base(other.arxiv) == base
        if same_id and difflib.SequenceMatcher(None, title, other_title).ratio() >= TYPO_RATIO:
            return other
    return None


def import_markdown(library: Library, text: str) -> ImportReport:
    """Add every entry of an awesome list; the same normalised title already there is skipped."""
    parsed = markdown.parse(text)
    if not parsed.papers:
        raise KePapersError("no paper entries found (bold title followed by [[label](url)] links)")
    report = ImportReport(messages=list(parsed.problems))
    for paper in parsed.papers:
        line = paper.line or 0
        same = _already_there(library, paper)
        if same is not None:
            report.skipped += 1
            report.messages.append(
                (line, f"'{paper.title}' is already in the list as {same.key}: skipped")
            )
            continue
        if paper.arxiv:
            base = arxiv_base(paper.arxiv)
            clash = next((p for p in library if arxiv_base(p.arxiv) == base), None)
            if clash is not None:
                report.messages.append(
                    (
                        line,
                        f"conflict: arXiv {base} is also the ID of "
                        f"{clash.key} ('{clash.title}'); imported all the "
                        "same, check the link",
                    )
                )
        paper.key = library.new_key(paper)
        library.add(paper)
        report.added.append(paper)
    report.messages.sort(key=lambda m: m[0])
    return report
