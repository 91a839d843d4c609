"""Rich renderables for people at a terminal: tables, trees, panels. Nothing here prints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.table import Table

from ke_papers.model import TAXONOMY_SEP, Paper
from ke_papers.taxonomy import Section

if TYPE_CHECKING:
    from rich.panel import Panel
    from rich.tree import Tree


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
    return "".join("\t".join(" ".join(cell.split()) for cell in _row(p)) + "\n" for p in papers)


def papers_table(papers: Sequence[Paper], scores: Sequence[float] | None = None) -> Table:
    """One row per paper: rank, key, title, first author, venue/year, section."""
    table = Table(show_lines=False, pad_edge=False, expand=False)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("key", style="cyan", no_wrap=True)
    table.add_column("title", overflow="fold")
    table.add_column("authors")
    table.add_column("venue", no_wrap=True)
    table.add_column("section", style="dim")
    if scores is not None:
        table.add_column("score", justify="right", style="dim", no_wrap=True)
    for i, paper in enumerate(papers, 1):
        row = [str(i), *_row(paper)]
        if scores is not None:
            row.append(f"{scores[i - 1]:.1f}")
        table.add_row(*row)
    return table


def _rows(paper: Paper) -> list[tuple[str, str]]:
    rows = [("title", paper.title), ("authors", ", ".join(paper.authors))]
    for label, value in (
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
    return "\n".join(f"{label}: {value}" for label, value in rows) + "\n"


def paper_panel(paper: Paper) -> Panel:
    """Everything about one paper, with its links clickable where the terminal allows."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    body = Table.grid(padding=(0, 1))
    body.add_column(style="bold", no_wrap=True)
    body.add_column()
    for label, value in _rows(paper):
        body.add_row(label, value)
    for link in paper.links:
        body.add_row(link.label, Text(link.url or "(empty)", style=f"link {link.url}"))
    parts: list = [body]
    if paper.abstract:
        parts.append(Text("\n" + paper.abstract, style="dim"))
    return Panel(
        Group(*parts),
        title=f"[bold]{paper.key}[/]",
        subtitle=f"@{paper.entry_type}",
        title_align="left",
    )


def section_tree(root: Section, label: str) -> Tree:
    from rich.tree import Tree

    tree = Tree(label)

    def grow(node: Tree, section: Section) -> None:
        for child in section.children:
            grow(node.add(f"{child.name} [dim]({child.count()})[/]"), child)

    grow(tree, root)
    return tree
