"""Reading and writing the bib file: clear errors, canonical form, untouched bytes."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ke_papers import bibread, store
from ke_papers.bibtex import format_entry
from ke_papers.errors import KePapersError
from ke_papers.model import Paper
from ke_papers.usecases.reading import editing, open_catalog

GOOD = """@string{acl = "Annual Meeting of the ACL"}

@comment{kept as written}

@preamble{"\\newcommand{\\noop}[1]{}"}

@inproceedings{a2020one,
  title = {One},
  author = "Doe, Jane",
  booktitle = acl,
  year = 2020,
}

@article{b2021two, title={Two}, author={Roe, Rick}, year={2021}}
"""


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("@article{a, title={ok}}\n\n@article{b, title={unclosed\n", 3, "cannot parse @article"),
        ("@article{a,\n  title = {x},\n  year 2022\n}\n", 3, "Expected a `=`"),
        ("@article{a, title={x}, title={y}}\n", 1, "duplicate field 'title'"),
        ('@article{a, title="x}\n', 1, "cannot parse @article"),
    ],
)
def test_malformed_bib_is_one_line_exit_2(run, tmp_path: Path, text: str, line: int, what: str):
    bib = tmp_path / "papers.bib"
    bib.write_text(text, encoding="utf-8")
    for args in (["list"], ["show", "a"], ["fmt"], ["taxonomy"]):
        result = run("--bib", str(bib), *args, code=2)
        assert result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith(f"error: {bib}:{line}: ")
        assert what in result.stderr
        assert "Traceback" not in result.stderr
    assert bib.read_text(encoding="utf-8") == text


def test_duplicate_key_reads_with_a_warning_and_writes_refuse(run, tmp_path: Path):
    bib = tmp_path / "papers.bib"
    text = "@article{a, title={x}}\n@article{a, title={y}}\n"
    bib.write_text(text, encoding="utf-8")
    warning = f"warning: {bib}:2: duplicate key 'a' (the first one is used)\n"
    shown = run("--bib", str(bib), "show", "a")
    assert "title: x" in shown.stdout and shown.stderr == warning
    for args in (["list"], ["search", "x"], ["export"], ["taxonomy"]):
        assert run("--bib", str(bib), *args).stderr == warning
    refused = run("--bib", str(bib), "fmt", code=2)
    assert refused.stderr == f"error: {bib}:2: duplicate key 'a'\n"
    assert bib.read_text(encoding="utf-8") == text


def test_missing_and_unreadable_files(run, tmp_path: Path):
    result = run("--bib", str(tmp_path / "nope.bib"), "list", code=2)
    assert result.stderr == f"error: {tmp_path / 'nope.bib'}: no such file\n"
    result = run("--bib", str(tmp_path), "list", code=2)
    assert "is a folder" in result.stderr
    binary = tmp_path / "binary.bib"
    binary.write_bytes(b"@article{a, title={x}}\n\xff\xfe\x00")
    result = run("--bib", str(binary), "list", code=2)
    assert result.stderr == f"error: {binary}:2: NUL byte: this is not a text file\n"


def test_unknown_key_suggests_close_ones(run, bib_copy: Path):
    before = bib_copy.read_bytes()
    result = run("--bib", str(bib_copy), "show", "meng2022locatin", code=2)
    assert result.stderr == (
        "error: no paper with key 'meng2022locatin' (did you mean meng2022locating?)\n"
    )
    assert bib_copy.read_bytes() == before


def test_strings_are_expanded_for_reading(tmp_path: Path):
    doc = bibread.parse(GOOD, tmp_path / "x.bib")
    a = doc.papers[0]
    assert a.get("booktitle") == "Annual Meeting of the ACL"
    assert a.get("author") == "Doe, Jane"
    assert a.line == 7


def test_edit_of_one_entry_leaves_all_other_bytes(tmp_path: Path):
    bib = tmp_path / "x.bib"
    bib.write_text(GOOD, encoding="utf-8")
    with editing(bib) as library:
        b = library.find("b2021two")
        library.replace("b2021two", b.with_fields(title="Two, Revised"))
    after = bib.read_text(encoding="utf-8")
    assert after.startswith(GOOD[: GOOD.index("@article{b2021two")])
    assert "title         = {Two, Revised}" in after
    assert after.endswith("}\n")


def test_new_paper_adds_lines_only(tmp_path: Path, bib_copy: Path):
    before = bib_copy.read_text(encoding="utf-8").splitlines()
    new = Paper("new2024paper", "misc", {"title": "New", "taxonomy": "Analysis"})
    with editing(bib_copy) as library:
        index = library.add(new)
    after = bib_copy.read_text(encoding="utf-8").splitlines()
    diff = [d for d in difflib.ndiff(before, after) if d[0] in "+-"]
    assert diff and all(d.startswith("+ ") for d in diff)
    assert open_catalog(bib_copy).papers[index].key == "new2024paper"
    assert index == 45  # after the last Analysis paper, at the end of the file


def test_new_paper_goes_to_end_of_its_section(bib_copy: Path):
    new = Paper(
        "new2024paper",
        "misc",
        {"title": "New", "taxonomy": "Methods > Modify Parameters > Finetuning"},
    )
    with editing(bib_copy) as library:
        library.add(new)
    keys = [p.key for p in open_catalog(bib_copy)]
    assert keys[keys.index("new2024paper") - 1] == "zhu2020modifying"
    assert keys[keys.index("new2024paper") + 1] == "decao2021editing"


def test_special_blocks_survive_a_write(tmp_path: Path):
    bib = tmp_path / "x.bib"
    bib.write_text(GOOD, encoding="utf-8")
    with editing(bib) as library:
        library.remove("a2020one")
        library.add(Paper("c2022three", "misc", {"title": "Three"}))
    after = bib.read_text(encoding="utf-8")
    for block in (
        '@string{acl = "Annual Meeting of the ACL"}',
        "@comment{kept as written}",
        '@preamble{"\\newcommand{\\noop}[1]{}"}',
    ):
        assert block in after
    assert [p.key for p in open_catalog(bib)] == ["b2021two", "c2022three"]


def test_failed_edit_writes_nothing(tmp_path: Path):
    bib = tmp_path / "x.bib"
    bib.write_text(GOOD, encoding="utf-8")
    with pytest.raises(RuntimeError), editing(bib) as library:
        library.remove("a2020one")
        raise RuntimeError("boom")
    assert bib.read_text(encoding="utf-8") == GOOD
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_write_that_changes_other_entries_is_refused(tmp_path: Path):
    doc = bibread.parse(GOOD, tmp_path / "x.bib")
    mangled = GOOD.replace("{Two}", "{Too}")
    with pytest.raises(KePapersError, match="would change entries"):
        store.verify(doc.papers, mangled, tmp_path / "x.bib")
    with pytest.raises(KePapersError, match="would not parse"):
        store.verify(doc.papers, GOOD + "@article{z, title={\n", tmp_path / "x.bib")


def test_fmt_check_then_fmt_is_idempotent(run, tmp_path: Path):
    bib = tmp_path / "x.bib"
    bib.write_text(GOOD, encoding="utf-8")
    result = run("--bib", str(bib), "fmt", "--check", code=1)
    assert "not canonical" in result.stderr
    assert bib.read_text(encoding="utf-8") == GOOD
    run("--bib", str(bib), "fmt")
    once = bib.read_text(encoding="utf-8")
    assert "  booktitle     = acl,\n" in once
    assert "  author        = {Doe, Jane},\n" in once
    assert "  year          = {2020}\n" in once
    run("--bib", str(bib), "fmt")
    assert bib.read_text(encoding="utf-8") == once
    run("--bib", str(bib), "fmt", "--check")
    assert [p.key for p in open_catalog(bib)] == ["a2020one", "b2021two"]


def test_shipped_list_is_canonical(run):
    from conftest import DATA_BIB

    result = run("--bib", str(DATA_BIB), "fmt", "--check")
    assert "is canonical" in result.stderr


def test_patches_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from ke_papers import library as edit_model

    bib = tmp_path / "x.bib"
    bib.write_text(GOOD, encoding="utf-8")
    data = GOOD.encode()
    new = Paper("c2022three", "misc", {"title": "Three", "year": "2022"})
    with editing(bib, write=False) as library:
        library.append(new)
        patches = library.patches()
        spans = library._spans(patches)
        strings = library.index.strings(data)
        intended = library.all_keys()

        def keys() -> list[str]:
            return library._result_keys(patches)

        store.check(
            bib, data, "utf-8", patches, spans, strings, keys, intended
        )  # honest patches pass
        lost = pytest.raises(KePapersError, match="would be lost")
        # A patch that puts text inside a block nobody asked to change (the @preamble),
        # or takes a block that is no entry away (the @preamble, the @comment).
        preamble = GOOD.index("@preamble")
        torn = [store.Patch(preamble + 3, preamble + 3, "% inserted\n"), *patches]
        with pytest.raises(KePapersError, match="would be written"):
            store.check(bib, data, "utf-8", torn, spans, strings, keys, intended)
        for start, end in [
            (preamble - 2, GOOD.index("\n", preamble)),
            (0, GOOD.index("@comment") + 9),
        ]:
            gone = [store.Patch(start, end, ""), *patches]
            with lost:
                store.check(bib, data, "utf-8", gone, library._spans(gone), strings, keys, intended)
        # An entry nobody asked to remove, taken away.
        first = GOOD.index("@inproceedings")
        kept = [store.Patch(first, GOOD.index("\n}\n", first) + 2, ""), *patches]
        with pytest.raises(KePapersError, match="not asked to touch would change"):
            store.check(bib, data, "utf-8", kept, library._spans(kept), strings, keys, intended)
        # Text that is no block at all (a stray word between entries) taken away.
        stray = data.replace(b"@comment", b"stray words @comment")
        at = stray.index(b"stray")
        with lost:
            store.check(
                bib, stray, "utf-8", [store.Patch(at, at + 12, "")], [], strings, keys, intended
            )
        with pytest.raises(KePapersError, match="entries would not be the ones intended"):
            store.check(bib, data, "utf-8", patches, spans, strings, keys, list(reversed(intended)))
    real = format_entry
    monkeypatch.setattr(
        edit_model, "format_entry", lambda p: real(p).replace("  year          = {2022}\n", "")
    )
    refused = pytest.raises(KePapersError, match="c2022three would not read back as written")
    with refused, editing(bib) as library:
        library.append(new)
    assert bib.read_text(encoding="utf-8") == GOOD


@pytest.mark.parametrize(
    "before",
    [
        "% My reading list\n",
        '@string{acl = "ACL"}\n\n',
        "  \n\n",
        "",
        GOOD,
        # Space that is more than one byte: places are bytes.
        "% Müller's ωlist\u00a0\u3000\n\u3000\n",
        "% ω\n\n" + GOOD.replace("One", "Ωne"),
    ],
    ids=[
        "a comment",
        "a string",
        "only space",
        "empty",
        "every entry removed",
        "wide space at the end",
        "wide characters before",
    ],
)
def test_new_entries_into_a_file_with_no_entry_kept(tmp_path: Path, before: str):
    bib = tmp_path / "x.bib"
    bib.write_text(before, encoding="utf-8")
    new = Paper("c2022three", "misc", {"title": "Three", "year": "2022"})
    with editing(bib) as library:
        for key in library.all_keys():  # the old entries go, the new one comes
            library.remove(key)
        library.append(new)
    # What is kept is the text before the first entry (every other block stands there).
    first = next((c.start for c in bibread.parse(before, bib).chunks if c.kind == "entry"), None)
    kept = before[:first].rstrip()
    expected = (kept + "\n\n" if kept else "") + format_entry(new) + "\n"
    assert bib.read_text(encoding="utf-8") == expected


def test_fmt_of_a_canonical_file_writes_nothing(run, tmp_path: Path):
    bib = tmp_path / "x.bib"
    bib.write_text(GOOD, encoding="utf-8")
    run("--bib", str(bib), "fmt")
    canonical = bib.read_bytes()
    os.link(bib, tmp_path / "linked.bib")  # a write would split the hard link: refused
    stat = bib.stat()
    result = run("--bib", str(bib), "fmt")
    assert "canonical" in result.stderr and bib.read_bytes() == canonical
    assert bib.stat().st_mtime_ns == stat.st_mtime_ns


def _listing(count: int) -> str:
    """A file of `count` entries among a @string, comments and wide characters."""
    blocks = ['@string{venue = "Ωmega Meeting"}', "% a comment — between blocks"]
    for i in range(count):
        title = f"Title {i}" + (" Ωμέγα 𝔼" if i % 3 == 0 else "")
        blocks.append(
            f"@article{{e{i:02d},\n  title = {{{title}}},\n  journal = venue,\n  year = {{20{i:02d}}}\n}}"
        )
        if i % 4 == 1:
            blocks.append(f"@comment{{after e{i:02d}: ü}}")
    return "\n\n".join(blocks) + "\n"


@given(
    steps=st.lists(
        st.tuples(st.sampled_from(["add", "remove", "replace", "move"]), st.integers(0, 99)),
        max_size=8,
    ),
)
@settings(max_examples=60, deadline=None)
def test_any_edit_patches_exactly_the_intended_entries(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, int]]
):
    """Papers added, removed, rewritten and moved anywhere: the write holds exactly the
    intended entries in order, and every entry left alone keeps its bytes."""
    bib = tmp_path_factory.mktemp("patch") / "x.bib"
    before = _listing(12)
    bib.write_text(before, encoding="utf-8")
    with editing(bib) as library:
        made = 0
        touched: set[str] = set()
        for op, n in steps:
            keys = library.all_keys()
            if op == "add" or not keys:
                made += 1
                new = Paper(f"n{made}", "misc", {"title": f"Néw {made}", "year": "2024"})
                library.insert(n % (len(keys) + 1), new)
            elif op == "remove":
                library.remove(keys[n % len(keys)])
            elif op == "replace":
                old = library.find(keys[n % len(keys)])
                library.replace(old.key, Paper(old.key, "misc", {"title": f"Rewritten {old.key}"}))
                touched.add(old.key)
            else:
                moved = library.remove(keys[n % len(keys)])
                library.insert(n // 7 % len(library.all_keys() or [0]), moved)
                touched.add(moved.key)
        intended = [(p.key, p.get("title")) for p in library.papers]
    after = bib.read_text(encoding="utf-8")
    assert [(p.key, p.get("title")) for p in bibread.parse(after).papers] == intended
    old = bibread.parse(before)
    for paper in old.papers:
        if paper.key in {k for k, _ in intended} - touched:
            chunk = old.chunks[paper.chunk or 0]
            assert before[chunk.start : chunk.end] in after


def test_entries_far_down_a_long_file_are_edited_in_place(run, tmp_path: Path):
    """Past the few hundred entries that small tests hold: `edit`, `move`, `rename` and
    `remove` find their entry by its place wherever it stands."""
    bib = tmp_path / "long.bib"
    bib.write_text(_listing(400), encoding="utf-8")
    before = bib.read_text(encoding="utf-8")
    run("--bib", str(bib), "edit", "e399", "--set", "note=Far down")
    run("--bib", str(bib), "rename", "e350", "e350renamed")
    run("--bib", str(bib), "remove", "e300", "--yes")
    after = bib.read_text(encoding="utf-8")
    keys = [p.key for p in bibread.parse(after).papers]
    assert "e300" not in keys and "e350renamed" in keys and len(keys) == 399
    assert bibread.parse(after).papers[-1].get("note") == "Far down"
    assert after.startswith(before[: before.index("@article{e300,")])
