"""Every output format, by name: the one table `--format NAME` is offered from.

`list`, `search`, `export` and `cite` render their papers through this table, and
`discover` its candidates (table, json and markdown know them: `Output.suggestions`). A new
format is one entry in `FORMATS`; it then appears in every command's `--format`
choices, completion and error message. A format with `rich` is drawn that way at a
terminal and as `render`'s plain text into a pipe.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ke_papers.errors import KePapersError

if TYPE_CHECKING:
    from ke_papers.model import Paper

COMMANDS = frozenset({"list", "search", "export", "cite"})
EXPORT = frozenset({"export"})
#: `discover` renders candidates, not papers of the list: three formats know them.
DISCOVER = frozenset({"discover"})


@dataclass(frozen=True)
class Suggestion:
    """Where a candidate of `discover` would go, and why: the list's papers that placed it."""

    section: Sequence[str]
    #: The section's name as `add --category` takes it.
    category: str
    like: Sequence[Paper]
    #: The day of its first version on arXiv (YYYY-MM-DD).
    published: str = ""


@dataclass(frozen=True)
class Output:
    """What a renderer gets: the chosen papers and the options of the command asking."""

    papers: Sequence[Paper]
    command: str
    #: The papers' sections, Markdown bodies and clean BibTeX entries (default options)
    #: when the parse cache has them ready.
    sections: Sequence[Sequence[str]] | None = None
    bodies: Sequence[str] | None = None
    #: For the Markdown list: each paper's key, and its year where neither its venue nor
    #: its arXiv ID shows it (else 0), so that an import of the list gets them back.
    keys: Sequence[str] | None = None
    years: Sequence[int] | None = None
    entries: Sequence[str] | None = None
    #: Each paper's JSON object as `list --json` prints it (`json_object`), when ready-made.
    objects: Sequence[str] | None = None
    scores: Sequence[float] | None = None
    full: bool = False
    ascii_only: bool = False
    cite_command: str = "cite"
    grouped: bool = False
    #: The terminal's width, for formats drawn with rich.
    width: int = 80
    #: For the web page: its title and the date in its footer (YYYY-MM-DD).
    title: str | None = None
    date: str = ""
    #: For `discover`: each candidate's suggestion, and the first day searched.
    suggestions: Sequence[Suggestion] | None = None
    since: str = ""
    description: str = ""
    repository: str = ""


@dataclass(frozen=True)
class Format:
    name: str
    help: str
    render: Callable[[Output], str]
    commands: frozenset[str] = COMMANDS
    rich: Callable[[Output], Any] | None = None


def to_json(data: Any) -> str:
    """The one JSON shape ke-papers prints: UTF-8 as is, indented, a newline at the end."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _json(out: Output) -> str:
    from ke_papers.render import candidates, tabular

    if out.suggestions is not None:
        data: Any = candidates.data(out)
    elif out.grouped:
        data = tabular.grouped(out.papers)
    elif out.objects is not None and out.scores is None:
        return "[\n" + ",\n".join(out.objects) + "\n]\n" if out.objects else "[]\n"
    else:
        data = [p.as_dict() for p in out.papers]
        for row, score in zip(data, out.scores or (), strict=False):
            row["score"] = score
    return to_json(data)


def json_object(paper: Paper) -> str:
    """A paper's JSON object as it stands in a list that `to_json` prints."""
    return "\n".join("  " + line for line in to_json(paper.as_dict()).rstrip("\n").split("\n"))


def _lines(render: Callable[[Paper], str]) -> Callable[[Output], str]:
    return lambda out: "".join(render(p) + "\n" for p in out.papers)


def _bibtex(biblatex: bool) -> Callable[[Output], str]:
    def render(out: Output) -> str:
        from ke_papers.render import cite

        if out.entries is not None and not (biblatex or out.full or out.ascii_only):
            return cite.joined(out.entries)
        return cite.bibtex(out.papers, out.full, out.ascii_only, biblatex=biblatex)

    return render


def _markdown(out: Output) -> str:
    from ke_papers.render import candidates, cite, markdown

    if out.suggestions is not None:
        return candidates.issue(out)
    if out.command == "cite":
        return "".join(cite.markdown(p) + "\n" for p in out.papers)
    sections = out.sections or [p.taxonomy for p in out.papers]
    bodies = out.bodies or [markdown.entry_body(p) for p in out.papers]
    keys = out.keys or [p.key for p in out.papers]
    years = out.years or [0 if p.arxiv else p.year or 0 for p in out.papers]
    bodies = [markdown.keyed(b, k, y) for b, k, y in zip(bodies, keys, years, strict=True)]
    return markdown.paper_list(list(zip(sections, bodies, strict=True)))


def _csv(out: Output) -> str:
    from ke_papers.render import tabular

    return tabular.to_csv(out.papers)


def _text(paper: Paper) -> str:
    from ke_papers.render import cite

    return cite.text(paper)


def _cite_command(out: Output) -> str:
    from ke_papers.render import cite

    keys = [p.key for p in out.papers]
    return cite.cite_command(keys, out.cite_command) + "\n" if keys else ""


def _html(out: Output) -> str:
    from ke_papers.render import html

    return html.page(
        out.papers, out.title or html.DEFAULT_TITLE, out.date, out.description, out.repository
    )


def _table_text(out: Output) -> str:
    from ke_papers.render import terminal

    if out.suggestions is not None:
        from ke_papers.render import candidates

        return candidates.lines(out)
    return terminal.papers_lines(out.papers)


def _table(out: Output) -> Any:
    from ke_papers.render import terminal

    if out.suggestions is not None:
        from ke_papers.render import candidates

        return candidates.table(out)
    return terminal.papers_table(out.papers, out.scores, out.width)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "table",
            "a table at a terminal; tab-separated lines into a pipe",
            _table_text,
            frozenset({"list", "search"}) | DISCOVER,
            rich=_table,
        ),
        Format("json", "JSON objects, for programs", _json, COMMANDS | DISCOVER),
        Format("keys", "one key per line (for xargs)", _lines(lambda p: p.key)),
        Format("bibtex", "clean BibTeX entries for LaTeX", _bibtex(biblatex=False)),
        Format("biblatex", "biblatex entries (@online, date, journaltitle)", _bibtex(True)),
        Format("csv", "CSV, one row per paper, links as columns", _csv),
        Format(
            "markdown",
            "the awesome list (with cite: one Markdown citation a line; with discover: an "
            "issue body, a checkbox a paper)",
            _markdown,
            COMMANDS | DISCOVER,
        ),
        Format("text", "ACL-style references in plain text", _lines(_text)),
        Format("key", "one \\cite{...} command for all the keys", _cite_command),
        Format("html", "one self-contained web page: search, filters, chart", _html, EXPORT),
    )
}


def names_for(command: str) -> list[str]:
    return [name for name, f in FORMATS.items() if command in f.commands]


def choose(command: str, named: str | None, aliases: Sequence[str], default: str) -> Format:
    """The format a command was asked for: `--format NAME` or one alias flag, else its default."""
    asked = ([named] if named else []) + list(aliases)
    if len(set(asked)) > 1:
        shown = " and ".join(f"'{a}'" for a in dict.fromkeys(asked))
        raise KePapersError(f"choose one output format, not {shown}")
    name = asked[0] if asked else default
    if name not in FORMATS or command not in FORMATS[name].commands:
        raise KePapersError(
            f"unknown format '{name}' for {command}; choose from {', '.join(names_for(command))}"
        )
    return FORMATS[name]
