"""`ke-papers discover` on the shipped list against arXiv answers served on 127.0.0.1.

The search feed (fixtures/arxiv-discover/search.xml, README there) holds knowledge-editing
papers the list lacks, papers it already has (PMET as another version, Santurkar et al.
under its arXiv ID though the list has none for it), and unrelated papers cut out of
recorded arXiv answers (software testing, condensed matter).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import REPO, by_arxiv

from ke_papers.usecases.reading import open_catalog

KE = {"2410.02355", "2405.14768", "2403.07175", "2311.04661", "2310.16218"}
UNRELATED = {"2302.03287", "2412.16620", "2312.06056", "2202.12139", "1201.4869"}
IN_LIST = {"2308.08742": "li2023pmet", "2112.01008": "santurkar2021editing"}
LOCATE = ["Methods", "Modify Parameters", "Locate and edit"]
EVER = ("--since", "2010-01-01")


def discovered(run, bib: Path, *args: str) -> list[dict]:
    return json.loads(run("--bib", str(bib), "discover", *EVER, "--json", *args).stdout)


def test_the_list_ranks_and_places_what_arxiv_finds(run, arxiv_server, bib_copy):
    everything = discovered(run, bib_copy, "--all")
    ranked = [c["arxiv"] for c in everything]
    assert set(ranked) == KE | UNRELATED
    assert set(ranked[: len(KE)]) == KE  # every knowledge-editing paper above every other
    assert [c["number"] for c in everything] == list(range(1, len(ranked) + 1))
    by_id = {c["arxiv"]: c for c in everything}
    for locate_then_edit in ("2410.02355", "2403.07175"):  # AlphaEdit, r-ROME
        found = by_id[locate_then_edit]
        assert found["taxonomy"] == LOCATE and found["category"] == "Locate and edit"
        assert found["like"], "the papers that placed it are named"
        for key in (like["key"] for like in found["like"]):
            assert open_catalog(bib_copy).find(key).taxonomy == LOCATE
        assert found["add"] == f'ke-papers add {locate_then_edit} -c "Locate and edit"'
    assert "meng2022locating" in [like["key"] for like in by_id["2403.07175"]["like"]]  # ROME
    assert by_id["2311.04661"]["category"] == "Meta-learning"  # MALMEN
    assert by_id["2310.16218"]["category"] == "Overview"  # the survey
    # Without --all, the unrelated papers are not shown; the line on stderr says so.
    result = run("--bib", str(bib_copy), "discover", *EVER, "--json")
    assert {c["arxiv"] for c in json.loads(result.stdout)} == KE
    assert result.stderr == (
        f"{len(KE)} of 12 papers from arXiv proposed: 2 already in the list, "
        f"{len(UNRELATED)} less alike (--all shows them)\n"
    )


def test_a_paper_already_in_the_list_is_never_proposed(run, arxiv_server, bib_copy):
    """PMET comes back as 2308.08742v2; Santurkar et al. as 2112.01008, an ID the list does
    not record (it knows the paper by title); the survey's DOI names a paper of a list."""
    proposed = {c["arxiv"] for c in discovered(run, bib_copy, "--all", "-n", "0")}
    assert not proposed & set(IN_LIST)
    other = bib_copy.with_name("doi.bib")
    other.write_text(
        "@article{wang2024knowledge,\n  title = {A survey, by another name},\n"
        "  author = {Wang, Song},\n  year = {2024},\n  doi = {10.1145/3698590}\n}\n",
        encoding="utf-8",
    )
    proposed = {c["arxiv"] for c in discovered(run, other, "--all")}
    assert "2310.16218" not in proposed and "2410.02355" in proposed


def test_the_query_is_the_lists_own_vocabulary(run, arxiv_server, bib_copy):
    run("--bib", str(bib_copy), "discover", "--since", "2w", code=1)
    (asked,) = arxiv_server.requests
    query = asked["search_query"][0]
    for phrase in ('all:"model editing"', 'all:"knowledge editing"', "all:counterfact"):
        assert phrase in query
    since = datetime.now(timezone.utc).date() - timedelta(days=14)
    assert f"submittedDate:[{since:%Y%m%d}0000 TO " in query
    assert asked["sortBy"] == ["relevance"] and asked["max_results"] == ["100"]
    assert "cat:" not in query  # the shipped list records no arXiv categories
    run("--bib", str(bib_copy), "discover", "-q", 'knowledge "model editing"', *EVER)
    query = arxiv_server.requests[-1]["search_query"][0]
    assert query.startswith('(all:knowledge AND all:"model editing") AND submittedDate:[')
    run("--bib", str(bib_copy), "discover", "-q", "ti:ROME OR abs:MEMIT", *EVER)
    assert arxiv_server.requests[-1]["search_query"][0].startswith("(ti:ROME OR abs:MEMIT) AND")


def test_the_categories_its_papers_use(run, arxiv_server, tmp_path):
    bib = tmp_path / "cats.bib"
    entries = [
        ("a", "Model Editing at Scale", "cs.CL"),
        ("b", "Model Editing for Vision", "cs.CV"),
        ("c", "Knowledge Editing in Practice", "cs.CL"),
    ]
    bib.write_text(
        "".join(
            f"@misc{{{k},\n  title = {{{t}}},\n  author = {{A, B}},\n  year = {{2024}},\n"
            f"  eprint = {{2401.0000{i}}},\n  archiveprefix = {{arXiv}},\n"
            f"  primaryclass = {{{c}}}\n}}\n\n"
            for i, (k, t, c) in enumerate(entries)
        ),
        encoding="utf-8",
    )
    run("--bib", str(bib), "discover", *EVER, code=None)
    query = arxiv_server.requests[-1]["search_query"][0]
    assert '(all:"model editing")' in query and "(cat:cs.CL OR cat:cs.CV)" in query


@pytest.mark.parametrize(
    ("since", "message"),
    [
        ("yesterday", "--since takes a date (2026-11-30) or days or weeks back (7d, 2w)"),
        ("2026-13-01", "--since takes a date"),
        ("9999-01-01", "is in the future"),
        ("99999999d", "reaches back more than a century"),
    ],
)
def test_bad_since_is_one_line_before_any_request(run, arxiv_server, bib_copy, since, message):
    result = run("--bib", str(bib_copy), "discover", "--since", since, code=2)
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert arxiv_server.requests == []


@pytest.mark.parametrize("server_filters", [True, False])
def test_the_period_is_arxivs_and_ours(run, arxiv_server, bib_copy, server_filters):
    """arXiv filters by the query's submittedDate; a server that does not is filtered here."""
    arxiv_server.any_date = not server_filters
    args = ("--bib", str(bib_copy), "discover", "--since", "2024-01-01", "--all", "--json")
    result = run(*args)
    proposed = {c["arxiv"] for c in json.loads(result.stdout)}
    assert proposed == {"2410.02355", "2405.14768", "2403.07175", "2412.16620"}
    assert result.stderr.startswith("4 of 4 papers from arXiv proposed\n")


def test_markdown_is_an_issue_body_with_a_checkbox_a_paper(run, arxiv_server, bib_copy):
    """Rendered as GitHub renders an issue: CommonMark with task lists."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.tasklists import tasklists_plugin

    text = run("--bib", str(bib_copy), "discover", *EVER, "--format", "markdown").stdout
    html = MarkdownIt("commonmark").use(tasklists_plugin).render(text)
    items = re.findall(r'<li class="task-list-item">(.*?)</li>', html, re.DOTALL)
    assert len(items) == len(KE) == html.count("<li") == html.count('type="checkbox"')
    for item in items:
        assert re.match(r'<input class="task-list-item-checkbox" [^>]*type="checkbox"> ', item)
        (link,) = re.findall(r'<a href="([^"]+)">', item)
        arxiv_id = link.removeprefix("https://arxiv.org/abs/")
        assert arxiv_id in KE and link == f"https://arxiv.org/abs/{arxiv_id}"
        assert f"<code>ke-papers add {arxiv_id} -c &quot;" in item
    alpha = next(i for i in items if "2410.02355" in i)
    assert "Junfeng Fang, Houcheng Jiang, Kun Wang et al. (2024-10-03)" in alpha
    assert "<em>Methods &gt; Modify Parameters &gt; Locate and edit</em>, like " in alpha


def test_untrusted_titles_stay_text_in_the_issue():
    from markdown_it import MarkdownIt

    from ke_papers.entries import new_entry
    from ke_papers.render.candidates import issue
    from ke_papers.render.formats import Output, Suggestion

    hostile = new_entry(
        "Evil](javascript:alert(1)) <script>x</script> `code` *bold*\n- [ ] two",
        ["A <img src=x onerror=alert(1)>"],
        arxiv="2410.02355",
        year=2024,
    )
    section = ("Tricky `name`", 'With "quotes" $HOME')
    out = Output(
        [hostile],
        "discover",
        scores=[0.5],
        suggestions=[Suggestion(section, 'With "quotes" $HOME', [], "2024-10-03")],
        since="2024-10-01",
    )
    html = MarkdownIt("commonmark").render(issue(out))
    assert html.count("<li>") == 1 and "<script" not in html and "<img" not in html
    assert re.findall(r'href="([^"]+)"', html) == ["https://arxiv.org/abs/2410.02355"]
    assert (
        "<code>ke-papers add 2410.02355 -c &quot;With \\&quot;quotes\\&quot; \\$HOME&quot;" in html
    )


def test_proposed_before_is_not_proposed_again(run, arxiv_server, bib_copy, tmp_path):
    body = run("--bib", str(bib_copy), "discover", *EVER, "-f", "markdown").stdout
    seen = tmp_path / "issues.md"
    seen.write_text(body, encoding="utf-8")
    result = run("--bib", str(bib_copy), "discover", *EVER, "--seen", str(seen), code=1)
    assert result.stdout == ""
    assert "0 of 12 papers from arXiv proposed: 2 already in the list, 5 proposed before" in (
        result.stderr
    )


def test_add_by_number_puts_each_in_its_section(run, arxiv_server, bib_copy):
    shown = discovered(run, bib_copy)
    asked = len(arxiv_server.requests)
    numbers = [c["number"] for c in shown if c["arxiv"] in ("2410.02355", "2311.04661")]
    result = run(
        "--bib", str(bib_copy), "discover", *EVER, "--add", input=" ".join(map(str, numbers))
    )
    assert len(arxiv_server.requests) == asked  # answered from the cache, then from memory
    catalog = open_catalog(bib_copy)
    assert len(catalog) == 47
    assert by_arxiv(catalog, "2410.02355").taxonomy == LOCATE
    meta = by_arxiv(catalog, "2311.04661")
    assert meta.taxonomy == ["Methods", "Modify Parameters", "Meta-learning"]
    assert meta.title == "Massive Editing for Large Language Models via Meta Learning"
    assert "added tan2023massive (2311.04661) to Methods > Modify Parameters > Meta-learning" in (
        result.stderr
    )
    again = {c["arxiv"] for c in discovered(run, bib_copy)}
    assert again == KE - {"2410.02355", "2311.04661"}
    before = bib_copy.read_bytes()
    result = run("--bib", str(bib_copy), "discover", *EVER, "--add", input="4\n", code=2)
    assert "choose candidates by their numbers, 1 to 3 (e.g. 1 3-5), not '4'" in result.stderr
    assert bib_copy.read_bytes() == before
    run("--bib", str(bib_copy), "discover", *EVER, "--yes")
    assert len(open_catalog(bib_copy)) == 47 + 3
    run("--bib", str(bib_copy), "discover", *EVER, code=1)


def test_no_network_is_one_line(run, arxiv_server, bib_copy):
    arxiv_server.stop()
    result = run("--bib", str(bib_copy), "discover", code=2)
    assert result.stdout == ""
    assert result.stderr.startswith("error: cannot reach arXiv at http://127.0.0.1:")
    assert result.stderr.count("\n") == 1


def test_search_pages_paces_and_caches(arxiv_server, monkeypatch):
    from ke_papers.sources import arxiv

    monkeypatch.setattr(arxiv, "BATCH", 5)
    monkeypatch.setenv("KE_PAPERS_ARXIV_DELAY", "0.2")
    query = "all:editing AND submittedDate:[201001010000 TO 209912312359]"
    pages: list[tuple[int, int]] = []
    found = arxiv.search(query, 12, on_page=lambda done, total: pages.append((done, total)))
    assert len(found) == 12 and len({r.id for r in found}) == 12
    assert [q["start"] for q in arxiv_server.requests] == [["0"], ["5"], ["10"]]
    assert all(b - a >= 0.2 for a, b in itertools.pairwise(arxiv_server.times))  # the pace
    assert pages == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert found[0].published == "2024-10-03" and found[0].title.startswith("AlphaEdit")
    assert arxiv.search(query, 12) == found and len(arxiv_server.requests) == 3  # cached
    assert arxiv.search(query, 12, use_cache=False) == found
    assert len(arxiv_server.requests) == 6


def test_likeness_and_terms():
    from ke_papers.similarity import Corpus, terms

    assert terms("Editing edits, edited: locate-then-edit LOCATING memories") == [
        "edit", "edit", "edit", "locat", "edit", "locate-then-edit", "locat", "memory",
    ]  # fmt: skip
    corpus = Corpus([terms("model editing"), terms("knowledge editing"), terms("ROME editing")])
    assert corpus.likeness(terms("editing knowledge in models")) > corpus.likeness(
        terms("superfluid helium in nanopores")
    )
    assert corpus.likeness(terms("superfluid helium")) == 0.0
    assert [n.position for n in corpus.nearest(terms("ROME"))] == [2]
    assert 0 < corpus.typical() <= 1 and Corpus([terms("one")]).typical() == 0.0


def test_since_forms():
    from ke_papers.usecases.discovering import since_date

    today = date(2026, 12, 7)
    assert since_date("7d", today) == date(2026, 11, 30)
    assert since_date("2W", today) == date(2026, 11, 23)
    assert since_date(" 2026-11-01 ", today) == date(2026, 11, 1)


@pytest.mark.skipif(shutil.which("actionlint") is None, reason="actionlint is not installed")
def test_the_workflow_passes_actionlint():
    done = subprocess.run(
        ["actionlint", str(REPO / ".github" / "workflows" / "discover.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


FAKE_GH = r"""#!/usr/bin/env python3
import json, sys
from pathlib import Path
state = Path(__file__).with_name("issues.json")
issues = json.loads(state.read_text()) if state.exists() else []
args = sys.argv[1:]
def opt(name):
    return args[args.index(name) + 1]
if args[:2] == ["issue", "list"]:
    print(json.dumps([{k: i[k] for k in ("number", "title", "body")} for i in issues]))
elif args[:2] == ["issue", "create"]:
    body = Path(opt("--body-file")).read_text()
    issues.append({"number": len(issues) + 1, "title": opt("--title"), "body": body})
elif args[:2] == ["issue", "edit"]:
    issues[int(args[2]) - 1]["body"] = Path(opt("--body-file")).read_text()
state.write_text(json.dumps(issues))
"""


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_the_workflow_opens_one_issue_a_week_and_proposes_nothing_twice(
    arxiv_server, bib_copy, tmp_path
):
    """The workflow's own script, run with a stand-in `gh` that keeps issues in a file:
    the period is widened to the feed's papers (they are not from last week)."""
    workflow = (REPO / ".github" / "workflows" / "discover.yml").read_text(encoding="utf-8")
    script = workflow.split("run: |\n", 1)[1]
    script = "\n".join(line.removeprefix(" " * 10) for line in script.splitlines())
    assert "ke-papers discover --since 7d --no-cache --format markdown --seen proposed.md" in script
    script = script.replace("--since 7d", "--since 2010-01-01")
    work = tmp_path / "repo"
    (work / "data").mkdir(parents=True)
    shutil.copy(bib_copy, work / "data" / "papers.bib")
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "gh").write_text(FAKE_GH, encoding="utf-8")
    (tools / "gh").chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{tools}:{Path(sys.executable).parent}:{os.environ['PATH']}",
        "LABEL": "papers to consider",
    }

    def week() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, check=False
        )

    first = week()
    assert first.returncode == 0, first.stderr
    (issue,) = json.loads((tools / "issues.json").read_text())
    assert re.fullmatch(r"Papers to consider, week \d{4}-W\d\d", issue["title"])
    assert issue["body"].count("- [ ] ") == len(KE)
    # A new paper appears on arXiv during the week: the same issue grows by its line.
    arxiv_server.found.append(
        arxiv_server.found[0]
        .replace("2410.02355v1", "2412.00001v1")
        .replace("AlphaEdit:", "BetaEdit:")
    )
    second = week()
    assert second.returncode == 0, second.stderr
    (issue,) = json.loads((tools / "issues.json").read_text())
    assert issue["body"].count("- [ ] ") == len(KE) + 1 and "2412.00001" in issue["body"]
    assert issue["body"].startswith("<!-- ke-papers discover")
    third = week()
    assert third.returncode == 0 and "nothing new to propose" in third.stdout
    assert len(json.loads((tools / "issues.json").read_text())) == 1


def test_another_list_is_its_own_measure(run, arxiv_server, tmp_path):
    """A list of software-testing papers (with abstracts, without sections), made with
    `add` from recorded arXiv answers: the testing papers are proposed, the editing ones
    are not, and the command to accept one needs no section."""
    bib = tmp_path / "testing.bib"
    testing = "2202.12139 2405.13786 2005.14124 2204.08348 1202.4527 2503.05378 1812.11470"
    more = "1912.09881 1912.04900 2301.05651 1605.01097 2301.13615 2407.18756 2202.06271"
    run("--bib", str(bib), "add", *testing.split(), *more.split())
    found = discovered(run, bib)
    proposed = {c["arxiv"] for c in found}
    assert proposed and proposed <= UNRELATED and not proposed & KE
    assert "2412.16620" in proposed  # fine-tuning LLMs for unit testing
    assert all(c["add"] == f"ke-papers add {c['arxiv']}" and c["taxonomy"] == [] for c in found)
    ranked = [c["arxiv"] for c in discovered(run, bib, "--all")]
    testing_papers = {"2412.16620", "2312.06056", "2302.03287"}
    assert set(ranked[:3]) == testing_papers  # the testing papers first, then the rest
