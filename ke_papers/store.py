"""Writing the bib file: the one write path.

A write happens under the file's lock, from the bytes read under it, as patches over
those bytes: (start, end, new text). Entries nobody changed keep their bytes; changed
and new ones are written in canonical form. The patches are checked against the old
bytes (`check`) before an atomic replace (`files.write_atomic`) that keeps the file's
owner and mode. `fmt` and `lint --fix` rewrite the whole file from a full parse
(`rewrite`), checked by reading the result back (`verify`).
"""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ke_papers import bibread, files
from ke_papers.bibtex import format_entry
from ke_papers.errors import BibError, KePapersError, display_path
from ke_papers.model import Paper


@dataclass(frozen=True)
class Patch:
    """Old bytes `start` to `end` replaced by `text`; `paper` is the entry it writes anew."""

    start: int
    end: int
    text: str
    paper: Paper | None = None


@dataclass(frozen=True)
class Span:
    """An old entry a patch touches: where it stands, and whether a patch may take it
    away (removed or rewritten)."""

    start: int
    end: int
    goes: bool


def _refuse(path: Path, why: str) -> KePapersError:
    return KePapersError(
        f"refusing to write {display_path(path)}: {why}; this is a bug in ke-papers"
    )


def check(
    path: Path,
    data: bytes,
    encoding: str,
    patches: Sequence[Patch],
    spans: Sequence[Span],
    strings: str,
    keys: Callable[[], list[str]],
    intended: list[str],
) -> None:
    """Refuse patches that would change anything but what they were asked to.

    Patches must be in order and apart; the old bytes they cover must be space or entries
    that may go (`spans`: every entry a patch touches); each entry written anew must
    parse, alone (with the file's @strings), into exactly its paper; and the file's
    entries, read in order, must be `intended` (`keys` gives the old entries' keys as
    they would stay).
    """
    end = 0
    starts = [s.start for s in spans]
    for patch in patches:
        if not end <= patch.start <= patch.end <= len(data):
            raise _refuse(path, "its changes overlap")
        end = patch.end
        covered = patch.start
        for span in spans[max(bisect.bisect_left(starts, patch.start) - 1, 0) :]:
            if span.start >= patch.end:
                break
            if span.end <= patch.start:
                continue
            if not (span.goes and patch.start <= span.start and span.end <= patch.end):
                raise _refuse(path, "a block it was not asked to touch would change")
            if data[covered : span.start].decode(encoding).strip():
                raise _refuse(path, "text between entries would be lost")
            covered = span.end
        if data[covered : patch.end].decode(encoding).strip():
            raise _refuse(path, "text between entries would be lost")
        if patch.paper is None:
            if patch.text.strip():
                raise _refuse(path, "text that is not an entry would be written")
            continue
        try:
            written = bibread.parse(strings + "\n" + patch.text, path).papers
        except BibError as exc:
            raise _refuse(
                path, f"entry {patch.paper.key} would not parse ({exc.message})"
            ) from None
        if len(written) != 1 or not same(written[0], patch.paper):
            raise _refuse(path, f"entry {patch.paper.key} would not read back as written")
    if keys() != intended:
        raise _refuse(path, "the entries would not be the ones intended")


def patched(
    path: Path, data: bytes, encoding: str, patches: Sequence[Patch]
) -> Iterator[bytes | memoryview]:
    """The new file's bytes, a part at a time: old bytes as they are, new text encoded.
    A character the encoding cannot hold refuses the write, with its line."""
    view = memoryview(data)
    pos = 0
    for patch in patches:
        yield view[pos : patch.start]
        try:
            yield patch.text.encode(encoding)
        except UnicodeEncodeError as exc:
            line = data.count(b"\n", 0, patch.start) + patch.text.count("\n", 0, exc.start) + 1
            raise BibError(
                path,
                line,
                f"refusing to write: {patch.text[exc.start]!r} cannot be written in this file's "
                f"encoding ({encoding}); convert the file to UTF-8 first",
            ) from None
        pos = patch.end
    yield view[pos:]


def apply(path: Path, data: bytes, encoding: str, patches: Sequence[Patch]) -> bool:
    """Apply checked patches (under the lock the caller holds); whether anything changed."""
    if not patches:
        return False
    parts = list(patched(path, data, encoding, patches))  # an encoding error before any write
    files.write_atomic(path, parts)
    return True


def canonical(doc: bibread.Document) -> str:
    """The whole file in canonical form: blocks in order, one blank line between them."""
    parts = []
    by_chunk = {p.chunk: p for p in doc.papers}
    for i, chunk in enumerate(doc.chunks):
        if chunk.kind == "entry":
            parts.append(format_entry(by_chunk[i]))
        else:
            parts.append(doc.text[chunk.start : chunk.end].strip())
    return "\n\n".join(p for p in parts if p) + "\n" if parts else ""


def _squeezed(fields: dict[str, str]) -> dict[str, str]:
    return {name: " ".join(value.split()) for name, value in fields.items()}


def same(a: Paper, b: Paper) -> bool:
    """Whether two papers read the same (space in values aside)."""
    return (
        a.key == b.key
        and a.entry_type == b.entry_type
        and _squeezed(a.fields) == _squeezed(b.fields)
        and a.comments == b.comments
    )


def verify(before: list[Paper], after_text: str, path: Path, lenient: bool = False) -> None:
    """Refuse a write whose result does not read back as exactly the intended papers."""
    try:
        after = bibread.parse(after_text, path, lenient).papers
    except BibError as exc:
        raise _refuse(path, f"it would not parse ({exc.message})") from None
    if len(after) != len(before) or not all(map(same, before, after)):
        raise _refuse(path, "the result would change entries it was not asked to touch")


@dataclass
class Rewrite:
    """A whole file rewritten in canonical form from a full parse: `papers` in order."""

    doc: bibread.Document
    papers: list[Paper]
    changed: bool = False


@contextlib.contextmanager
def rewrite(path: Path, write: bool = True, lenient: bool = False) -> Iterator[Rewrite]:
    """Lock, parse the whole file, let the caller change the papers, write them all in
    canonical form (checked by reading it back). `write=False`: no lock, no write."""
    with files.locked(path) if write else contextlib.nullcontext():
        data = files.read_bytes(path)
        text, encoding = bibread.load_text(data, path)
        doc = bibread.parse(text, path, lenient, encoding)
        edit = Rewrite(doc, list(doc.papers))
        yield edit
        if not write:
            return
        new = canonical(bibread.Document(path, text, doc.chunks, edit.papers, doc.strings))
        if new == text:
            return
        verify(edit.papers, new, path, lenient)
        edit.changed = apply(path, data, encoding, [Patch(0, len(data), new)])
