"""`import --markdown` reads the document, not its lines (issue 25): one made-up list per rule.

Each list is of our own making, written the ways real lists are (a contents heading over
the paper sections, HTML headings, papers in a table with resources in `<details>`, the
shapes of item 5). Each test imports it through the real CLI and checks every entry's
title, authors, year, venue, links and section, the summary's counts, and what stderr
names. `--resolve` runs against the local arXiv server and its recorded answers.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from conftest import DATA_BIB, REPO


def imported(run, tmp_path: Path, text: str, *options: str, code: int = 0):
    """Import `text` into a new bib; the CLI's result and the papers it wrote, as JSON."""
    md = tmp_path / "list.md"
    md.write_text(textwrap.dedent(text), encoding="utf-8")
    target = tmp_path / "out.bib"
    result = run("--bib", str(target), "import", "--markdown", str(md), *options, code=code)
    papers = run.json("--bib", str(target), "list", "--json") if target.exists() else []
    return result, papers


def summary(result) -> str:
    return result.stderr.splitlines()[-1].split(": ", 1)[1]


def named(result) -> list[str]:
    """What stderr says about lines of the list (`list.md:LINE: message`), without the path."""
    return [
        line.split("list.md:", 1)[1] for line in result.stderr.splitlines() if "list.md:" in line
    ]


def rows(papers: list[dict]) -> list[tuple]:
    return [
        (
            p["title"],
            p["authors"],
            p["year"],
            p["venue"],
            [(link["label"], link["url"]) for link in p["links"]],
            p["taxonomy"],
        )
        for p in papers
    ]


OMIT_IN_TOC = """\
# Awesome Memory Editing

[![Awesome](https://awesome.re/badge.svg)](https://awesome.re) [![Stars](https://img.shields.io/github/stars/x/y)](https://github.com/x/y)

🔥 **News:** 2024-05-01 We released our survey [Editing at Scale](https://arxiv.org/abs/2405.00011)!

## Table of Contents <!-- omit in toc -->
- [Locating](#locating)
  - [Causal Tracing](#causal-tracing)
- [Memory](#memory)

### Locating
#### Causal Tracing
- **Tracing Facts Through Layers** <br> *Ann Lee, Bo Chen*. ICLR 2024. [[paper](https://openreview.net/forum?id=t1)]
- **Where Knowledge Lives** <br> *Cy Dee et al.* NeurIPS'23 [[arXiv](https://arxiv.org/abs/2306.00002)] [[code](https://github.com/cd/where)]

### Memory
1. [Retrieval Patches for Editing](https://aclanthology.org/2023.emnlp-main.77/) - *Dan Eng, Eve Fry*, EMNLP'23 Findings
2. [Side Memories Scale](https://arxiv.org/abs/2405.00011) - *Flo Gee*, 2024
3. [Editing Big Models Fast](https://arxiv.org/abs/2301.01234) - Gil Ito, Hal Jo. ACL 2023.

## Contributors
- Gus Ho （何, [@gusho](https://github.com/gusho)）
- Ida Iv ([@idaiv](https://github.com/idaiv))
"""


def test_a_contents_heading_over_the_paper_sections(run, tmp_path: Path):
    """Structure by content: the list of #anchors is the table of contents; the heading
    it stands under hides nothing; the news paragraph and the maintainers are no papers."""
    result, papers = imported(run, tmp_path, OMIT_IN_TOC)
    assert summary(result) == (
        "5 read, 5 written, 0 already there, 0 incomplete, 0 lines skipped; "
        "links: 7 read, 6 imported, 1 merged, 0 resources, 0 left"
    )
    assert named(result) == []
    assert rows(papers) == [
        (
            "Tracing Facts Through Layers",
            ["Ann Lee", "Bo Chen"],
            2024,
            "ICLR 2024",
            [("paper", "https://openreview.net/forum?id=t1")],
            ["Locating", "Causal Tracing"],
        ),
        (
            "Where Knowledge Lives",
            ["Cy Dee", "et al."],
            2023,
            "NeurIPS 2023",
            [
                ("paper", "https://arxiv.org/abs/2306.00002"),
                ("code", "https://github.com/cd/where"),
            ],
            ["Locating", "Causal Tracing"],
        ),
        (
            "Retrieval Patches for Editing",
            ["Dan Eng", "Eve Fry"],
            2023,
            "EMNLP 2023 Findings",
            [("paper", "https://aclanthology.org/2023.emnlp-main.77/")],
            ["Memory"],
        ),
        (
            "Side Memories Scale",
            ["Flo Gee"],
            2024,
            None,
            [("paper", "https://arxiv.org/abs/2405.00011")],
            ["Memory"],
        ),
        (
            "Editing Big Models Fast",
            ["Gil Ito", "Hal Jo"],
            2023,
            "ACL 2023",
            [("paper", "https://arxiv.org/abs/2301.01234")],
            ["Memory"],
        ),
    ]


HTML_HEADINGS = """\
<h1 align="center">Knowledge Editing Reading List</h1>

<h2 id="technique">Technique</h2>

### <h3 id="locate">Locate <em>then</em> Edit</h3> <!-- the methods -->

+ **HalLoc** [Localizing Hallucinated Facts](https://openaccess.thecvf.com/content/CVPR2025/html/x.html) (June. 12, 2025, CVPR 2025)
+ [2022/08] **Inferring Edits From Feedback**. *Jessy Lin et al. ACL.* [[paper](https://aclanthology.org/2022.acl-long.1/)]
+ Probing H<sub>2</sub>O Facts &amp; More, _Liu et al._, **arXiv 2024**, [[Paper](https://arxiv.org/abs/2401.00077)]
+ 2023.11 [Editing in Context](https://arxiv.org/abs/2311.00123) (Kai Ma (MIT), Lia No (CMU))

<h2 id="evaluation">Evaluation</h2>

<details>
<summary>Benchmarks</summary>

- **Counterfactual Edits Bench** (Kim et al., 2023.10) [[pdf](https://example.org/bench.pdf)]
</details>
"""


def test_html_headings_and_the_shapes_of_item_5(run, tmp_path: Path):
    """HTML headings (with markup and comments) are sections; a `<summary>` groups; a bold
    acronym before the title link is a keyword; `(Mon. DD, YYYY, Venue)`; `[YYYY/MM]` and
    `YYYY.MM` prefixes; `*Name et al. VENUE.*`; `**arXiv 2024**` is a year; `<sub>` and
    entities; affiliations in parentheses."""
    result, papers = imported(run, tmp_path, HTML_HEADINGS, code=1)
    assert summary(result) == (
        "5 read, 5 written, 0 already there, 1 incomplete, 0 lines skipped; "
        "links: 5 read, 5 imported, 0 merged, 0 resources, 0 left"
    )
    assert named(result) == [
        "7: anonymous2025localizing: incomplete: no authors ('Localizing Hallucinated Facts')"
    ]
    locate = ["Technique", "Locate then Edit"]
    assert rows(papers) == [
        (
            "Localizing Hallucinated Facts",
            [],
            2025,
            "CVPR 2025",
            [("paper", "https://openaccess.thecvf.com/content/CVPR2025/html/x.html")],
            locate,
        ),
        (
            "Inferring Edits From Feedback",
            ["Jessy Lin", "et al."],
            2022,
            "ACL 2022",
            [("paper", "https://aclanthology.org/2022.acl-long.1/")],
            locate,
        ),
        (
            "Probing H2O Facts & More",
            ["Liu", "et al."],
            2024,
            None,
            [("paper", "https://arxiv.org/abs/2401.00077")],
            locate,
        ),
        (
            "Editing in Context",
            ["Kai Ma", "Lia No"],
            2023,
            None,
            [("paper", "https://arxiv.org/abs/2311.00123")],
            locate,
        ),
        (
            "Counterfactual Edits Bench",
            ["Kim", "et al."],
            2023,
            None,
            [("paper", "https://example.org/bench.pdf")],
            ["Evaluation", "Benchmarks"],
        ),
    ]
    assert papers[0]["keywords"] == ["HalLoc"]
    assert [p["key"] for p in papers][1:4] == [
        "lin2022inferring",
        "liu2024probing",
        "ma2023editing",
    ]


RESOURCES = """\
# LLM Evaluation Hub

## Papers

| Title | Venue | Date | Code |
|-------|-------|------|------|
| [Contamination in the Wild](https://arxiv.org/abs/2402.00101) | ACL 2024 | 2024-02 | [code](https://github.com/x/cw) |
| [Judging the Judges](https://openreview.net/forum?id=jj) | ICLR 2025 | 2024-10 | |

## Resources

<details>
<summary>Models</summary>

- [Tiny-Llama-Edit](https://huggingface.co/x/tiny) - A small model for edit tests
- [LiveBench](https://livebench.ai) - A Challenging, Contamination-Free LLM Benchmark
</details>

<details><summary>Courses</summary>
- [Editing 101](https://www.coursera.org/learn/editing) - A Course by Ann Lee, Bo Chen
</details>

### Datasets

| Category | Datasets |
| --- | --- |
| **Toxicity** | [ToxiSet](https://arxiv.org/abs/2009.22222), [Bias in Bios](https://arxiv.org/pdf/2402.00101.pdf) |
"""


def test_papers_in_a_table_and_resources_in_details(run, tmp_path: Path):
    """A model, a leaderboard, a course: resources, counted and not imported; a paper
    linked from a table of datasets is merged into its entry or named on stderr."""
    result, papers = imported(run, tmp_path, RESOURCES, code=1)
    assert summary(result) == (
        "2 read, 2 written, 0 already there, 2 incomplete, 0 lines skipped; "
        "links: 8 read, 3 imported, 1 merged, 3 resources, 1 left"
    )
    assert named(result)[-1] == (
        "27: 'ToxiSet' links a paper (https://arxiv.org/abs/2009.22222) "
        "in a table without a title column: left"
    )
    assert len(named(result)) == 3  # the two entries without authors, and ToxiSet
    assert rows(papers) == [
        (
            "Contamination in the Wild",
            [],
            2024,
            "ACL 2024",
            [("paper", "https://arxiv.org/abs/2402.00101"), ("code", "https://github.com/x/cw")],
            [],
        ),
        (
            "Judging the Judges",
            [],
            2025,  # the venue's year, not the preprint's date
            "ICLR 2025",
            [("paper", "https://openreview.net/forum?id=jj")],
            [],
        ),
    ]


def test_resources_imports_them_as_misc(run, tmp_path: Path):
    result, papers = imported(run, tmp_path, RESOURCES, "--resources", "--allow-incomplete")
    assert summary(result).endswith("links: 8 read, 6 imported, 1 merged, 0 resources, 1 left")
    misc = [p for p in papers if p["type"] == "misc"]
    assert [(p["title"], p["links"], p["taxonomy"]) for p in misc] == [
        (
            "Tiny-Llama-Edit",
            [{"label": "paper", "url": "https://huggingface.co/x/tiny"}],
            ["Resources", "Models"],
        ),
        (
            "LiveBench",
            [{"label": "paper", "url": "https://livebench.ai"}],
            ["Resources", "Models"],
        ),
        (
            "Editing 101",
            [{"label": "paper", "url": "https://www.coursera.org/learn/editing"}],
            ["Resources", "Courses"],
        ),
    ]
    assert all(p["authors"] == [] and p["year"] is None for p in misc)


def test_prose_is_never_a_paper_and_paper_links_in_it_are_named(run, tmp_path: Path):
    """A paragraph of text, a news item and a Citation section hold no entries; the paper
    links in them are merged when the list has the paper, else named with their line."""
    text = """\
    # Notes

    We keep this list since 2023; see [the survey](https://arxiv.org/abs/2301.00001) and
    [our tool](https://github.com/us/tool) for more.

    ## Papers

    - **A Survey of Surveys** <br> Ann Lee. [[paper](https://arxiv.org/abs/2301.00001)]
    - 2024-02 We added [a new paper](https://arxiv.org/abs/2402.00002) to the list.

    Also worth a look: [Unlisted Work](https://aclanthology.org/2024.acl-long.9/).

    ## How to cite

    - **Our Own Paper** [[paper](https://arxiv.org/abs/2403.00003)]
    """
    result, papers = imported(run, tmp_path, text, code=1)
    assert summary(result) == (
        "1 read, 1 written, 0 already there, 0 incomplete, 0 lines skipped; "
        "links: 5 read, 1 imported, 1 merged, 0 resources, 3 left"
    )
    assert named(result) == [
        "9: 'a new paper' links a paper (https://arxiv.org/abs/2402.00002) in a news item: left",
        "11: 'Unlisted Work' links a paper (https://aclanthology.org/2024.acl-long.9/) "
        "in a paragraph of text: left",
        "15: 'Our Own Paper' links a paper (https://arxiv.org/abs/2403.00003) "
        "in the How to cite section: left",
    ]
    assert rows(papers) == [
        (
            "A Survey of Surveys",
            ["Ann Lee"],
            2023,
            None,
            [("paper", "https://arxiv.org/abs/2301.00001")],
            [],
        )
    ]


def test_the_readme_imports_back_as_the_list(run, tmp_path: Path):
    """Round trip: this repository's README (introduction, the generated list, resources,
    the tool's section) into an empty bib gives exactly data/papers.bib's papers: keys,
    titles, authors, years, venues, sections and links."""
    target = tmp_path / "back.bib"
    result = run("--bib", str(target), "import", "--markdown", str(REPO / "README.md"), code=1)
    assert summary(result).startswith("45 read, 45 written, 0 already there, 1 incomplete")
    fields = ("key", "type", "title", "authors", "year", "venue", "taxonomy", "links", "arxiv")
    back = [{f: p[f] for f in fields} for p in run.json("--bib", str(target), "list", "--json")]
    data = [{f: p[f] for f in fields} for p in run.json("--bib", str(DATA_BIB), "list", "--json")]
    assert back == data
    left = [line for line in result.stderr.splitlines() if line.endswith(": left")]
    assert len(left) == 2 and all("in a table without a title column" in x for x in left)


def test_resolve_takes_title_authors_and_year_from_arxiv(run, arxiv_server, tmp_path: Path):
    """--resolve: one batched request; the list's venue, section and links kept; a title
    arXiv does not share is a likely wrong ID (the list's entry kept and reported)."""
    text = """\
    ## Papers
    ### Walks
    1. **Heat-bath random walks with Markov bases** (TMLR 2024) <br />
    Stanley et al.
    [[paper](https://arxiv.org/abs/1605.08386)] [[code](https://github.com/x/heat)]
    2. **A Survey of Information Concepts** <br />
    Ann Lee. [[paper](https://arxiv.org/abs/1707.08567)]
    3. **Not On arXiv Yet** <br />
    Bo Chen. [[paper](https://arxiv.org/abs/2401.09999)]
    """
    before, _ = imported(run, tmp_path, text, "--dry-run")
    assert arxiv_server.requests == []  # without --resolve, nothing goes to the network
    assert "resolved" not in summary(before)
    result, papers = imported(run, tmp_path, text, "--resolve")
    assert [q["id_list"] for q in arxiv_server.requests] == [["1605.08386,1707.08567,2401.09999"]]
    assert summary(result) == (
        "3 read, 3 written, 0 already there, 0 incomplete, 0 lines skipped, "
        "1 resolved on arXiv; links: 4 read, 4 imported, 0 merged, 0 resources, 0 left"
    )
    assert named(result) == [
        "6: 'A Survey of Information Concepts' links arXiv 1707.08567, which is 'Proceedings "
        "of Workshop AEW10: Concepts in Information Theory and Communications': likely a "
        "wrong ID in the list; kept the list's title and authors",
        "8: arXiv knows no paper 2401.09999: 'Not On arXiv Yet' kept as listed",
    ]
    assert rows(papers) == [
        (
            "Heat-bath random walks with Markov bases",
            ["Caprice Stanley", "Tobias Windisch"],
            2024,
            "TMLR 2024",
            [("paper", "https://arxiv.org/abs/1605.08386"), ("code", "https://github.com/x/heat")],
            ["Walks"],
        ),
        (
            "A Survey of Information Concepts",
            ["Ann Lee"],
            2017,
            None,
            [("paper", "https://arxiv.org/abs/1707.08567")],
            ["Walks"],
        ),
        (
            "Not On arXiv Yet",
            ["Bo Chen"],
            2024,
            None,
            [("paper", "https://arxiv.org/abs/2401.09999")],
            ["Walks"],
        ),
    ]
    report = json.loads(
        run(
            "--bib",
            str(tmp_path / "other.bib"),
            "import",
            str(tmp_path / "list.md"),
            "--resolve",
            "--json",
            "--dry-run",
        ).stdout
    )
    assert report["resolved"] == 1 and report["links"]["read"] == 4


def test_resolve_with_arxiv_down_is_one_line_and_writes_nothing(run, arxiv_server, tmp_path):
    arxiv_server.stop()
    md = tmp_path / "list.md"
    md.write_text(
        "## Papers\n- **Heat** <br> Ann Lee. [[paper](https://arxiv.org/abs/1605.08386)]\n"
    )
    target = tmp_path / "out.bib"
    result = run("--bib", str(target), "import", "--markdown", str(md), "--resolve", code=2)
    assert result.stderr.startswith("error: cannot reach arXiv at http://127.0.0.1:")
    assert result.stderr.count("\n") == 1 and not target.exists()


def test_a_venue_before_the_title_and_other_shapes(run, tmp_path: Path):
    """`[Venue] Title`, `**[Venue]** Title.`, a code venue before a linked title, a linked
    heading with `**Authors:**` below, `Title. Authors. Venue.`, a quoted entry, a table
    cell with a bold title and authors after `<br>`."""
    text = """\
    # Awesome Things

    ## Contents
    - [Survey](#survey)
    - [Methods](#methods)

    ## Survey
    - [NeurIPS 2023] Editing Large Models: A Survey [[paper](https://arxiv.org/abs/2310.00001)]
    - **[ICLR 2024]** Another Survey of Editing. [[Paper](https://openreview.net/forum?id=as)] [[Code](https://github.com/a/s)]
    - `EMNLP 2023` [Knowledge Editing Survey](https://aclanthology.org/2023.emnlp-main.5.pdf)

    ## Methods

    | Paper | Venue | Date |
    | --- | --- | --- |
    | **Fast Edits** <br> Ann Lee, Bo Chen | ICML | 2023 |

    ### [Editing Through Prompts](https://arxiv.org/abs/2307.02222)
    **Authors:** Cy Dee, Dan Eng
    **Venue:** AAAI 2024

    1. Memory Editing At Scale. Eve Fry, Flo Gee. TACL 2022. [pdf](https://aclanthology.org/2022.tacl-1.1.pdf)

    > - **Quoted Paper Title** (ACL 2021) <br> Gus Ho. [[paper](https://aclanthology.org/2021.acl-long.2/)]
    """
    result, papers = imported(run, tmp_path, text, code=1)
    assert summary(result) == (
        "7 read, 7 written, 0 already there, 4 incomplete, 0 lines skipped; "
        "links: 7 read, 7 imported, 0 merged, 0 resources, 0 left"
    )
    assert [line.split(": ", 1)[0] for line in named(result)] == ["8", "9", "10", "16"]
    assert rows(papers) == [
        (
            "Editing Large Models: A Survey",
            [],
            2023,
            "NeurIPS 2023",
            [("paper", "https://arxiv.org/abs/2310.00001")],
            ["Survey"],
        ),
        (
            "Another Survey of Editing",
            [],
            2024,
            "ICLR 2024",
            [("paper", "https://openreview.net/forum?id=as"), ("code", "https://github.com/a/s")],
            ["Survey"],
        ),
        (
            "Knowledge Editing Survey",
            [],
            2023,
            "EMNLP 2023",
            [("paper", "https://aclanthology.org/2023.emnlp-main.5.pdf")],
            ["Survey"],
        ),
        ("Fast Edits", ["Ann Lee", "Bo Chen"], 2023, "ICML 2023", [], ["Methods"]),
        (
            "Editing Through Prompts",
            ["Cy Dee", "Dan Eng"],
            2024,
            "AAAI 2024",
            [("paper", "https://arxiv.org/abs/2307.02222")],
            ["Methods"],
        ),
        (
            "Memory Editing At Scale",
            ["Eve Fry", "Flo Gee"],
            2022,
            "TACL 2022",
            [("paper", "https://aclanthology.org/2022.tacl-1.1.pdf")],
            ["Methods"],
        ),
        (
            "Quoted Paper Title",
            ["Gus Ho"],
            2021,
            "ACL 2021",
            [("paper", "https://aclanthology.org/2021.acl-long.2/")],
            ["Methods"],
        ),
    ]


def test_separators_emoji_html_links_and_a_paper_in_two_sections(run, tmp_path: Path):
    """Authors between ` - `, after emoji, in `(A, B)` before a venue; an `<a href>` title;
    a date heading is no section; a paper in two sections is one entry (the first's)."""
    text = """\
    # List

    ## Papers

    ### 2023

    - **Sparse Edits Work**, Ann Lee, Bo Chen, *ICML 2023* [[paper]](https://proceedings.mlr.press/v202/lee23a.html)
    1. **Dense Edits Fail** - Cy Dee, Dan Eng - [EMNLP 2023] - [[Paper](https://aclanthology.org/2023.emnlp-main.9/)]
    - 📄 [Edits in the Wild](https://arxiv.org/abs/2309.01234) **ACL 2024** 👥 Eve Fry, Flo Gee
    - <a href="https://arxiv.org/abs/2311.04321">Edits via HTML Links</a> (Gus Ho, Ida Iv), NAACL 2024
    - Editing as Search <br> Jo Kim, Lu Ma <br> [arXiv 2024](https://arxiv.org/abs/2402.05555)

    ### Unlearning
    - [Forget Me Not: Unlearning Facts](https://openreview.net/forum?id=fmn) (ICLR 2024)
      - Max Ode, Ned Po
    - [Sparse Edits Work](https://proceedings.mlr.press/v202/lee23a.html) (ICML 2023)
    """
    result, papers = imported(run, tmp_path, text)
    assert summary(result) == (
        "6 read, 6 written, 0 already there, 0 incomplete, 0 lines skipped, "
        "1 duplicates merged; links: 7 read, 6 imported, 1 merged, 0 resources, 0 left"
    )
    assert named(result) == ["16: 'Sparse Edits Work' is also on line 7: merged into one entry"]
    assert rows(papers) == [
        (
            "Sparse Edits Work",
            ["Ann Lee", "Bo Chen"],
            2023,
            "ICML 2023",
            [("paper", "https://proceedings.mlr.press/v202/lee23a.html")],
            [],
        ),
        (
            "Dense Edits Fail",
            ["Cy Dee", "Dan Eng"],
            2023,
            "EMNLP 2023",
            [("paper", "https://aclanthology.org/2023.emnlp-main.9/")],
            [],
        ),
        (
            "Edits in the Wild",
            ["Eve Fry", "Flo Gee"],
            2024,
            "ACL 2024",
            [("paper", "https://arxiv.org/abs/2309.01234")],
            [],
        ),
        (
            "Edits via HTML Links",
            ["Gus Ho", "Ida Iv"],
            2024,
            "NAACL 2024",
            [("paper", "https://arxiv.org/abs/2311.04321")],
            [],
        ),
        (
            "Editing as Search",
            ["Jo Kim", "Lu Ma"],
            2024,
            None,
            [("paper", "https://arxiv.org/abs/2402.05555")],
            [],
        ),
        (
            "Forget Me Not: Unlearning Facts",
            ["Max Ode", "Ned Po"],
            2024,
            "ICLR 2024",
            [("paper", "https://openreview.net/forum?id=fmn")],
            ["Unlearning"],
        ),
    ]
