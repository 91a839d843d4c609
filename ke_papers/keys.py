"""Citation keys in Google Scholar style: `meng2022locating`.

First author's family name (lowercase ASCII, particles kept: `decao`), the year,
and the first title word that is not a stop word. A key already taken gets `a`,
then `b`, ... appended.
"""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Container, Iterator

from ke_papers.latex import fold, to_text
from ke_papers.names import Name

STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "on",
        "of",
        "in",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "and",
        "or",
        "as",
        "into",
        "about",
        "via",
    ]
)


def first_title_word(title: str) -> str:
    for word in re.split(r"[^a-z0-9]+", fold(to_text(title))):
        if word and word not in STOP_WORDS:
            return word
    return ""


def base_key(names: list[Name], year: int | None, title: str) -> str:
    family = names[0].key_part if names else ""
    return f"{family or 'anonymous'}{year or ''}{first_title_word(title)}"


def unique(base: str, taken: Container[str]) -> str:
    if base not in taken:
        return base
    return next(base + s for s in _suffixes() if base + s not in taken)


def _suffixes() -> Iterator[str]:
    """a, b, ..., z, aa, ab, ... without end."""
    for width in itertools.count(1):
        for letters in itertools.product(string.ascii_lowercase, repeat=width):
            yield "".join(letters)


#: What BibTeX and biber accept in a key: no spaces, braces, quotes, commas or comment signs.
_VALID = re.compile(r"^[^\s{}(),\"#%'=\\~]+$")


def check(key: str) -> str:
    """The key, if BibTeX can cite it; else one line saying what is wrong with it."""
    from ke_papers.errors import KePapersError

    if not _VALID.match(key):
        raise KePapersError(
            f"'{key}' is not a valid BibTeX key: use letters, digits and - _ : . / + "
            "(no spaces, braces, quotes, commas, # or %)"
        )
    return key
