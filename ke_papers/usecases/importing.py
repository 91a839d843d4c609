"""`import`: papers from another list (an awesome list, a bib file) into this one.

Nothing already in the list is overwritten: the same paper (by the one duplicate
finder) is skipped and reported. A paper whose arXiv ID is taken under a title that is
not a typo of the other is imported all the same, with the conflict reported.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from ke_papers import files, identity, store
from ke_papers.config import BibChoice
from ke_papers.errors import KePapersError, display_path
from ke_papers.model import Paper
from ke_papers.sources import Failure, file_source
from ke_papers.usecases.reading import Target, editing, writable

#: How alike two titles of one arXiv paper must be to count as the same title with a typo.
TYPO_RATIO = 0.9


@dataclass
class Imported:
    target: Target
    added: list[Paper] = field(default_factory=list)
    skipped: int = 0
    #: (line in the imported file, message), in line order.
    messages: list[tuple[int, str]] = field(default_factory=list)


def _same_title(a: Paper, b: Paper) -> bool:
    ta, tb = identity.normal_title(a.get("title")), identity.normal_title(b.get("title"))
    return difflib.SequenceMatcher(None, ta, tb).ratio() >= TYPO_RATIO


def import_file(
    choice: BibChoice, source_file: Path, kind: str | None = None, dry_run: bool = False
) -> Imported:
    """Add every paper the file holds; `kind` names its format (else its suffix says)."""
    text = store.load_text(files.read_bytes(source_file))[0]  # a Windows-1252 export reads too
    source = file_source(source_file, text, kind)
    items = list(source.papers())
    if not any(isinstance(item, Paper) for item in items):
        raise KePapersError(
            f"{display_path(source_file)}: no paper entries found "
            "(bold title followed by [[label](url)] links)"
        )
    target = Target(choice.path) if dry_run else writable(choice)
    report = Imported(target=target)
    with editing(target.path, write=not dry_run) as library:
        for item in items:
            if isinstance(item, Failure):
                report.messages.append((item.line or 0, item.reason))
                continue
            line = item.line or 0
            matches = library.duplicates.matches(item)
            same = next(
                (m for m in matches if m.kind != "arxiv" or _same_title(item, m.paper)), None
            )
            if same is not None:
                report.skipped += 1
                report.messages.append(
                    (line, f"'{item.title}' is already in the list as {same.paper.key}: skipped")
                )
                continue
            if matches:
                clash = matches[0].paper
                report.messages.append(
                    (
                        line,
                        f"conflict: arXiv {identity.arxiv_base(item.arxiv)} is also the ID of "
                        f"{clash.key} ('{clash.title}'); imported all the same, check the link",
                    )
                )
            if item.key and library.get(item.key) is not None:
                item.key = ""
            library.add(item)
            report.added.append(item)
    report.messages.sort(key=lambda m: m[0])
    return report
