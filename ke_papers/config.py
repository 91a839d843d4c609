"""Which bib file a command uses, and why; where config and cache live.

Order: `--bib PATH`; `$KE_PAPERS_BIB`; `data/papers.bib` in the current folder or a
parent (the way git finds `.git`); the user's own library in the platformdirs data
folder; the list shipped inside the package, read-only (a write copies it to the
user's library first).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP = "ke-papers"
ENV_BIB = "KE_PAPERS_BIB"
REPO_BIB = Path("data") / "papers.bib"


@dataclass(frozen=True)
class BibChoice:
    path: Path
    reason: str
    shipped: bool = False


def user_library() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP, appauthor=False) / "papers.bib"


def cache_dir() -> Path:
    from platformdirs import user_cache_path

    return user_cache_path(APP, appauthor=False)


def config_dir() -> Path:
    from platformdirs import user_config_path

    return user_config_path(APP, appauthor=False)


def shipped_list() -> Path:
    """The list inside the installed package; in a source checkout, the repository's copy."""
    here = Path(__file__).resolve().parent
    packaged = here / "papers.bib"
    return packaged if packaged.is_file() else here.parent / REPO_BIB


def find_repo_bib(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / REPO_BIB
        if candidate.is_file():
            return candidate
    return None


def choose(
    option: Path | None = None, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> BibChoice:
    env = os.environ if env is None else env
    if option is not None:
        return BibChoice(option, "--bib option")
    if env.get(ENV_BIB):
        return BibChoice(Path(env[ENV_BIB]).expanduser(), f"${ENV_BIB}")
    found = find_repo_bib((cwd or Path.cwd()).resolve())
    if found is not None:
        return BibChoice(found, f"{REPO_BIB} found from the current folder")
    user = user_library()
    if user.is_file():
        return BibChoice(user, "your library in the user data folder")
    return BibChoice(shipped_list(), "the list shipped with ke-papers (read-only)", shipped=True)


def writable(choice: BibChoice) -> tuple[Path, bool]:
    """The file a write goes to, and whether the shipped list was just copied there."""
    if not choice.shipped:
        return choice.path, False
    target = user_library()
    if target.exists():
        return target, False
    from ke_papers import files

    target.parent.mkdir(parents=True, exist_ok=True)
    files.write_atomic(target, files.read_bytes(choice.path))
    return target, True
