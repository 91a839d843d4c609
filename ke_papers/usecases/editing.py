"""Editing the list without opening the bib file: one entry's fields or text, its place, its
key, or the entry itself. Each edit goes through the one checked write path, so only the
lines of the entries touched change.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ke_papers import bibread, fields, files, keys, taxonomy, urls
from ke_papers.bibtex import format_entry
from ke_papers.entries import Extras, with_extras
from ke_papers.errors import BibError, KePapersError, display_path
from ke_papers.model import Paper, parse_links
from ke_papers.usecases.reading import editing

if TYPE_CHECKING:
    from ke_papers.library import Library

_FIELD = re.compile(r"^[a-z][a-z0-9_\-:.+]*$")


def parse_assignments(sets: Sequence[str], unsets: Sequence[str]) -> dict[str, str | None]:
    """`FIELD=VALUE` options (and fields to drop) as changes: a value of None drops the field."""
    changes: dict[str, str | None] = {}
    for option in sets:
        name, sep, value = option.partition("=")
        if not sep:
            raise KePapersError(f"--set takes FIELD=VALUE, not '{option}'")
        changes[_field_name(name)] = value.strip()
    for name in unsets:
        changes[_field_name(name)] = None
    return changes


def _field_name(name: str) -> str:
    name = name.strip().casefold()
    if not _FIELD.match(name):
        raise KePapersError(f"'{name}' is not a BibTeX field name")
    return name


def _check_value(name: str, value: str) -> None:
    depth = 0
    for char in value.replace("\\{", "").replace("\\}", ""):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            break
    if depth != 0:
        raise KePapersError(f"{name}: the braces in '{value}' do not balance")
    if name == "links":
        for link in parse_links(value):
            urls.check(link.url)
    if name == "url":
        urls.check(value)


@dataclass(frozen=True)
class Change:
    """One field an edit changes: its value before and after ('' where there is none)."""

    name: str
    old: str
    new: str


def unknown_fields(names: Sequence[str], used: Sequence[str] = ()) -> list[tuple[str, str]]:
    """The names no entry type, list field or entry of the file uses, each with the
    closest known name ('' when none is close)."""
    import difflib

    known = sorted(fields.KNOWN_FIELDS | set(used))
    out = []
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            out.append((name, close[0] if close else ""))
    return out


def _changes(old: Paper, new: Paper) -> list[Change]:
    out = []
    if old.entry_type != new.entry_type:
        out.append(Change("type", old.entry_type, new.entry_type))
    for name in dict.fromkeys([*old.fields, *new.fields]):
        before, after = old.fields.get(name, ""), new.fields.get(name, "")
        if before != after:
            out.append(Change(name, before, after))
    return out


def set_fields(
    path: Path, key: str, changes: dict[str, str | None], force: bool = False
) -> tuple[Paper, list[Change]]:
    """Set or drop fields of one entry; the paper and every field that changed (none: the
    file is not written). A venue label also sets the entry type, container and year, as
    `add --venue` does. A field name no one uses is refused unless `force`."""
    if not changes:
        raise KePapersError("nothing to change: give --set FIELD=VALUE or --unset FIELD")
    for name, value in changes.items():
        if value is not None:
            _check_value(name, value)
    with editing(path) as library:
        old = library.find(key)
        wanted = [n for n, v in changes.items() if v is not None and n not in old.fields]
        unknown = unknown_fields(wanted) and unknown_fields(
            wanted, [n for p in library.papers for n in p.fields]
        )
        if unknown and not force:
            name, close = unknown[0]
            hint = f"did you mean '{close}'? " if close else ""
            raise KePapersError(
                f"no entry type or list field uses a field '{name}' ({hint}--force sets it anyway)"
            )
        venue = changes.pop("venue", None) if changes.get("venue") else None
        paper = old.with_fields(**changes)
        if venue:
            paper = with_extras(paper, Extras(venue=venue))
        done = _changes(old, paper)
        if not done:
            return old, []
        library.replace(key, paper)
    return paper, done


def entry_text(path: Path, key: str) -> str:
    """The entry as it stands in the file, byte for byte: what an editor is given."""
    with editing(path, write=False) as library:
        return _current(library, key)


def _current(library: Library, key: str) -> str:
    """The text of the entry of `key` in the bytes the library was opened on."""
    library.find(key)  # a missing key is named, with the closest ones
    assert library.index is not None  # a file with no index has no entries: find() said so
    i = library.all_keys().index(key)
    layout = library.index.layout
    return library.data[layout.starts[i] : layout.ends[i]].decode(library.index.encoding)


class Conflict(KePapersError):
    """The entry changed in the file while the user edited it."""


def replace_text(path: Path, key: str, text: str, expected: str | None = None) -> Paper:
    """Put an edited entry in place of `key`: it must read as exactly one entry. With
    `expected` (the entry's text when the editor opened), the entry must still be that:
    the rest of the file may have changed meanwhile, and those changes stay."""
    try:
        found = bibread.parse(text, path.with_name(f"{path.name} ({key})")).papers
    except BibError as exc:
        raise KePapersError(f"the edited entry does not parse: {exc}") from None
    if len(found) != 1:
        raise KePapersError(f"the edited text holds {len(found)} entries, not one")
    new = dataclasses.replace(found[0], chunk=None, line=None)
    if new.key != key:
        keys.check(new.key)
    with editing(path) as library:
        if expected is not None:
            try:
                now = _current(library, key)
            except KePapersError:
                now = None
            if now != expected:
                raise Conflict(f"{key} changed in {display_path(path)} while you edited it")
        old = library.find(key)
        if new.key != key and library.get(new.key) is not None:
            raise KePapersError(f"key '{new.key}' is already taken")
        if format_entry(new) == format_entry(old):
            return old
        library.replace(key, new)
    return new


def replace_from(path: Path, key: str, source: Path) -> Paper:
    """`edit KEY --from FILE`: the entry in FILE (an edit kept earlier) in place of `key`."""
    return replace_text(path, key, files.read_text(source))


def edit_interactively(
    path: Path, key: str, editor: Callable[[bytes, str], bytes | None]
) -> Paper | None:
    """Hand the entry to `editor(data, problem)` until it comes back valid and is written.

    `editor` returns None when the file was not saved or, after a problem, when the user
    gives up. None comes back when nothing was changed. The user's text is never thrown
    away: when it cannot be applied (it does not parse, is not UTF-8, or the entry changed
    in the file meanwhile) it is kept in a file of its own, and the error says where and
    how to apply it.
    """
    original = entry_text(path, key)
    data, problem = original.encode("utf-8"), ""
    while True:
        edited = editor(data, problem)
        if edited is None:
            if problem:
                raise _kept(path, key, data, problem)
            return None
        data = edited
        try:
            text = edited.decode("utf-8")
        except UnicodeDecodeError as exc:
            problem = f"the edited entry is not UTF-8 text (byte {exc.start + 1})"
            continue
        if text.strip() == original.strip():
            return None
        try:
            return replace_text(path, key, text, expected=original)
        except Conflict as exc:
            raise _kept(path, key, data, f"{exc}; nothing written") from None
        except KePapersError as exc:
            problem = str(exc)


def _kept(path: Path, key: str, data: bytes, problem: str) -> KePapersError:
    """The error that says where the user's text is kept and how to apply it.

    It goes beside the bib file (`KEY.edit.bib`), where the user looks and where `git
    status` shows it until it is dealt with (a cache can be cleaned away, and a file
    there is forgotten); a folder the user may not write sends it to the user's data
    folder. An earlier kept edit is never overwritten."""
    from ke_papers import config

    stem = re.sub(r"[^\w.+-]", "_", key)
    try:
        kept = files.create_new(path.parent, f"{stem}.edit", ".bib", data)
    except KePapersError:
        folder = config.user_library().parent / "edits"
        kept = files.create_new(folder, f"{stem}.edit", ".bib", data)
    name = display_path(kept)
    return KePapersError(
        f"{problem}; your text is kept in {name}: apply it with ke-papers edit {key} --from {name}"
    )


def run_editor(data: bytes, program: str) -> bytes | None:
    """`data` after the user edited it in `program` (split like a shell command line);
    None when the file was not saved. The bytes as saved: whatever they hold is the
    caller's to check, never lost to a decoding error."""
    import os
    import shlex
    import subprocess
    import tempfile

    fd, name = tempfile.mkstemp(prefix="ke-papers-", suffix=".bib")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        before = os.stat(name).st_mtime_ns
        try:
            done = subprocess.run([*shlex.split(program), name], check=False)
        except OSError as exc:
            raise KePapersError(f"cannot start the editor '{program}': {exc.strerror}") from None
        if done.returncode != 0:
            raise KePapersError(f"the editor '{program}' failed (exit code {done.returncode})")
        if os.stat(name).st_mtime_ns == before:
            return None
        with open(name, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(name)


@dataclass(frozen=True)
class Moved:
    """Where the entries went: the moved ones, and those already where they were sent."""

    section: tuple[str, ...]
    moved: list[Paper]
    unmoved: list[Paper]


def move(path: Path, moved: Sequence[str], section: str, after: str | None = None) -> Moved:
    """Move entries to a section (any level), at its end or right after another entry.

    An entry already in the section (with `after`: already right after it, in the order
    given) stays where it is: nothing is reordered or written for it."""
    with editing(path) as library:
        target = taxonomy.resolve(library.tree(), section)
        wanted = list(dict.fromkeys(moved))
        found = [library.find(key) for key in wanted]
        if after is not None and not _in(library.find(after), target):
            raise KePapersError(f"--after {after}: that entry is not in '{' > '.join(target)}'")
        if after is None:
            unmoved = [p for p in found if _in(p, target)]
        else:
            keys_now = library.all_keys()
            start = keys_now.index(after) + 1
            in_place = keys_now[start : start + len(wanted)] == wanted
            unmoved = found if in_place and all(_in(p, target) for p in found) else []
        staying = {p.key for p in unmoved}
        papers = [library.remove(p.key) for p in found if p.key not in staying]
        placed = []
        for paper in papers:
            new = paper.with_fields(taxonomy=" > ".join(target))
            new.chunk = None
            if after is None:
                library.add(new)
            else:
                library.insert_after(after, new)
                after = new.key
            placed.append(new)
    return Moved(target, placed, unmoved)


def _in(paper: Paper, path: tuple[str, ...]) -> bool:
    """Whether the paper's section is `path` (names ignore case)."""
    return len(paper.taxonomy) == len(path) and taxonomy.belongs(paper, path)


def rename(path: Path, old: str, new: str) -> Paper:
    keys.check(new)
    with editing(path) as library:
        paper = library.find(old)
        if library.get(new) is not None:
            raise KePapersError(f"key '{new}' is already taken")
        renamed = dataclasses.replace(paper, key=new)
        library.replace(old, renamed)
    return renamed


def remove(path: Path, removed: Sequence[str]) -> list[Paper]:
    with editing(path) as library:
        return [library.remove(key) for key in dict.fromkeys(removed)]
