"""`ke-papers lint`: every rule fires on its problem, and the real list is clean."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import DATA_BIB, REPO, seed_text
from documentation import docs_text

from ke_papers.lint import RULES

BAD = """@article{meng2022locating,
  title         = {Locating and Editing Factual Associations in {GPT}},
  author        = {Meng, Kevin},
  journal       = {arXiv preprint arXiv:2202.05262},
  year          = {2022},
  eprint        = {2202.05262v3},
  archiveprefix = {arXiv},
  taxonomy      = {Methods > Locate and edit}
}

@article{meng2022locating,
  title         = {Locating Again},
  author        = {Meng, Kevin},
  journal       = {J},
  year          = {2022},
  taxonomy      = {Methods > Locate and edit}
}

@inproceedings{other2021thing,
  title         = {Locating and editing factual associations in GPT},
  author        = {Other, Ann},
  year          = {2021},
  eprint        = {2202.05262},
  archiveprefix = {arXiv},
  venue         = {ICLR 2023},
  taxonomy      = {Methods > Locate and edt},
  links         = {code: javascript:alert(1); page: }
}

@misc{whatever,
  title         = {Third},
  author        = {Third, Tom},
  year          = {20x2},
  doi           = {10.1/x},
  eprint        = {not-an-id},
  taxonomy      = {Methods >  > Deep}
}

@misc{fourth2020fourth, title = {Fourth}, author = {Fourth, F.}, year = {2020}, doi = {10.1/X},
  url = {ftp://example.org/x}}

@misc{fourth2021fourth, title = {Fourth}, author = {Fourth, F.}, year = {2021}},
  note = {read as a comment}}

@misc{lee2023fifth, title = {Fifth Things, EMNLP 2023 Main Conference Paper},
  author = {Lee (2023), Ann and Chen et al., Bo and *Dee*, Cy}, year = {2023},
  venue = {EMNLP 2023}}

@book{old1066old, title = {Old}, author = {Old, O.}, year = {1066}, publisher = oldpress}

@inproceedings{ring2020a, title = {Ring A}, author = {Ring, A.}, crossref = {ring2020b}}

@proceedings{ring2020b, title = {Ring B}, year = {2020}, publisher = {P}, crossref = {ring2020a}}
"""


def lint(run, bib: Path, *args: str, code: int = 1):
    return run("--bib", str(bib), "lint", *args, code=code)


def test_every_rule_fires(run, tmp_path: Path):
    bib = tmp_path / "papers.bib"
    bib.write_text(BAD, encoding="utf-8")
    out = lint(run, bib).stdout.splitlines()
    rules = {line.split(": ")[2] for line in out}
    assert rules == {rule.id for rule in RULES if not rule.needs_readme}
    assert (
        f"{bib}:11: meng2022locating: duplicate-key: key 'meng2022locating' is already used above"
        in out
    )
    assert any(
        line.startswith(f"{bib}:19: other2021thing: missing-field: @inproceedings needs booktitle")
        for line in out
    )
    assert any(
        "taxonomy-typo: section 'Methods > Locate and edt' is used once" in line for line in out
    )
    assert any("whatever: key-style:" in line and line.endswith("(warning)") for line in out)
    assert any(
        line.endswith(
            "whatever: key-no-year: key has no year (a paper with no year: add it and re-key)"
        )
        for line in out
    )
    bad_authors = [line.split("bad-author: ")[1] for line in out if "bad-author" in line]
    assert [a.split("'")[1] for a in bad_authors] == [
        "Lee (2023), Ann",
        "Chen et al., Bo",
        "*Dee*, Cy",
    ]
    assert any(
        line.endswith(
            "lee2023fifth: title-venue: title ends with the venue 'EMNLP 2023' "
            "(the venue field holds it)"
        )
        for line in out
    )
    assert bib.read_text(encoding="utf-8") == BAD


def test_json_and_github_formats(run, tmp_path: Path):
    bib = tmp_path / "papers.bib"
    bib.write_text(BAD, encoding="utf-8")
    findings = json.loads(lint(run, bib, "--format", "json").stdout)
    assert {"file", "line", "key", "rule", "message", "severity"} <= set(findings[0])
    github = lint(run, bib, "--format", "github").stdout.splitlines()
    assert any(g.startswith(f"::error file={bib},line=11,title=duplicate-key::") for g in github)
    assert any(g.startswith("::warning ") and "key-style" in g for g in github)


def test_fix_repairs_only_what_is_safe(run, tmp_path: Path):
    bib = tmp_path / "papers.bib"
    bib.write_text(BAD, encoding="utf-8")
    result = lint(run, bib, "--fix")
    assert "fixed: meng2022locating: eprint 2202.05262v3 -> 2202.05262" in result.stderr
    assert "fixed: reformatted into canonical form" in result.stderr
    assert "not-canonical" not in result.stdout and "bad-url" in result.stdout
    text = bib.read_text(encoding="utf-8")
    assert "javascript:alert(1)" in text and text.count("\n@") == BAD.count("\n@")
    assert "2202.05262v3" not in text and text.count("eprint        = {2202.05262}") == 2
    lint(run, bib, "--fix")  # nothing left to fix: the same findings, no change
    assert bib.read_text(encoding="utf-8") == text


def test_seed_imported_as_is_shows_its_known_errors(run, tmp_path: Path):
    seed = tmp_path / "seed.md"
    seed.write_text(seed_text(), encoding="utf-8")
    bib = tmp_path / "asis.bib"
    run("--bib", str(bib), "import", "--markdown", str(seed), code=1)
    out = lint(run, bib).stdout
    assert "akyurek2022towards: duplicate-arxiv: same arXiv ID 2204.12785 as lee2022plug" in out
    assert "ilharcoediting: key-no-year: key has no year" in out
    assert "empty-url" not in out  # the import dropped the empty links, and said so


def test_shipped_list_is_clean_and_readme_check_runs_in_a_checkout(run, tmp_path: Path):
    result = lint(run, DATA_BIB, code=0)
    assert result.stdout == "" and "no findings" in result.stderr
    checkout = tmp_path / "checkout"
    (checkout / "data").mkdir(parents=True)
    (checkout / "data" / "papers.bib").write_bytes(DATA_BIB.read_bytes())
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    (checkout / "README.md").write_text(
        readme.replace(
            "[[paper](https://arxiv.org/abs/2202.05262)]", "[[paper](https://stale.example)]"
        ),
        encoding="utf-8",
    )
    out = lint(run, checkout / "data" / "papers.bib").stdout
    assert out.endswith(
        ": -: readme-stale: README's generated list is out of date "
        "(ke-papers export --markdown --readme README.md)\n"
    )


def test_unreadable_file_is_exit_2(run, tmp_path: Path):
    bib = tmp_path / "papers.bib"
    bib.write_text("@article{a, title={x}\n", encoding="utf-8")
    assert lint(run, bib, code=2).stderr.startswith(f"error: {bib}:1: cannot parse @article")


def test_readme_rule_table_is_the_rules_list(run):
    """The docs' table is what `lint --rules` prints: one row per rule in `RULES`, in order."""
    table = run("lint", "--rules").stdout
    assert table in docs_text()
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == [rule.id for rule in RULES]


def test_kept_findings_know_the_year(run, tmp_path: Path, monkeypatch):
    """Lint's findings are kept in the index until the file changes; the year a paper
    may not be past is next year, so findings kept last year are not this year's."""
    from ke_papers import lint

    bib = tmp_path / "x.bib"
    bib.write_text(
        "@misc{doe2028far,\n  title = {Far Ahead},\n  author = {Doe, Jane},\n"
        "  year = {2028},\n  howpublished = {arXiv}\n}\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(lint, "_year", lambda: 2026)
    assert "year '2028' is not a plausible year" in run("--bib", str(bib), "lint", code=None).stdout
    monkeypatch.setattr(lint, "_year", lambda: 2027)
    assert "plausible year" not in run("--bib", str(bib), "lint", code=None).stdout


def test_findings_are_kept_only_for_the_bytes_they_were_made_from(run, tmp_path: Path, monkeypatch):
    """The file changes between lint opening the index and reading the file for its
    findings: those findings are the new bytes', and are not kept as the old bytes'."""
    from ke_papers import index

    bib = tmp_path / "x.bib"
    entry = "@misc{{doe2020x,\n  title = {{T}},\n  author = {{Doe, Jane}},\n  year = {{{}}}\n}}\n"
    old, new = entry.format("1020"), entry.format("2020")  # an implausible year, then fixed
    bib.write_text(old, encoding="utf-8")
    opened = index.Index.cached

    def changed_meanwhile(self, name, make):
        bib.write_text(new, encoding="utf-8")
        return opened(self, name, make)

    monkeypatch.setattr(index.Index, "cached", changed_meanwhile)
    assert "plausible year" not in run("--bib", str(bib), "lint", code=None).stdout
    monkeypatch.setattr(index.Index, "cached", opened)
    bib.write_text(old, encoding="utf-8")
    assert "year '1020' is not a plausible year" in run("--bib", str(bib), "lint", code=None).stdout
