"""A bib file cut into pieces that parse on their own, each with a fingerprint.

bibtexparser starts a block at every `@type{` or `@type(` between blocks, and aborts a
block that a line starting with one interrupts. So a file that parses cuts cleanly
before each line that starts with `@type{`: every piece from one such line to the next
parses alone to exactly the blocks the whole file gives there. A piece may hold more
than one block (an entry that starts mid-line stays with the piece before it). Finding
the cuts and fingerprinting the pieces costs a scan of the bytes, not a parse; the
parse cache uses the fingerprints to parse only pieces it has not seen.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from dataclasses import dataclass

#: A line that starts a block; `\w` in a bytes pattern is ASCII only, which can only
#: miss a cut (a piece then holds two blocks), never make a wrong one.
_CUT = re.compile(rb"\n(?=@\w*[ \t]*[{(])")
#: Where an @string may start (a superset: also inside values); pieces holding one are
#: parsed on their own, so that the strings every other piece sees are known.
_STRING = re.compile(rb"@string[ \t]*[{(]", re.IGNORECASE)
DIGEST_SIZE = 16


@dataclass
class Pieces:
    """Where each piece starts (bytes), its fingerprint, which pieces may define
    @strings, and the line each starts on (counted only where asked)."""

    data: bytes
    starts: list[int]
    digests: list[bytes]
    strings: frozenset[int]
    _counted: tuple[int, int] = (0, 1)  # a piece, and its line

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def size(self) -> int:
        return len(self.data)

    def line(self, i: int) -> int:
        """The line piece `i` starts on (asked in order, the file is counted once)."""
        known, line = self._counted if self._counted[0] <= i else (0, 1)
        line += self.data.count(
            b"\n", self.starts[known] if known < len(self) else 0, self.starts[i]
        )
        self._counted = (i, line)
        return line

    def span(self, i: int) -> tuple[int, int]:
        end = self.starts[i + 1] if i + 1 < len(self.starts) else self.size
        return self.starts[i], end


def cut(data: bytes) -> Pieces:
    """The pieces of a file's bytes (none for an empty file)."""
    if not data:
        return Pieces(data, [], [], frozenset())
    starts = [0, *(m.end() for m in _CUT.finditer(data))]
    ends = [*starts[1:], len(data)]
    view, sha = memoryview(data), hashlib.sha256  # SHA-256: in hardware on most CPUs
    digests = [sha(view[s:e]).digest()[:DIGEST_SIZE] for s, e in zip(starts, ends, strict=True)]
    strings = frozenset(bisect_right(starts, m.start()) - 1 for m in _STRING.finditer(data))
    return Pieces(data, starts, digests, strings)
