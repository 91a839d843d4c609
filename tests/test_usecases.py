"""The use cases called directly, as a program using ke-papers as a library would."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import DATA_BIB

from ke_papers import config, identity
from ke_papers.errors import KePapersError
from ke_papers.identity import ArxivId, parse_id
from ke_papers.model import Paper
from ke_papers.render.formats import FORMATS
from ke_papers.sources import Failure, Progress
from ke_papers.usecases import (
    adding,
    citing,
    exporting,
    formatting,
    importing,
    linting,
    searching,
    updating,
)
from ke_papers.usecases.reading import editing, open_catalog

SMALL = """@article{lee2022study,
  title         = {A Study of Things},
  author        = {Lee, Ann and Chen, Bo},
  journal       = {arXiv preprint arXiv:2212.09597},
  year          = {2022},
  eprint        = {2212.09597},
  archiveprefix = {arXiv},
  taxonomy      = {Methods > Locate}
}

@misc{kim2023other,
  title         = {Another Study},
  author        = {Kim, Cy},
  year          = {2023},
  doi           = {10.48550/arXiv.2301.00001},
  taxonomy      = {Analysis}
}
"""


@pytest.fixture
def small(tmp_path: Path) -> Path:
    bib = tmp_path / "small.bib"
    bib.write_text(SMALL, encoding="utf-8")
    return bib


class ListSource:
    """A source of IDs that answers from a dict: how a DOI resolver or DBLP would plug in."""

    known: ClassVar[dict[str, Paper]] = {}

    def __init__(self, ids: Sequence[ArxivId], use_cache: bool) -> None:
        self.ids = ids

    def papers(self, progress: Progress | None = None) -> Iterator[Paper | Failure]:
        for ident in self.ids:
            found = self.known.get(ident.base)
            yield found if found else Failure(str(ident), "not in this source")


def test_identity_sees_one_paper_through_every_spelling():
    same = {
        parse_id(text).base
        for text in (
            "2305.13172",
            "arXiv:2305.13172v2",
            "https://arxiv.org/pdf/2305.13172v1.pdf",
            "10.48550/arXiv.2305.13172",
            "https://doi.org/10.48550/ARXIV.2305.13172",
        )
    }
    assert same == {"2305.13172"}
    by_doi = Paper("a", "misc", {"title": "X", "doi": "https://doi.org/10.48550/arXiv.2305.13172"})
    by_id = Paper("b", "misc", {"title": "Y", "eprint": "2305.13172v3", "archiveprefix": "arXiv"})
    match = identity.Duplicates([by_id]).find(by_doi)
    assert match is not None and (match.paper.key, match.kind) == ("b", "arxiv")
    assert identity.normal_doi("DOI: 10.1000/ABC") == identity.normal_doi("10.1000/abc")


def test_add_takes_any_source_and_checks_duplicates_against_the_file(small: Path):
    from ke_papers.entries import new_entry

    fresh = new_entry("Brand New Thing", ["Ann Lee"], arxiv="2401.00002", year=2024)
    again = new_entry("A study of things!", ["Ann Lee"], arxiv="2401.00003", year=2024)
    ListSource.known = {"2401.00002": fresh, "2401.00003": again}
    request = adding.Request(
        ids=[parse_id("2401.00002"), parse_id("2401.00003"), parse_id("2301.00001")],
        category="Locate",
    )
    report = adding.add(small, request, source=ListSource)
    assert [p.key for p in report.added] == ["lee2024brand"]
    assert report.present == [("2301.00001", "kim2023other"), ("2401.00003", "lee2022study")]
    assert report.added[0].taxonomy == ["Methods", "Locate"]
    assert [p.key for p in open_catalog(small)] == ["lee2022study", "lee2024brand", "kim2023other"]
    with pytest.raises(KePapersError, match="1 of 1 IDs not found") as refused:
        missing = adding.Request(ids=[parse_id("2402.00001")], category="Analysis")
        adding.add(small, missing, source=ListSource)
    assert refused.value.notes == ["2402.00001: not in this source"]


def test_library_edits_keep_the_key_index(small: Path):
    with editing(small) as library:
        paper = Paper("", "misc", {"title": "Third", "year": "2024", "taxonomy": "Analysis"})
        library.add(paper)
        assert paper.key == "anonymous2024third" and library.get(paper.key) is paper
        library.remove("lee2022study")
        assert library.get("lee2022study") is None
        with pytest.raises(KePapersError, match="already taken"):
            library.add(Paper("kim2023other", "misc", {"title": "Clash"}))
    assert [p.key for p in open_catalog(small)] == ["kim2023other", "anonymous2024third"]


def test_update_plans_from_the_source_and_applies_only_when_asked(small: Path):
    from ke_papers.entries import new_entry

    ListSource.known = {
        "2212.09597": new_entry(
            "A Study of Things, Revised", ["Ann Lee", "Bo Chen"], arxiv="2212.09597"
        )
    }
    plan = updating.plan(small, ["lee2022study"], source=ListSource)
    assert [c.field for c in plan.changes["lee2022study"]] == ["title"]
    assert open_catalog(small).find("lee2022study").title == "A Study of Things"
    updating.apply(small, plan.changes)
    assert open_catalog(small).find("lee2022study").title == "A Study of Things, Revised"
    ListSource.known = {}
    assert updating.plan(small, source=ListSource).unknown == [
        ("lee2022study", "2212.09597"),
        ("kim2023other", "2301.00001"),  # its arXiv ID is its DOI's
    ]


def test_cite_selects_from_keys_query_category_and_documents(small: Path, tmp_path: Path):
    tex = tmp_path / "paper.tex"
    tex.write_text("\\citep{kim2023other,nobody2020x}", encoding="utf-8")
    catalog = open_catalog(small)
    chosen, missing = citing.select(catalog, citing.Wanted(tex=tex, category="Methods"))
    assert [catalog.papers[i].key for i in chosen] == ["kim2023other", "lee2022study"]
    assert [key for key, _ in missing] == ["nobody2020x"]
    with pytest.raises(KePapersError, match="name keys"):
        citing.select(catalog, citing.Wanted())
    done = citing.cite(small, FORMATS["key"], citing.Wanted(query="things"), command="citep")
    assert done.text == "\\citep{lee2022study}\n" and done.status == "printed"


def test_export_reports_what_became_of_the_file(small: Path, tmp_path: Path):
    out = tmp_path / "list.md"
    assert exporting.export(small, FORMATS["markdown"], output=out).status == "wrote"
    assert exporting.export(small, FORMATS["markdown"], output=out).status == "unchanged"
    assert exporting.export(small, FORMATS["markdown"], output=out, check=True).status == (
        "up to date"
    )
    text = exporting.export(small, FORMATS["csv"], category="Analysis").text
    assert text.splitlines()[1].startswith("kim2023other,Another Study")


def test_import_from_a_bib_file_keeps_keys_and_skips_what_is_there(small: Path, tmp_path: Path):
    other = tmp_path / "other.bib"
    other.write_text(
        "@string{acl = {Proceedings of ACL}}\n"
        "@inproceedings{new2021paper, title = {A New Paper}, author = {New, N.},"
        " booktitle = acl, year = 2021}\n"
        "@misc{dup, title = {Another study}, year = {2023}}\n",
        encoding="utf-8",
    )
    report = importing.import_file(config.BibChoice(small, "test"), other)
    assert [p.key for p in report.added] == ["new2021paper"] and report.skipped == 1
    assert open_catalog(small).find("new2021paper").get("booktitle") == "Proceedings of ACL"


def test_lint_and_fmt_as_calls(small: Path):
    before = small.read_bytes()
    assert formatting.reformat(small, check=True) is False
    findings = linting.run(small).findings
    assert {f.rule for f in findings} == {"key-style"} or findings == []
    small.write_text(SMALL.replace("  title         = {Another", "  title = {Another"), "utf-8")
    assert formatting.reformat(small, check=True) is True
    assert linting.run(small, fix=True).fixed == ["reformatted into canonical form"]
    assert small.read_bytes() == before


def test_search_returns_papers_and_suggestions():
    found = searching.search(DATA_BIB, searching.Query("rome", limit=1))
    assert [p.key for p in found.papers] == ["meng2022locating"]
    assert searching.search(DATA_BIB, searching.Query("lcoatingx")).suggestions


def test_a_dry_run_takes_no_lock_and_writes_nothing(small: Path):
    with editing(small, write=False) as library:
        for key in library.all_keys():
            library.remove(key)
        assert len(library) == 0
    assert small.read_text("utf-8") == SMALL
    assert not Path(str(small) + ".lock").exists()
