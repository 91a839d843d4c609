"""The CLI surprises of issue 28, each through the real CLI as a user met it."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA_BIB

KE_PAPERS = str(Path(sys.executable).with_name("ke-papers"))

SMALL = """@misc{hoelscherobermaier2023detecting,
  title = {Detecting Edit Failures In Large Language Models: An Improved Specificity Benchmark},
  author = {Hoelscher-Obermaier, Jason and Persson, Julia}, year = {2023},
  taxonomy = {Analysis}}

@inproceedings{kim2022study, title = {A Study of Things}, author = {Kim, Ann},
  booktitle = {International Conference on Learning Representations}, year = {2022},
  taxonomy = {Methods > Locate and edit}}

@misc{lee2023other, title = {Another Study}, author = {Lee, Bo}, year = {2023},
  taxonomy = {Methods > Meta-learning}}

@misc{ng2023third, title = {A Third Study}, author = {Ng, Cy}, year = {2023},
  taxonomy = {Methods > Meta-learning}}

@misc{wu2023memo, title = {Memory Editing}, author = {Wu, Di}, year = {2023},
  taxonomy = {Methods > Memory-based}}
"""


@pytest.fixture
def small(tmp_path: Path) -> Path:
    bib = tmp_path / "papers.bib"
    bib.write_text(SMALL, encoding="utf-8")
    return bib


def at_terminal(columns: int, *args: str) -> str:
    """The CLI's output at a terminal `columns` wide (a real pseudo-terminal), escapes removed."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "50"}
    proc = subprocess.Popen([KE_PAPERS, *args], stdout=follower, stderr=follower, env=env)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait()
    os.close(leader)
    return re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", out.decode())


# --- keys are never cut -------------------------------------------------------------------


@pytest.mark.parametrize("columns", [80, 100])
@pytest.mark.parametrize("command", [["list"], ["search", "study", "edit"]])
def test_tables_never_cut_a_key(small: Path, columns: int, command: list[str]):
    out = at_terminal(columns, "--bib", str(small), *command)
    assert "…" not in "".join(
        line.split()[1] for line in out.splitlines() if re.match(r"\s*\d", line)
    )
    if command == ["list"]:
        for key in re.findall(r"@\w+\{([^,]+),", SMALL):
            assert re.search(rf"\s{key}\s", out), key
    assert max(len(line) for line in out.splitlines()) <= columns


def test_the_shipped_list_at_80_columns_keeps_its_keys():
    out = at_terminal(80, "--bib", str(DATA_BIB), "search", "specificity", "benchmark")
    assert "hoelscherobermaier2023detecting" in out
    assert "Specificity" in out


# --- edit --set says what it changes -------------------------------------------------------


def test_set_venue_shows_every_field_it_changes(run, small: Path):
    result = run("--bib", str(small), "edit", "kim2022study", "--set", "venue=NeurIPS 2023")
    said = result.stderr
    assert "updated kim2022study" in said
    assert re.search(
        r"booktitle: International Conference on Learning Representations -> "
        r"Advances in Neural Information Processing Systems",
        said,
    )
    assert "year: 2022 -> 2023" in said
    assert "NeurIPS 2023" in small.read_text()


def test_set_an_unknown_field_is_refused_with_the_closest_name(run, small: Path):
    before = small.read_bytes()
    result = run("--bib", str(small), "edit", "kim2022study", "--set", "vnue=ICLR 2023", code=2)
    assert "'vnue'" in result.stderr and "'venue'" in result.stderr and "--force" in result.stderr
    assert small.read_bytes() == before
    run("--bib", str(small), "edit", "kim2022study", "--set", "vnue=x", "--force")
    assert "vnue" in small.read_text()


def test_a_field_the_file_already_uses_is_known(run, small: Path):
    small.write_text(
        SMALL.replace(
            "year = {2023},\n  taxonomy = {Analysis}",
            "year = {2023}, reviewer = {A},\n  taxonomy = {Analysis}",
        )
    )
    run("--bib", str(small), "edit", "kim2022study", "--set", "reviewer=B")
    assert "reviewer" in small.read_text().split("kim2022study")[1]


# --- nothing changed, nothing said to have changed -----------------------------------------


def test_set_to_the_same_value_changes_nothing(run, small: Path):
    run("--bib", str(small), "edit", "kim2022study", "--set", "venue=ICLR 2022")
    before = small.read_bytes()
    stamp = small.stat().st_mtime_ns
    result = run("--bib", str(small), "edit", "kim2022study", "--set", "year=2022")
    assert "no change" in result.stderr and "updated" not in result.stderr
    result = run("--bib", str(small), "edit", "kim2022study", "--set", "venue=ICLR 2022")
    assert "no change" in result.stderr
    assert small.read_bytes() == before and small.stat().st_mtime_ns == stamp


def test_move_to_where_it_is_does_not_reorder(run, small: Path):
    before = small.read_bytes()
    result = run("--bib", str(small), "move", "lee2023other", "-c", "Meta-learning")
    assert "already in Methods > Meta-learning" in result.stderr
    assert "moved" not in result.stderr.replace("not moved", "")
    result = run(
        "--bib", str(small), "move", "ng2023third", "-c", "Meta-learning", "--after", "lee2023other"
    )
    assert "already there" in result.stderr
    assert small.read_bytes() == before


def test_move_still_moves(run, small: Path):
    run(
        "--bib", str(small), "move", "lee2023other", "-c", "Meta-learning", "--after", "ng2023third"
    )
    text = small.read_text()
    assert text.index("ng2023third") < text.index("lee2023other")


# --- -c takes a prefix or a word ------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "keys"),
    [
        ("locate", ["kim2022study"]),
        ("Meta", ["lee2023other", "ng2023third"]),
        ("edit", ["kim2022study"]),
        ("methods > loc", ["kim2022study"]),
    ],
)
def test_category_takes_a_unique_prefix_or_word(run, small: Path, given: str, keys: list[str]):
    out = run("--bib", str(small), "search", "-c", given, "--keys").stdout
    assert out.split() == keys


def test_an_ambiguous_category_lists_its_candidates_on_one_line(run, small: Path):
    result = run("--bib", str(small), "search", "-c", "me", "--keys", code=2)
    said = result.stderr.strip()
    assert "\n" not in said
    assert "'Methods > Meta-learning'" in said and "'Methods > Memory-based'" in said


def test_move_with_a_word_of_the_section(run, small: Path):
    result = run("--bib", str(small), "move", "wu2023memo", "-c", "locate")
    assert "moved wu2023memo to Methods > Locate and edit" in result.stderr


# --- suggestions are unique and lead somewhere ----------------------------------------------


def _suggested(message: str) -> list[str]:
    m = re.search(r"did you mean:? ([^?]*)\?", message)
    assert m, message
    return [s.strip() for s in re.split(r"[;,]", m.group(1))]


def test_search_suggestions_are_unique_and_find_something(run):
    result = run("--bib", str(DATA_BIB), "search", "meng2022rome", code=1)
    shown = _suggested(result.stderr)
    assert len(shown) == len(set(shown))
    assert shown[0] == "meng2022locating"  # by Meng, 2022, on ROME
    for word in shown:
        assert run("--bib", str(DATA_BIB), "search", word, "--keys").stdout.strip()


def test_show_of_a_missing_key_suggests_keys_that_exist(run):
    result = run("--bib", str(DATA_BIB), "show", "meng2022rome", code=2)
    shown = _suggested(result.stderr)
    assert "meng2022locating" in shown
    run("--bib", str(DATA_BIB), "show", *shown)


@pytest.mark.parametrize(
    "command",
    [
        ["show"],
        ["cite"],
        ["edit", "--set", "note=x"],
        ["move", "-c", "Analysis"],
        ["rename", "--", "KEY", "other2020key"],
        ["remove", "--yes"],
    ],
)
def test_a_missing_key_never_suggests_a_search_that_finds_nothing(run, bib_copy, command):
    """Every command that names a paper by its key: for a word that is no key, a search
    only where it finds papers (`show` and `cite` offer one; the others, close keys only)."""

    def args(key: str) -> list[str]:
        named = [key if part == "KEY" else part for part in command]
        return ["--bib", str(bib_copy), *named] + ([] if "KEY" in command else [key])

    before = bib_copy.read_bytes()
    result = run(*args("zzqx2020nothing"), code=None)
    assert result.exit_code in (1, 2) and "key 'zzqx2020nothing'" in result.stderr
    assert "search" not in result.stderr
    result = run(*args("rome"), code=None)
    assert result.exit_code in (1, 2)
    for search in re.findall(r"ke-papers (search \S+)", result.stderr):
        assert run("--bib", str(bib_copy), *search.split(), "--keys").stdout.strip()
    assert bib_copy.read_bytes() == before


# --- arXiv IDs and the offline error --------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["2310.1032", "1412.12345", "2313.12345", "0612.1234", "hep-th/1201001", "math/9913001"]
)
def test_a_malformed_arxiv_id_is_refused_before_any_request(run, arxiv_server, bib_copy, bad):
    result = run("--bib", str(bib_copy), "add", bad, "--no-category", code=2)
    assert f"'{bad}' is not an arXiv ID" in result.stderr
    assert arxiv_server.requests == []


@pytest.mark.parametrize("good", ["1412.1234", "2310.10321", "hep-th/9901001", "math/0701001"])
def test_well_formed_ids_of_both_styles_are_asked_for(run, arxiv_server, bib_copy, good):
    run("--bib", str(bib_copy), "add", good, "--no-category", code=None)
    assert len(arxiv_server.requests) == 1


def test_the_offline_error_names_the_mirror_setting(run, bib_copy: Path):
    result = run("--bib", str(bib_copy), "add", "2310.10321", "--no-category", code=2)
    assert "cannot reach arXiv" in result.stderr
    assert "KE_PAPERS_ARXIV_URL" in result.stderr


# --- the shipped list's benchmarks are keywords of the papers that introduce them ----------


@pytest.mark.parametrize(
    ("word", "introduced_by"),
    [
        ("counterfact", {"meng2022locating", "hoelscherobermaier2023detecting"}),
        ("zsre", {"decao2021editing"}),
        ("mquake", {"zhong2023mquake"}),
        ("rippleedits", {"cohen2023evaluating"}),
        ("convsent", {"mitchell2022memory"}),
        (
            "benchmark",
            {
                "meng2022locating",
                "hoelscherobermaier2023detecting",
                "decao2021editing",
                "zhong2023mquake",
                "cohen2023evaluating",
                "mitchell2022memory",
                "onoe2023can",
                "logan2022fruit",
                "yao2023editing",
            },
        ),
    ],
)
def test_search_finds_the_papers_that_introduce_a_benchmark(run, word: str, introduced_by: set):
    found = run("--bib", str(DATA_BIB), "search", word, "--keys", "-n", "0").stdout.split()
    assert introduced_by <= set(found)
