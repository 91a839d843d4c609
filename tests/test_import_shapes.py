"""`import --markdown` reads the shapes awesome lists are written in, on made-up lists.

Each test imports a list of one shape (mixed with the variations people write) through
the real CLI and checks every entry: title, authors, year, venue, links and section,
and the summary line. No list here is copied from a real one.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from conftest import seed_text

VARIATIONS = """\
# Editing Things

## 🔔 News
- **2024-01 We released [a tool](https://example.org/tool).**

## 🔍 Contents
- [Papers](#papers)
- [Other Things](#other-things)

## 📜 Resources

### 🧠 Locate then Edit
1. **Editing Memories in Lattices**. (EMNLP2023) <br />
Ann Lee, Bo Chen, and Cy Dee.
[[paper](https://arxiv.org/abs/2301.00001v2)] [[code](https://github.com/x/lattice)]

2. **Finding Facts in Forests** <br />
Dana Fox and Eli Gray. [[pdf](https://arxiv.org/pdf/2302.00002.pdf)]
[![GitHub](https://img.shields.io/github/stars/x/forest)](https://github.com/x/forest)

3. **A Long Title That People Wrap
Over Two Lines** （AAAI 2024） <br />
Fay Hu, Gil Ito, Hal Jo. [[arXiv](https://arxiv.org/abs/2303.00003)]

#### Meta Methods
- **Learning to Edit Learners, EMNLP 2023 Main Conference Paper**. [[Paper](https://aclanthology.org/2023.emnlp-main.1/)]
  Ivy Kim, Jon Lu.
- **Editing by Gradient Tricks** (Findings of EMNLP 2023) <br />
  Kai Ma. [[abs](https://arxiv.org/abs/2304.00004)] [[page](https://example.org/page)]

### Analysis
* **Do Edits Last?** (Neurips 2021) <br /> Lia No, Max Ode.<br /> [[paper](https://openreview.net/forum?id=abc)]

## Citation
```bibtex
@article{us2024, title={Ours}}
```
- **Cite Us** [[paper](https://arxiv.org/abs/2401.99999)]

## Contributing
- **Please** send a [pull request](https://github.com/x/y/pulls).

## Table of Contents
1. **[Locate then Edit Papers](https://example.org/toc)** (2024)

## ⭐ Star History
- **[Star History of This List](https://star-history.com/#x/y)**, 2024

## Acknowledgements
- **Thanks** to [Some One](https://example.org/someone) for the list of 2023 papers.
"""


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


def links(paper: dict) -> list[tuple[str, str]]:
    return [(link["label"], link["url"]) for link in paper["links"]]


def test_seed_shape_with_every_variation(run, tmp_path: Path):
    result, papers = imported(run, tmp_path, VARIATIONS, code=1)
    assert summary(result) == (
        "6 read, 6 written, 0 already there, 0 incomplete, 0 lines skipped"
        "; links: 11 read, 9 imported, 0 merged, 1 resources, 1 left"
    )
    # The paper linked under Citation is no entry, but it is named; the list's own
    # contents-like link (`Locate then Edit Papers`) is a resource: counted, not imported.
    assert "list.md:38: 'Cite Us' links a paper (https://arxiv.org/abs/2401.99999) in the " in (
        result.stderr
    )
    assert result.stderr.count("list.md:") == 1
    got = [
        (p["title"], p["authors"], p["year"], p["venue"], links(p), p["taxonomy"]) for p in papers
    ]
    assert got == [
        (
            "Editing Memories in Lattices",
            ["Ann Lee", "Bo Chen", "Cy Dee"],
            2023,
            "EMNLP 2023",
            [
                ("paper", "https://arxiv.org/abs/2301.00001v2"),
                ("code", "https://github.com/x/lattice"),
            ],
            ["Locate then Edit"],
        ),
        (
            "Finding Facts in Forests",
            ["Dana Fox", "Eli Gray"],
            2023,
            None,
            [
                ("paper", "https://arxiv.org/pdf/2302.00002.pdf"),
                ("code", "https://github.com/x/forest"),
            ],
            ["Locate then Edit"],
        ),
        (
            "A Long Title That People Wrap Over Two Lines",
            ["Fay Hu", "Gil Ito", "Hal Jo"],
            2024,
            "AAAI 2024",
            [("paper", "https://arxiv.org/abs/2303.00003")],
            ["Locate then Edit"],
        ),
        (
            "Learning to Edit Learners",
            ["Ivy Kim", "Jon Lu"],
            2023,
            "EMNLP 2023",
            [("paper", "https://aclanthology.org/2023.emnlp-main.1/")],
            ["Locate then Edit", "Meta Methods"],
        ),
        (
            "Editing by Gradient Tricks",
            ["Kai Ma"],
            2023,
            "EMNLP 2023 Findings",
            [("paper", "https://arxiv.org/abs/2304.00004"), ("page", "https://example.org/page")],
            ["Locate then Edit", "Meta Methods"],
        ),
        (
            "Do Edits Last?",
            ["Lia No", "Max Ode"],
            2021,
            "NeurIPS 2021",
            [("paper", "https://openreview.net/forum?id=abc")],
            ["Analysis"],
        ),
    ]
    arxiv = [p["arxiv"] for p in papers]
    assert arxiv == ["2301.00001", "2302.00002", "2303.00003", None, "2304.00004", None]
    assert lint_rules(run, tmp_path / "out.bib") == set()  # nothing a bad import leaves


def test_blank_line_between_title_and_italic_authors(run, tmp_path: Path):
    result, papers = imported(
        run,
        tmp_path,
        """\
        ## Papers

        1. **A Study of Things.**

           *Ann Lee, Bo Chen.* [[abs](https://arxiv.org/abs/2212.09597)], 2022.12

        2. **Another Study of Stuff**

           *Cy Dee, Dan Eng, Eve Fry.* [[pdf](https://arxiv.org/pdf/2105.01234v3)] [[code](https://github.com/c/d)], 2021.05

        3. **A Third Look**

           *Flo Gee.* [[paper](https://example.org/third.pdf)], 2020.11
        """,
    )
    assert summary(result) == (
        "3 read, 3 written, 0 already there, 0 incomplete, 0 lines skipped"
        "; links: 4 read, 4 imported, 0 merged, 0 resources, 0 left"
    )
    assert [(p["title"], p["authors"], p["year"], p["arxiv"]) for p in papers] == [
        ("A Study of Things", ["Ann Lee", "Bo Chen"], 2022, "2212.09597"),
        ("Another Study of Stuff", ["Cy Dee", "Dan Eng", "Eve Fry"], 2021, "2105.01234"),
        ("A Third Look", ["Flo Gee"], 2020, None),
    ]
    assert links(papers[1])[1] == ("code", "https://github.com/c/d")
    assert links(papers[2]) == [("paper", "https://example.org/third.pdf")]
    assert all(p["taxonomy"] == [] and p["venue"] is None for p in papers)
    assert [links(p) for p in papers] == [
        [("paper", "https://arxiv.org/abs/2212.09597")],
        [("paper", "https://arxiv.org/pdf/2105.01234v3"), ("code", "https://github.com/c/d")],
        [("paper", "https://example.org/third.pdf")],
    ]


def test_authors_before_the_title(run, tmp_path: Path):
    result, papers = imported(
        run,
        tmp_path,
        """\
        # Things

        ## Paper List

        ### Methods

        - Ann Lee, Bo Chen.<br />
        **A Study of Things**. (ACL 2022)[[paper](https://aclanthology.org/2022.acl-long.1/)] [[code](https://github.com/a/things)]
        - Cy Dee, Dan Eng. <br />**Stuff and More Stuff**. (ICLR 2023)[[paper](https://openreview.net/forum?id=xyz)]

        ### Surveys

        - Eve Fry.<br />
        **Everything About Things**. [[paper](https://arxiv.org/abs/2310.01234)]
        """,
    )
    assert summary(result) == (
        "3 read, 3 written, 0 already there, 0 incomplete, 0 lines skipped"
        "; links: 4 read, 4 imported, 0 merged, 0 resources, 0 left"
    )
    got = [(p["title"], p["authors"], p["year"], p["venue"], p["taxonomy"]) for p in papers]
    assert got == [
        ("A Study of Things", ["Ann Lee", "Bo Chen"], 2022, "ACL 2022", ["Methods"]),
        ("Stuff and More Stuff", ["Cy Dee", "Dan Eng"], 2023, "ICLR 2023", ["Methods"]),
        ("Everything About Things", ["Eve Fry"], 2023, None, ["Surveys"]),
    ]
    assert links(papers[0]) == [
        ("paper", "https://aclanthology.org/2022.acl-long.1/"),
        ("code", "https://github.com/a/things"),
    ]
    assert [links(p) for p in papers] == [
        [
            ("paper", "https://aclanthology.org/2022.acl-long.1/"),
            ("code", "https://github.com/a/things"),
        ],
        [("paper", "https://openreview.net/forum?id=xyz")],
        [("paper", "https://arxiv.org/abs/2310.01234")],
    ]


def test_plain_title_underscored_authors_bold_venue(run, tmp_path: Path):
    result, papers = imported(
        run,
        tmp_path,
        """\
        ## Papers
        1. A Study of Things, _Lee et al._, **NAACL 2022**. [[Paper](https://aclanthology.org/2022.naacl-main.7/)]
        2. Stuff: Why It Matters, _Ann Lee, Bo Chen and Cy Dee_, **ICML 2021**. [[Paper](https://arxiv.org/abs/2106.00001)] [[Code](https://github.com/s/s)]
        3. More on Things, *Dan Eng*, **Acl2020**. [[paper](https://aclanthology.org/2020.acl-main.3/)]
        """,
    )
    assert summary(result) == (
        "3 read, 3 written, 0 already there, 0 incomplete, 0 lines skipped"
        "; links: 4 read, 4 imported, 0 merged, 0 resources, 0 left"
    )
    assert [(p["title"], p["authors"], p["year"], p["venue"]) for p in papers] == [
        ("A Study of Things", ["Lee", "et al."], 2022, "NAACL 2022"),
        ("Stuff: Why It Matters", ["Ann Lee", "Bo Chen", "Cy Dee"], 2021, "ICML 2021"),
        ("More on Things", ["Dan Eng"], 2020, "ACL 2020"),
    ]
    assert links(papers[1]) == [
        ("paper", "https://arxiv.org/abs/2106.00001"),
        ("code", "https://github.com/s/s"),
    ]
    text = (tmp_path / "out.bib").read_text(encoding="utf-8")
    assert "author        = {Lee and others}," in text
    assert [links(p) for p in papers] == [
        [("paper", "https://aclanthology.org/2022.naacl-main.7/")],
        [("paper", "https://arxiv.org/abs/2106.00001"), ("code", "https://github.com/s/s")],
        [("paper", "https://aclanthology.org/2020.acl-main.3/")],
    ]


def test_venue_as_the_link_label(run, tmp_path: Path):
    result, papers = imported(
        run,
        tmp_path,
        """\
        ## Papers
        ### Editing
        * **A Study of Things** [[ACL 2023]](https://aclanthology.org/2023.acl-long.9/) [[code]](https://github.com/a/b)
        * **Stuff at Scale** [[arXiv 2024]](https://arxiv.org/abs/2402.01234) [[project]](https://example.org/s)
        * **Old Things** [[NeurIPS'21]](https://proceedings.neurips.cc/paper/2021/x)
        """,
        code=1,
    )
    assert summary(result) == (
        "3 read, 3 written, 0 already there, 3 incomplete, 0 lines skipped"
        "; links: 5 read, 5 imported, 0 merged, 0 resources, 0 left"
    )
    assert [(p["title"], p["year"], p["venue"], links(p)) for p in papers] == [
        (
            "A Study of Things",
            2023,
            "ACL 2023",
            [
                ("paper", "https://aclanthology.org/2023.acl-long.9/"),
                ("code", "https://github.com/a/b"),
            ],
        ),
        (
            "Stuff at Scale",
            2024,
            None,
            [("paper", "https://arxiv.org/abs/2402.01234"), ("project", "https://example.org/s")],
        ),
        (
            "Old Things",
            2021,
            "NeurIPS 2021",
            [("paper", "https://proceedings.neurips.cc/paper/2021/x")],
        ),
    ]
    assert all(p["authors"] == [] and p["taxonomy"] == ["Editing"] for p in papers)
    assert "list.md:3: " in result.stderr and "incomplete: no authors ('A Study" in result.stderr


def test_link_items_with_indented_details(run, tmp_path: Path):
    result, papers = imported(
        run,
        tmp_path,
        """\
        # A List

        - [Overview](#overview)

        ## Overview

        - [A Study of Things](https://arxiv.org/abs/2305.01234)
          - Ann Lee, Bo Chen
          - EMNLP2023
          - This paper studies things, and why they matter.
        - [Stuff in Depth](https://arxiv.org/pdf/2306.04321v2)
          - Authors: Cy Dee, Dan Eng
          - Venue: Findings of ACL 2024
          - Summary: A method, a benchmark (2019), and more.

        ## Tools
        - [Thing Kit](https://github.com/t/kit): a toolkit for things.
        """,
    )
    # A repository alone is a resource: counted, not imported, not an unread line.
    assert summary(result) == (
        "2 read, 2 written, 0 already there, 0 incomplete, 0 lines skipped"
        "; links: 3 read, 2 imported, 0 merged, 1 resources, 0 left"
    )
    assert "Thing Kit" not in result.stderr
    assert [(p["title"], p["authors"], p["year"], p["venue"], p["arxiv"]) for p in papers] == [
        ("A Study of Things", ["Ann Lee", "Bo Chen"], 2023, "EMNLP 2023", "2305.01234"),
        ("Stuff in Depth", ["Cy Dee", "Dan Eng"], 2024, "ACL 2024 Findings", "2306.04321"),
    ]
    assert [p["taxonomy"] for p in papers] == [["Overview"], ["Overview"]]
    assert links(papers[0]) == [("paper", "https://arxiv.org/abs/2305.01234")]
    assert [links(p) for p in papers] == [
        [("paper", "https://arxiv.org/abs/2305.01234")],
        [("paper", "https://arxiv.org/pdf/2306.04321v2")],
    ]


def test_numbered_headings_under_date_headings(run, tmp_path: Path):
    result, papers = imported(
        run,
        tmp_path,
        """\
        # Daily Editing

        ## Daily Updates

        ### 2024-10-26

        ### 1. [A Study of Things](https://arxiv.org/pdf/2410.18209)
        **Summary**: The paper introduces Things, a method, and shows it works (2023).

        ### 2. [Stuff, Revisited (Published in Findings of EMNLP 2024)](https://arxiv.org/pdf/2309.02233)
        **Summary**: It revisits stuff.

        ### 2024-10-25

        ### 1. [Old Things Made New](https://arxiv.org/abs/2410.00001)
        **Summary**: Old things, made new again.
        """,
        code=1,
    )
    assert summary(result) == (
        "3 read, 3 written, 0 already there, 3 incomplete, 0 lines skipped"
        "; links: 3 read, 3 imported, 0 merged, 0 resources, 0 left"
    )
    assert [(p["title"], p["year"], p["venue"], p["arxiv"], p["taxonomy"]) for p in papers] == [
        ("A Study of Things", 2024, None, "2410.18209", []),
        ("Stuff, Revisited", 2024, "EMNLP 2024 Findings", "2309.02233", []),
        ("Old Things Made New", 2024, None, "2410.00001", []),
    ]
    assert all(p["authors"] == [] and p["abstract"] is None for p in papers)
    assert links(papers[0]) == [("paper", "https://arxiv.org/pdf/2410.18209")]
    assert [links(p) for p in papers] == [
        [("paper", "https://arxiv.org/pdf/2410.18209")],
        [("paper", "https://arxiv.org/pdf/2309.02233")],
        [("paper", "https://arxiv.org/abs/2410.00001")],
    ]


def test_tables_by_their_header_names(run, tmp_path: Path):
    result, papers = imported(
        run,
        tmp_path,
        """\
        # Tables of Things

        ## Methods

        | Date | Title | Authors | Code | Venue | Year |
        |:-----|:------|---------|:----:|-------|------|
        | 2023-05 | [A Study of Things](https://arxiv.org/abs/2305.11111) | Ann Lee, Bo Chen | [GitHub](https://github.com/a/t) | EMNLP | 2023 |
        | 2022.01 | [**Stuff Matters**](https://openreview.net/forum?id=s) | Cy Dee | - | ICLR 2022 | |

        ## Benchmarks

        | Paper | Conference | Code | Stars |
        | --- | --- | --- | --- |
        | [Bench of Things](https://arxiv.org/abs/2101.22222) | arXiv | [![Star](https://img.shields.io/github/stars/b/t?style=social)](https://github.com/b/t) | ![](https://img.shields.io/github/stars/b/t) |

        ## Datasets

        | Edit Type | Datasets |
        | --- | --- |
        | **Facts** | [FactSet](https://example.org/factset) |
        """,
        code=1,
    )
    assert summary(result) == (
        "3 read, 3 written, 0 already there, 1 incomplete, 0 lines skipped"
        "; links: 6 read, 5 imported, 0 merged, 1 resources, 0 left"
    )
    got = [(p["title"], p["authors"], p["year"], p["venue"], p["taxonomy"]) for p in papers]
    assert got == [
        ("A Study of Things", ["Ann Lee", "Bo Chen"], 2023, "EMNLP 2023", ["Methods"]),
        ("Stuff Matters", ["Cy Dee"], 2022, "ICLR 2022", ["Methods"]),
        ("Bench of Things", [], 2021, None, ["Benchmarks"]),
    ]
    assert links(papers[0]) == [
        ("paper", "https://arxiv.org/abs/2305.11111"),
        ("code", "https://github.com/a/t"),
    ]
    assert links(papers[2]) == [
        ("paper", "https://arxiv.org/abs/2101.22222"),
        ("code", "https://github.com/b/t"),
    ]
    assert [links(p) for p in papers] == [
        [("paper", "https://arxiv.org/abs/2305.11111"), ("code", "https://github.com/a/t")],
        [("paper", "https://openreview.net/forum?id=s")],
        [("paper", "https://arxiv.org/abs/2101.22222"), ("code", "https://github.com/b/t")],
    ]


def test_export_of_an_imported_list_reads_back_the_same(run, tmp_path: Path):
    for name, text in (("seed", seed_text()), ("variations", VARIATIONS)):
        first, second = tmp_path / f"{name}1.bib", tmp_path / f"{name}2.bib"
        md = tmp_path / f"{name}.md"
        md.write_text(textwrap.dedent(text), encoding="utf-8")
        run("--bib", str(first), "import", "--markdown", str(md), "--allow-incomplete")
        exported = tmp_path / f"{name}-exported.md"
        exported.write_text(run("--bib", str(first), "export", "--markdown").stdout, "utf-8")
        run("--bib", str(second), "import", "--markdown", str(exported), "--allow-incomplete")
        again = run.json("--bib", str(second), "list", "--json")
        assert again == run.json("--bib", str(first), "list", "--json"), name
        assert len(again) >= 6


def test_the_same_paper_twice_is_one_entry_with_the_richer_fields(run, tmp_path: Path):
    result, papers = imported(
        run,
        tmp_path,
        """\
        ## Papers
        ### Methods
        1. **A Study of Things** <br />
        Ann Lee, Bo Chen. [[paper](https://arxiv.org/abs/2301.00001)]
        2. **Stuff Matters** <br />
        Cy Dee. [[paper](https://arxiv.org/abs/2302.00002)]
        ### Analysis
        1. **A study of things.** (ICLR 2023) <br />
        Ann Lee, Bo Chen. [[paper](https://arxiv.org/abs/2301.00001v3)] [[code](https://github.com/a/t)]
        2. **Stuff Matters** (ACL 2023) <br />
        Cy Dee. [[paper](https://arxiv.org/abs/2303.00003)]
        """,
    )
    assert summary(result) == (
        "2 read, 2 written, 0 already there, 0 incomplete, 0 lines skipped, 2 duplicates merged"
        "; links: 5 read, 2 imported, 3 merged, 0 resources, 0 left"
    )
    assert "list.md:8: 'A study of things' is also on line 3: merged into one entry" in (
        result.stderr
    )
    assert (
        "list.md:10: conflict: the copies name arXiv 2302.00002 and arXiv 2303.00003"
        in result.stderr
    )
    assert [(p["title"], p["venue"], p["year"], p["arxiv"], p["taxonomy"]) for p in papers] == [
        ("A Study of Things", "ICLR 2023", 2023, "2301.00001", ["Methods"]),
        ("Stuff Matters", "ACL 2023", 2023, "2302.00002", ["Methods"]),
    ]
    assert links(papers[0])[-1] == ("code", "https://github.com/a/t")
    assert [links(p) for p in papers] == [
        [("paper", "https://arxiv.org/abs/2301.00001"), ("code", "https://github.com/a/t")],
        [("paper", "https://arxiv.org/abs/2302.00002")],
    ]


def test_untrusted_links_and_markup_do_not_get_through(run, tmp_path: Path):
    result, papers = imported(
        run,
        tmp_path,
        """\
        ## Papers
        1. **Things \\input{/etc/passwd} and $\\alpha$ <b>bold</b>** (ICML 2022) <br />
        Ann Lee, Bo Chen. [[paper](javascript:alert(1))] [[code](file:///etc/passwd)] [[page](https://example.org/p)]
        2. **Stuff** <br />
        Cy Dee. [[paper](ftp://example.org/stuff.pdf)] [[code](https://[github.com/x)]
        """,
        code=1,
    )
    assert "list.md:2: link 'paper' is not an http(s) URL: 'javascript:alert(1)': dropped" in (
        result.stderr
    )
    assert "list.md:2: link 'code' is not an http(s) URL: 'file:///etc/passwd': dropped" in (
        result.stderr
    )
    assert "list.md:4: deestuff: incomplete: no year, no link ('Stuff')" in result.stderr
    assert "list.md:4: link 'paper' is not an http(s) URL: 'ftp://example.org/stuff.pdf'" in (
        result.stderr
    )
    assert "list.md:4: link 'code' is not an http(s) URL: 'https://[github.com/x'" in result.stderr
    first, second = papers
    assert first["title"] == "Things input{/etc/passwd} and $alpha$ bold"
    assert links(first) == [("page", "https://example.org/p")] and links(second) == []
    text = (tmp_path / "out.bib").read_text(encoding="utf-8")
    assert "javascript" not in text and "file:" not in text and "\\input" not in text
    assert "\\alpha" not in text and "<b>" not in text


def test_json_report_and_dry_run(run, tmp_path: Path):
    md = tmp_path / "list.md"
    md.write_text(
        "## Papers\n- **A Study of Things** <br />\nAnn Lee. [[paper](https://arxiv.org/abs/2301.00001)]\n"
        "- **No Authors Here** [[paper](https://arxiv.org/abs/2302.00002)]\n"
        "- **Bold but nothing else**\n",
        encoding="utf-8",
    )
    target = tmp_path / "out.bib"
    result = run("--bib", str(target), "import", str(md), "--json", "--dry-run", code=1)
    report = json.loads(result.stdout)
    assert not target.exists()
    assert (report["read"], report["written"], report["already_there"]) == (2, 2, 0)
    assert report["lines_skipped"] == 1
    assert report["incomplete"] == [
        {"line": 4, "key": "anonymous2023no", "title": "No Authors Here", "missing": ["authors"]}
    ]
    assert {
        "line": 5,
        "message": "'Bold but nothing else' has no link, authors or venue: skipped",
    } in report["messages"]
    assert [p["key"] for p in report["papers"]] == ["lee2023study", "anonymous2023no"]
    shown = run("--bib", str(target), "import", str(md), "--dry-run", "--allow-incomplete")
    assert shown.stdout.startswith("@article{lee2023study,\n  title         = {A Study of Things},")
    assert "eprint        = {2302.00002}" in shown.stdout and not target.exists()
    run("--bib", str(target), "import", str(md), "--allow-incomplete")
    assert [p["key"] for p in run.json("--bib", str(target), "list", "--json")] == [
        "lee2023study",
        "anonymous2023no",
    ]
    again = run("--bib", str(target), "import", str(md), code=1)
    assert summary(again).startswith("2 read, 0 written, 2 already there, 0 incomplete")


def test_nicknamed_lines_numbered_headings_with_details_and_other_tables(run, tmp_path: Path):
    result, papers = imported(
        run,
        tmp_path,
        """\
        # 编辑 Reading

        ## Memory

        【LAT】Editing Memories in Lattices (2022.11) [[paper](https://arxiv.org/abs/2211.01234)]

        [SAT] Stuff at Scale (ICML 2022.06) [[paper](https://arxiv.org/abs/2206.04321)]

        ## Essential Reading

        ### 1. Things: Located and Edited
        - **File**: `things.pdf`
        - **Authors**: Ann Lee, Bo Chen
        - **Year**: 2022 (NeurIPS)
        - **arXiv**: 2202.01111
        - **Why relevant**: it started it all.

        ### 2. Methods Worth Reading

        - A plain bullet, not a paper.

        ## Hub

        | Paper | Base Model | Code | Publication | Preprint |
        | ----- | ---------- | ---- | ----------- | -------- |
        | Editing Hurts Things | GPT2 | [Hurt](https://github.com/h/hurt) | | [2401.04700](https://arxiv.org/abs/2401.04700) |
        """,
        code=1,
    )
    assert summary(result) == (
        "4 read, 4 written, 0 already there, 3 incomplete, 0 lines skipped"
        "; links: 5 read, 5 imported, 0 merged, 0 resources, 0 left"
    )
    got = [
        (p["title"], p["authors"], p["year"], p["venue"], p["arxiv"], p["keywords"], p["taxonomy"])
        for p in papers
    ]
    assert got == [
        ("Editing Memories in Lattices", [], 2022, None, "2211.01234", ["LAT"], ["Memory"]),
        ("Stuff at Scale", [], 2022, "ICML 2022", "2206.04321", ["SAT"], ["Memory"]),
        (
            "Things: Located and Edited",
            ["Ann Lee", "Bo Chen"],
            2022,
            "NeurIPS 2022",
            "2202.01111",
            [],
            ["Essential Reading"],
        ),
        ("Editing Hurts Things", [], 2024, None, "2401.04700", [], ["Hub"]),
    ]
    assert links(papers[3]) == [
        ("paper", "https://arxiv.org/abs/2401.04700"),
        ("code", "https://github.com/h/hurt"),
    ]
    assert [links(p) for p in papers] == [
        [("paper", "https://arxiv.org/abs/2211.01234")],
        [("paper", "https://arxiv.org/abs/2206.04321")],
        [("paper", "https://arxiv.org/abs/2202.01111")],
        [("paper", "https://arxiv.org/abs/2401.04700"), ("code", "https://github.com/h/hurt")],
    ]


def test_citation_style_items(run, tmp_path: Path):
    result, papers = imported(
        run,
        tmp_path,
        """\
        ## Papers
        - **A Study of Things** - Ann Lee, Bo Chen. *ACL 2023*. [[paper](https://aclanthology.org/x)]
        - Stuff We Know. Cy Dee, Dan Eng. ACL 2022. [paper](https://aclanthology.org/y)
        - **Old Things, New Ways** (Eve Fry et al., Coling2020) [paper](https://aclanthology.org/z)
        - 🔥 **Hot Things**, Flo Gee, J. R. Smith. EMNLP 2023. [[pdf](https://arxiv.org/pdf/2310.00001)]
        - **⭐ "Quoted" Things** by Gus Ho and Ida Iv. **NAACL 2024 (Findings)** [[paper](https://aclanthology.org/q)]
        """,
    )
    assert summary(result) == (
        "5 read, 5 written, 0 already there, 0 incomplete, 0 lines skipped"
        "; links: 5 read, 5 imported, 0 merged, 0 resources, 0 left"
    )
    assert [(p["title"], p["authors"], p["year"], p["venue"]) for p in papers] == [
        ("A Study of Things", ["Ann Lee", "Bo Chen"], 2023, "ACL 2023"),
        ("Stuff We Know", ["Cy Dee", "Dan Eng"], 2022, "ACL 2022"),
        ("Old Things, New Ways", ["Eve Fry", "et al."], 2020, "COLING 2020"),
        ("Hot Things", ["Flo Gee", "J. R. Smith"], 2023, "EMNLP 2023"),
        ('"Quoted" Things', ["Gus Ho", "Ida Iv"], 2024, "NAACL 2024 Findings"),
    ]
    assert [links(p)[0][1] for p in papers] == [
        "https://aclanthology.org/x",
        "https://aclanthology.org/y",
        "https://aclanthology.org/z",
        "https://arxiv.org/pdf/2310.00001",
        "https://aclanthology.org/q",
    ]


def test_code_span_venues_reference_style_authors_and_detail_headings(run, tmp_path: Path):
    result, papers = imported(
        run,
        tmp_path,
        """\
        # Notes on Things

        ## Surveys

        1. **A Survey of Things.** `arXiv`
           *Ann Lee, Bo Chen.* [[PDF](https://arxiv.org/abs/2310.11111)], 2023

        2. **Dynamic Things** `ACL 2023`
           [[paper]](https://aclanthology.org/2023.acl-long.5/)

           *Cy Dee, Dan Eng, et al.*

        ## Reviews

        - **A Systematic Review of Things**
          Brown, A., Roman, M., & Devereux, B., 2025, arXiv:2508.01111. [arXiv](https://doi.org/10.48550/arXiv.2508.01111)
        - [Stuff Explained](https://arxiv.org/abs/2401.02222) — *EMNLP 2023* · a short note — [`x/stuff`](https://github.com/x/stuff)

        ## Reading

        ### 1. Things in Context

        **Authors:** Eve Fry et al.
        **Year:** 2024
        **Venue:** *Findings of ACL 2024*
        **Link:** https://aclanthology.org/2024.findings-acl.1/

        **Relevance:** why it matters.
        """,
        code=1,
    )
    assert summary(result) == (
        "5 read, 5 written, 0 already there, 1 incomplete, 0 lines skipped"
        "; links: 7 read, 6 imported, 1 merged, 0 resources, 0 left"
    )
    assert "list.md:17: anonymous2023stuff: incomplete: no authors" in result.stderr
    got = [(p["title"], p["authors"], p["year"], p["venue"], p["arxiv"]) for p in papers]
    assert got == [
        ("A Survey of Things", ["Ann Lee", "Bo Chen"], 2023, None, "2310.11111"),
        ("Dynamic Things", ["Cy Dee", "Dan Eng", "et al."], 2023, "ACL 2023", None),
        (
            "A Systematic Review of Things",
            ["A. Brown", "M. Roman", "B. Devereux"],
            2025,
            None,
            "2508.01111",
        ),
        ("Stuff Explained", [], 2023, "EMNLP 2023", "2401.02222"),
        ("Things in Context", ["Eve Fry", "et al."], 2024, "ACL 2024 Findings", None),
    ]
    assert links(papers[3]) == [
        ("paper", "https://arxiv.org/abs/2401.02222"),
        ("code", "https://github.com/x/stuff"),
    ]
    assert links(papers[4]) == [("paper", "https://aclanthology.org/2024.findings-acl.1/")]


def test_bullets_that_group_entries_are_sections(run, tmp_path: Path):
    result, papers = imported(
        run,
        tmp_path,
        """\
        # List

        ## Papers

        - **Editing**
          - [A Study of Things](https://arxiv.org/abs/2305.01234)
          - [Stuff in Depth](https://arxiv.org/abs/2306.04321)
            - Ann Lee, Bo Chen
        - Unlearning
          - **Forgetting Things** (ICLR 2024) <br /> Cy Dee. [[paper](https://openreview.net/x)]
        - **A Top Paper** <br /> Dan Eng. [[paper](https://arxiv.org/abs/2307.00001)]

        ## More

        **Memory Methods**
        1. **Remembering Things** <br /> Eve Fry. [[paper](https://arxiv.org/abs/2308.00001)]

        **Locate and Edit:**

        - **Where Things Are** <br /> Flo Gee. [[paper](https://arxiv.org/abs/2309.00001)]

        **2024-05**
        - **Late Things** <br /> Gus Ho. [[paper](https://arxiv.org/abs/2405.00001)]
        """,
        code=1,
    )
    assert summary(result) == (
        "7 read, 7 written, 0 already there, 1 incomplete, 0 lines skipped"
        "; links: 7 read, 7 imported, 0 merged, 0 resources, 0 left"
    )
    assert [(p["title"], p["authors"], p["taxonomy"]) for p in papers] == [
        ("A Study of Things", [], ["Papers", "Editing"]),
        ("Stuff in Depth", ["Ann Lee", "Bo Chen"], ["Papers", "Editing"]),
        ("Forgetting Things", ["Cy Dee"], ["Papers", "Unlearning"]),
        ("A Top Paper", ["Dan Eng"], ["Papers"]),
        ("Remembering Things", ["Eve Fry"], ["More", "Memory Methods"]),
        ("Where Things Are", ["Flo Gee"], ["More", "Locate and Edit"]),
        ("Late Things", ["Gus Ho"], ["More"]),
    ]
    assert [links(p) for p in papers] == [
        [("paper", "https://arxiv.org/abs/2305.01234")],
        [("paper", "https://arxiv.org/abs/2306.04321")],
        [("paper", "https://openreview.net/x")],
        [("paper", "https://arxiv.org/abs/2307.00001")],
        [("paper", "https://arxiv.org/abs/2308.00001")],
        [("paper", "https://arxiv.org/abs/2309.00001")],
        [("paper", "https://arxiv.org/abs/2405.00001")],
    ]


SPELLINGS = {
    "EMNLP2023": "EMNLP 2023",
    "Findings of EMNLP 2023": "EMNLP 2023 Findings",
    "Neurips 2021": "NeurIPS 2021",
    "ACL'22": "ACL 2022",
    "ACL Findings 2023": "ACL 2023 Findings",
    "Findings of the Association for Computational Linguistics: NAACL 2024": "NAACL 2024 Findings",
    "ICLR 2024 Spotlight": "ICLR 2024",
    "NeurIPS 2023 (Oral)": "NeurIPS 2023",
    "EMNLP 2023 Main Conference Paper": "EMNLP 2023",
    "Accepted by AAAI 2025": "AAAI 2025",
    "iclr 2022": "ICLR 2022",
    "ICML 2022.06": "ICML 2022",
}


def test_venue_spellings_are_written_one_way(run, tmp_path: Path):
    items = [
        f"{i}. **Paper Number {i}** ({spelling}) <br />\nAnn Lee. [[paper](https://example.org/{i})]"
        for i, spelling in enumerate(SPELLINGS, 1)
    ]
    result, papers = imported(run, tmp_path, "## Papers\n" + "\n".join(items) + "\n")
    assert summary(result).startswith(f"{len(SPELLINGS)} read, {len(SPELLINGS)} written")
    assert [p["venue"] for p in papers] == list(SPELLINGS.values())
    assert [p["year"] for p in papers] == [int(v.split()[1]) for v in SPELLINGS.values()]
    assert lint_rules(run, tmp_path / "out.bib") <= {"key-style"}


def lint_rules(run, bib: Path) -> set[str]:
    out = run("--bib", str(bib), "lint", code=None).stdout
    return {line.split(": ")[2] for line in out.splitlines()}


def test_prose_and_a_stray_paper_do_not_move_the_sections(run, tmp_path: Path):
    papers_part = "\n".join(
        f"{i}. **Paper Number {i}** <br />\nAnn Lee. [[paper](https://arxiv.org/abs/2301.0000{i})]"
        for i in range(1, 6)
    )
    text = (
        "# A List\n\n## How to Read It\n"
        "- entries look like `1. **Title** (2022.11) [[paper](url)]`, see `https://x.org/y`\n"
        "- we read `Title, _Lee et al._` since 2021\n\n"
        "## Extras\n- **A Stray Paper** <br /> Bo Chen. [[paper](https://arxiv.org/abs/2201.00001)]\n\n"
        f"## 📜 Papers\n### Editing\n{papers_part}\n"
    )
    result, papers = imported(run, tmp_path, text)
    assert summary(result) == (
        "6 read, 6 written, 0 already there, 0 incomplete, 0 lines skipped"
        "; links: 6 read, 6 imported, 0 merged, 0 resources, 0 left"
    )
    assert [(p["title"], p["taxonomy"]) for p in papers] == [
        ("A Stray Paper", ["Extras"]),
        *((f"Paper Number {i}", ["Editing"]) for i in range(1, 6)),
    ]
