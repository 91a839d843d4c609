"""`ke-papers add` and `update` against the recorded arXiv answers on 127.0.0.1."""

from __future__ import annotations

import select
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import bib_in_git, by_arxiv

from ke_papers.usecases.reading import open_catalog


def numstat(bib: Path) -> tuple[int, int]:
    out = subprocess.run(
        ["git", "diff", "--numstat", "papers.bib"],
        cwd=bib.parent,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return (int(out[0]), int(out[1])) if out else (0, 0)


@pytest.mark.parametrize(
    ("form", "asked", "base"),
    [
        ("1605.08386", "1605.08386", "1605.08386"),
        ("1605.08386v1", "1605.08386v1", "1605.08386"),
        ("arXiv:1605.08386", "1605.08386", "1605.08386"),
        ("https://arxiv.org/abs/1605.08386", "1605.08386", "1605.08386"),
        ("https://arxiv.org/pdf/1605.08386v1.pdf", "1605.08386v1", "1605.08386"),
        ("http://export.arxiv.org/abs/1605.08386", "1605.08386", "1605.08386"),
        ("astro-ph/0601001", "astro-ph/0601001", "astro-ph/0601001"),
        ("quant-ph/0201082v1", "quant-ph/0201082v1", "quant-ph/0201082"),
        ("cs/0503050v1", "cs/0503050v1", "cs/0503050"),
    ],
)
def test_every_id_form(run, arxiv_server, bib_copy: Path, form: str, asked: str, base: str):
    run("--bib", str(bib_copy), "add", form, "-c", "Analysis")
    assert [q["id_list"] for q in arxiv_server.requests] == [[asked]]
    added = open_catalog(bib_copy).papers[-1]
    assert added.arxiv == base and added.get("eprint") == base
    assert added.taxonomy == ["Analysis"] and added.get("archiveprefix") == "arXiv"


def test_entry_is_complete_and_only_lines_are_added(run, arxiv_server, tmp_path, bib_copy):
    bib = bib_in_git(tmp_path, bib_copy)
    result = run(
        "--bib",
        str(bib),
        "add",
        "astro-ph/0601001",
        "-c",
        "Locate and edit",
        "--code",
        "https://github.com/x/y",
        "--link",
        "code by EleutherAI=https://e.org/k",
        "--keywords",
        "ROME,CounterFact",
    )
    added = numstat(bib)
    assert added[0] > 10 and added[1] == 0
    library = open_catalog(bib)
    paper = by_arxiv(library, "astro-ph/0601001")
    assert (
        f"added {paper.key} (astro-ph/0601001) to Methods > Modify Parameters > Locate and edit"
        in result.stderr
    )
    keys = [p.key for p in library]
    assert keys[keys.index(paper.key) - 1] == "li2023pmet"  # end of its section
    assert paper.abstract and paper.year == 2006
    # arXiv's free-text journal reference is a note, never the journal's name
    assert paper.get("journal") == "arXiv preprint arXiv:astro-ph/0601001"
    assert paper.get("note") == "ActaAstron.56:1-50,2006"
    assert "arXiv preprint" in run("--bib", str(bib), "cite", paper.key, "-f", "text").stdout
    assert paper.get("primaryclass") == "astro-ph"
    assert [(link.label, link.url) for link in paper.extra_links] == [
        ("code", "https://github.com/x/y"),
        ("code by EleutherAI", "https://e.org/k"),
    ]
    assert paper.keywords == ["ROME", "CounterFact"]
    run("--bib", str(bib), "fmt", "--check")


def test_latex_specials_and_accents_stay_canonical(run, arxiv_server, bib_copy: Path):
    run("--bib", str(bib_copy), "add", "2302.03287", "2002.06611", "2306.03845", "-c", "Analysis")
    assert len(arxiv_server.requests) == 1
    library = open_catalog(bib_copy)
    chat = by_arxiv(library, "2302.03287")
    assert chat.get("title") == "{ChatGPT} and Software Testing Education: Promises \\& Perils"
    assert chat.title == "ChatGPT and Software Testing Education: Promises & Perils"
    assert chat.doi == "10.1109/ICSTW58534.2023.00078"
    assert "Bäckström, Karl" in by_arxiv(library, "2002.06611").get("author")
    assert by_arxiv(library, "2306.03845").title.startswith("$ω$Test")
    run("--bib", str(bib_copy), "fmt", "--check")
    text = run("--bib", str(bib_copy), "cite", chat.key).stdout
    assert "Promises \\& Perils" in text


def test_batch_is_one_request_per_hundred(run, arxiv_server, bib_copy: Path, monkeypatch):
    monkeypatch.setenv("KE_PAPERS_ARXIV_DELAY", "0.2")
    ids = sorted(arxiv_server.entries)
    assert len(ids) > 100
    run("--bib", str(bib_copy), "add", *ids, "-c", "Analysis")
    assert len(arxiv_server.requests) == 2
    assert [len(q["id_list"][0].split(",")) for q in arxiv_server.requests] == [100, len(ids) - 100]
    assert arxiv_server.times[1] - arxiv_server.times[0] >= 0.2  # arXiv's pacing, kept
    assert len(open_catalog(bib_copy)) == 45 + len(ids)


def test_not_found_writes_nothing_unless_skip_missing(run, arxiv_server, bib_copy: Path):
    before = bib_copy.read_bytes()
    result = run(
        "--bib", str(bib_copy), "add", "2312.99999", "1707.08567", "-c", "Analysis", code=2
    )
    assert "2312.99999: arXiv knows no such paper" in result.stderr
    assert result.stderr.strip().endswith(
        "error: nothing written: 1 of 2 IDs not found (--skip-missing adds the others)"
    )
    assert bib_copy.read_bytes() == before
    # The found record was cached: adding it alone asks arXiv nothing.
    run("--bib", str(bib_copy), "add", "1707.08567", "-c", "Analysis")
    assert len(arxiv_server.requests) == 1
    run(
        "--bib",
        str(bib_copy),
        "add",
        "2312.99999",
        "1605.08386",
        "--skip-missing",
        "-c",
        "Analysis",
    )
    assert by_arxiv(open_catalog(bib_copy), "1605.08386") is not None
    other = bib_copy.with_name("other.bib")
    run("--bib", str(other), "add", "1605.08386")
    assert len(arxiv_server.requests) == 2
    run("--bib", str(other.with_name("third.bib")), "add", "1605.08386", "--no-cache")
    assert len(arxiv_server.requests) == 3


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("reject", "arXiv rejected the request (HTTP 400)"),
        ("error", "arXiv answered HTTP 503 after 4 tries"),
        ("slow", "arXiv did not answer within 1 s"),
        ("down", "cannot reach arXiv at http://127.0.0.1:"),
    ],
)
def test_failures_are_one_line_and_lose_nothing(run, arxiv_server, bib_copy, mode, message):
    before = bib_copy.read_bytes()
    arxiv_server.mode = mode
    if mode == "down":
        arxiv_server.stop()
    result = run("--bib", str(bib_copy), "add", "1605.08386", "--no-category", code=2)
    assert result.stderr.startswith("error: " + message) and result.stderr.count("\n") == 1
    assert bib_copy.read_bytes() == before


def test_bad_input_is_refused_before_any_request(run, arxiv_server, bib_copy: Path):
    before = bib_copy.read_bytes()
    for args, message in (
        (["abc"], "'abc' is not an arXiv ID"),
        (["1605.08386", "--code", "javascript:alert(1)"], "is not an http(s) URL"),
        (["1605.08386", "--link", "nolabel"], "--link takes LABEL=URL"),
        (["1605.08386", "-c", "Nowhere"], "unknown section 'Nowhere'"),
        (["1605.08386", "1707.08567", "--key", "x2020"], "--key names one paper"),
    ):
        result = run("--bib", str(bib_copy), "add", *args, code=2)
        assert message in result.stderr
    assert arxiv_server.requests == []
    assert bib_copy.read_bytes() == before


def test_duplicates_are_reported_and_nothing_changes(run, arxiv_server, bib_copy, tmp_path):
    run("--bib", str(bib_copy), "add", "1605.08386", "--key", "mine2016", "-c", "Analysis")
    before = bib_copy.read_bytes()
    result = run("--bib", str(bib_copy), "add", "1605.08386v1", "-c", "Analysis")
    assert "1605.08386 is already in the list as mine2016" in result.stderr
    assert bib_copy.read_bytes() == before and len(arxiv_server.requests) == 1
    result = run(
        "--bib", str(bib_copy), "add", "https://arxiv.org/abs/2202.05262", "-c", "Analysis"
    )
    assert "2202.05262 is already in the list as meng2022locating" in result.stderr


def test_dry_run_venue_and_new_category(run, arxiv_server, bib_copy: Path):
    before = bib_copy.read_bytes()
    result = run(
        "--bib",
        str(bib_copy),
        "add",
        "1605.08386",
        "--venue",
        "ICLR 2023",
        "-c",
        "Methods > Brand New",
        "--new-category",
        "--dry-run",
    )
    assert bib_copy.read_bytes() == before
    assert result.stdout.startswith("@inproceedings{")
    assert "booktitle     = {International Conference on Learning Representations}" in result.stdout
    assert (
        "year          = {2023}" in result.stdout and "venue         = {ICLR 2023}" in result.stdout
    )
    assert "would add" in result.stderr and "to Methods > Brand New" in result.stderr
    run("--bib", str(bib_copy), "add", "1605.08386", "-c", "Methods > Brand New", "--new-category")
    keys = [p.key for p in open_catalog(bib_copy)]
    new = by_arxiv(open_catalog(bib_copy), "1605.08386").key
    assert keys[keys.index(new) - 1] == "reid2022learning"  # after the last Methods paper


def test_update_shows_diff_and_writes_only_with_yes(run, arxiv_server, tmp_path: Path):
    bib = tmp_path / "u.bib"
    bib.write_text(
        "@article{old2016,\n  title = {An Old Title},\n  author = {Nobody, A.},\n"
        "  year = {2016},\n  eprint = {1605.08386},\n  archiveprefix = {arXiv},\n"
        "  taxonomy = {Mine},\n  links = {code: https://x.org/c},\n  keywords = {kept}\n}\n",
        encoding="utf-8",
    )
    before = bib.read_bytes()
    result = run("--bib", str(bib), "update")
    assert "old2016\n  title: An Old Title\n" in result.stdout
    assert "run with --yes to write" in result.stderr
    run("--bib", str(bib), "update", "--dry-run")
    assert bib.read_bytes() == before
    run("--bib", str(bib), "update", "old2016", "--yes")
    paper = open_catalog(bib).find("old2016")
    assert paper.title != "An Old Title" and paper.authors[0] != "A. Nobody"
    assert paper.get("primaryclass")
    assert (paper.taxonomy, paper.keywords, paper.get("links")) == (
        ["Mine"],
        ["kept"],
        "code: https://x.org/c",
    )
    assert "everything is up to date" in run("--bib", str(bib), "update").stderr


@pytest.mark.parametrize("requests", [1, 3])
def test_a_progress_bar_shows_when_a_fetch_needs_more_than_one_request(monkeypatch, requests):
    """On a terminal, the bar ("asking arXiv") is drawn while several requests go out, and
    not at all for one (a single paper's add does not even make it)."""
    import os
    import pty

    from ke_papers import cli

    for name in ("TTY_INTERACTIVE", "TTY_COMPATIBLE", "FORCE_COLOR", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)  # rich would take them over the terminal
    main, side = pty.openpty()
    with os.fdopen(side, "w") as terminal:
        monkeypatch.setattr(sys, "stderr", terminal)
        monkeypatch.setenv("TERM", "xterm")
        with cli._progress() as update:
            for done in range(requests + 1):
                update(done, requests)
        terminal.flush()
        shown = b""
        while select.select([main], [], [], 0.2)[0]:
            shown += os.read(main, 65536)
    os.close(main)
    assert (b"asking arXiv" in shown) == (requests > 1)


def test_adding_one_paper_does_not_load_the_progress_bar():
    """A fetch of one request draws no bar, so the bar's module is not even imported (a
    fresh interpreter: other tests may have imported it)."""
    code = """
import sys
from ke_papers import cli
with cli._progress() as update:
    update(0, 1)
    update(1, 1)
print("rich.progress" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False"]
