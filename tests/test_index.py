"""The index (SQLite) mirrors the file: never trusted after any change, rebuilt when
damaged, the same answers as a full parse, and batches stay batched."""

from __future__ import annotations

import gc
import math
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA_BIB, REPO, recorded
from hypothesis import given, settings
from hypothesis import strategies as st

from ke_papers import bibread, index
from ke_papers.errors import BibError
from ke_papers.usecases.reading import open_catalog


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every real parse of bib text, recorded."""
    return recorded(
        monkeypatch, bibread, "parse", lambda text, path="papers.bib", *_, **__: Path(path)
    )


def titles(bib: Path) -> list[str]:
    return [p.title for p in open_catalog(bib).papers]


def test_second_read_comes_from_the_index(bib_copy: Path, parses: list[Path]):
    first = titles(bib_copy)
    made = len(parses)
    assert made >= 1 and index.location(bib_copy).exists()
    # A derived value is made when a command first asks for it, from the records: no parse.
    bodies = open_catalog(bib_copy).column("markdown")
    assert len(bodies) == len(first)
    assert titles(bib_copy) == first and len(parses) == made


def test_every_kind_of_change_is_seen(bib_copy: Path, parses: list[Path]):
    titles(bib_copy)
    stat = bib_copy.stat()
    # Same size, same modification time, other content: the change time, or the hash, sees it.
    text = bib_copy.read_text(encoding="utf-8").replace(
        "Locating and Editing", "Locating and Editink"
    )
    bib_copy.write_text(text, encoding="utf-8")
    os.utime(bib_copy, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert bib_copy.stat().st_size == stat.st_size
    assert "Locating and Editink Factual Associations in GPT" in titles(bib_copy)
    # Only the modification time changes: hashed, nothing parsed.
    before = len(parses)
    os.utime(bib_copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    titles(bib_copy)
    assert len(parses) == before
    # Another path with the same bytes has an index of its own.
    other = bib_copy.with_name("copy.bib")
    other.write_bytes(bib_copy.read_bytes())
    assert titles(other) == titles(bib_copy)
    assert index.location(other) != index.location(bib_copy)


def test_one_file_one_index_whatever_path_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parses: list[Path]
):
    """Two lists called `papers.bib` in two folders, each named relative to its own
    folder, are two files: neither throws the other's index away. One file named by a
    relative, an absolute or a linked path has one index."""
    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        folder.mkdir()
        (folder / "papers.bib").write_bytes(DATA_BIB.read_bytes() + folder.name.encode())
    (tmp_path / "link.bib").symlink_to(folders[0] / "papers.bib")
    for folder in folders:
        monkeypatch.chdir(folder)
        titles(Path("papers.bib"))
    made = len(parses)
    for folder in folders:
        monkeypatch.chdir(folder)
        titles(Path("papers.bib"))
    titles(folders[0] / "papers.bib")
    titles(tmp_path / "link.bib")
    assert len(parses) == made  # nothing parsed again
    assert len(list(index.location(Path("papers.bib")).parent.glob("*.sqlite3"))) == 2


def test_a_change_that_puts_the_mtime_back_is_never_trusted_as_the_old_bytes(bib_copy: Path):
    """A write reads the bytes under its lock, then opens the index of them. A change by
    hand lands in between, of the same size, its old mtime put back (`cp -p`, `rsync
    -t`, `tar x`): the index must not take the new stamp for the old bytes."""
    from ke_papers import files

    old = 1_600_000_000_000_000_000
    os.utime(bib_copy, ns=(old, old))
    titles(bib_copy)  # indexed long after the file's mtime: its stamp is trusted
    data = files.read_bytes(bib_copy)  # the write's read
    text = data.decode("utf-8").replace("Locating and Editing", "Locating and Editink")
    bib_copy.write_text(text, encoding="utf-8")
    os.utime(bib_copy, ns=(old, old))
    index.Index.open(bib_copy, data).conn.close()  # the write's index, of the bytes it read
    assert "Locating and Editink Factual Associations in GPT" in titles(bib_copy)


def test_a_write_never_trusts_an_index_of_the_same_size_and_mtime(bib_copy: Path):
    from ke_papers import library

    titles(bib_copy)
    stat = bib_copy.stat()
    # Two entries swap keys' places in the file: same size, other content.
    text = bib_copy.read_text(encoding="utf-8")
    keys = [p.key for p in open_catalog(bib_copy).papers]
    a, b = keys[0], keys[1]
    swapped = text.replace(f"{{{a},", "{@@@,").replace(f"{{{b},", f"{{{a},")
    swapped = swapped.replace("{@@@,", f"{{{b},")
    bib_copy.write_text(swapped, encoding="utf-8")
    os.utime(bib_copy, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert bib_copy.stat().st_size == stat.st_size
    with library.edit(bib_copy) as lib:
        first = lib.remove(b)  # the entry now first in the file
    assert first.get("title") == bibread.parse(swapped).papers[0].get("title")
    assert [p.key for p in bibread.parse(bib_copy.read_text("utf-8")).papers] == [a, *keys[2:]]


def test_a_change_parses_only_the_changed_piece(bib_copy: Path, parses: list[Path]):
    titles(bib_copy)
    before = len(parses)
    text = bib_copy.read_text(encoding="utf-8")
    bib_copy.write_text(text.replace("Locating and Editing", "Locating and Editink"), "utf-8")
    assert "Locating and Editink Factual Associations in GPT" in titles(bib_copy)
    assert len(parses) == before + 1


@pytest.mark.parametrize("damage", ["empty", "garbage", "half", "a table gone"])
def test_a_damaged_index_is_rebuilt(bib_copy: Path, damage: str, recwarn):
    expected = titles(bib_copy)
    db = index.location(bib_copy)
    gc.collect()  # this process's connections to it closed
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    if damage == "a table gone":
        with sqlite3.connect(db) as conn:
            conn.execute("DROP TABLE entry")
    else:
        blob = db.read_bytes()
        db.write_bytes(
            {"empty": b"", "garbage": b"nonsense" * 999, "half": blob[: len(blob) // 2]}[damage]
        )
    assert titles(bib_copy) == expected
    assert titles(bib_copy) == expected  # and then from a sound index again
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_the_index_folder_can_be_deleted_or_unwritable(bib_copy: Path, monkeypatch, tmp_path):
    expected = titles(bib_copy)
    index.location(bib_copy).unlink()
    assert titles(bib_copy) == expected
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    with pytest.warns(UserWarning, match="index of .* cannot be written"):
        assert titles(bib_copy) == expected


def test_a_locked_index_is_read_around_with_one_note(run, bib_copy: Path):
    """Another process holds the database's write lock for longer than a command waits:
    the command answers from a full parse and says so once."""
    expected = run("--bib", str(bib_copy), "list", "--json").stdout
    bib_copy.write_text(bib_copy.read_text("utf-8") + "\n% changed\n", "utf-8")
    holder = sqlite3.connect(index.location(bib_copy), timeout=1)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        os.environ["KE_PAPERS_INDEX_TIMEOUT"] = "0.2"
        result = run("--bib", str(bib_copy), "list", "--json")
    finally:
        del os.environ["KE_PAPERS_INDEX_TIMEOUT"]
        holder.rollback()
        holder.close()
    assert result.stdout == expected
    assert result.stderr.count("locked by another process") == 1


BIBS = sorted([DATA_BIB, *(REPO / "tests" / "fixtures").rglob("*.bib")], key=lambda p: str(p))


@pytest.mark.parametrize("bib", BIBS, ids=lambda p: p.name)
def test_list_and_search_are_byte_identical_with_and_without_the_index(run, monkeypatch, bib):
    commands = [
        ["list", "--json"],
        ["search", "editing", "--json", "--limit", "0"],
        ["search", "model", "language", "--keys", "--limit", "0"],
        ["search", "rome"],
        ["search", "--since", "2022", "--has-code", "--keys"],
    ]
    with_index = [run("--bib", str(bib), *c, code=None) for c in commands]
    again = [run("--bib", str(bib), *c, code=None) for c in commands]
    monkeypatch.setenv(index.ENV_DISABLE, "1")
    without = [run("--bib", str(bib), *c, code=None) for c in commands]
    shown = [[(r.exit_code, r.stdout) for r in results] for results in (with_index, again, without)]
    assert shown[0] == shown[1] == shown[2]


def _entries(n: int) -> list[str]:
    return [
        f"@article{{k{i},\n  title = {{Títle {i} on editing Ω}},\n  author = {{Doe, J{i}}},\n"
        f"  year = {{{2000 + i % 25}}},\n  taxonomy = {{Analysis > Part {i % 4}}}\n}}"
        for i in range(n)
    ]


@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(
                ["insert", "delete", "edit", "string", "comment", "crossref", "copy", "key", "same"]
            ),
            st.integers(0, 40),
        ),
        min_size=1,
        max_size=6,
    ),
    group=st.sampled_from([1, 2, 3, 7, index.GROUP]),
)
@settings(max_examples=150, deadline=None)
def test_random_edits_leave_the_index_as_a_full_parse_reads(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, int]], group: int
):
    """Blocks inserted, deleted, copied and rewritten by hand anywhere (keys used twice,
    files of the same size), @strings and crossrefs among them: after each change, the
    index says what a full parse says, and lays the file out as an index built from
    nothing does (with groups of pieces of any size: a group found as it was keeps its
    pieces)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(index, "GROUP", group)
        _random_edits(tmp_path_factory, steps)


def _random_edits(tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, int]]) -> None:
    from ke_papers.catalog import Catalog
    from ke_papers.usecases.reading import DERIVED

    bib = tmp_path_factory.mktemp("random") / "x.bib"
    blocks = _entries(30)
    made = 0
    for op, n in steps:
        at = n % (len(blocks) + 1)
        made = made + 1
        if op == "insert":
            blocks.insert(at, _entries(50)[30 + made % 20].replace("{k", f"{{new{made}k"))
        elif op == "delete" and blocks:
            blocks.pop(n % len(blocks))
        elif op == "edit" and blocks:
            k = n % len(blocks)
            blocks[k] = blocks[k].replace("editing", f"revising {made}")
        elif op == "string":
            blocks.insert(at, f'@string{{ven = "Venue {made}"}}')
            blocks.append(f"@misc{{m{made}, title = {{Uses}}, howpublished = ven}}")
        elif op == "comment":
            blocks.insert(at, f"% a comment {made} — ü\n@comment{{x{made}}}")
        elif op == "copy" and blocks:  # the same bytes twice: one piece, two places
            blocks.insert(at, blocks[n % len(blocks)])
        elif op == "key":  # a key used twice by two other entries
            blocks.insert(at, _entries(n + 1)[n].replace("Títle", f"Other {made}"))
        elif op == "same" and blocks:  # another file of the same size
            k = n % len(blocks)
            blocks[k] = blocks[k].swapcase()
        else:
            blocks.append(f"@misc{{c{made}, title = {{Child}}, crossref = {{k0}}}}")
        bib.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
        catalog = Catalog.open(bib, DERIVED)
        whole = bibread.parse(bib.read_text("utf-8"), bib, duplicates_ok=True)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(index.ENV_DISABLE, "1")
            anew = index.Index.open(bib)
        for column in ("lines", "starts", "ends", "before"):  # rows are numbered as made
            assert getattr(catalog.index.layout, column) == getattr(anew.layout, column)
        numbered = {"sections"}  # as first seen: compared as each entry's, below
        assert {k: v for k, v in catalog.index.info.items() if k not in numbered} == {
            k: v for k, v in anew.info.items() if k not in numbered
        }
        assert catalog.index.taxonomy() == [p.taxonomy for p in whole.papers]
        assert catalog.all_keys() == [p.key for p in whole.papers]
        ids, place = catalog.index.layout.ids, catalog.index.rows.place
        assert [place[row] for row in ids] == [ids.index(row) for row in ids]
        firsts = sorted({ids.index(row) for row in ids})
        assert [
            (p.key, p.line, p.as_dict()) for p in catalog.papers.of_rows([ids[i] for i in firsts])
        ] == [(p.key, p.line, p.as_dict()) for p in (whole.papers[i] for i in firsts)]
        assert [(p.key, p.line, p.as_dict()) for p in catalog.papers] == [
            (p.key, p.line, p.as_dict()) for p in whole.papers
        ]
        assert [w for w in catalog.warnings if "duplicate key" in w] == [
            f"{bib}:{line}: duplicate key '{key}' (the first one is used)"
            for line, key in whole.duplicate_keys
        ]


def test_a_big_first_read_in_several_processes_reads_as_one(tmp_path: Path):
    """From a few thousand pieces the first read is shared among processes
    (concurrent.futures); what it reads is what one process reads."""
    text = "\n\n".join(_entries(600)) + "\n"
    bib = tmp_path / "big.bib"
    bib.write_text(text, encoding="utf-8")
    code = (
        "import sys; from pathlib import Path; from ke_papers import index;"
        "index.PARALLEL_FROM = int(sys.argv[2]);"
        "from ke_papers.usecases.reading import open_catalog;"
        "print([p.record() for p in open_catalog(Path(sys.argv[1])).papers])"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "one")}
    one = subprocess.run(
        [sys.executable, "-c", code, str(bib), "100000"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    env["XDG_CACHE_HOME"] = str(tmp_path / "many")
    many = subprocess.run(
        [sys.executable, "-c", code, str(bib), "10"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert one.stdout == many.stdout and "k599" in one.stdout


def test_readers_never_see_a_half_built_index(tmp_path: Path):
    """One process keeps rewriting the file and reading it; others read meanwhile: each
    read is whole (as many papers as one of the versions has), never a traceback."""
    bib = tmp_path / "x.bib"
    versions = ["\n\n".join(_entries(n)) + "\n" for n in (150, 300)]
    bib.write_text(versions[0], encoding="utf-8")
    reader = (
        "import sys; from pathlib import Path;"
        "from ke_papers.usecases.reading import open_catalog;"
        "[print(len(list(open_catalog(Path(sys.argv[1]))))) for _ in range(6)]"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", reader, str(bib)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for k in range(8):  # each version written whole (a rename), as every writer here does
        staged = tmp_path / "staged.bib"
        staged.write_text(versions[k % 2], encoding="utf-8")
        os.replace(staged, bib)
        titles(bib)
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert set(out.split()) <= {"150", "300"} and out.split()


def test_the_sections_alone_are_the_tree_without_papers(bib_copy: Path):
    catalog = open_catalog(bib_copy)
    tree, sections = list(catalog.tree().walk()), list(catalog.sections().walk())
    assert [s.path for s in sections] == [s.path for s in tree] and len(tree) > 5
    assert all(not s.papers for s in sections)


@pytest.mark.parametrize("count", [1, 100, 101, 250])
def test_add_costs_one_request_per_hundred_ids(run, arxiv_server, bib_copy: Path, count: int):
    real = sorted(arxiv_server.entries)
    made_up = [f"2501.{10000 + i}" for i in range(count)]
    ids = (real + made_up)[:count]
    run("--bib", str(bib_copy), "add", *ids, "--skip-missing", "--no-category", code=None)
    assert len(arxiv_server.requests) == math.ceil(count / 100)


def test_update_costs_one_request_per_hundred_entries(run, arxiv_server, bib_copy: Path):
    run("--bib", str(bib_copy), "update", "--no-cache", code=None)
    arxiv_entries = sum(1 for p in open_catalog(bib_copy).papers if p.arxiv)
    assert len(arxiv_server.requests) == math.ceil(arxiv_entries / 100) == 1


def test_an_unchanged_file_is_not_read_again(bib_copy: Path, monkeypatch: pytest.MonkeyPatch):
    from ke_papers import files

    titles(bib_copy)
    # as if the file had changed long before (its change time cannot be put back)
    monkeypatch.setattr(index, "RACY_NS", -(10**18))
    os.utime(bib_copy, ns=(1, 1))
    titles(bib_copy)  # the stamp changed: read and hashed once
    held = recorded(monkeypatch, files, "read_bytes", lambda path, *_: path)
    titles(bib_copy)
    assert held == []
    bib_copy.write_text(bib_copy.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    titles(bib_copy)
    assert held == [bib_copy]


def test_ready_made_json_objects_print_what_the_papers_give(run, tmp_path: Path):
    """Past a hundred papers `list --json` joins the JSON objects the index keeps; they
    are what each paper read from the file gives, in the one JSON shape."""
    from ke_papers.render.formats import to_json

    bib = tmp_path / "x.bib"
    bib.write_text("\n\n".join(_entries(150)) + "\n", encoding="utf-8")
    whole = bibread.parse(bib.read_text("utf-8"), bib)
    expected = to_json([p.as_dict() for p in whole.papers])
    assert run("--bib", str(bib), "list", "--json").stdout == expected  # made and kept
    assert run("--bib", str(bib), "list", "--json").stdout == expected  # from the index
    assert run("--bib", str(bib), "list", "--format", "json").stdout == expected


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_an_index_on_a_full_disk_is_read_around_with_one_note(run, tmp_path: Path, monkeypatch):
    """The cache folder is on a disk with no room left: the command answers from the
    whole file, says so once, and leaves nothing half-written behind."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)]).returncode:
        pytest.skip("this machine does not let the tests mount a tmpfs")
    try:
        bib = tmp_path / "x.bib"
        bib.write_text("\n\n".join(_entries(300)) + "\n", encoding="utf-8")
        expected = run("--bib", str(bib), "list", "--json").stdout
        monkeypatch.setenv("XDG_CACHE_HOME", str(disk))
        result = run("--bib", str(bib), "list", "--json")
        assert result.stdout == expected
        assert result.stderr.count("\n") == 1 and "disk full" in result.stderr
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_many_strings_and_a_long_word_cost_what_they_hold(run, tmp_path: Path):
    """A chain of @strings is indexed without looking at every string again for each
    piece, its error keeps its own line, and a search word longer than any in the list
    asks for no variants of itself."""
    import time

    def chained(n: int) -> str:
        strings = [f'@string{{s{i} = "v{i}"}}' for i in range(n)]
        return "\n".join(strings) + "\n@misc{a, title = {T}, howpublished = s0}\n"

    def took(n: int) -> float:
        """The least of three first reads (one slow run is a busy machine, not the code)."""
        bib = tmp_path / f"s{n}.bib"
        times = []
        for k in range(3):
            bib.write_text(chained(n) + " " * k, encoding="utf-8")
            start = time.process_time()
            run("--bib", str(bib), "list", "--format", "keys")
            times.append(time.process_time() - start)
        return min(times)

    took(50)
    assert took(3200) / took(800) < 8.0  # about linear: 4 (quadratic gives about 16)
    broken = tmp_path / "broken.bib"
    broken.write_text(chained(20).replace('s13 = "v13"', 's13 "v13"'), encoding="utf-8")
    with pytest.raises(BibError) as whole:
        bibread.parse(broken.read_text("utf-8"), broken)
    assert whole.value.line == 14
    assert run("--bib", str(broken), "list", code=2).stderr == f"error: {whole.value}\n"
    word = "x" * 3000
    assert run("--bib", str(DATA_BIB), "search", word, code=1).exit_code == 1
