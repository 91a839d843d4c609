"""`lint --online`: what only the world can tell about the list; nothing is written.

An arXiv ID whose paper has another title (one arXiv request per 100 IDs), links that are
dead (`sources.links`: HEAD then GET, politely; a refusal is "could not check"), and a
paper kept twice, as a preprint and as its published version under another key (the
published versions the sources can trust, as `update --published` finds them).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path

from ke_papers import lint, publications
from ke_papers.entries import plain
from ke_papers.identity import is_arxiv_id, normal_doi, normal_title, parse_id
from ke_papers.latex import fold
from ke_papers.model import Link, Paper
from ke_papers.usecases.reading import open_catalog

#: A title on arXiv this unlike the entry's (difflib's ratio of the normalised titles) is
#: another paper's (a revised title keeps far more than this).
OTHER_TITLE = 0.8


def _offline(ctx: lint.Context) -> Iterator[lint.Hit]:
    """Found by `online`, never from the file alone."""
    return iter(())


RULES = [
    lint.Rule(
        "arxiv-title",
        "error",
        "(online) an arXiv ID whose paper on arXiv has another title, or no paper",
        _offline,
    ),
    lint.Rule(
        "dead-link",
        "error",
        "(online) a link no server answers, or answers 404, 410 or another 4xx",
        _offline,
    ),
    lint.Rule(
        "unchecked-link",
        "warning",
        "(online) a link its server would not let us check (401, 403, 429, 5xx, no answer in time)",
        _offline,
    ),
    lint.Rule(
        "preprint-and-published",
        "error",
        "(online) a preprint kept beside its published version under another key",
        _offline,
    ),
]
_SEVERITY = {r.id: r.severity for r in RULES}


def _finding(paper: Paper, rule: str, message: str) -> lint.Finding:
    return lint.Finding(paper.line or 1, paper.key, rule, message, _SEVERITY[rule])


def _arxiv_titles(papers: list[Paper]) -> Iterator[lint.Finding]:
    from ke_papers.sources.arxiv import fetch

    with_ids = [p for p in papers if p.arxiv and is_arxiv_id(parse_id(p.arxiv).base)]
    records = fetch([parse_id(p.arxiv) for p in with_ids]) if with_ids else {}
    for paper in with_ids:
        record = records.get(parse_id(paper.arxiv).base)
        if record is None:
            yield _finding(paper, "arxiv-title", f"arXiv knows no paper {paper.arxiv}")
            continue
        ours, theirs = normal_title(paper.get("title")), normal_title(record.title)
        if difflib.SequenceMatcher(None, ours, theirs).ratio() < OTHER_TITLE:
            authors = ", ".join(record.authors[:3]) + (" et al." if len(record.authors) > 3 else "")
            yield _finding(
                paper,
                "arxiv-title",
                plain(f"arXiv {record.id} is '{record.title}' by {authors}: another paper's ID?"),
            )


def _links(papers: list[Paper]) -> Iterator[lint.Finding]:
    from ke_papers import urls
    from ke_papers.sources.links import check

    wanted = [
        (paper, link.label, link.url)
        for paper in papers
        for link in ([Link("url", paper.get("url"))] if paper.get("url") else [])
        + paper.extra_links
        if urls.problem(link.url) is None
    ]
    states = check([url for _, _, url in wanted])
    for paper, label, url in wanted:
        state = states[url]
        if state.state == "dead":
            yield _finding(paper, "dead-link", f"link '{label}' is dead ({state.why}): {url}")
        elif state.state == "unchecked":
            message = f"link '{label}' could not be checked ({state.why}): {url}"
            yield _finding(paper, "unchecked-link", message)


def _families(paper: Paper) -> set[str]:
    return {fold(n.last).casefold() for n in paper.names if n.last}


def _kept_twice(papers: list[Paper]) -> Iterator[lint.Finding]:
    from ke_papers.usecases.publishing import gather

    preprints = [p for p in papers if publications.is_unpublished(p)]
    others = [p for p in papers if not publications.is_unpublished(p)]
    if not preprints or not others:
        return
    for key, found in gather(preprints).items():
        preprint = next(p for p in preprints if p.key == key)
        for version in found:
            doi, title = normal_doi(version.doi), normal_title(version.get("title"))
            twin = next(
                (
                    p
                    for p in others
                    if (doi and normal_doi(p.doi) == doi)
                    or (normal_title(p.get("title")) == title and _families(p) & _families(version))
                ),
                None,
            )
            if twin is not None:
                yield _finding(
                    preprint,
                    "preprint-and-published",
                    f"the preprint of {twin.key} (line {twin.line}), published as "
                    f"{publications.describe(version)}: keep one",
                )
                break


def findings(path: Path) -> list[lint.Finding]:
    """Every online finding for the bib file, in line order."""
    papers = list(open_catalog(path))
    found = [*_arxiv_titles(papers), *_links(papers), *_kept_twice(papers)]
    return sorted(found, key=lambda f: (f.line, f.rule))
