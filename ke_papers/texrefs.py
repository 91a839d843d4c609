"""Citation keys that a LaTeX document or its .aux file asks for.

A document: every `\\cite`-like command (natbib and biblatex variants, starred, with
optional arguments, several keys each) and `\\nocite`, in the file and in the files
it `\\input`s or `\\include`s, with `%` comments ignored. An .aux file: the keys
BibTeX (`\\citation`) or biber (`\\abx@aux@cite`) will ask for. `*` means every key.
"""

from __future__ import annotations

import re
from pathlib import Path

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
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise KePapersError(f"{display_path(path)}: cannot read: {exc.strerror}") from None


def _split(group: str) -> list[str]:
    return [k.strip() for k in group.split(",") if k.strip()]


def tex_keys(main: Path) -> list[str]:
    """Keys cited in `main` and what it inputs, in order of first citation."""
    keys: dict[str, None] = {}
    _scan_tex(main, keys, set(), main.parent)
    return list(keys)


def _scan_tex(path: Path, keys: dict[str, None], seen: set[Path], root: Path) -> None:
    resolved = path.resolve()
    if resolved in seen:
        return
    seen.add(resolved)
    text = "\n".join(_COMMENT.sub("", line) for line in _read(path).splitlines())
    # Walk citations and inputs in document order.
    events = sorted(
        [(m.start(), "cite", m) for m in _CITE.finditer(text)]
        + [(m.start(), "input", m) for m in _INPUT.finditer(text)],
        key=lambda e: e[0],
    )
    for _, kind, m in events:
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
        _scan_tex(child, keys, seen, root)


def aux_keys(aux: Path) -> list[str]:
    """Keys in an .aux file and the .aux files it `\\@input`s (BibTeX or biber)."""
    keys: dict[str, None] = {}
    _scan_aux(aux, keys, set())
    return list(keys)


def _scan_aux(path: Path, keys: dict[str, None], seen: set[Path]) -> None:
    if path.resolve() in seen:
        return
    seen.add(path.resolve())
    text = _read(path)
    for m in _AUX_CITE.finditer(text):
        keys.update(dict.fromkeys(_split(m[1] or m[2])))
    for m in _AUX_INPUT.finditer(text):
        child = path.parent / m[1]
        if child.is_file():
            _scan_aux(child, keys, seen)
