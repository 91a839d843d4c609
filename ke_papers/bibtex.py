"""An entry in canonical BibTeX form: the one way ke-papers writes an entry.

Fields in a fixed order (the list's own fields last), names aligned, values braced;
a value written with `@string` macros or `#` concatenation keeps its raw form.
"""

from __future__ import annotations

import functools

from ke_papers.latex import squeeze
from ke_papers.model import END, Paper

#: Canonical field order; fields not named here follow in the order they were written.
FIELD_ORDER = (
    "title",
    "author",
    "editor",
    "booktitle",
    "journal",
    "journaltitle",
    "year",
    "date",
    "month",
    "volume",
    "number",
    "pages",
    "publisher",
    "doi",
    "eprint",
    "archiveprefix",
    "primaryclass",
    "eprinttype",
    "eprintclass",
    "url",
    "note",
    "venue",
    "taxonomy",
    "keywords",
    "links",
    "abstract",
)
_RANK = {name: i for i, name in enumerate(FIELD_ORDER)}
NAME_WIDTH = 13


@functools.lru_cache(maxsize=256)
def _ordered(names: tuple[str, ...]) -> tuple[str, ...]:
    """Field names in canonical order; entries of one list mostly share a few sets of fields."""
    return tuple(sorted(names, key=lambda n: _RANK.get(n, len(_RANK))))


def _field_value(paper: Paper, name: str) -> str:
    raw = paper.raw.get(name)
    if raw is None:
        return "{" + squeeze(paper.fields[name]) + "}"
    raw = squeeze(raw)
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2 and "#" not in raw:
        return "{" + raw[1:-1] + "}"
    if raw.isdigit():
        return "{" + raw + "}"
    return raw


def format_entry(paper: Paper) -> str:
    """The canonical text of one entry: fixed field order, aligned, braced values.

    A `% comment` line written inside the entry stays, word for word, before its field.
    """
    names = _ordered(tuple(paper.fields))
    lines = [f"@{paper.entry_type}{{{paper.key},"]
    comments = paper.comments
    last = len(names) - 1
    for i, name in enumerate(names):
        if name in comments:
            lines += ["  " + c for c in comments[name].split("\n")]
        comma = "," if i < last else ""
        lines.append(f"  {name.ljust(NAME_WIDTH)} = {_field_value(paper, name)}{comma}")
    if END in comments:
        lines += ["  " + c for c in comments[END].split("\n")]
    lines.append("}")
    return "\n".join(lines)
