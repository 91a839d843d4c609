"""Lint findings for people (one line each), for programs (JSON), and for GitHub workflows."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from ke_papers import lint
from ke_papers.lint import Finding
from ke_papers.render.formats import to_json


def text(findings: Sequence[Finding], name: str) -> str:
    lines = []
    for f in findings:
        mark = "" if f.severity == "error" else " (warning)"
        lines.append(f"{name}:{f.line}: {f.key}: {f.rule}: {f.message}{mark}\n")
    return "".join(lines)


def as_json(findings: Sequence[Finding], name: str) -> str:
    rows = [{"file": name, **dataclasses.asdict(f)} for f in findings]
    return to_json(rows)


def github(findings: Sequence[Finding], name: str) -> str:
    return "".join(
        f"::{f.severity} file={name},line={f.line},title={f.rule}::{f.key}: {f.message}\n"
        for f in findings
    )


#: `lint --format NAME`: how findings are reported.
REPORTS: dict[str, Callable[[Sequence[Finding], str], str]] = {
    "text": text,
    "json": as_json,
    "github": github,
}


def rule_table(rules: Sequence[lint.Rule] | None = None) -> str:
    """`lint --rules`, and the rule table in docs/commands.md: id, severity and what each rule finds."""
    rows = [f"| `{r.id}` | {r.severity} | {r.summary} |\n" for r in rules or lint.RULES]
    return "| rule | severity | finds |\n|---|---|---|\n" + "".join(rows)
