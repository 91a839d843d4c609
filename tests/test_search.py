"""`ke-papers search`: the paper people mean on top, filters, and outputs for pipes."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATA_BIB

from ke_papers import bibread


def keys(run, *args: str) -> list[str]:
    return run("--bib", str(DATA_BIB), "search", *args, "--keys").stdout.split()


@pytest.mark.parametrize(
    ("query", "top"),
    [
        ("rome", "meng2022locating"),
        ("memit", "meng2022mass"),
        ("serac", "mitchell2022memory"),
        ("mend", "mitchell2022fast"),
        ("knowledge neurons", "dai2022knowledge"),
        ("MEND", "mitchell2022fast"),
        ("grace", "hartvigsen2022aging"),
        ("t-patcher", "huang2023transformer"),
        ("github.com/kmeng01/rome", "meng2022locating"),
        ("locatng", "meng2022locating"),
        ("meng2022locating", "meng2022locating"),
    ],
)
def test_the_paper_people_mean_is_first(run, query: str, top: str):
    assert keys(run, *query.split())[0] == top


def test_whole_word_keyword_beats_substring_in_abstract(run, tmp_path: Path):
    bib = tmp_path / "p.bib"
    bib.write_text(
        "@misc{rec2020, title={Better Recommendation Systems}, abstract={We recommend"
        " recommendations.}, year={2020}}\n\n"
        "@misc{mitchell2022fast, title={Fast Model Editing at Scale}, keywords={MEND}, year={2022}}\n",
        encoding="utf-8",
    )
    assert run("--bib", str(bib), "search", "mend", "--keys").stdout.split() == [
        "mitchell2022fast",
        "rec2020",
    ]


def small_bib(tmp_path: Path) -> Path:
    bib = tmp_path / "small.bib"
    bib.write_text(
        "@misc{ribeiro2020beyond, title={Beyond Accuracy}, author={Ribeiro, Marco T{\\'u}lio},"
        " year={2020}, taxonomy={Testing}}\n\n"
        "@misc{doe2021graphs, title={Editing Graphs}, author={Doe, Jane}, year={2021},"
        " venue={EMNLP 2021 Findings}, taxonomy={Methods > Graphs}}\n\n"
        "@misc{roe2022locating, title={Locating Graph Facts}, author={Roe, Rick}, year={2022},"
        " venue={NAACL 2022}, taxonomy={Methods > Graphs > Deep}, links={code: https://x.org/c}}\n",
        encoding="utf-8",
    )
    return bib


def test_accents_typos_and_all_words_first(run, tmp_path: Path):
    bib = str(small_bib(tmp_path))
    assert run("--bib", bib, "search", "tulio", "--keys").stdout.split() == ["ribeiro2020beyond"]
    assert run("--bib", bib, "search", "TÚLIO", "--keys").stdout.split() == ["ribeiro2020beyond"]
    assert run("--bib", bib, "search", "lcoating", "--keys").stdout.split() == ["roe2022locating"]
    # short words get no typo tolerance
    run("--bib", bib, "search", "grapz", code=0)
    run("--bib", bib, "search", "edt", code=1)
    # when some papers match every word, only those are shown
    assert run("--bib", bib, "search", "graph", "locating", "--keys").stdout.split() == [
        "roe2022locating"
    ]
    assert run("--bib", bib, "search", "editing", "nowhereword", "--keys").stdout.split() == [
        "doe2021graphs"
    ]


def test_filters_alone_and_combined(run, tmp_path: Path):
    bib = str(small_bib(tmp_path))

    def found(*args: str) -> list[str]:
        return run("--bib", bib, "search", *args, "--keys").stdout.split()

    assert found("--year", "2021") == ["doe2021graphs"]
    assert found("--since", "2021") == ["doe2021graphs", "roe2022locating"]
    assert found("--until", "2021") == ["ribeiro2020beyond", "doe2021graphs"]
    assert found("--venue", "emnlp") == ["doe2021graphs"]
    assert found("--venue", "EMNLP 2021") == ["doe2021graphs"]
    assert found("--category", "graphs") == ["doe2021graphs", "roe2022locating"]
    assert found("-c", "Methods > Graphs > Deep") == ["roe2022locating"]
    assert found("--has-code") == ["roe2022locating"]
    assert found("--author", "tulio") == ["ribeiro2020beyond"]
    assert found("graphs", "--since", "2022") == ["roe2022locating"]
    assert found("--limit", "1") == ["ribeiro2020beyond"]
    result = run("--bib", bib, "search", "--venue", "ACL", code=1)
    assert result.stderr == "no paper passes the filters\n"
    result = run("--bib", bib, "search", "-c", "nowhere", code=2)
    assert "unknown section 'nowhere'" in result.stderr and "top sections are" in result.stderr


def test_real_list_filters(run):
    assert len(keys(run, "--venue", "EMNLP")) == 13
    assert keys(run, "--venue", "acl", "--year", "2022") == ["lee2022plug", "dai2022knowledge"]
    assert len(keys(run, "-c", "Preserve Parameters")) == 12
    assert len(keys(run, "--limit", "0")) == 45
    assert len(keys(run)) == 20


def test_no_match_suggests_and_exits_1(run):
    result = run("--bib", str(DATA_BIB), "search", "memitt", "--keys", code=0)
    assert result.stdout.split()[0] == "meng2022mass"
    result = run("--bib", str(DATA_BIB), "search", "meng2023locatingx", code=1)
    assert result.stdout == ""
    assert result.stderr.startswith("no paper matches 'meng2023locatingx' (did you mean:")
    assert "meng2022locating" in result.stderr


def test_json_keys_and_bibtex_outputs(run, tmp_path: Path):
    rows = run.json("--bib", str(DATA_BIB), "search", "rome", "--json")
    assert rows[0]["key"] == "meng2022locating" and rows[0]["score"] > rows[1]["score"]
    assert set(rows[0]) >= {
        "key",
        "title",
        "authors",
        "year",
        "venue",
        "taxonomy",
        "links",
        "arxiv",
        "doi",
        "keywords",
        "score",
    }
    text = run("--bib", str(DATA_BIB), "search", "rome", "--bibtex").stdout
    papers = bibread.parse(text, tmp_path / "out.bib").papers
    assert [p.key for p in papers] == ["meng2022locating", "hase2023does"]
    assert "taxonomy" not in papers[0].fields and "links" not in papers[0].fields


def test_piped_table_is_plain_and_uncut(run):
    out = run("--bib", str(DATA_BIB), "search", "backpack").stdout
    assert "\x1b[" not in out
    assert "Backpack Language Models" in out and "hewitt2023backpack" in out
    long = run("--bib", str(DATA_BIB), "search", "journey").stdout
    assert (
        "Journey to the Center of the Knowledge Neurons: Discoveries of Language-Independent "
        "Knowledge Neurons and Degenerate Knowledge Neurons"
    ) in long
