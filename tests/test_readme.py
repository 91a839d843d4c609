"""README's examples run as written: every `ke-papers` line of its code blocks and its usage
table, in order, as a shell runs them, in a checkout of their own."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA_BIB, FIXTURES, REPO, seed_text

README = (REPO / "README.md").read_text(encoding="utf-8")
#: The usage part of README: what stands before the generated paper list.
USAGE = README[: re.search(r"^<!-- ke-papers:start -->$", README, re.MULTILINE).start()]


def block_examples() -> list[str]:
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", USAGE, re.DOTALL):
        for line in block.splitlines():
            line = re.sub(r"\s+#\s.*$", "", line).strip()  # a trailing comment
            if line.startswith("pip install . && "):
                line = line.removeprefix("pip install . && ")
            if line.startswith("ke-papers"):
                lines.append(line)
    return lines


def table_examples() -> list[str]:
    return [c.replace("\\|", "|") for c in re.findall(r"^\| `(ke-papers[^`]*)`", USAGE, re.M)]


def test_readme_has_an_example_of_every_command():
    from ke_papers.cli import ORDER

    lines = block_examples() + table_examples()
    shown = {line.split()[3] if line.split()[1] == "--bib" else line.split()[1] for line in lines}
    assert set(ORDER) <= shown


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A checkout of the list with the files the examples name."""
    root = tmp_path / "checkout"
    (root / "data").mkdir(parents=True)
    shutil.copyfile(DATA_BIB, root / "data" / "papers.bib")
    shutil.copyfile(REPO / "README.md", root / "README.md")
    (root / "main.tex").write_text(
        "\\documentclass{article}\\begin{document}\\cite{meng2022locating}"
        "\\citep{mitchell2022fast,dai2022knowledge}\\end{document}\n",
        encoding="utf-8",
    )
    (root / "main.aux").write_text("\\citation{meng2022mass}\n", encoding="utf-8")
    (root / "ids.txt").write_text("2305.13172  # already there\n1605.08386\n", encoding="utf-8")
    shutil.copyfile(DATA_BIB, root / "papers.bib")  # `import papers.bib`: another bib file
    for name in ("OTHER-LIST.md", "README-of-another-list.md", "LIST.md"):
        (root / name).write_text(seed_text(), encoding="utf-8")
    return root


@pytest.mark.parametrize("where", ["code blocks", "usage table"])
def test_every_example_runs_as_written(checkout: Path, where: str):
    from arxiv_server import ArxivServer
    from published_servers import DblpServer, S2Server

    server = ArxivServer(FIXTURES).start()
    server.answer_any = True
    dblp, s2 = DblpServer().start(), S2Server().start()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "KE_PAPERS_ARXIV_URL": server.url,
        "KE_PAPERS_ARXIV_DELAY": "0",
        "KE_PAPERS_DBLP_URL": dblp.url,
        "KE_PAPERS_DBLP_DELAY": "0",
        "KE_PAPERS_S2_URL": s2.url,
        "KE_PAPERS_S2_DELAY": "0",
        # `lint --online` asks the list's links: through a proxy nobody runs, so no request
        # leaves this machine (the local servers are reached directly)
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
        "KE_PAPERS_LINK_TIMEOUT": "2",
        "EDITOR": "true",
    }
    env.pop("KE_PAPERS_BIB", None)
    try:
        for line in block_examples() if where == "code blocks" else table_examples():
            done = subprocess.run(
                ["bash", "-c", f"set -o pipefail; {line}"],
                cwd=checkout,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode in (0, 1), f"{line}\n{done.stderr}"
            assert "Traceback" not in done.stderr, line
    finally:
        for running in (server, dblp, s2):
            running.stop()
    assert (checkout / "refs.bib").exists()
