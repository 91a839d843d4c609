"""A fresh clone runs its tests with nothing beside it: nothing in the repo reads the shared folder."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import FIXTURES, REPO, SEED

_OUTSIDE = re.compile(r"""\.\./shared|parent\s*/\s*["']shared["']|parents\[\d\]\s*/\s*["']shared""")


def test_fixtures_live_inside_the_repository() -> None:
    for path in (FIXTURES, SEED):
        assert path.exists()
        assert REPO in path.resolve().parents


def test_no_tracked_file_reads_the_shared_folder() -> None:
    files = [REPO / ".ci" / "run"]
    for folder in ("ke_papers", "tests", "bench"):
        files += (REPO / folder).rglob("*.py")
    offenders = [
        str(f)
        for f in files
        if f.name != Path(__file__).name and _OUTSIDE.search(f.read_text("utf-8"))
    ]
    assert offenders == []
