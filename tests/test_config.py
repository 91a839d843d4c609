"""Which bib file is used, and why."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATA_BIB

from ke_papers import config


def write(path: Path, key: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"@misc{{{key}, title={{T}}}}\n", encoding="utf-8")
    return path


def test_order_of_choice(run, isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    info = run.json("info", "--json")
    assert info["reason"].startswith("the list shipped")
    assert info["papers"] == 45
    user = write(config.user_library(), "user")
    assert run.json("info", "--json")["bib"] == str(user)
    repo = write(isolated / "data" / "papers.bib", "repo")
    sub = isolated / "deep" / "er"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    info = run.json("info", "--json")
    assert info["bib"] == str(repo) and "found from the current folder" in info["reason"]
    env = write(tmp_path / "env.bib", "env")
    monkeypatch.setenv("KE_PAPERS_BIB", str(env))
    assert run.json("list", "--json")[0]["key"] == "env"
    opt = write(tmp_path / "opt.bib", "opt")
    assert run.json("--bib", str(opt), "list", "--json")[0]["key"] == "opt"


def test_write_to_shipped_list_goes_to_user_library(run, tmp_path: Path):
    md = tmp_path / "l.md"
    md.write_text(
        "## Papers\n### New\n1. **Brand New Work** <br />\nAda Lovelace.\n"
        "[[paper](https://arxiv.org/abs/2401.00001)]\n",
        encoding="utf-8",
    )
    shipped_before = config.shipped_list().read_bytes()
    result = run("import", "--markdown", str(md))
    assert "imported 1 paper " in result.stderr
    assert config.shipped_list().read_bytes() == shipped_before
    assert config.shipped_list() == DATA_BIB or config.shipped_list().name == "papers.bib"
    info = run.json("info", "--json")
    assert info["bib"] == str(config.user_library()) and info["papers"] == 46
