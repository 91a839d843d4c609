"""What got in a newcomer's way (issue 12), each through the real CLI as they met it."""

from __future__ import annotations

import contextlib
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA_BIB, at_terminal, bib_in_git

from ke_papers.usecases.reading import open_catalog

KE_PAPERS = str(Path(sys.executable).with_name("ke-papers"))

SECTIONED = """@misc{lee2022study, title = {A Study of Things}, author = {Lee, Ann}, year = {2022},
  taxonomy = {Methods > Locate and edit}}

@misc{kim2023other, title = {Another Study}, author = {Kim, Cy}, year = {2023},
  taxonomy = {Analysis}}
"""


def process(*args: str | bytes, env: dict[str, str] | None = None, **kw):
    """The installed console script in a process of its own (a real pipe for stdout)."""
    return subprocess.run(
        [KE_PAPERS, *args], capture_output=True, env={**os.environ, **(env or {})}, **kw
    )


@pytest.fixture
def sectioned(tmp_path: Path) -> Path:
    bib = tmp_path / "papers.bib"
    bib.write_text(SECTIONED, encoding="utf-8")
    return bib


# --- bugs -------------------------------------------------------------------------------


def test_show_takes_the_keys_search_prints(run):
    keys = run("--bib", str(DATA_BIB), "search", "knowledge", "neurons", "--keys").stdout.split()
    assert len(keys) >= 2
    out = run("--bib", str(DATA_BIB), "show", *keys).stdout
    assert [
        line.removeprefix("key: ") for line in out.splitlines() if line.startswith("key: ")
    ] == (keys)


def test_bash_completion_of_a_section_keeps_it_one_word():
    words = "ke-papers --bib " + str(DATA_BIB) + " search -c Loc"
    env = {"_KE_PAPERS_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": "5"}
    out = process(env=env, text=True).stdout
    assert out.split("\n")[0] == "Locate\\ and\\ edit"


def test_tables_read_at_80_columns():
    from rich.console import Console

    from ke_papers.render.terminal import papers_table

    papers = list(open_catalog(DATA_BIB))
    console = Console(width=80, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(papers_table(papers, None, 80))
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    assert len(lines) < 4 * len(papers)  # was 753 lines for 45 papers
    text = " ".join(" ".join(lines).split())
    for word in ["Locating", "and", "Editing", "Factual", "Associations"]:
        assert re.search(rf"\b{word}\b", text)  # whole words, never broken


def test_search_keeps_to_papers_matching_every_word(run):
    def keys(*query: str) -> list[str]:
        return run("--bib", str(DATA_BIB), "search", *query, "--keys", "-n", "0").stdout.split()

    everything = len(open_catalog(DATA_BIB))
    in_context = keys("in-context")
    assert 0 < len(in_context) < everything // 4  # "in" no longer matches almost everything
    geva = keys("Mor Geva")
    authors = {k: open_catalog(DATA_BIB).find(k).authors for k in geva}
    assert geva and all(any("Geva" in a for a in names) for names in authors.values())


def test_cut_results_say_how_many_there_are(run):
    result = run("--bib", str(DATA_BIB), "search", "editing", "-n", "2")
    total = len(
        run("--bib", str(DATA_BIB), "search", "editing", "-n", "0", "--keys").stdout.split()
    )
    assert len(result.stdout.splitlines()) == 2
    assert f"2 of {total} shown" in result.stderr


def test_a_query_with_no_word_is_refused():
    result = process("--bib", str(DATA_BIB), "search", b"\xff\xfe")
    assert result.returncode == 2
    assert result.stderr.decode().startswith("error: ") and b"no word" in result.stderr
    assert result.stdout == b""


def test_filters_that_remove_every_match_say_so(run):
    result = run("--bib", str(DATA_BIB), "search", "rome", "--venue", "ICLR", code=1)
    assert "match 'rome', but not the filters" in result.stderr
    assert "did you mean" not in result.stderr


def test_no_match_in_json_is_an_empty_list(run):
    result = run("--bib", str(DATA_BIB), "search", "zzzqqq", "--json", code=1)
    assert result.stdout == "[]\n"


def test_cite_query_without_match_says_so(run):
    result = run("--bib", str(DATA_BIB), "cite", "-q", "zzzqqq", code=1)
    assert result.stderr == "no paper matches 'zzzqqq'\n"


def test_outputs_follow_the_umask_and_never_create_folders(run, tmp_path: Path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "refs.bib"
        run("--bib", str(DATA_BIB), "cite", "meng2022locating", "-o", str(out))
        assert stat.S_IMODE(out.stat().st_mode) == 0o644
        missing = tmp_path / "nowhere" / "refs.bib"
        result = run("--bib", str(DATA_BIB), "cite", "meng2022locating", "-o", str(missing), code=2)
        assert result.stderr.startswith("error: ") and not missing.parent.exists()
        run("--bib", str(DATA_BIB), "export", "-o", str(missing), code=2)
        assert not missing.parent.exists()
    finally:
        os.umask(old)


def test_a_read_only_bib_is_not_overwritten(run, bib_copy: Path):
    before = bib_copy.read_bytes()
    bib_copy.chmod(0o444)
    try:
        for args in (
            ["edit", "meng2022locating", "--set", "note=x"],
            ["remove", "meng2022locating", "--yes"],
        ):
            result = run("--bib", str(bib_copy), *args, code=2)
            assert "read-only" in result.stderr and result.stderr.count("\n") == 1
        assert bib_copy.read_bytes() == before
        assert stat.S_IMODE(bib_copy.stat().st_mode) == 0o444
    finally:
        bib_copy.chmod(0o644)


def test_add_in_a_sectioned_list_needs_a_section(run, arxiv_server, sectioned: Path):
    before = sectioned.read_bytes()
    result = run("--bib", str(sectioned), "add", "1605.08386", code=2)
    assert "--category SECTION (or --no-category" in result.stderr
    assert sectioned.read_bytes() == before and arxiv_server.requests == []
    run("--bib", str(sectioned), "add", "1605.08386", "--no-category")
    lint = run("--bib", str(sectioned), "lint", code=1).stdout
    assert re.search(r": no-section: ", lint)


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_bad_settings_are_one_line(run, arxiv_server, sectioned: Path, monkeypatch, value: str):
    monkeypatch.setenv("KE_PAPERS_ARXIV_TIMEOUT", value)
    result = run(
        "--bib", str(sectioned), "add", "1605.08386", "-c", "Analysis", "--no-cache", code=2
    )
    assert result.stderr == (
        "error: $KE_PAPERS_ARXIV_TIMEOUT must be a number of seconds, more than 0 and at most "
        f"86400, not '{value}'\n"
    )


def test_a_broken_bib_is_one_line_in_a_real_process(tmp_path: Path):
    bib = tmp_path / "broken.bib"
    bib.write_text("@article{a, title={ok}}\n\n@article{b,\n title={x},\n year 2022\n}\n", "utf-8")
    result = process("--bib", str(bib), "list", text=True)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Parsing of" not in result.stderr
    assert result.stderr.startswith(f"error: {bib}:5: ")  # the line of the fault itself


def test_update_of_an_entry_arxiv_does_not_know_fails(run, arxiv_server, tmp_path: Path):
    bib = tmp_path / "u.bib"
    bib.write_text(
        "@article{gone2008, title = {Gone}, year = {2008}, eprint = {2312.99999},"
        " archiveprefix = {arXiv}}\n",
        encoding="utf-8",
    )
    result = run("--bib", str(bib), "update", "gone2008", code=1)
    assert "gone2008: arXiv knows no paper 2312.99999" in result.stderr
    assert "everything is up to date" not in result.stderr


# --- friction ---------------------------------------------------------------------------


def test_pipes_get_plain_lines():
    search = process("--bib", str(DATA_BIB), "search", "rome", text=True).stdout
    first = search.splitlines()[0].split("\t")
    assert first[:2] == ["meng2022locating", "Locating and Editing Factual Associations in GPT"]
    assert not re.search(r"[│┃━─┏┗]", search)
    tree = process("--bib", str(DATA_BIB), "taxonomy", text=True).stdout.splitlines()
    assert tree[0] == "Overview (1)"
    assert re.fullmatch(r"Methods \(\d+\)", tree[1])
    assert re.fullmatch(r"  Preserve Parameters \(\d+\)", tree[2])


def test_usage_errors_are_one_line():
    for args in (["serach", "rome"], ["search", "--limit", "x"], ["--bib"], ["cite", "--nope"]):
        result = process(*args, text=True)
        assert result.returncode == 2, args
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, args


def test_help_is_clean_and_in_a_sensible_order():
    for command in ("search", "add", "cite", "export", "lint", "show", "edit"):
        text = process(command, "--help", text=True).stdout
        assert not re.search(r"<(bool|str|int|list\[str\]|int range|path)>", text), command
    top = process("--help", text=True).stdout
    listed = re.findall(r"^  (\w+)  ", top.split("Commands:")[1], re.MULTILINE)
    assert listed[:4] == ["search", "show", "list", "taxonomy"]
    assert process("--version", text=True).stdout.startswith("ke-papers 0.")


def test_conflicting_options_are_refused(run, tmp_path: Path):
    run("--bib", str(DATA_BIB), "export", "--grouped", code=2)
    result = run("--bib", str(DATA_BIB), "update", "--yes", "--dry-run", code=2)
    assert "choose one" in result.stderr


def test_no_file_is_left_beside_the_bib(run, arxiv_server, sectioned: Path, tmp_path: Path):
    run("--bib", str(sectioned), "add", "1605.08386", "-c", "Analysis")
    run("--bib", str(sectioned), "fmt")
    run("--bib", str(tmp_path / "new.bib"), "import", str(sectioned), "--dry-run", code=None)
    assert sorted(p.name for p in sectioned.parent.iterdir()) == ["home", "papers.bib", "work"]


def test_counts_are_plural_only_when_plural(run, tmp_path: Path):
    bib = tmp_path / "papers.bib"
    bib.write_text(
        "@misc{anonymous2020only,\n  title         = {Only},\n  year          = {2020},\n"
        "  url           = {ftp://x.org}\n}\n",
        encoding="utf-8",
    )
    assert "1 finding in" in run("--bib", str(bib), "lint", code=1).stderr
    out = tmp_path / "refs.bib"
    cited = run("--bib", str(bib), "cite", "anonymous2020only", "-o", str(out))
    assert "wrote 1 entry to" in cited.stderr


def test_format_choices_are_listed(run):
    result = run("--bib", str(DATA_BIB), "cite", "meng2022locating", "-f", "nope", code=2)
    assert "choose from json, keys, bibtex, biblatex," in result.stderr
    result = run("--bib", str(DATA_BIB), "lint", "--format", "nope", code=2)
    assert result.stderr == "error: unknown format 'nope'; choose from text, json, github\n"


def test_unknown_keys_and_sections_get_useful_suggestions(run):
    result = run("--bib", str(DATA_BIB), "show", "MENG2022LOCATING", code=2)
    assert "did you mean meng2022locating?" in result.stderr
    result = run("--bib", str(DATA_BIB), "show", "rome", code=2)
    assert "ke-papers search rome" in result.stderr
    result = run("--bib", str(DATA_BIB), "search", "-c", "Locatng", code=2)
    assert "did you mean 'Locate and edit'?" in result.stderr and result.stderr.count(";") == 0


def test_listing_without_a_query_has_no_score(run):
    rows = run.json("--bib", str(DATA_BIB), "search", "--venue", "EMNLP", "--json")
    assert rows and all("score" not in row for row in rows)
    ranked = run.json("--bib", str(DATA_BIB), "search", "rome", "--json")
    assert all("score" in row for row in ranked)


def test_the_first_write_outside_a_checkout_says_where_it_goes(run, tmp_path: Path):
    listing = tmp_path / "new.md"
    listing.write_text(
        "## Papers\n### New\n1. **A Brand New Work** <br />\nAda Lovelace.\n"
        "[[paper](https://arxiv.org/abs/2401.00009)]\n",
        encoding="utf-8",
    )
    first = run("import", str(listing)).stderr
    assert re.search(r"copied the shipped list to .*papers\.bib", first)
    assert "copied" not in run("import", str(listing)).stderr


# --- editing the list from the command line ----------------------------------------------


def changed_lines(bib: Path) -> list[str]:
    diff = subprocess.run(
        ["git", "diff", "-U0", "papers.bib"], cwd=bib.parent, capture_output=True, text=True
    ).stdout
    return [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in "+++---"]


def test_edit_with_set_and_unset_changes_only_those_lines(run, tmp_path: Path):
    bib = bib_in_git(tmp_path)
    run("--bib", str(bib), "edit", "meng2022locating", "--set", "note=Oral", "--unset", "keywords")
    assert sorted(changed_lines(bib)) == sorted(
        [
            "+  note          = {Oral},",
            "-  keywords      = {ROME, CounterFact, causal tracing, benchmark},",
        ]
    )
    run("--bib", str(bib), "edit", "meng2022locating", "--set", "links=code: javascript:x", code=2)
    run("--bib", str(bib), "edit", "meng2022locating", "--set", "note={open", code=2)
    run("--bib", str(bib), "edit", "meng2022locating", "--set", "bad field=x", code=2)


def test_edit_in_an_editor_refuses_a_broken_entry_and_offers_it_again(
    run, tmp_path: Path, monkeypatch
):
    bib = bib_in_git(tmp_path)
    script = tmp_path / "editor.py"
    script.write_text(
        "import pathlib, re, sys\n"
        f"count = pathlib.Path({str(tmp_path / 'count')!r})\n"
        "n = int(count.read_text()) + 1 if count.exists() else 1\n"
        "count.write_text(str(n))\n"
        "f = pathlib.Path(sys.argv[1])\n"
        "t = f.read_text()\n"
        "broken = re.sub(r'year\\s*=\\s*[{]\\d+[}]', 'year 2022', t)\n"
        "f.write_text(broken if n == 1 else t.replace('year 2022', 'year = {2021}'))\n",
        encoding="utf-8",
    )
    editor = {"EDITOR": f"{sys.executable} {script}"}
    args = ["--bib", str(bib), "edit", "meng2022locating"]
    result = at_terminal(args, "y\n", editor)
    assert "does not parse" in result.stderr and "edit again?" in result.stderr
    assert changed_lines(bib) == ["-  year          = {2022},", "+  year          = {2021},"]
    (tmp_path / "count").unlink()
    refused = at_terminal(args, "n\n", editor)
    assert refused.returncode == 2 and "does not parse" in refused.stderr
    assert changed_lines(bib) == ["-  year          = {2022},", "+  year          = {2021},"]
    kept = bib.parent / "meng2022locating.edit.bib"  # the refused text is kept, not lost
    assert "year 2022" in kept.read_text(encoding="utf-8") and str(kept.name) in refused.stderr


def test_move_rename_remove(run, tmp_path: Path):
    bib = bib_in_git(tmp_path)
    run(
        "--bib",
        str(bib),
        "move",
        "mitchell2022fast",
        "-c",
        "Locate and edit",
        "--after",
        "meng2022locating",
    )
    keys = [p.key for p in open_catalog(bib)]
    assert keys[keys.index("meng2022locating") + 1] == "mitchell2022fast"
    assert open_catalog(bib).find("mitchell2022fast").taxonomy[-1] == "Locate and edit"
    run("--bib", str(bib), "rename", "mitchell2022fast", "mitchell2022mend")
    assert (
        "already taken"
        in run("--bib", str(bib), "rename", "mitchell2022mend", "meng2022mass", code=2).stderr
    )
    assert (
        "not a valid BibTeX key"
        in run("--bib", str(bib), "rename", "meng2022mass", "a b", code=2).stderr
    )
    assert (
        "not a valid BibTeX key"
        in run("--bib", str(bib), "rename", "meng2022mass", "a,b", code=2).stderr
    )
    refused = run("--bib", str(bib), "remove", "mitchell2022mend", code=2)
    assert "--yes" in refused.stderr
    run("--bib", str(bib), "remove", "mitchell2022mend", "--yes")
    assert open_catalog(bib).get("mitchell2022mend") is None
    run("--bib", str(bib), "lint")


def test_import_quiet_says_one_line(run, tmp_path: Path):
    listing = tmp_path / "list.md"
    listing.write_text(
        "## Papers\n### A\n1. **Locating and Editing Factual Associations in GPT** <br />\n"
        "Kevin Meng.\n[[paper](https://arxiv.org/abs/2202.05262)]\n",
        encoding="utf-8",
    )
    bib = tmp_path / "papers.bib"
    bib.write_bytes(DATA_BIB.read_bytes())
    loud = run("--bib", str(bib), "import", str(listing), code=None).stderr
    assert "already in the list as meng2022locating" in loud
    quiet = run("--bib", str(bib), "import", str(listing), "--quiet", code=None).stderr
    assert quiet.count("\n") == 1 and "1 already there" in quiet


def on_a_terminal(*args: str, env: dict[str, str]) -> tuple[str, bytes]:
    """The console script run with its stderr on a real terminal (a pty) and its stdout
    into a pipe: what the terminal showed, and what the pipe got."""
    import pty

    main, side = pty.openpty()
    try:
        done = subprocess.run(
            [KE_PAPERS, *args], stdout=subprocess.PIPE, stderr=side, env=env, timeout=120
        )
        os.close(side)
        shown = b""
        with contextlib.suppress(OSError):  # EIO once the terminal is drained
            while chunk := os.read(main, 65536):
                shown += chunk
    finally:
        os.close(main)
    return shown.decode("utf-8", "replace"), done.stdout


def test_a_big_list_says_what_it_does_while_it_is_read(tmp_path: Path):
    bib = tmp_path / "papers.bib"
    with bib.open("w", encoding="utf-8") as out:
        made = [sys.executable, str(Path(__file__).parent.parent / "bench" / "make_bib.py")]
        subprocess.run([*made, "1500"], stdout=out, check=True)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "COLUMNS": "80"}
    shown, printed = on_a_terminal("--bib", str(bib), "search", "editing", env=env)
    assert "reading papers.bib (kept for the next commands)" in shown
    assert printed.count(b"\n") == 20 and b"\x1b" not in printed  # the pipe: plain lines
    shown, _ = on_a_terminal("--bib", str(bib), "export", "--bibtex", env=env)
    assert "preparing the bibtex of every entry in papers.bib" in shown
    shown, again = on_a_terminal("--bib", str(bib), "search", "editing", env=env)
    assert "reading" not in shown and again == printed  # from the cache: nothing to say
