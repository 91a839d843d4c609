"""What people read at a terminal (tables, trees, panels) and its plain form for pipes.

Every value is data, never markup: it goes into rich as `Text`, so `[link=...]`, `[/]`
or `a[i]` in a title print as written, and control characters (terminal escapes such
as `ESC[2J` or OSC 52, which writes the clipboard) are dropped from everything printed.
Nothing here prints.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ke_papers.model import TAXONOMY_SEP, Paper
from ke_papers.taxonomy import Section

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table
    from rich.text import Text
    from rich.tree import Tree

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
#: Below these widths a table drops its section, then its authors column.
WIDE, MEDIUM = 150, 110


def printable(value: str) -> str:
    """`value` without control characters (tabs and newlines become spaces)."""
    return _CONTROL.sub("", value.replace("\t", " ").replace("\n", " "))


def _text(value: str, style: str = "") -> Text:
    from rich.text import Text

    return Text(printable(value), style=style)


def short_authors(paper: Paper) -> str:
    authors = paper.authors
    if not authors:
        return ""
    return authors[0] + (" et al." if len(authors) > 1 else "")


def venue_year(paper: Paper) -> str:
    """`NeurIPS 2022`; a journal or proceedings name without its year gets it added."""
    year = str(paper.year) if paper.year else ""
    if paper.venue:
        return paper.venue if year in paper.venue else f"{paper.venue} {year}"
    return year


def _row(paper: Paper) -> list[str]:
    section = paper.taxonomy[-1] if paper.taxonomy else ""
    return [paper.key, paper.title, short_authors(paper), venue_year(paper), section]


def papers_lines(papers: Sequence[Paper]) -> str:
    """One tab-separated line per paper (key, title, first author, venue/year, section)."""
    return "".join(
        "\t".join(" ".join(printable(cell).split()) for cell in _row(p)) + "\n" for p in papers
    )


def papers_table(
    papers: Sequence[Paper], scores: Sequence[float] | None = None, width: int = 80
) -> Table:
    """One row per paper: rank, key, title, and what else fits in `width` columns.

    The title gets the room; authors and section are dropped on narrow terminals, and
    words are wrapped whole. A key is never cut: it is what people copy into `show`.
    """
    from rich import box
    from rich.table import Table

    columns = ["key", "title", "authors", "venue", "section"]
    if width < WIDE:
        columns.remove("section")
    if width < MEDIUM:
        columns.remove("authors")
    longest_key = max((len(printable(p.key)) for p in papers), default=3)
    if width < longest_key + 48:  # the title keeps its room: the venue goes first
        columns.remove("venue")
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=True)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    for name in columns:
        table.add_column(
            name,
            style={"key": "cyan", "section": "dim"}.get(name, ""),
            no_wrap=name in ("key", "venue"),
            ratio=1 if name == "title" else None,
            min_width={"title": 20, "key": longest_key}.get(name),
            max_width={"title": None, "key": longest_key}.get(name, 24 if width >= MEDIUM else 14),
            overflow="ellipsis" if name != "title" else "fold",
        )
    if scores is not None:
        table.add_column("score", justify="right", style="dim", no_wrap=True)
    keep = [["key", "title", "authors", "venue", "section"].index(c) for c in columns]
    for i, paper in enumerate(papers, 1):
        cells = _row(paper)
        row: list[RenderableType] = [str(i), *(_text(cells[c]) for c in keep)]
        if scores is not None:
            row.append(f"{scores[i - 1]:.1f}")
        table.add_row(*row)
    return table


def _rows(paper: Paper) -> list[tuple[str, str]]:
    rows = [("title", paper.title)]
    for label, value in (
        ("authors", ", ".join(paper.authors)),
        ("year", str(paper.year or "")),
        ("venue", paper.venue),
        ("section", TAXONOMY_SEP.join(paper.taxonomy)),
        ("arXiv", paper.arxiv),
        ("DOI", paper.doi),
        ("keywords", ", ".join(paper.keywords)),
    ):
        if value:
            rows.append((label, value))
    return rows


def paper_text(paper: Paper) -> str:
    """One paper as `label: value` lines, for pipes and scripts."""
    rows = [("key", paper.key), ("type", paper.entry_type), *_rows(paper)]
    rows += [(link.label, link.url) for link in paper.links]
    if paper.abstract:
        rows.append(("abstract", paper.abstract))
    return "".join(f"{printable(label)}: {printable(value)}\n" for label, value in rows)


def paper_panel(paper: Paper) -> RenderableType:
    """Everything about one paper, with its http(s) links clickable where the terminal allows."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table

    from ke_papers import urls

    body = Table.grid(padding=(0, 1))
    body.add_column(style="bold", no_wrap=True)
    body.add_column()
    for label, value in _rows(paper):
        body.add_row(_text(label), _text(value))
    for link in paper.links:
        safe = urls.problem(link.url) is None
        shown = _text(link.url or "(empty)")
        if safe:
            shown.stylize(f"link {printable(link.url)}")
        body.add_row(_text(link.label), shown)
    parts: list[RenderableType] = [body]
    if paper.abstract:
        parts.append(_text("\n" + paper.abstract, style="dim"))
    return Panel(
        Group(*parts),
        title=_text(paper.key, style="bold"),
        subtitle=_text(f"@{paper.entry_type}"),
        title_align="left",
    )


def section_tree(root: Section, label: str) -> Tree:
    from rich.tree import Tree

    tree = Tree(_text(label, style="bold"))

    def grow(node: Tree, section: Section) -> None:
        for child in section.children:
            text = _text(child.name)
            text.append(f" ({child.count()})", style="dim")
            grow(node.add(text), child)

    grow(tree, root)
    return tree


def section_lines(root: Section) -> str:
    """The section tree for pipes: two spaces of indent per level, then `name (count)`."""
    return "".join(
        f"{'  ' * (len(s.path) - 1)}{printable(s.name)} ({s.count()})\n"
        for s in list(root.walk())[1:]
    )
