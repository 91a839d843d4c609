"""Bad input everywhere: random and mutated BibTeX, Markdown and option values never crash.

Each example runs the real CLI; the only acceptable outcomes are exit codes 0, 1 or 2
with no Python exception escaping, and the user's file unchanged by read-only commands.
FUZZ_EXAMPLES=400 runs a deeper search than CI's default of 40 per test.
"""

from __future__ import annotations

import os
from pathlib import Path

from conftest import DATA_BIB, seed_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ke_papers import bibread, store
from ke_papers.cli import app
from ke_papers.errors import KePapersError

SAMPLE = DATA_BIB.read_text(encoding="utf-8")[:4000]
SEED = seed_text()[2500:6000]
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def mutated(text: str) -> st.SearchStrategy[str]:
    """The text with a few characters deleted, inserted or replaced: near-valid input."""
    specials = st.sampled_from([*list('{}@,="#%\\\n*[]()<>|_$&'), "}\n@", "@string{", "%"])

    @st.composite
    def build(draw: st.DrawFn) -> str:
        out = text
        for _ in range(draw(st.integers(1, 6))):
            pos = draw(st.integers(0, len(out)))
            kind = draw(st.sampled_from(["delete", "insert", "replace"]))
            piece = draw(st.one_of(specials, st.text(max_size=3)))
            if kind == "delete":
                out = out[:pos] + out[pos + draw(st.integers(1, 20)) :]
            elif kind == "insert":
                out = out[:pos] + piece + out[pos:]
            else:
                out = out[:pos] + piece + out[pos + 1 :]
        return out

    return build()


BIBS = st.one_of(mutated(SAMPLE), st.text(max_size=300))
COMMANDS = [
    ["list", "--json"],
    ["search", "rome"],
    ["export", "--markdown"],
    ["export", "--csv"],
    ["cite", "meng2022locating", "--allow-missing"],
    ["lint"],
    ["show", "meng2022locating"],
    ["taxonomy"],
    ["fmt", "--check"],
]


def invoke(args: list[str]):
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stderr
    return result


@FUZZ
@given(text=BIBS)
def test_parser_raises_only_its_own_errors(text: str):
    try:
        doc = bibread.parse(text, "fuzz.bib")
    except KePapersError as exc:
        assert str(exc).startswith("fuzz.bib")
        return
    store.canonical(doc)
    for paper in doc.papers:
        paper.as_dict()


@FUZZ
@given(text=BIBS, command=st.sampled_from(COMMANDS))
def test_read_commands_survive_bad_bibs(tmp_path: Path, text: str, command: list[str]):
    bib = tmp_path / "fuzz.bib"
    bib.write_bytes(text.encode("utf-8"))
    result = invoke(["--bib", str(bib), *command])
    if result.exit_code == 2:
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert bib.read_bytes() == text.encode("utf-8")


@FUZZ
@given(markdown=st.one_of(mutated(SEED), st.text(max_size=300)))
def test_import_survives_bad_markdown(tmp_path: Path, markdown: str):
    bib = tmp_path / "target.bib"
    bib.write_bytes(DATA_BIB.read_bytes())
    md = tmp_path / "list.md"
    md.write_bytes(markdown.encode("utf-8"))
    result = invoke(["--bib", str(bib), "import", "--markdown", str(md)])
    papers = bibread.read(bib).papers  # whatever was imported, the file still parses
    original = {p.key: p.fields for p in bibread.read(DATA_BIB).papers}
    kept = [p for p in papers if p.key in original]
    assert [p.key for p in kept] == list(original)  # none lost, none moved
    assert all(p.fields == original[p.key] for p in kept)  # none changed
    assert result.exit_code in (0, 1, 2)


WORDS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)


@FUZZ
@given(
    query=st.lists(WORDS, max_size=3),
    options=st.lists(
        st.tuples(
            st.sampled_from(
                ["--year", "--since", "--until", "--venue", "-c", "--author", "--limit"]
            ),
            WORDS,
        ),
        max_size=3,
    ),
)
def test_search_and_cite_survive_any_values(tmp_path: Path, query: list[str], options):
    flat = [item for pair in options for item in pair]
    args = [q for q in query if not q.startswith("-")]
    before = DATA_BIB.read_bytes()
    invoke(["--bib", str(DATA_BIB), "search", *args, *flat])
    invoke(["--bib", str(DATA_BIB), "cite", *(args or ["x"]), "--allow-missing", "-f", "text"])
    invoke(
        [
            "--bib",
            str(DATA_BIB),
            "export",
            "--markdown",
            *[item for name, value in options if name in ("-c",) for item in (name, value)],
        ]
    )
    assert DATA_BIB.read_bytes() == before
