"""`ke-papers export`: the awesome list from the bib file, and nothing else."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from conftest import DATA_BIB, PUBLISHED_SINCE, REPO, seed_text
from markdown_it import MarkdownIt

from ke_papers import bibread

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINKS = re.compile(r"\[\[([^\]]*)\]\(([^)]*)\)\]")
_VENUE = re.compile(r"\(([^()]*\d{4}[^()]*)\)")


def extract(markdown: str) -> list[tuple[str, list[dict]]]:
    """Sections under the Papers heading, each with its entries, read independently of ke-papers."""
    sections: list[tuple[str, list[dict]]] = []
    inside = False
    entry: dict | None = None
    for line in markdown.splitlines():
        heading = re.match(r"^(#+)\s+(.*)", line)
        if heading:
            name = re.sub(r"^\W+", "", heading[2]).strip()
            if len(heading[1]) == 2:
                inside = name == "Papers"
            elif inside:
                sections.append((name, []))
            entry = None
            continue
        if not inside or not sections:
            continue
        bold = _BOLD.search(line)
        if bold:
            title = bold[1].strip().rstrip(".").strip()
            entry = {"title": title, "rest": line[bold.end() :]}
            sections[-1][1].append(entry)
        elif entry is not None and line.strip():
            entry["rest"] += " " + line
    for _, entries in sections:
        for e in entries:
            rest = e.pop("rest")
            e["links"] = _LINKS.findall(rest)
            rest = _LINKS.sub("", rest)
            venue = _VENUE.search(rest)
            e["venue"] = venue[1].strip() if venue else None
            text = _VENUE.sub("", rest)
            text = re.sub(r"<[^>]+>", "", text)
            e["authors"] = [a.strip(" .") for a in text.strip(" .").split(",") if a.strip(" .")]
    return [(name, entries) for name, entries in sections if entries or name != "Methods"]


def seed_with_known_fixes() -> list[tuple[str, list[dict]]]:
    from ke_papers.identity import normal_title
    from ke_papers.usecases.reading import open_catalog

    published = {
        normal_title(p.title): PUBLISHED_SINCE[p.key][0]
        for p in open_catalog(DATA_BIB)
        if p.key in PUBLISHED_SINCE
    }
    sections = extract(seed_text())
    for _, entries in sections:
        for e in entries:
            e["venue"] = published.get(normal_title(e["title"]), e["venue"])  # issue 26
            e["title"] = (
                e["title"]
                .replace("inLanguage", "in Language")
                .replace("paramters", "parameters")
                .replace("MQUAKE", "MQuAKE")
            )
            if e["title"] == "Mass-Editing Memory in a Transformer":
                e["venue"] = "ICLR 2023"
            if e["venue"] == "ACL2023 Findings":
                e["venue"] = "ACL 2023 Findings"
            e["links"] = [
                (label, url.replace("2204.12785", "2205.11482"))
                if e["title"].startswith("Towards Tracing")
                else (label, url)
                for label, url in e["links"]
                if url
            ]
            if e["venue"] == "ACL2023 Findings":
                e["venue"] = "ACL 2023 Findings"  # labels are written one way
    overview = sections[0][1][0]
    assert overview["authors"] == []
    overview["authors"] = [
        "Yunzhi Yao",
        "Peng Wang",
        "Bozhong Tian",
        "Siyuan Cheng",
        "Zhoubo Li",
        "Shumin Deng",
        "Huajun Chen",
        "Ningyu Zhang",
    ]
    return sections


def export(run, *args: str) -> str:
    return run("--bib", str(DATA_BIB), "export", *args).stdout


def test_export_matches_the_seed_section_by_section(run):
    exported = extract(export(run, "--markdown"))
    expected = seed_with_known_fixes()
    assert [name for name, _ in exported] == [name for name, _ in expected]
    for (name, got), (_, want) in zip(exported, expected, strict=True):
        assert got == want, name
    assert sum(len(entries) for _, entries in exported) == 45


def test_entry_shape_is_the_seeds(run):
    text = export(run, "--markdown")
    assert (
        '4. <a id="meng2022locating"></a>'
        "**Locating and Editing Factual Associations in GPT**. (NeurIPS 2022) <br />\n"
        "Kevin Meng, David Bau, Alex Andonian, Yonatan Belinkov.\n"
        "[[paper](https://arxiv.org/abs/2202.05262)] [[code](https://github.com/kmeng01/rome)] "
        "[[page](https://rome.baulab.info/)] "
        "[[video](https://www.youtube.com/watch?v=_NMQyOu2HTo&t=0)]\n"
    ) in text
    assert (
        '5. <a id="meng2022mass"></a>**Mass-Editing Memory in a Transformer**. (ICLR 2023) <br />\n'
        in text
    )
    assert (
        '6. <a id="ilharco2023editing"></a>**Editing models with task arithmetic**. (ICLR 2023)'
        in text
    )
    assert "\n## Papers\n\n### Overview\n" in text
    assert "\n##### Locate and edit\n" in text and "\n#### More Related Papers\n" in text


def test_round_trip_is_byte_identical(run, tmp_path: Path):
    first = tmp_path / "first.md"
    first.write_text(export(run, "--markdown"), encoding="utf-8")
    again = tmp_path / "again.bib"
    result = run("--bib", str(again), "import", "--markdown", str(first), code=1)
    assert "1 incomplete" in result.stderr  # FRUIT has no link
    second = run("--bib", str(again), "export", "--markdown").stdout
    assert second == first.read_text(encoding="utf-8")


def github_slug(text: str) -> str:
    """GitHub's rule, written out independently: lowercase, drop punctuation, spaces to -."""
    out = "".join(c for c in text.lower() if c.isalnum() or c in " -_")
    return out.replace(" ", "-")


def rendered(markdown: str):
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return md.parse(markdown)


def heading_ids(tokens) -> list[str]:
    ids, seen = [], {}
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            base = github_slug(tokens[i + 1].content)
            n = seen.get(base, 0)
            seen[base] = n + 1
            ids.append(base if n == 0 else f"{base}-{n}")
    return ids


def strong_texts(tokens) -> list[str]:
    """The text of every **bold** span, as rendered."""
    return [
        t.children[i + 1].content
        for t in tokens
        if t.type == "inline"
        for i, c in enumerate(t.children)
        if c.type == "strong_open"
    ]


def inline_text(tokens) -> str:
    return " ".join(
        c.content for t in tokens if t.type == "inline" for c in t.children if c.type == "text"
    )


def test_markdown_renders_with_working_contents(run):
    tokens = rendered(export(run, "--markdown"))
    ids = set(heading_ids(tokens))
    hrefs = [
        c.attrs["href"]
        for t in tokens
        if t.type == "inline"
        for c in t.children
        if c.type == "link_open" and str(c.attrs["href"]).startswith("#")
    ]
    assert len(hrefs) == 12
    assert all(h[1:] in ids for h in hrefs), [h for h in hrefs if h[1:] not in ids]
    text = inline_text(tokens)
    assert "**" not in text and "[[" not in text
    strong = strong_texts(tokens)
    assert "Locating and Editing Factual Associations in GPT" in strong


def nasty_bib(tmp_path: Path) -> Path:
    bib = tmp_path / "nasty.bib"
    bib.write_text(
        "@misc{x2024star, title={Stars *and* under_scores [1] | pipes <script>alert(1)</script>"
        " \\& {GPT}}, author={Doe, Jane}, year={2024}, url={https://example.org/a b(c)},"
        " taxonomy={Odd_Section > Deep*Er}}\n\n"
        "@misc{y2024dup, title={Second}, year={2024}, taxonomy={Other > Deep*Er}}\n",
        encoding="utf-8",
    )
    return bib


def test_data_cannot_break_the_page(run, tmp_path: Path):
    text = run("--bib", str(nasty_bib(tmp_path)), "export", "--markdown").stdout
    tokens = rendered(text)
    assert [
        c.content
        for t in tokens
        if t.type == "inline"
        for c in t.children
        if c.type == "html_inline"
    ] == ['<a id="x2024star">', "</a>", "<br />", '<a id="y2024dup">', "</a>", "<br />"]
    strong = strong_texts(tokens)
    assert strong == [
        "Stars *and* under_scores [1] | pipes <script>alert(1)</script> & GPT",
        "Second",
    ]
    links = [
        c.attrs["href"]
        for t in tokens
        if t.type == "inline"
        for c in t.children
        if c.type == "link_open" and not str(c.attrs["href"]).startswith("#")
    ]
    assert links == ["https://example.org/a%20b%28c%29"]
    ids = heading_ids(tokens)
    assert "deeper-1" in ids
    hrefs = [
        c.attrs["href"][1:]
        for t in tokens
        if t.type == "inline"
        for c in t.children
        if c.type == "link_open" and str(c.attrs["href"]).startswith("#")
    ]
    assert set(hrefs) <= set(ids) and len(hrefs) == 4


def test_readme_splice_keeps_every_other_byte(run, tmp_path: Path):
    readme = tmp_path / "README.md"
    head = "# Mine\r\n\nHand-written, with `<!-- ke-papers:start -->` in prose.\n\n"
    tail = "\n## After\n\nMore hand-written text, no newline at end"
    readme.write_text(
        head + "<!-- ke-papers:start -->\nold\n<!-- ke-papers:end -->" + tail, encoding="utf-8"
    )
    result = run(
        "--bib", str(DATA_BIB), "export", "--markdown", "--readme", str(readme), "--check", code=1
    )
    assert "is stale" in result.stderr and "-old" in result.stderr
    assert "old" in readme.read_text(encoding="utf-8")
    run("--bib", str(DATA_BIB), "export", "--markdown", "--readme", str(readme))
    text = readme.read_bytes().decode("utf-8")
    assert text.startswith(head + "<!-- ke-papers:start -->\n- [Overview](#overview)\n")
    assert text.endswith(
        "[[paper](https://arxiv.org/abs/2308.13198)]\n<!-- ke-papers:end -->" + tail
    )
    run("--bib", str(DATA_BIB), "export", "--markdown", "--readme", str(readme), "--check")


def test_missing_markers_and_bad_options(run, tmp_path: Path):
    readme = tmp_path / "README.md"
    readme.write_text("# No markers\n", encoding="utf-8")
    result = run("--bib", str(DATA_BIB), "export", "--readme", str(readme), code=2)
    assert "markers not found" in result.stderr
    assert readme.read_text(encoding="utf-8") == "# No markers\n"
    assert "--check needs" in run("--bib", str(DATA_BIB), "export", "--check", code=2).stderr
    run("--bib", str(DATA_BIB), "export", "--json", "--csv", code=2)


def test_output_file_and_check(run, tmp_path: Path):
    out = tmp_path / "list.md"
    run("--bib", str(DATA_BIB), "export", "--markdown", "--output", str(out), "--check", code=1)
    assert not out.exists()
    run("--bib", str(DATA_BIB), "export", "--markdown", "-o", str(out))
    generated = "<!-- generated by ke-papers; the next export replaces this file -->\n"
    assert out.read_text(encoding="utf-8") == generated + export(run, "--markdown")
    run("--bib", str(DATA_BIB), "export", "--markdown", "-o", str(out), "--check")


def test_subtree_and_since(run):
    text = export(run, "--markdown", "--category", "Meta-learning")
    assert [e["title"] for _, es in extract(text) for e in es] == [
        "Editing Factual Knowledge in Language Models",
        "Fast Model Editing at Scale",
        "Editable Neural Networks",
    ]
    assert "### Methods\n\n#### Modify Parameters\n\n##### Meta-learning" in text
    recent = extract(export(run, "--markdown", "--since", "2023"))
    years = run.json("--bib", str(DATA_BIB), "list", "--json")
    assert sum(len(es) for _, es in recent) == sum(1 for p in years if (p["year"] or 0) >= 2023)


def test_json_csv_bibtex(run, tmp_path: Path):
    flat = run.json("--bib", str(DATA_BIB), "export", "--json")
    assert flat == run.json("--bib", str(DATA_BIB), "list", "--json")
    grouped = run.json("--bib", str(DATA_BIB), "export", "--json", "--grouped")
    assert grouped[0]["section"] == ["Overview"] and len(grouped) == 9
    assert sum(len(g["papers"]) for g in grouped) == 45
    rows = list(csv.DictReader(io.StringIO(export(run, "--csv"))))
    rome = next(r for r in rows if r["key"] == "meng2022locating")
    assert (
        rome["code"] == "https://github.com/kmeng01/rome"
        and rome["page"] == "https://rome.baulab.info/"
    )
    kn = next(r for r in rows if r["key"] == "dai2022knowledge")
    assert (
        kn["other_links"] == "code by EleutherAI: https://github.com/EleutherAI/knowledge-neurons"
    )
    papers = bibread.parse(export(run, "--bibtex"), tmp_path / "x.bib").papers
    assert len(papers) == 45 and not any("taxonomy" in p.fields for p in papers)


def test_project_readme_is_current(run):
    result = run(
        "--bib",
        str(DATA_BIB),
        "export",
        "--markdown",
        "--readme",
        str(REPO / "README.md"),
        "--check",
    )
    assert "up to date" in result.stderr


def test_a_year_no_venue_or_arxiv_id_shows_is_written_and_read_back(run, tmp_path: Path):
    """An entry with neither venue nor arXiv ID shows its year in the list, so that an
    import of the list gets it back."""
    bib = tmp_path / "x.bib"
    bib.write_text(
        "@misc{doe2021plain,\n  title = {A Plain Paper},\n  author = {Doe, Jane},\n"
        "  year = {2021},\n  url = {https://example.org/paper.pdf},\n  taxonomy = {Analysis}\n}\n",
        encoding="utf-8",
    )
    listed = run("--bib", str(bib), "export", "--markdown").stdout
    assert '<a id="doe2021plain"></a>**A Plain Paper**. (2021) <br />' in listed
    md, again = tmp_path / "list.md", tmp_path / "again.bib"
    md.write_text(listed, encoding="utf-8")
    run("--bib", str(again), "import", "--markdown", str(md), code=None)
    [paper] = run.json("--bib", str(again), "list", "--json")
    assert (paper["key"], paper["year"], paper["title"]) == ("doe2021plain", 2021, "A Plain Paper")
