"""What contributors and arXiv send cannot escape the value it belongs in."""

from __future__ import annotations

from pathlib import Path

from markdown_it import MarkdownIt

from ke_papers import bibread
from ke_papers.bibtex import format_entry
from ke_papers.entries import Extras
from ke_papers.model import Link
from ke_papers.render import cite, markdown
from ke_papers.sources.arxiv import Record, to_paper

EVIL = Record(
    id="2401.00001",
    version="v1",
    title="Evil}, note = {pwned} \\input{/etc/passwd} 100% & <img src=x onerror=alert(1)> [x](javascript:y)",
    authors=("Robert'); DROP {TABLE}", "Zoë ]] [[Smith"),
    abstract="Close } early # and $ unbalanced",
    year=2024,
    journal_ref="J. {Bad} & Co",
    primary_category="cs.CL",
)


def test_arxiv_data_stays_inside_its_bibtex_values(tmp_path: Path):
    paper = to_paper(EVIL, Extras(taxonomy=("A > B",), key="evil2024"))
    text = format_entry(paper)
    [back] = bibread.parse(text, tmp_path / "x.bib").papers
    assert set(back.fields) == {
        "title",
        "author",
        "journal",
        "year",
        "eprint",
        "archiveprefix",
        "primaryclass",
        "note",
        "taxonomy",
        "abstract",
    }
    assert back.title.startswith("Evil}, note = {pwned}")
    assert "pwned" not in back.get("note")  # the title did not open a field of its own
    out = cite.bibtex([back])
    [cited] = bibread.parse(out, tmp_path / "y.bib").papers
    eprint = {"eprint", "archiveprefix", "primaryclass"}  # a preprint: the journal names it
    assert set(cited.fields) == set(back.fields) - {"taxonomy", "abstract"} - eprint
    assert "100\\%" in cited.get("title") and "\\&" in cited.get("title")


def test_contributor_data_cannot_inject_markdown_or_html(tmp_path: Path):
    paper = to_paper(
        EVIL,
        Extras(
            taxonomy=("Evil <b>section</b> ]",),
            links=(Link("code](javascript:alert(1))[", "https://x.org/a)b(c d"),),
            key="evil2024",
        ),
    )
    [back] = bibread.parse(format_entry(paper), tmp_path / "x.bib").papers
    page = markdown.paper_list([(back.taxonomy, markdown.entry_body(back))])
    tokens = MarkdownIt("commonmark", {"html": True}).parse(page)
    children = [c for t in tokens if t.type == "inline" for c in t.children]
    assert [c.content for c in children if c.type == "html_inline"] == ["<br />"]
    assert not [t for t in tokens if t.type == "html_block"]
    hrefs = [c.attrs["href"] for c in children if c.type == "link_open"]
    assert all(h.startswith(("#", "https://")) for h in hrefs), hrefs
    assert "https://x.org/a%29b%28c%20d" in hrefs
    strong = [children[i + 1].content for i, c in enumerate(children) if c.type == "strong_open"]
    assert strong == [back.title]


def test_non_http_links_are_refused_by_add_and_reported_by_lint(run, tmp_path: Path):
    for url in (
        "javascript:alert(1)",
        "data:text/html,x",
        "ftp://x.org",
        "https://",
        "file:///etc",
    ):
        result = run("--bib", str(tmp_path / "x.bib"), "add", "2401.00001", "--code", url, code=2)
        assert "is not an http(s) URL" in result.stderr
    bib = tmp_path / "l.bib"
    bib.write_text(
        "@misc{a2020b, title={B}, author={A, A}, year={2020},\n"
        "  links={code: javascript:alert(1); page: data:text/html,x}}\n",
        encoding="utf-8",
    )
    out = run("--bib", str(bib), "lint", code=1).stdout
    assert out.count("bad-url") == 2
