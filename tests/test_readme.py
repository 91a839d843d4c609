"""The documentation's examples run as written: every `ke-papers` line of the code blocks
and command tables of README.md and docs/*.md, in order, as a shell runs them, in a
checkout of their own. And the README serves the list: its papers near the top, every
relative link leading somewhere, the Quick start test line the one CI runs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA_BIB, FIXTURES, REPO, seed_text
from documentation import DOCS, INDEX, README, doc_files, docs_text, text_of

from ke_papers.render.markdown import START, slug

TEXT = docs_text()


def block_examples() -> list[str]:
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", TEXT, re.DOTALL):
        for line in block.splitlines():
            line = re.sub(r"\s+#\s.*$", "", line).strip()  # a trailing comment
            if line.startswith("pip install . && "):
                line = line.removeprefix("pip install . && ")
            if line.startswith("ke-papers"):
                lines.append(line)
    return lines


def table_examples() -> list[str]:
    return [c.replace("\\|", "|") for c in re.findall(r"^\| `(ke-papers[^`]*)`", TEXT, re.M)]


def test_the_docs_have_an_example_of_every_command():
    from ke_papers.cli import ORDER

    lines = block_examples() + table_examples()
    shown = {line.split()[3] if line.split()[1] == "--bib" else line.split()[1] for line in lines}
    assert set(ORDER) <= shown


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A checkout of the list with the files the examples name."""
    root = tmp_path / "checkout"
    (root / "data").mkdir(parents=True)
    shutil.copyfile(DATA_BIB, root / "data" / "papers.bib")
    shutil.copyfile(REPO / "README.md", root / "README.md")
    (root / "main.tex").write_text(
        "\\documentclass{article}\\begin{document}\\cite{meng2022locating}"
        "\\citep{mitchell2022fast,dai2022knowledge}\\end{document}\n",
        encoding="utf-8",
    )
    (root / "main.aux").write_text("\\citation{meng2022mass}\n", encoding="utf-8")
    (root / "ids.txt").write_text("2305.13172  # already there\n1605.08386\n", encoding="utf-8")
    shutil.copyfile(DATA_BIB, root / "papers.bib")  # `import papers.bib`: another bib file
    for name in ("OTHER-LIST.md", "README-of-another-list.md", "LIST.md"):
        (root / name).write_text(seed_text(), encoding="utf-8")
    return root


@pytest.mark.parametrize("where", ["code blocks", "usage table"])
def test_every_example_runs_as_written(checkout: Path, where: str):
    from arxiv_server import ArxivServer
    from published_servers import DblpServer, S2Server

    server = ArxivServer(FIXTURES).start()
    server.answer_any = True
    dblp, s2 = DblpServer().start(), S2Server().start()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "KE_PAPERS_ARXIV_URL": server.url,
        "KE_PAPERS_ARXIV_DELAY": "0",
        "KE_PAPERS_DBLP_URL": dblp.url,
        "KE_PAPERS_DBLP_DELAY": "0",
        "KE_PAPERS_S2_URL": s2.url,
        "KE_PAPERS_S2_DELAY": "0",
        # `lint --online` asks the list's links: through a proxy nobody runs, so no request
        # leaves this machine (the local servers are reached directly)
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
        "KE_PAPERS_LINK_TIMEOUT": "2",
        "EDITOR": "true",
    }
    env.pop("KE_PAPERS_BIB", None)
    try:
        for line in block_examples() if where == "code blocks" else table_examples():
            done = subprocess.run(
                ["bash", "-c", f"set -o pipefail; {line}"],
                cwd=checkout,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode in (0, 1), f"{line}\n{done.stderr}"
            assert "Traceback" not in done.stderr, line
    finally:
        for running in (server, dblp, s2):
            running.stop()
    assert (checkout / "refs.bib").exists()


# --- issue 28: the README serves the list; the reference lives in docs/ -------------------


def test_the_paper_list_starts_within_the_readmes_first_60_lines():
    lines = text_of(README).splitlines()
    assert lines[0] == "# Knowledge Editing for LLMs Papers"
    assert lines.index(START) < 60


def test_the_readme_gives_the_lists_paper_count(run):
    said = re.findall(r"\*\*(\d+) papers\*\*", text_of(README))
    papers = run.json("--bib", str(DATA_BIB), "list", "--json")
    assert said == [str(len(papers))], "README's paper count: set it to the list's"


def test_ci_runs_the_quick_start_test_line():
    quick_start = text_of(README).split("### Quick start\n", 1)[1]
    block = re.search(r"```sh\n(.*?)```", quick_start, re.DOTALL)[1].splitlines()
    assert block[0] == "pip install . && ke-papers search rome"
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert block[1] == "pip install -e '.[test]' && python -m pytest" and block[1] in ci


def test_the_docs_index_links_every_page():
    pages = {path.name for path in DOCS.glob("*.md")} - {INDEX.name}
    assert pages and {path.name for path in doc_files()[2 : 2 + len(pages)]} == pages


def _markdown():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


_HTML_ATTR = re.compile(r"""\b(href|src|id|name)\s*=\s*["']([^"']*)["']""")


def anchors(path: Path) -> set[str]:
    """The fragments a link to `path` may name: GitHub's heading slugs (a repeated one gets
    -1, -2, ...) and the ids of its HTML."""
    found: set[str] = set()
    tokens = _markdown().parse(text_of(path))
    for n, token in enumerate(tokens):
        if token.type == "inline" and tokens[n - 1].type == "heading_open":
            words = "".join(
                " " if c.type == "softbreak" else c.content
                for c in token.children or []
                if c.type in ("text", "code_inline", "softbreak")
            )
            name = base = slug(words)
            count = 0
            while name in found:
                count += 1
                name = f"{base}-{count}"
            found.add(name)
        for child in [token, *(token.children or [])]:
            if child.type in ("html_block", "html_inline"):
                found |= {v for k, v in _HTML_ATTR.findall(child.content) if k in ("id", "name")}
    return found


def relative_links(path: Path) -> list[str]:
    """Every link and image of a Markdown file, HTML ones too, that is not to another site."""
    links = []
    for token in _markdown().parse(text_of(path)):
        for child in [token, *(token.children or [])]:
            if child.type in ("link_open", "image"):
                links.append(str(child.attrs.get("href") or child.attrs.get("src") or ""))
            elif child.type in ("html_block", "html_inline"):
                links += [v for k, v in _HTML_ATTR.findall(child.content) if k in ("href", "src")]
    return [link for link in links if not re.match(r"[a-z][a-z0-9+.-]*:|//", link, re.I)]


def broken_links(path: Path, root: Path = REPO) -> list[str]:
    """The relative links of `path` that lead to no file inside `root`, or to no anchor."""
    broken = []
    for link in relative_links(path):
        target, _, fragment = link.partition("#")
        where = (path.parent / target).resolve() if target else path
        if not where.exists() or root not in [where, *where.parents]:
            broken.append(f"{link}: no such file")
        elif fragment and where.suffix == ".md" and fragment not in anchors(where):
            broken.append(f"{link}: no such anchor")
    return broken


@pytest.mark.parametrize("path", doc_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_leads_to_a_file_and_its_anchor(path: Path):
    assert broken_links(path) == []


def test_a_broken_link_or_anchor_is_found(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text(
        '# Command `x` (and y)\n\n## Twice\n\n## Twice\n\n<a id="k1"></a>\n', encoding="utf-8"
    )
    page = tmp_path / "README.md"
    page.write_text(
        "# T\n\n[ok](docs/a.md#command-x-and-y) [ok](docs/a.md#twice-1) [ok](docs/a.md#k1)"
        " [ok](#t) [out](https://example.org/x.md#nothing) `[code](nowhere.md)`\n\n"
        "[gone](docs/b.md) [no anchor](docs/a.md#twice-2) ![img](pic.png) [up](../../x)\n"
        '<a href="docs/c.md">c</a>\n',
        encoding="utf-8",
    )
    assert broken_links(page, tmp_path) == [
        "docs/b.md: no such file",
        "docs/a.md#twice-2: no such anchor",
        "pic.png: no such file",
        "../../x: no such file",
        "docs/c.md: no such file",
    ]
