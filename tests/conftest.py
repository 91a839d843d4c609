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
#: arXiv search answers built from real papers' metadata (arxiv-discover/README.md).
SEARCH_FEEDS = sorted((FIXTURES_ROOT / "arxiv-discover").glob("*.xml"))


#: Venues filled in the shipped list from public records after the seed was imported (issue 26):
#: key -> (venue label, DOI or "").
PUBLISHED_SINCE = {
    "yao2023editing": ("EMNLP 2023", "10.18653/v1/2023.emnlp-main.632"),
    "li2022large": ("ACL 2023 Findings", "10.18653/v1/2023.findings-acl.112"),
    "zheng2023can": ("EMNLP 2023", "10.18653/v1/2023.emnlp-main.296"),
    "onoe2023can": ("ACL 2023", "10.18653/v1/2023.acl-long.300"),
    "zhong2023mquake": ("EMNLP 2023", "10.18653/v1/2023.emnlp-main.971"),
    "hartvigsen2022aging": ("NeurIPS 2023", ""),
    "xu2022language": ("ACL 2023 Findings", "10.18653/v1/2023.findings-acl.343"),
    "tanno2022repairing": ("NeurIPS 2022", ""),
    "ilharco2023editing": ("ICLR 2023", ""),
    "belrose2023leace": ("NeurIPS 2023", ""),
    "si2022prompting": ("ICLR 2023", ""),
    "hewitt2023backpack": ("ACL 2023", "10.18653/v1/2023.acl-long.506"),
    "geva2023dissecting": ("EMNLP 2023", "10.18653/v1/2023.emnlp-main.751"),
    "cohen2023evaluating": ("TACL 2024", "10.1162/tacl_a_00644"),
}


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
    monkeypatch.setenv("KE_PAPERS_DBLP_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("KE_PAPERS_S2_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("KE_PAPERS_S2_KEY", raising=False)
    # Any other host (a link `lint --online` checks) through a proxy nobody runs.
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
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

    server = ArxivServer(FIXTURES, search=SEARCH_FEEDS).start()
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


@pytest.fixture
def dblp_server(monkeypatch: pytest.MonkeyPatch):
    """DBLP's search and records, built from real DBLP records, on 127.0.0.1 (no pacing)."""
    from published_servers import DblpServer

    server = DblpServer().start()
    monkeypatch.setenv("KE_PAPERS_DBLP_URL", server.url)
    monkeypatch.setenv("KE_PAPERS_DBLP_DELAY", "0")
    monkeypatch.setenv("KE_PAPERS_DBLP_TIMEOUT", "2")
    yield server
    server.stop()


@pytest.fixture
def s2_server(monkeypatch: pytest.MonkeyPatch):
    """Semantic Scholar's batch lookup on 127.0.0.1 (no pacing; a 429's wait cut to 0.05 s)."""
    from published_servers import S2Server

    server = S2Server().start()
    monkeypatch.setenv("KE_PAPERS_S2_URL", server.url)
    monkeypatch.setenv("KE_PAPERS_S2_DELAY", "0")
    monkeypatch.setenv("KE_PAPERS_S2_TIMEOUT", "2")
    monkeypatch.setenv("KE_PAPERS_MAX_WAIT", "0.05")
    yield server
    server.stop()


@pytest.fixture
def link_server():
    from published_servers import LinkServer

    server = LinkServer().start()
    yield server
    server.stop()


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
