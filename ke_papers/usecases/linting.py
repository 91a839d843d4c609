"""`lint`: the findings of every rule for the bib file, after the safe repairs when asked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ke_papers import lint, store
from ke_papers.usecases.exporting import readme_stale


@dataclass
class Linted:
    findings: list[lint.Finding]
    #: What `fix` repaired, one line each.
    fixed: list[str] = field(default_factory=list)


def run(path: Path, fix: bool = False, online: bool = False) -> Linted:
    """The findings of every rule; with `online`, also those only the world can tell
    (`usecases.checking`)."""
    fixed: list[str] = []
    if fix:
        with store.rewrite(path, lenient=True) as edit:
            edit.papers, fixed = lint.fix(edit.doc)
    readme = lint.readme_for(path)
    stale = readme_stale(readme, path) if readme is not None else None
    findings = lint.check_file(path, stale)
    if online:
        from ke_papers.usecases import checking

        findings = sorted(findings + checking.findings(path), key=lambda f: (f.line, f.rule))
    return Linted(findings, fixed)
