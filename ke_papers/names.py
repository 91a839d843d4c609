"""Person names: BibTeX's `Last, First` and the `First Last` that people read.

BibTeX splits an author list on ` and ` at brace depth zero, and a name on its
top-level commas (`von Last, Jr, First`). A name given as `First Last` is split
before the family name, which starts at a particle (`De Cao`, `van Gogh`) when
there is one, and a generational suffix (`Logan IV`) goes to the Jr part.
"""

from __future__ import annotations

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
        return " ".join(p for p in (self.first, self.last, self.jr) if p)

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
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        elif depth == 0:
            m = sep.match(text, i)
            if m:
                parts.append(text[start:i])
                start = i = m.end()
                continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_COMMA = re.compile(r",")


def split_authors(value: str) -> list[str]:
    """The names in a BibTeX author field, in order, as written."""
    if not value.strip():
        return []
    return [p for p in _split_top(" ".join(value.split()), _AND) if p]


def parse(name: str) -> Name:
    """A name in either BibTeX form (`Last, First`) or reading form (`First Last`)."""
    parts = _split_top(name, _COMMA)
    if len(parts) >= 3:
        return Name(first=", ".join(parts[2:]), last=parts[0], jr=parts[1])
    if len(parts) == 2:
        return Name(first=parts[1], last=parts[0])
    return from_display(parts[0])


def from_display(name: str) -> Name:
    """Split `First Last` the way BibTeX's `First von Last` rule would."""
    words = _split_top(" ".join(name.split()), re.compile(r" "))
    jr = ""
    if len(words) > 2 and words[-1].casefold() in _SUFFIXES:
        jr = words.pop()
    if len(words) <= 1:
        return Name(first="", last="".join(words), jr=jr)
    start = len(words) - 1
    while start > 1 and words[start - 1].casefold() in _PARTICLES:
        start -= 1
    return Name(first=" ".join(words[:start]), last=" ".join(words[start:]), jr=jr)


def display_names(value: str) -> list[str]:
    """`Meng, Kevin and Bau, David` -> `["Kevin Meng", "David Bau"]` in plain text."""
    out = []
    for raw in split_authors(value):
        if raw.casefold() == "others":
            out.append("et al.")
        else:
            out.append(to_text(parse(raw).display))
    return out


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
