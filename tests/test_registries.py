"""A new output format or lint rule is one registry entry, and every command offers it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import DATA_BIB
from documentation import docs_text

from ke_papers import lint
from ke_papers.render import formats
from ke_papers.render.findings import rule_table


@pytest.fixture
def shout(monkeypatch: pytest.MonkeyPatch) -> None:
    toy = formats.Format(
        "shout",
        "titles in capitals",
        lambda out: "".join(p.title.upper() + "\n" for p in out.papers),
    )
    monkeypatch.setitem(formats.FORMATS, "shout", toy)


def test_a_toy_format_is_offered_by_every_command(run, shout):
    out = run("--bib", str(DATA_BIB), "search", "rome", "-n", "1", "--format", "shout").stdout
    assert out == "LOCATING AND EDITING FACTUAL ASSOCIATIONS IN GPT\n"
    assert (
        "MASS-EDITING MEMORY IN A TRANSFORMER"
        in run("--bib", str(DATA_BIB), "export", "--format", "shout").stdout
    )
    assert run("--bib", str(DATA_BIB), "cite", "meng2022mass", "-f", "shout").stdout == (
        "MASS-EDITING MEMORY IN A TRANSFORMER\n"
    )
    assert len(run("--bib", str(DATA_BIB), "list", "--format", "shout").stdout.splitlines()) == 45


def test_unknown_format_lists_the_registry(run, shout):
    result = run("--bib", str(DATA_BIB), "search", "rome", "--format", "nope", code=2)
    assert result.stderr.startswith("error: unknown format 'nope' for search; choose from ")
    assert "shout" in result.stderr and "bibtex" in result.stderr
    assert result.stderr.count("\n") == 1


def test_aliases_and_format_names_agree_and_conflicts_are_refused(run):
    for alias, name in (("--json", "json"), ("--keys", "keys"), ("--bibtex", "bibtex")):
        by_alias = run("--bib", str(DATA_BIB), "search", "memit", alias).stdout
        assert by_alias == run("--bib", str(DATA_BIB), "search", "memit", "-f", name).stdout
    result = run("--bib", str(DATA_BIB), "search", "memit", "--keys", "--json", code=2)
    assert "choose one output format" in result.stderr
    run("--bib", str(DATA_BIB), "export", "--csv", "--format", "json", code=2)


def test_a_toy_lint_rule_is_run_and_listed(run, monkeypatch, tmp_path: Path):
    def no_2022(ctx: lint.Context):
        for paper in ctx.doc.papers:
            if paper.year == 2022:
                yield paper.line or 1, paper.key, "a 2022 paper"

    toy = lint.Rule("toy-no-2022", "warning", "papers of 2022", no_2022)
    monkeypatch.setattr(lint, "RULES", [*lint.RULES, toy])
    bib = tmp_path / "papers.bib"
    bib.write_bytes(DATA_BIB.read_bytes())
    out = run("--bib", str(bib), "lint", code=1).stdout
    flagged = re.findall(r": (\w+): toy-no-2022: a 2022 paper \(warning\)", out)
    assert "meng2022locating" in flagged and "yao2023editing" not in flagged
    assert "`toy-no-2022` | warning | papers of 2022" in run("lint", "--rules").stdout


def test_readme_rule_table_is_the_registry():
    assert rule_table() in docs_text()
