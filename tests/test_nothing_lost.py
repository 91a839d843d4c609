"""Nothing lost, ever (issue 31): outputs, editors, permissions, README markers, paths,
and inputs made to be slow. Each fault is run through the real CLI on real files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import DATA_BIB

from ke_papers import fields as bibfields

KE_PAPERS = [sys.executable, "-m", "ke_papers"]
FORMATS = ["--markdown", "--bibtex", "--json", "--csv", "--html"]


@pytest.fixture
def bib(tmp_path: Path) -> Path:
    target = tmp_path / "papers.bib"
    target.write_bytes(DATA_BIB.read_bytes())
    return target


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    return result.stderr


# --- export -o --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("how", ["itself", "symlink", "hard link"])
def test_export_never_replaces_the_bib_it_reads(run, bib: Path, fmt: str, how: str):
    target = {"itself": bib, "symlink": bib.with_name("link.bib"), "hard link": None}[how]
    if how == "symlink":
        target.symlink_to(bib)
    if how == "hard link":
        target = bib.with_name("twin.bib")
        os.link(bib, target)
    before = bib.read_bytes()
    for extra in ([], ["--force"]):
        result = run("--bib", str(bib), "export", fmt, "-o", str(target), *extra, code=None)
        assert "the bibliography being read" in one_error_line(result)
        assert bib.read_bytes() == before


def test_export_refuses_a_file_it_did_not_write(run, bib: Path, tmp_path: Path):
    readme = tmp_path / "README.md"
    readme.write_text("# My project\n\nWritten by hand.\n", encoding="utf-8")
    result = run("--bib", str(bib), "export", "--markdown", "-o", str(readme), code=None)
    assert "--readme" in one_error_line(result) and "--force" in result.stderr
    assert readme.read_text(encoding="utf-8") == "# My project\n\nWritten by hand.\n"
    data = tmp_path / "mine.json"
    data.write_text('{"mine": true}\n', encoding="utf-8")
    result = run("--bib", str(bib), "export", "--json", "-o", str(data), code=None)
    assert "not written by ke-papers" in one_error_line(result) and "--readme" not in result.stderr
    assert data.read_text(encoding="utf-8") == '{"mine": true}\n'
    run("--bib", str(bib), "export", "--json", "-o", str(data), "--force")
    assert data.read_text(encoding="utf-8").startswith("[")


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_replaces_its_own_earlier_output(run, bib: Path, tmp_path: Path, fmt: str):
    out = tmp_path / f"list{fmt.replace('--', '.')}"
    run("--bib", str(bib), "export", fmt, "-o", str(out))
    first = out.read_bytes()
    run("--bib", str(bib), "edit", "meng2022locating", "--set", "title=Locating Things Anew")
    run("--bib", str(bib), "export", fmt, "-o", str(out))
    assert out.read_bytes() != first and b"Locating Things Anew" in out.read_bytes()
    run("--bib", str(bib), "export", fmt, "-o", str(out), "--check")


def test_an_output_the_user_changed_is_theirs(run, bib: Path, tmp_path: Path):
    out = tmp_path / "list.csv"
    run("--bib", str(bib), "export", "--csv", "-o", str(out))
    with out.open("a", encoding="utf-8") as fh:
        fh.write("my own row\n")
    result = run("--bib", str(bib), "export", "--csv", "-o", str(out), code=None)
    assert "not written by ke-papers" in one_error_line(result)
    assert out.read_text(encoding="utf-8").endswith("my own row\n")


# --- edit in $EDITOR -------------------------------------------------------------------


def editor(tmp_path: Path, body: str) -> str:
    """An $EDITOR: a Python script run on the file to edit (its path is `f`)."""
    script = tmp_path / "editor.py"
    script.write_text(f"import pathlib, subprocess, sys\nf = pathlib.Path(sys.argv[1])\n{body}")
    return f"{sys.executable} {script}"


def other_command(bib: Path, key: str, value: str) -> str:
    """Editor code that runs another ke-papers command on the bib while the editor is open."""
    args = [*KE_PAPERS, "--bib", str(bib), "edit", key, "--set", f"note={value}"]
    return f"subprocess.run({args!r}, check=True)\n"


ADD_EDITION = (
    "f.write_text(f.read_text().replace('  year ', '  edition = {Second},\\n  year ', 1))\n"
)


def test_a_change_elsewhere_in_the_file_while_editing_is_kept(
    run, bib: Path, tmp_path: Path, monkeypatch
):
    monkeypatch.setenv(
        "EDITOR", editor(tmp_path, other_command(bib, "yao2023editing", "Other") + ADD_EDITION)
    )
    run("--bib", str(bib), "edit", "meng2022locating")
    text = bib.read_text(encoding="utf-8")
    assert "{Other}" in text and "{Second}" in text


def test_a_change_to_the_same_entry_while_editing_keeps_both(
    run, bib: Path, tmp_path: Path, monkeypatch
):
    monkeypatch.setenv(
        "EDITOR", editor(tmp_path, other_command(bib, "meng2022locating", "Other") + ADD_EDITION)
    )
    result = run("--bib", str(bib), "edit", "meng2022locating", code=None)
    message = one_error_line(result)
    text = bib.read_text(encoding="utf-8")
    assert "{Other}" in text and "{Second}" not in text  # the other change stays
    kept = bib.parent / "meng2022locating.edit.bib"
    assert "{Second}" in kept.read_text(encoding="utf-8")
    assert f"ke-papers edit meng2022locating --from {kept}" in message.replace(
        "--from " + os.path.relpath(kept), f"--from {kept}"
    )
    run("--bib", str(bib), "edit", "meng2022locating", "--from", str(kept))
    assert "{Second}" in bib.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "body, why",
    [
        ("f.write_bytes(f.read_bytes().replace(b'Locating', b'Loc\\xe9ting'))\n", "not UTF-8"),
        ("f.write_text(f.read_text().replace('= {2022}', '2022'))\n", "does not parse"),
    ],
)
def test_an_edit_that_cannot_be_used_is_kept(
    run, bib: Path, tmp_path: Path, monkeypatch, body: str, why: str
):
    before = bib.read_bytes()
    monkeypatch.setenv("EDITOR", editor(tmp_path, body))
    result = run("--bib", str(bib), "edit", "meng2022locating", code=None)
    assert why in one_error_line(result)
    assert bib.read_bytes() == before
    kept = bib.parent / "meng2022locating.edit.bib"
    assert kept.exists() and str(kept.name) in result.stderr
    expected = b"Loc\xe9ting" if why == "not UTF-8" else b"year          2022"
    assert expected in kept.read_bytes()
    again = run("--bib", str(bib), "edit", "meng2022locating", code=None)  # never overwritten
    assert kept.exists() and (bib.parent / "meng2022locating.edit-2.bib").exists()
    assert "Traceback" not in again.stderr


# --- permissions -----------------------------------------------------------------------

OTHER_USER, THIRD_USER = 4242, 4243


def as_user(uid: int, args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    """The CLI run as another, unprivileged user (setpriv), with its own home folders."""
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
    }
    return subprocess.run(
        ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", *KE_PAPERS, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=home,
        timeout=120,
    )


@pytest.fixture
def shared() -> Path:
    """A folder everyone may write (a shared project folder), outside root's private /tmp."""
    if os.geteuid() != 0:
        pytest.skip("running as another user needs root (these tests run as a normal user)")
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is not installed")
    folder = Path(tempfile.mkdtemp(prefix="ke-papers-shared-"))
    folder.chmod(0o777)
    probe = as_user(THIRD_USER, ["--help"], folder)
    if probe.returncode != 0:
        shutil.rmtree(folder)
        pytest.skip(f"another user cannot run this Python here: {probe.stderr.strip()[:200]}")
    yield folder
    shutil.rmtree(folder)


@pytest.mark.parametrize("mode", [0o644, 0o666])
def test_a_file_of_another_user_is_not_taken_over(shared: Path, mode: int):
    bib = shared / "papers.bib"
    bib.write_bytes(DATA_BIB.read_bytes())
    os.chown(bib, OTHER_USER, OTHER_USER)
    bib.chmod(mode)
    before = bib.read_bytes()
    result = as_user(
        THIRD_USER, ["--bib", str(bib), "edit", "meng2022locating", "--set", "note=x"], shared
    )
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "not replacing it" in result.stderr
    if mode == 0o666:
        assert f"owned by user {OTHER_USER}" in result.stderr
    st = bib.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (OTHER_USER, OTHER_USER, mode)
    assert bib.read_bytes() == before


def test_a_users_own_file_in_a_shared_folder_is_written(shared: Path):
    bib = shared / "papers.bib"
    bib.write_bytes(DATA_BIB.read_bytes())
    os.chown(bib, THIRD_USER, THIRD_USER)
    result = as_user(
        THIRD_USER, ["--bib", str(bib), "edit", "meng2022locating", "--set", "note=x"], shared
    )
    assert result.returncode == 0, result.stderr
    assert bib.stat().st_uid == THIRD_USER and "{x}" in bib.read_text(encoding="utf-8")


# --- README markers --------------------------------------------------------------------


def test_readme_markers_shown_as_code_are_not_markers(run, tmp_path: Path):
    start, end = "<!-- ke-papers:start -->", "<!-- ke-papers:end -->"
    head = (
        f"# Mine\n\nPaste these two lines where the list goes:\n\n    {start}\n    {end}\n\n"
        f"or write `{start}` by hand.\n\n"
    )
    readme = tmp_path / "README.md"
    readme.write_text(f"{head}{start}\nold list\n{end}\n\nEnd.\n", encoding="utf-8")
    run("--bib", str(DATA_BIB), "export", "--readme", str(readme))
    text = readme.read_text(encoding="utf-8")
    assert text.startswith(head) and "old list" not in text and "## Papers" in text
    assert text.endswith(f"{end}\n\nEnd.\n")


def test_two_pairs_of_readme_markers_are_an_error(run, tmp_path: Path):
    pair = "<!-- ke-papers:start -->\nold\n<!-- ke-papers:end -->\n"
    readme = tmp_path / "README.md"
    readme.write_text(f"# A\n\n{pair}\n# B\n\n{pair}", encoding="utf-8")
    result = run("--bib", str(DATA_BIB), "export", "--readme", str(readme), code=None)
    assert "README.md:9: a second" in one_error_line(result)
    assert readme.read_text(encoding="utf-8") == f"# A\n\n{pair}\n# B\n\n{pair}"


# --- --bib paths -----------------------------------------------------------------------


COMMANDS = [
    ["list"],
    ["search", "rome"],
    ["show", "meng2022locating"],
    ["export", "--json"],
    ["cite", "meng2022locating"],
    ["lint"],
    ["fmt"],
    ["info"],
    ["edit", "meng2022locating", "--set", "note=x"],
    ["remove", "meng2022locating", "--yes"],
]


@pytest.mark.parametrize("shape", ["symlink loop", "folder", "missing folder", "through a file"])
def test_a_bib_path_no_command_can_use_is_one_line(tmp_path: Path, shape: str):
    loop = tmp_path / "loop.bib"
    loop.symlink_to(tmp_path / "loop2.bib")
    (tmp_path / "loop2.bib").symlink_to(loop)
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    path = {
        "symlink loop": loop,
        "folder": tmp_path,
        "missing folder": tmp_path / "nowhere" / "papers.bib",
        "through a file": tmp_path / "afile" / "papers.bib",
    }[shape]
    for args in COMMANDS:
        done = subprocess.run(
            [*KE_PAPERS, "--bib", str(path), *args], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr


# --- inputs made to be slow ------------------------------------------------------------


def crossref_chain(path: Path, n: int) -> Path:
    """`n` entries, each `crossref`ing the one before: each inherits from all above it."""
    lines = ["@proceedings{p0, title = {The Proceedings}, year = {2020}, publisher = {P}}\n"]
    lines += [
        f"@inproceedings{{p{i}, title = {{Paper {i}}}, author = {{Lee, Ann}}, crossref = {{p{i - 1}}}}}\n"
        for i in range(1, n)
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_crossref_chains_are_resolved_in_linear_work(run, tmp_path: Path, monkeypatch):
    calls = [0]
    inherited = bibfields.inherited

    def counted(*args):
        calls[0] += 1
        return inherited(*args)

    monkeypatch.setattr(bibfields, "inherited", counted)
    work = []
    for n in (500, 1000):
        bib = crossref_chain(tmp_path / f"chain{n}.bib", n)
        calls[0] = 0
        keys = run("--bib", str(bib), "list", "--format", "keys").stdout.split()
        assert len(keys) == n
        work.append(calls[0])
    assert work[1] <= 2.2 * work[0], work  # a walk per child grows 4x
    shown = run.json("--bib", str(tmp_path / "chain1000.bib"), "show", "p999", "--json")
    assert shown["venue"] == "The Proceedings" or "The Proceedings" in str(shown)


def test_crossref_cycles_are_reported(run, tmp_path: Path):
    bib = tmp_path / "ring.bib"
    bib.write_text(
        "@inproceedings{a2020a, title = {A}, author = {A, A}, crossref = {b2020b}}\n\n"
        "@inproceedings{b2020b, title = {B}, author = {B, B}, crossref = {c2020c}}\n\n"
        "@proceedings{c2020c, title = {C}, year = {2020}, crossref = {a2020a}}\n",
        encoding="utf-8",
    )
    out = run("--bib", str(bib), "lint", code=1).stdout
    assert "crossref-cycle: crossref/xdata cycle: a2020a -> b2020b -> c2020c -> a2020a" in out
    assert run("--bib", str(bib), "list", "--format", "keys").stdout.split() == [
        "a2020a",
        "b2020b",
        "c2020c",
    ]


def test_string_macros_that_double_are_one_line(run, tmp_path: Path):
    bib = tmp_path / "bomb.bib"
    lines = ['@string{s0 = "xx"}'] + [
        f"@string{{s{i} = s{i - 1} # s{i - 1}}}" for i in range(1, 40)
    ]
    bib.write_text("\n".join([*lines, "@misc{k2020k, title = s39}"]) + "\n", encoding="utf-8")
    for args in (["list"], ["lint"], ["fmt", "--check"]):
        result = run("--bib", str(bib), *args, code=None)
        assert "macros" in one_error_line(result)


def test_comments_inside_entries_are_placed_in_linear_time(tmp_path: Path):
    """Each entry's comment lines were looked for among all the file's: entries times
    comments. Times of two sizes in one run (the best of three each), never a fixed time."""
    import time

    from ke_papers import bibread

    def text(n: int) -> str:
        return "".join(
            f"@misc{{k{i}, % a note\n title = {{T {i}}}, year = 2020}}\n" for i in range(n)
        )

    best = {}
    for n in (4000, 8000):
        source = text(n)
        times = []
        for _ in range(3):
            start = time.process_time()
            papers = bibread.parse(source).papers
            times.append(time.process_time() - start)
        assert len(papers) == n and papers[-1].comments == {"title": "% a note"}
        best[n] = min(times)
    assert best[8000] < 3.0 * best[4000], best  # linear about 2, entries x comments about 4
