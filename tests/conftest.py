"""Shared fixtures: the real CLI in an isolated home, real files in temporary folders."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ke_papers.cli import app

REPO = Path(__file__).resolve().parents[1]
DATA_BIB = REPO / "data" / "papers.bib"
#: Copies of what the project started from; tests/fixtures/README.md says where they come from.
FIXTURES_ROOT = Path(__file__).resolve().parent / "fixtures"
SEED = FIXTURES_ROOT / "seed" / "003_c8186008f181cc06.txt"
FIXTURES = FIXTURES_ROOT / "arxiv"


def bib_in_git(tmp_path: Path, source: Path = DATA_BIB) -> Path:
    """A copy of `source` committed in a git repository of its own, for `git diff` checks."""
    import subprocess

    repo = tmp_path / "repo"
    repo.mkdir()
    bib = repo / "papers.bib"
    bib.write_bytes(source.read_bytes())
    for cmd in (
        ["init", "-q"],
        ["add", "papers.bib"],
        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "list"],
    ):
        subprocess.run(["git", *cmd], cwd=repo, check=True)
    return bib


def seed_text() -> str:
    """The seed list with its Mac Roman encoding damage repaired (see DESIGN.md)."""
    raw = SEED.read_text(encoding="utf-8")
    return "\n".join(line.encode("mac_roman").decode("utf-8") for line in raw.split("\n"))


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test sees the user's real folders, environment or current directory."""
    home = tmp_path / "home"
    for var, sub in (
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_CONFIG_HOME", "config"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.delenv("KE_PAPERS_BIB", raising=False)
    # Nothing listens on the discard port: a test that forgets the local arXiv server
    # fails at once instead of reaching the network.
    monkeypatch.setenv("KE_PAPERS_ARXIV_URL", "http://127.0.0.1:9/api/query")
    monkeypatch.setenv("KE_PAPERS_ARXIV_DELAY", "0")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


class Run:
    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int | None = 0, input: str | None = None):
        result = self.runner.invoke(app, list(args), input=input)
        if code is not None:
            assert result.exit_code == code, (
                f"exit {result.exit_code}, wanted {code}\nstdout: {result.stdout}\n"
                f"stderr: {result.stderr}\n{result.exception!r}"
            )
        return result

    def json(self, *args: str):
        return json.loads(self(*args).stdout)


@pytest.fixture
def run() -> Run:
    return Run()


@pytest.fixture
def bib_copy(tmp_path: Path) -> Path:
    """A private copy of the real list, safe to write to."""
    target = tmp_path / "papers.bib"
    target.write_bytes(DATA_BIB.read_bytes())
    return target


@pytest.fixture
def arxiv_server(monkeypatch: pytest.MonkeyPatch):
    """The recorded arXiv answers on 127.0.0.1; the client points at it, with no delay."""
    from arxiv_server import ArxivServer

    server = ArxivServer(FIXTURES).start()
    monkeypatch.setenv("KE_PAPERS_ARXIV_URL", server.url)
    monkeypatch.setenv("KE_PAPERS_ARXIV_DELAY", "0")
    monkeypatch.setenv("KE_PAPERS_ARXIV_TIMEOUT", "1")
    yield server
    server.stop()


def by_arxiv(catalog: Any, identifier: str) -> Any:
    """The paper of a catalog with this arXiv ID, or None."""
    key = catalog.arxiv_key(identifier)
    return catalog.get(key) if key else None


def recorded(
    monkeypatch: pytest.MonkeyPatch, owner: object, name: str, keep: Callable[..., Any]
) -> list[Any]:
    """Every call of `owner.name` goes through as before; `keep(*args)` of each is recorded."""
    seen: list[Any] = []
    real = getattr(owner, name)

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(keep(*args, **kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, recording)
    return seen


def at_terminal(
    args: list[str], answers: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real CLI in a process whose stdin is a terminal (a pseudo-terminal) that has
    `answers` typed into it; stdout and stderr are captured."""
    import os
    import pty
    import sys

    main, side = pty.openpty()
    try:
        os.write(main, answers.encode())
        return subprocess.run(
            [sys.executable, "-m", "ke_papers", *args],
            stdin=side,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **(env or {})},
        )
    finally:
        os.close(side)
        os.close(main)
