"""What `discover` shows: the candidates as a table, lines, JSON, or an issue body.

Each candidate is a paper from arXiv with a score, the section it would go to and the
list's papers that placed it there (`formats.Suggestion`). The issue body has one
checkbox line per candidate, and under it the command that adds it. Titles, names and
sections are data: escaped for Markdown, never markup; the arXiv link is built from the
checked ID, never taken from the answer.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ke_papers.model import ARXIV_ABS, TAXONOMY_SEP, Paper
from ke_papers.render.markdown import escape_text
from ke_papers.render.terminal import printable

if TYPE_CHECKING:
    from rich.table import Table

    from ke_papers.render.formats import Output, Suggestion

#: Authors named before `et al.` in the issue body.
AUTHORS = 3
_SHELL_SPECIAL = re.compile(r'(["$`\\])')


def _items(out: Output) -> list[tuple[Paper, float, Suggestion]]:
    return list(zip(out.papers, out.scores or (), out.suggestions or (), strict=True))


def add_command(paper: Paper, category: str) -> str:
    """`ke-papers add ID -c "Section"`: the line that accepts a candidate, for a shell."""
    if not category:
        return f"ke-papers add {paper.arxiv}"
    quoted = _SHELL_SPECIAL.sub(r"\\\1", category)
    return f'ke-papers add {paper.arxiv} -c "{quoted}"'


def named(paper: Paper) -> str:
    """A list paper as the reason names it: its key, and the name people know it by."""
    return f"{paper.key} ({paper.keywords[0]})" if paper.keywords else paper.key


def _authors(paper: Paper) -> str:
    names = paper.authors
    return ", ".join(names[:AUTHORS]) + (" et al." if len(names) > AUTHORS else "")


def lines(out: Output) -> str:
    """One tab-separated line per candidate: number, arXiv ID, score, section, title, like."""
    rows = []
    for i, (paper, score, why) in enumerate(_items(out), 1):
        cells = [str(i), paper.arxiv, f"{score:.3f}", why.category, paper.title]
        cells.append(", ".join(p.key for p in why.like))
        rows.append("\t".join(" ".join(printable(c).split()) for c in cells) + "\n")
    return "".join(rows)


def table(out: Output) -> Table:
    """Number, score, title (first authors and arXiv ID below it), section and reason."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    grid = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=True)
    grid.add_column("#", justify="right", style="dim", no_wrap=True)
    grid.add_column("score", justify="right", no_wrap=True)
    grid.add_column("paper", ratio=3, min_width=24, overflow="fold")
    grid.add_column("section", ratio=1, style="cyan")
    grid.add_column("like", ratio=1, style="dim")
    for i, (paper, score, why) in enumerate(_items(out), 1):
        title = Text(printable(paper.title))
        title.append(f"\n{printable(_authors(paper))} · arXiv {paper.arxiv}", style="dim")
        grid.add_row(
            str(i),
            f"{score:.2f}",
            title,
            Text(printable(why.category)),
            Text(printable(", ".join(p.key for p in why.like))),
        )
    return grid


def data(out: Output) -> list[dict[str, Any]]:
    """Each candidate as JSON: the paper's fields, then score, section, reason, command."""
    rows = []
    for i, (paper, score, why) in enumerate(_items(out), 1):
        row = {"number": i, **paper.as_dict()}
        del row["key"]  # made up for the entry `add` would write; no key of the list
        row.update(
            url=ARXIV_ABS + paper.arxiv,
            published=why.published,
            score=score,
            taxonomy=list(why.section),
            category=why.category,
            like=[{"key": p.key, "title": p.title} for p in why.like],
            add=add_command(paper, why.category),
        )
        rows.append(row)
    return rows


def code_span(text: str) -> str:
    """`text` as a Markdown code span, whatever backticks it holds."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def issue(out: Output) -> str:
    """An issue body: a line on what it is, then one checkbox line per candidate (title
    linked to arXiv, authors, date, section, the papers that placed it) with the command
    that adds it on the line below."""
    head = [
        f"<!-- ke-papers discover: since {out.since} -->",
        f"New on arXiv since {out.since}, most alike to the list first. Tick the papers "
        "that belong; the command under each adds it.",
        "",
    ]
    items = []
    for paper, _score, why in _items(out):
        line = (
            f"- [ ] **[{escape_text(paper.title)}]({ARXIV_ABS}{paper.arxiv})**"
            f" {escape_text(_authors(paper))}" + (f" ({why.published})" if why.published else "")
        )
        if why.section:
            line += f". Section: *{escape_text(TAXONOMY_SEP.join(why.section))}*"
        if why.like:
            line += ", like " + ", ".join(escape_text(named(p)) for p in why.like)
        items.append(line + ".\n  " + code_span(add_command(paper, why.category)))
    return "\n".join(head + items) + "\n"


def summary(found: int, shown: int, present: int, seen: int, low: int, cut: int) -> str:
    """One line on what happened to what arXiv answered."""
    parts = [f"{present} already in the list"] if present else []
    if seen:
        parts.append(f"{seen} proposed before")
    if low:
        parts.append(f"{low} less alike (--all shows them)")
    if cut:
        parts.append(f"{cut} past --limit")
    tail = f": {', '.join(parts)}" if parts else ""
    return f"{shown} of {found} papers from arXiv proposed{tail}"
