"""Person names: BibTeX's `Last, First` and the `First Last` that people read.

BibTeX splits an author list on ` and ` at brace depth zero, and a name on its
top-level commas (`von Last, Jr, First`). A name given as `First Last` is split
before the family name, which starts at a particle (`De Cao`, `van Gogh`) when
there is one, and a generational suffix (`Logan IV`) goes to the Jr part.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ke_papers.latex import escape_text, fold, to_text

_PARTICLES = {
    "de",
    "del",
    "della",
    "der",
    "den",
    "di",
    "da",
    "du",
    "dos",
    "das",
    "van",
    "von",
    "la",
    "le",
    "ter",
    "ten",
    "zu",
}
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v"}


@dataclass(frozen=True)
class Name:
    first: str
    last: str
    jr: str = ""

    @property
    def display(self) -> str:
        """`First Last Jr` as the list prints it."""
        return _reading(self.first, self.last, self.jr)

    @property
    def bibtex(self) -> str:
        """`Last, Jr, First`: the unambiguous BibTeX form."""
        if self.jr:
            return f"{self.last}, {self.jr}, {self.first}" if self.first else self.last
        return f"{self.last}, {self.first}" if self.first else self.last

    @property
    def key_part(self) -> str:
        """Lowercase ASCII family name for citation keys (`De Cao` -> `decao`)."""
        return re.sub(r"[^a-z]", "", fold(to_text(self.last)))


def _split_top(text: str, sep: re.Pattern[str]) -> list[str]:
    """`text` split at every `sep` outside braces, each part stripped.

    `sep` must match no brace. Most names hold no `{`, and then the depth never leaves
    zero, so one C-level split does what the scan over braces would.
    """
    if "{" not in text:
        return [p.strip() for p in sep.split(text)]
    parts: list[str] = []
    depth = 0
    start = 0
    for m in _with_braces(sep).finditer(text):
        token = m[0]
        if token == "{":
            depth += 1
        elif token == "}":
            depth = max(0, depth - 1)
        elif depth == 0:
            parts.append(text[start : m.start()])
            start = m.end()
    parts.append(text[start:])
    return [p.strip() for p in parts]


@functools.cache
def _with_braces(sep: re.Pattern[str]) -> re.Pattern[str]:
    """A brace or `sep`, brace first: one scan finds both, in the order a reader meets them."""
    return re.compile(r"[{}]|(?:" + sep.pattern + ")", sep.flags)


_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_COMMA = re.compile(r",")
_SPACE = re.compile(r" ")


def split_authors(value: str) -> list[str]:
    """The names in a BibTeX author field, in order, as written."""
    if not value.strip():
        return []
    return [p for p in _split_top(" ".join(value.split()), _AND) if p]


def parse(name: str) -> Name:
    """A name in either BibTeX form (`Last, First`) or reading form (`First Last`)."""
    return Name(*_parts(name))


def _parts(name: str) -> tuple[str, str, str]:
    """(first, last, jr) of a name in either form, without building a Name."""
    parts = _split_top(name, _COMMA)
    if len(parts) >= 3:
        return ", ".join(parts[2:]), parts[0], parts[1]
    if len(parts) == 2:
        return parts[1], parts[0], ""
    return _display_parts(parts[0])


def from_display(name: str) -> Name:
    """Split `First Last` the way BibTeX's `First von Last` rule would."""
    return Name(*_display_parts(name))


def _display_parts(name: str) -> tuple[str, str, str]:
    words = _split_top(" ".join(name.split()), _SPACE)
    jr = ""
    if len(words) > 2 and words[-1].casefold() in _SUFFIXES:
        jr = words.pop()
    if len(words) <= 1:
        return "", "".join(words), jr
    start = len(words) - 1
    while start > 1 and words[start - 1].casefold() in _PARTICLES:
        start -= 1
    return " ".join(words[:start]), " ".join(words[start:]), jr


def _reading(first: str, last: str, jr: str) -> str:
    return " ".join([p for p in (first, last, jr) if p])


def display_names(value: str) -> list[str]:
    """`Meng, Kevin and Bau, David` -> `["Kevin Meng", "David Bau"]` in plain text."""
    return [_display(raw) for raw in split_authors(value)]


@functools.lru_cache(maxsize=1 << 14)
def _display(raw: str) -> str:
    """One name in plain reading form; a list names the same people again and again."""
    if raw.casefold() == "others":
        return "et al."
    return to_text(_reading(*_parts(raw)))


def author_field(display: list[str] | tuple[str, ...]) -> str:
    """The BibTeX author field for names in reading form, escaped for LaTeX."""
    return " and ".join(escape_text(from_display(name).bibtex) for name in display)


_LIST_SEP = re.compile(r"\s*(?:;|,\s*and\s+|,|\s+and\s+|\s*&\s*)\s*", re.IGNORECASE)
_ET_AL = re.compile(r"\s*,?\s*\bet\.?\s*al\b\.?\s*$|\s*,?\s*\band\s+others\s*$", re.IGNORECASE)
#: Footnote marks, affiliations and contribution notes glued to a name (`Ann Lee*1`, `Bo†`).
_MARKS = re.compile(r"[*†‡§¶#✉\d]+$|\s*\([^()]*\)|\s*\[[^\[\]]*\]")
_INITIALS = re.compile(r"^(?:[A-Z]\.?\s*(?:-\s*)?)+$")
_NAME_WORD = re.compile(r"^(?:[^\W\d_][\w'’.\-]*|[A-Z]\.?)$")


def from_list(text: str) -> list[str]:
    """Names in reading form from a list as people write it: `A, B and C`, `A, B, and C`,
    `A; B`, `Lee et al.`; "et al." becomes `others`. Empty when it is not a list of names."""
    text = re.sub(r"^by\s+", "", " ".join(text.split()).strip(" .,;:"), flags=re.IGNORECASE)
    more = bool(_ET_AL.search(text))
    text = _ET_AL.sub("", text)
    people = []
    for part in _LIST_SEP.split(text):
        name = _MARKS.sub("", part).strip(" ,;:*_[]()")
        name = name.rstrip(".") if not _INITIALS.match(name) else name
        if name:
            people.append(name)
    people = _paired(people)
    if not people or not all(is_plausible(name) for name in people):
        return []
    return [*people, "others"] if more else people


_NOT_NAMES = {
    *("a", "an", "the", "of", "for", "to", "in", "on", "with", "is", "are", "was", "we", "our"),
    *("this", "that", "by", "from", "via", "using", "as", "at", "into"),
    *("paper", "papers", "model", "models", "code", "data"),
}


def _paired(parts: list[str]) -> list[str]:
    """`Brown, A., Roman, M.` (family name, initials, ...) -> `A. Brown`, `M. Roman`."""
    initials = parts[1::2]
    if len(parts) < 2 or len(parts) % 2 or not all(_INITIALS.match(p) for p in initials):
        return parts
    if not any("." in p for p in initials) or any(" " in p for p in parts[::2]):
        return parts
    return [
        f"{given if given.endswith('.') else given + '.'} {family}"
        for family, given in zip(parts[::2], initials, strict=True)
    ]


def is_plausible(name: str) -> bool:
    """One to six words that could be a person's name: no digits, no sentence words, and
    not starting in lowercase (`Ting liu` passes, `the model` does not)."""
    words = name.split()
    if not 1 <= len(words) <= 6 or words[0][0].islower():
        return False
    if words[0].casefold() in _NOT_NAMES and len(words[0]) > 1:
        return False
    return all(_NAME_WORD.match(w) and w not in _NOT_NAMES for w in words)
