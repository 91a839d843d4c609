"""After a change to one block, the index reuses the rest and every command says
exactly what a read without it says (KE_PAPERS_NO_CACHE=1: an index of a full parse)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import DATA_BIB, recorded

from ke_papers import bibread, index
from ke_papers.catalog import Catalog
from ke_papers.errors import EncodingNote, KePapersError
from ke_papers.usecases.reading import DERIVED

EXTRA = r"""
@string{venuea = "Conference on Editing"}

@inproceedings{parent2020proc,
  title     = {Proceedings of Editing},
  booktitle = venuea,
  year      = {2020},
  editor    = {Itor, Ed}
}

@inproceedings{child2020paper,
  title     = {A Child Paper on Editing},
  author    = {Doe, Jane},
  crossref  = {parent2020proc},
  taxonomy  = {Methods > Preserve Parameters > Add extra parameters}
}

@misc{macro2021use,
  title        = {Macro Using Paper},
  author       = {Roe, Rick and M{\"u}ller, J{\"o}rg},
  % a comment line inside the entry
  howpublished = venuea # " and more",
  year         = 2021,
  month        = mar,
  taxonomy     = {Analysis}
}
@misc{first2022line, title = {Two Blocks on One Line}, year = {2022}} @misc{second2022line, title = {Second of the Line}, year = {2022}, taxonomy = {Analysis}}
"""

COMMANDS = [
    ["list", "--json"],
    ["search", "editing", "--json", "--limit", "0"],
    ["search", "--author", "Doe", "--json"],
    ["search", "--venue", "editing", "--keys"],
    ["show", "child2020paper", "macro2021use", "meng2022locating", "--json"],
    ["cite", "child2020paper", "macro2021use", "second2022line"],
    ["export", "--markdown"],
    ["export", "--bibtex"],
    ["taxonomy", "--json"],
    ["lint"],
]


def span(text: str, key: str) -> tuple[int, int]:
    """Where the entry `key` stands: from its `@` to the next line that starts a block."""
    start = re.search(r"^@\w+\{" + re.escape(key) + ",", text, re.MULTILINE)
    assert start, key
    end = re.compile(r"^@", re.MULTILINE).search(text, start.end())
    return start.start(), end.start() if end else len(text)


def cut(text: str, key: str) -> tuple[str, str]:
    """The text without the entry, and the entry."""
    a, b = span(text, key)
    return text[:a] + text[b:], text[a:b]


def before(text: str, key: str, block: str) -> str:
    a, _ = span(text, key)
    return text[:a] + block + text[a:]


def swapped(text: str, one: str, other: str) -> str:
    rest, first = cut(text, one)
    rest, second = cut(rest, other)
    a, _ = span(text, one)
    b, _ = span(text, other)
    if a < b:
        return before(before(rest, next_key(text, other), first), next_key(text, one), second)
    return before(before(rest, next_key(text, one), second), next_key(text, other), first)


def next_key(text: str, key: str) -> str:
    """The key of the entry after `key`."""
    _, b = span(text, key)
    found = re.compile(r"^@\w+\{([^,]+),", re.MULTILINE).search(text, b)
    assert found
    return found[1]


def moved(text: str) -> str:
    rest, block = cut(text, "meng2022locating")
    return rest.rstrip("\n") + "\n\n" + block


def removed(text: str) -> str:
    return cut(text, "mitchell2022fast")[0]


def inserted(text: str) -> str:
    new = (
        "@article{newton2024inserted,\n  title = {An Inserted Paper on Editing},\n"
        "  author = {Newton, Ada},\n  journal = venuea,\n  year = {2024},\n"
        "  taxonomy = {Analysis}\n}\n\n"
    )
    return before(text, "meng2022mass", new)


CHANGES: dict[str, Callable[[str], str]] = {
    "edited": lambda t: t.replace("Locating and Editing", "Locating and Editink"),
    "inserted": inserted,
    "removed": removed,
    "moved": moved,
    "swapped": lambda t: swapped(t, "meng2022locating", "macro2021use"),
    "string changed": lambda t: t.replace('"Conference on Editing"', '"Meeting on Revising"'),
    "parent changed": lambda t: t.replace("{2020},\n  editor", "{2019},\n  editor"),
    "string added": lambda t: before(t, "parent2020proc", '@string{mar = "Marchtember"}\n\n'),
    "duplicate key": lambda t: before(t, "meng2022mass", cut(t, "child2020paper")[1]),
    "block split": lambda t: t.replace("{2022}} @misc{second", "{2022}}\n@misc{second"),
    "broken entry": lambda t: t.replace("  year      = {2020},\n", "  year      = {2020\n"),
    "not UTF-8": lambda t: t.replace("Rick", "Ric\xe9"),
    # Characters of two, three and four bytes all through the file: a write copies the
    # old bytes by their places, which are bytes, not characters.
    "wide characters": lambda t: t.replace("Editing", "Ωditing — 𝔼").replace("Rick", "Rïck"),
}


def outputs(run, bib: Path) -> list[tuple[int, str, str]]:
    results = [run("--bib", str(bib), *args, code=None) for args in COMMANDS]
    return [(r.exit_code, r.stdout, r.stderr) for r in results]


@pytest.fixture
def base(tmp_path: Path) -> Path:
    bib = tmp_path / "papers.bib"
    bib.write_text(DATA_BIB.read_text(encoding="utf-8") + EXTRA, encoding="utf-8")
    return bib


@pytest.mark.parametrize("change", list(CHANGES))
def test_one_changed_block_reads_as_without_the_index(run, base: Path, monkeypatch, change):
    outputs(run, base)  # the index now holds the base file
    text = CHANGES[change](base.read_text(encoding="utf-8"))
    assert text != base.read_text(encoding="utf-8")
    encoding = "cp1252" if change == "not UTF-8" else "utf-8"
    base.write_bytes(text.encode(encoding))
    cached = outputs(run, base)
    assert cached == outputs(run, base)  # and the updated index is trusted
    kept = built(base)
    monkeypatch.setenv(index.ENV_DISABLE, "1")
    assert cached == outputs(run, base)
    assert kept == built(base)  # every column, the search vocabulary included


def built(bib: Path) -> dict[str, object] | None:
    """What the index keeps of the file, as plain values in file order (None: unreadable)."""
    try:
        with warnings.catch_warnings():  # the note on a file's encoding is the CLI's to show
            warnings.simplefilter("ignore", EncodingNote)
            catalog = Catalog.open(bib, DERIVED)
    except KePapersError:
        return None
    idx = catalog.index
    columns = ("key", "year", "taxonomy", "ftaxonomy", "code", "venue", "arxiv", "doi", "title")
    texts = {
        r[0]: r[1:] for r in idx.conn.execute(f"SELECT rowid, {', '.join(index.FIELDS)} FROM fts")
    }
    return {
        "columns": {c: idx.column(c) for c in columns},
        "records": [p.record() for p in catalog.papers],
        "lines": list(idx.layout.lines),
        # the sections are numbered as they were first seen: compared as each entry's
        "info": {k: v for k, v in idx.info.items() if k != "sections"},
        "sections": idx.taxonomy(),
        "lengths": [tuple(c[row] for c in list(idx.rows.columns())[1:]) for row in idx.layout.ids],
        "search": [texts[row] for row in idx.layout.ids],
        "vocabulary": sorted(t for (t,) in idx.conn.execute("SELECT term FROM vocab")),
        **{name: catalog.column(name) for name in DERIVED},
    }


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text of every parse, recorded."""
    return recorded(monkeypatch, bibread, "parse", lambda text, *_, **__: text)


def test_only_changed_pieces_are_parsed(run, base: Path, parsed: list[str]):
    run("--bib", str(base), "list", "--json")
    parsed.clear()
    base.write_text(CHANGES["edited"](base.read_text(encoding="utf-8")), encoding="utf-8")
    run("--bib", str(base), "list", "--json")
    # The changed entry, and the @strings (parsed every time, for the entries below
    # them); crossref children are given their parents' fields from the index's records.
    heads = sorted(t.split(",", 1)[0] for t in parsed)
    assert heads == [
        "@inproceedings{meng2022locating",
        '@string{venuea = "Conference on Editing"}\n\n',
    ]


def test_derived_parts_are_made_for_changed_pieces_only(
    run, base: Path, monkeypatch: pytest.MonkeyPatch
):
    from ke_papers.render import markdown

    made = recorded(monkeypatch, markdown, "entry_body", lambda paper: paper.key)
    run("--bib", str(base), "export", "--markdown")
    assert len(made) == len(built(base)["records"])  # the first time: every paper
    made.clear()
    base.write_text(CHANGES["edited"](base.read_text(encoding="utf-8")), encoding="utf-8")
    run("--bib", str(base), "search", "editing")
    assert made == []  # a command that does not ask for the part does not make it
    run("--bib", str(base), "export", "--markdown")
    # The changed entry's body is made anew, and the crossref child's (its parent may
    # have changed); every other body is the last version's.
    assert sorted(made) == ["child2020paper", "meng2022locating"]


WRITES = [
    ["edit", "meng2022mass", "--set", "note=Edited by hand"],
    ["move", "macro2021use", "-c", "Analysis", "--after", "second2022line"],
    ["remove", "mitchell2022fast", "--yes"],
    ["rename", "first2022line", "first2022renamed"],
    ["edit", "child2020paper", "--unset", "taxonomy"],
]


@pytest.mark.parametrize(
    "change", ["edited", "inserted", "string changed", "swapped", "wide characters"]
)
def test_writes_after_a_change_write_what_a_full_parse_writes(
    run, base: Path, tmp_path: Path, monkeypatch, change
):
    """A write places blocks from the parse cache's layout and parses only what it
    changes; the bytes it writes are those a write without the cache writes."""
    outputs(run, base)
    changed = CHANGES[change](base.read_text(encoding="utf-8"))
    base.write_text(changed, encoding="utf-8")
    run("--bib", str(base), "list", "--json")  # the cache follows the change
    plain = tmp_path / "plain.bib"
    plain.write_text(changed, encoding="utf-8")
    for args in WRITES:
        monkeypatch.delenv(index.ENV_DISABLE, raising=False)
        with_cache = run("--bib", str(base), *args, code=None)
        monkeypatch.setenv(index.ENV_DISABLE, "1")
        without = run("--bib", str(plain), *args, code=None)
        assert (with_cache.exit_code, with_cache.stdout) == (without.exit_code, without.stdout)
        assert base.read_bytes() == plain.read_bytes(), args
    assert re.search(r"note += \{Edited by hand\}", base.read_text(encoding="utf-8"))


def test_a_write_parses_only_the_entries_it_changes(run, base: Path, parsed: list[str]):
    run("--bib", str(base), "list", "--json")
    parsed.clear()
    run("--bib", str(base), "edit", "meng2022mass", "--set", "note=Edited by hand")
    heads = [m[0] for t in parsed for m in re.finditer(r"^@(?!string)\w+\{[^,]*", t, re.M)]
    # The entry is read from the index; its new text is parsed to check it before it is written.
    assert heads == ["@inproceedings{meng2022mass"]


def test_ready_made_bibtex_is_what_cleaning_each_paper_gives(base: Path):
    """`export --bibtex` joins the entries the parse cache made; they are the entries
    cleaning each paper read back from the cache gives."""
    from ke_papers.render import cite

    catalog = Catalog.open(base, DERIVED)
    ready = cite.joined(catalog.column("bibtex"))
    assert ready == cite.bibtex(list(catalog.papers))
    assert "@inproceedings{child2020paper," in ready


QUOTED = (
    '@article{quoted2020brace, title = "A { Brace in Quotes", year = {2020}}\n\n'
    "@article{after2021comment,\n  title = {After It},\n  % a comment line\n  year = {2021}\n}\n"
)
MIXED = "@misc{one2020muller, title = {M\xc3\xbcller}, year = {2020}}\n\n"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # A `{` inside quotes does not count, piece by piece or in the whole file.
        (QUOTED.encode(), QUOTED.replace("{2021}", "{2022}").encode()),
        # The file's encoding changes: every piece reads differently, reused or not.
        (
            MIXED.encode("latin-1") + b"@misc{two2021cafe, title = {Caf\xe9}, year = {2021}}\n",
            MIXED.encode("latin-1") + b"@misc{two2021cafe, title = {Cafe}, year = {2021}}\n",
        ),
        (
            MIXED.encode("latin-1") + b"@misc{two2021cafe, title = {Cafe}, year = {2021}}\n",
            MIXED.encode("latin-1") + b"@misc{two2021cafe, title = {Caf\xe9}, year = {2021}}\n",
        ),
    ],
    ids=["quoted brace", "cp1252 to UTF-8", "UTF-8 to cp1252"],
)
def test_changes_that_reach_beyond_their_piece(run, tmp_path: Path, monkeypatch, before, after):
    bib = tmp_path / "papers.bib"
    bib.write_bytes(DATA_BIB.read_bytes() + b"\n" + before)
    outputs(run, bib)
    bib.write_bytes(DATA_BIB.read_bytes() + b"\n" + after)
    cached = outputs(run, bib)
    monkeypatch.setenv(index.ENV_DISABLE, "1")
    assert cached == outputs(run, bib)
    shown = run("--bib", str(bib), "list", "--json", code=None).stdout
    assert '"year": 2022' in shown or "Caf" in shown


@pytest.mark.parametrize("shape", ["indented", "CR only", "mid-line"])
def test_a_file_in_one_piece_writes_what_a_full_parse_writes(
    run, tmp_path: Path, monkeypatch, shape: str
):
    """Entries that no line starts (indented, old Mac line ends, one after another on a
    line) make one piece of many blocks: their places in bytes are found in one pass."""
    entries = [
        f"@article{{k{i},\n  title = {{Títle {i} Ω}},\n  year = {{2020}},\n  taxonomy = {{Analysis}}\n}}"
        for i in range(60)
    ]
    text = {
        "indented": "".join(f"  {e}\n\n" for e in entries),
        "CR only": "".join(f"{e}\n\n" for e in entries).replace("\n", "\r"),
        "mid-line": " ".join(entries) + "\n",
    }[shape]
    cached, plain = tmp_path / "cached.bib", tmp_path / "plain.bib"
    for bib in (cached, plain):
        bib.write_text(text, encoding="utf-8", newline="")
    run("--bib", str(cached), "list", "--json")
    for args in [
        ["edit", "k30", "--set", "note=Edited — here"],
        ["remove", "k45", "--yes"],
        ["move", "k10", "-c", "Analysis", "--after", "k50"],
    ]:
        monkeypatch.delenv(index.ENV_DISABLE, raising=False)
        run("--bib", str(cached), *args)
        monkeypatch.setenv(index.ENV_DISABLE, "1")
        run("--bib", str(plain), *args)
        assert cached.read_bytes() == plain.read_bytes(), args
