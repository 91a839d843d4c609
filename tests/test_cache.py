"""The parse cache mirrors the file and is never trusted after any change; batches stay batched."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
from conftest import DATA_BIB, recorded

from ke_papers import cache, parts, store
from ke_papers.errors import KePapersError
from ke_papers.usecases.reading import open_catalog


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every real parse of a bib file, recorded."""
    return recorded(
        monkeypatch, store, "parse", lambda text, path="papers.bib", *_, **__: Path(path)
    )


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every build of the parse cache's parts (a parse of the changed pieces, or none)."""
    return recorded(monkeypatch, parts, "build", lambda path, *_, **__: path)


def titles(bib: Path) -> list[str]:
    return [p.title for p in open_catalog(bib).papers]


def test_second_read_comes_from_the_cache(bib_copy: Path, parses: list[Path]):
    first = titles(bib_copy)
    assert len(parses) == 1
    assert all(cache.cache_file(bib_copy, part).exists() for part in ("meta", "records", "index"))
    # A derived part is made when a command first asks for it, from the records: no parse.
    assert not cache.cache_file(bib_copy, "markdown").exists()
    bodies = open_catalog(bib_copy).column("markdown")
    assert len(bodies) == len(first) and cache.cache_file(bib_copy, "markdown").exists()
    assert titles(bib_copy) == first and len(parses) == 1


def test_every_kind_of_change_invalidates(bib_copy: Path, builds: list[Path]):
    titles(bib_copy)
    stat = bib_copy.stat()
    # Same size, same modification time, other content: the hash catches it.
    text = bib_copy.read_text(encoding="utf-8").replace(
        "Locating and Editing", "Locating and Editink"
    )
    bib_copy.write_text(text, encoding="utf-8")
    os.utime(bib_copy, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert bib_copy.stat().st_size == stat.st_size
    assert "Locating and Editink Factual Associations in GPT" in titles(bib_copy)
    assert len(builds) == 2
    # Only the modification time changes.
    os.utime(bib_copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    titles(bib_copy)
    assert len(builds) == 3
    # The size changes.
    bib_copy.write_text(text + "\n", encoding="utf-8")
    titles(bib_copy)
    assert len(builds) == 4
    # Another path with the same bytes has its own entry.
    other = bib_copy.with_name("copy.bib")
    other.write_bytes(bib_copy.read_bytes())
    titles(other)
    assert len(builds) == 5
    titles(bib_copy)
    titles(other)
    assert len(builds) == 5


def test_a_write_never_trusts_a_cache_of_the_same_size_and_mtime(bib_copy: Path, builds):
    """The cache's parts are loaded while the write's bytes are hashed: when the hash
    disagrees, the parts are those of the bytes, not of the cache."""
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
    assert len(builds) == 2
    assert first.get("title") == store.parse(swapped).papers[0].get("title")
    assert [p.key for p in store.parse(bib_copy.read_text("utf-8")).papers] == [a, *keys[2:]]


def test_a_write_after_the_file_changed_since_it_was_read_reads_it_again(bib_copy: Path):
    """The read before the lock is tried first; the file changed since, and the part it
    lacks damaged: the write's document is that of the bytes under the lock."""
    open_catalog(bib_copy)  # the cache, built
    known = open_catalog(bib_copy).reader  # a read of it: the meta part only
    assert "pieces" not in known.parts
    changed = bib_copy.read_text(encoding="utf-8").replace("Locating and Editing", "Locating")
    bib_copy.write_text(changed, encoding="utf-8")
    cache.cache_file(bib_copy, "pieces").write_bytes(b"damaged")
    doc = parts.document(bib_copy, bib_copy.read_bytes(), known)
    assert [p.get("title") for p in doc.papers] == [
        p.get("title") for p in store.parse(changed).papers
    ]


def test_a_read_of_another_size_is_not_tried_for_a_write(bib_copy: Path, monkeypatch):
    """A file that grew since the read before the lock: that read cannot hold its bytes,
    so the write does not parse them once in vain with it."""
    open_catalog(bib_copy)
    known = open_catalog(bib_copy).reader
    bib_copy.write_text(bib_copy.read_text(encoding="utf-8") + "\n% grown\n", encoding="utf-8")
    parsed = recorded(monkeypatch, store, "parse", lambda text, *_, **__: len(text))
    doc = parts.document(bib_copy, bib_copy.read_bytes(), known)
    assert parsed and max(parsed) < len(bib_copy.read_text("utf-8")) / 10  # the change only
    monkeypatch.undo()
    assert len(doc.papers) == len(store.parse(bib_copy.read_text("utf-8")).papers)


def test_a_file_gone_before_its_write_is_one_line(bib_copy: Path, builds: list[Path]):
    """Said at once: not after a build of the bytes for a cache that cannot be stamped."""
    data = bib_copy.read_bytes()
    bib_copy.unlink()
    with pytest.raises(KePapersError, match=r"papers\.bib: no such file"):
        parts.document(bib_copy, data)
    assert builds == []


def test_a_change_parses_only_the_changed_piece(bib_copy: Path, parses: list[Path]):
    titles(bib_copy)
    before = len(parses)
    stat = bib_copy.stat()
    os.utime(bib_copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    titles(bib_copy)  # same bytes: rebuilt from the last build's parts, nothing parsed
    assert len(parses) == before
    text = bib_copy.read_text(encoding="utf-8")
    bib_copy.write_text(text.replace("Locating and Editing", "Locating and Editink"), "utf-8")
    assert "Locating and Editink Factual Associations in GPT" in titles(bib_copy)
    assert len(parses) == before + 1


@pytest.mark.parametrize("part", ["meta", "records"])
@pytest.mark.parametrize("garbage", [b"", b"not marshal at all", b"\xe3" * 10, None])
def test_corrupt_cache_is_ignored_and_rebuilt(bib_copy: Path, parses: list[Path], garbage, part):
    expected = titles(bib_copy)
    target = cache.cache_file(bib_copy, part)
    blob = target.read_bytes()
    target.write_bytes(blob[: len(blob) // 2] if garbage is None else garbage)
    assert titles(bib_copy) == expected
    assert len(parses) == 2
    assert titles(bib_copy) == expected and len(parses) == 2  # rebuilt, and trusted again


def test_cache_can_be_deleted_or_unwritable(bib_copy: Path, parses, monkeypatch, tmp_path):
    expected = titles(bib_copy)
    cache.cache_file(bib_copy, "meta").unlink()
    assert titles(bib_copy) == expected
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert titles(bib_copy) == expected


def test_cli_commands_agree_with_and_without_cache(run, monkeypatch):
    args = [
        ["search", "rome", "--json"],
        ["export", "--markdown"],
        ["show", "meng2022locating", "--json"],
        ["cite", "meng2022locating"],
        ["lint"],
        ["taxonomy", "--json"],
    ]
    warm = [run("--bib", str(DATA_BIB), *a, code=None).stdout for a in args]
    again = [run("--bib", str(DATA_BIB), *a, code=None).stdout for a in args]
    monkeypatch.setenv("KE_PAPERS_NO_CACHE", "1")
    cold = [run("--bib", str(DATA_BIB), *a, code=None).stdout for a in args]
    assert warm == again == cold


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


def test_a_file_is_read_once_and_held_only_when_it_changed(
    bib_copy: Path, monkeypatch: pytest.MonkeyPatch
):
    from ke_papers import files

    titles(bib_copy)
    held = recorded(monkeypatch, files, "read_bytes", lambda path, *_: path)
    hashed = recorded(monkeypatch, files, "digest", lambda path, *_: path)
    titles(bib_copy)  # unchanged: hashed a piece at a time, never held whole
    assert (held, hashed) == ([], [bib_copy])
    bib_copy.write_text(bib_copy.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    hashed.clear()
    titles(bib_copy)  # another size: read once, whole, for the build
    assert (held, hashed) == ([bib_copy], [])


def stored_chunks(bib: Path, part: str = "index") -> set[str]:
    where = cache.cache_file(bib, part)
    return {p.name for p in where.parent.glob(f"{where.name}.*")}


def test_a_change_stores_only_the_chunks_it_touched(
    bib_copy: Path, monkeypatch: pytest.MonkeyPatch
):
    from ke_papers import search

    monkeypatch.setattr(search, "CHUNK", 64)  # the index texts in many chunks
    monkeypatch.setattr(cache, "BLOB_CHUNK", 512)  # and the records
    titles(bib_copy)
    before, records = stored_chunks(bib_copy), stored_chunks(bib_copy, "records")
    text = bib_copy.read_text(encoding="utf-8")
    bib_copy.write_text(text.replace("Locating and Editing", "Locating and Zorbing"), "utf-8")
    titles(bib_copy)
    made = stored_chunks(bib_copy) - before
    assert len(before) > 100 and 0 < len(made) <= 2 * len(search.WEIGHTS)
    made = stored_chunks(bib_copy, "records") - records
    assert len(records) > 20 and 0 < len(made) <= 2
    index = open_catalog(bib_copy).index()
    assert [h.paper.title for h in index.search("zorbing").hits] == [
        "Locating and Zorbing Factual Associations in GPT"
    ]


def found(bib: Path) -> list[str]:
    """The keys a search finds (it reads the index)."""
    return [h.paper.key for h in open_catalog(bib).index().search("model editing", limit=0).hits]


DAMAGE = {
    "flipped bit": lambda data: data[:-1] + bytes([data[-1] ^ 0x20]),
    "cut short": lambda data: data[:7],
    "empty": lambda data: b"",
}


@pytest.mark.parametrize("damage", list(DAMAGE))
@pytest.mark.parametrize("part", ["index", "records"])
def test_a_damaged_chunk_is_a_miss_and_stale_ones_go(
    bib_copy: Path, monkeypatch: pytest.MonkeyPatch, builds: list[Path], part: str, damage: str
):
    first = found(bib_copy)
    folder = cache.cache_file(bib_copy, "index").parent
    chunk = folder / sorted(stored_chunks(bib_copy, part))[0]
    chunk.write_bytes(DAMAGE[damage](chunk.read_bytes()))
    assert found(bib_copy) == first and titles(bib_copy)
    assert found(bib_copy) == first and len(builds) == 2  # rebuilt once, repaired, trusted
    # A chunk no part names: kept a while (a reader may still be on it), then removed.
    stale = folder / (chunk.name.rsplit(".", 1)[0] + ".0123")
    stale.write_bytes(b"")
    dead = folder / f".{stale.name}.99999999.x1y2.tmp"  # a chunk writer that died mid-write
    dead.write_bytes(b"half")
    os.utime(dead, (0, 0))
    os.utime(bib_copy, ns=(0, bib_copy.stat().st_mtime_ns + 10**9))
    titles(bib_copy)
    assert stale.exists()
    os.utime(stale, (0, 0))
    os.utime(bib_copy, ns=(0, bib_copy.stat().st_mtime_ns + 10**9))
    titles(bib_copy)
    assert not stale.exists() and chunk.name in stored_chunks(bib_copy, part)
    assert not dead.exists()


def test_the_sections_alone_are_the_tree_without_papers(bib_copy: Path):
    catalog = open_catalog(bib_copy)
    tree, sections = list(catalog.tree().walk()), list(catalog.sections().walk())
    assert [s.path for s in sections] == [s.path for s in tree] and len(tree) > 5
    assert all(not s.papers for s in sections)


def test_a_file_changed_while_it_is_read_is_one_line(bib_copy: Path):
    from ke_papers.catalog import Catalog
    from ke_papers.errors import KePapersError
    from ke_papers.usecases.reading import DERIVED

    titles(bib_copy)
    catalog = Catalog.open(bib_copy, DERIVED)  # its keys and places are this file's
    text = bib_copy.read_text(encoding="utf-8")
    bib_copy.write_text("@misc{first2020new, title = {New}}\n\n" + text, encoding="utf-8")
    cache.cache_file(bib_copy, "index").unlink()  # a part still to read: built anew
    with pytest.raises(KePapersError, match="changed while it was read; run the command again"):
        catalog.index()


def test_the_records_are_loaded_only_by_commands_that_read_papers(run, bib_copy: Path, monkeypatch):
    """`info` and `taxonomy` read only the columns: the records part (every paper, the
    biggest part) is not loaded; `list` loads it."""
    run("--bib", str(bib_copy), "list", "--json")  # the cache, built
    loaded = recorded(monkeypatch, cache, "_load", lambda target, stamp, part, *likely: part)
    for command in (["info"], ["taxonomy"], ["add", "2202.05262", "-c", "Methods"]):
        result = run("--bib", str(bib_copy), *command)
        assert "meta" in loaded and "records" not in loaded, command
    assert "already in the list" in result.stdout + result.stderr  # ROME is there
    run("--bib", str(bib_copy), "list", "--json")
    assert "records" in loaded
