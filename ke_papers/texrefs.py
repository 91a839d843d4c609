"""Citation keys that a LaTeX document or its .aux file asks for.

A document: every `\\cite`-like command (natbib and biblatex variants, starred, with
optional arguments, several keys each) and `\\nocite`, in the file and in the files
it `\\input`s or `\\include`s, with `%` comments ignored. An .aux file: the keys
BibTeX (`\\citation`) or biber (`\\abx@aux@cite`) will ask for. `*` means every key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ke_papers import files
from ke_papers.errors import KePapersError, display_path

ALL = "*"
_COMMENT = re.compile(r"(?<!\\)%.*")
_CITE = re.compile(
    r"\\(?:[a-zA-Z]*(?i:cite)[a-zA-Z]*|nocite)\*?"  # \cite \citep \citet* \parencite \footcite ...
    r"(?:\s*\[[^\]]*\]){0,2}"  # [p.~3] [see]
    r"\s*((?:\{[^{}]*\}\s*)+)"  # {a,b} -- biblatex \cites{a}{b} too
)
_GROUP = re.compile(r"\{([^{}]*)\}")
_INPUT = re.compile(r"\\(?:input|include|subfile)\s*\{([^{}]+)\}")
_AUX_CITE = re.compile(r"\\citation\{([^{}]*)\}|\\abx@aux@cite(?:\{[^{}]*\})?\{([^{}]*)\}")
_AUX_INPUT = re.compile(r"\\@input\{([^{}]+)\}")


def _read(path: Path) -> str:
    return files.read_text(path, errors="replace")


def _split(group: str) -> list[str]:
    return [k.strip() for k in group.split(",") if k.strip()]


def tex_keys(main: Path) -> list[str]:
    """Keys cited in `main` and what it inputs, in order of first citation.

    The `\\input` tree is walked with a stack, not recursion: a chain of any depth is
    fine, and a file already read is not read again.
    """
    keys: dict[str, None] = {}
    seen: set[Path] = set()
    root = main.parent
    # A stack of iterators over (kind, match) events, each file's in document order.
    stack = [_events(main)]
    seen.add(main.resolve())
    while stack:
        event = next(stack[-1], None)
        if event is None:
            stack.pop()
            continue
        kind, m, path = event
        if kind == "cite":
            for group in _GROUP.findall(m[1]):
                keys.update(dict.fromkeys(_split(group)))
            continue
        name = m[1].strip()
        child = root / name
        if not child.suffix:
            child = child.with_suffix(".tex")
        if not child.is_file():
            raise KePapersError(f"{display_path(path)}: \\input file not found: {name}")
        if child.resolve() not in seen:
            seen.add(child.resolve())
            stack.append(_events(child))
    return list(keys)


def _events(path: Path) -> Iterator[tuple[str, re.Match[str], Path]]:
    """The citations and inputs of one file, in document order, comments skipped."""
    text = "\n".join(_COMMENT.sub("", line) for line in _read(path).splitlines())
    events = sorted(
        [(m.start(), "cite", m) for m in _CITE.finditer(text)]
        + [(m.start(), "input", m) for m in _INPUT.finditer(text)],
        key=lambda e: e[0],
    )
    return ((kind, m, path) for _, kind, m in events)


def aux_keys(aux: Path) -> list[str]:
    """Keys in an .aux file and the .aux files it `\\@input`s (BibTeX or biber)."""
    keys: dict[str, None] = {}
    seen: set[Path] = set()
    todo = [aux]
    while todo:
        path = todo.pop(0)
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        text = _read(path)
        for m in _AUX_CITE.finditer(text):
            keys.update(dict.fromkeys(_split(m[1] or m[2])))
        todo += [c for m in _AUX_INPUT.finditer(text) if (c := path.parent / m[1]).is_file()]
    return list(keys)
