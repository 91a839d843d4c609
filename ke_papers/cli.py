"""The `ke-papers` command: parse options, call one use case, render. Errors become one line."""

import contextlib
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from ke_papers import config
from ke_papers.errors import EncodingNote, KePapersError, display_path

if TYPE_CHECKING:
    from rich.console import Console

    from ke_papers.model import Paper
    from ke_papers.render.formats import Format, Output
    from ke_papers.sources import Progress


#: The order `--help` lists the commands in: reading, citing, writing, checking.
ORDER = [
    "search",
    "show",
    "list",
    "taxonomy",
    "cite",
    "export",
    "add",
    "update",
    "discover",
    "edit",
    "move",
    "rename",
    "remove",
    "import",
    "lint",
    "fmt",
    "info",
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


class _Group(TyperGroup):
    """Every error is one line on stderr and exit code 2; a closed pipe is quiet."""

    def list_commands(self, ctx: Any) -> list[str]:
        known = super().list_commands(ctx)
        return sorted(known, key=lambda name: ORDER.index(name) if name in ORDER else len(ORDER))

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except typer.TyperException as exc:  # a usage error before any command runs
            if type(exc).__name__ == "NoArgsIsHelpError":  # `ke-papers` alone: the help
                typer.echo(exc.format_message())  # type: ignore[attr-defined]
                raise typer.Exit(0) from None
            raise _fail(exc.format_message()) from None  # type: ignore[attr-defined]

    def invoke(self, ctx: Any) -> Any:
        said: set[str] = set()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", EncodingNote)
            try:
                return self._run(ctx, lambda: _notes(caught, said))
            finally:
                _notes(caught, said)

    def _run(self, ctx: Any, notes: Callable[[], None]) -> Any:
        try:
            return super().invoke(ctx)
        except KePapersError as exc:
            notes()
            for note in exc.notes:
                typer.echo(note, err=True)
            raise _fail(str(exc)) from None
        except typer.TyperException as exc:
            raise _fail(exc.format_message()) from None  # type: ignore[attr-defined]
        except BrokenPipeError:
            notes()
            sys.stderr.close()
            raise typer.Exit(0) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None


def _notes(caught: list[warnings.WarningMessage], said: set[str]) -> None:
    """Say each note the library gave (how a file was decoded) once; other warnings as usual."""
    for w in caught:
        if not issubclass(w.category, EncodingNote):
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        elif str(w.message) not in said:
            said.add(str(w.message))
            typer.echo(str(w.message), err=True)
    caught.clear()


app = typer.Typer(
    cls=_Group,
    help="Keep, search, grow, export and cite the Knowledge Editing for LLMs paper list.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Options several commands share, declared once (as sqlite-utils declares its output options).
JsonOpt = Annotated[bool, typer.Option("--json", help="Output JSON for programs.")]
KeysOpt = Annotated[bool, typer.Option("--keys", help="One key per line (for xargs).")]
BibtexOpt = Annotated[bool, typer.Option("--bibtex", help="Clean BibTeX entries for LaTeX.")]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Write the changes, without asking.")]
NoCacheOpt = Annotated[
    bool, typer.Option("--no-cache", help="Ask the sources even if a recent answer is cached.")
]


#: Where a command's `Session` (what it has read) is kept in the click context.
SESSION = "ke_papers.session"


def _session(ctx: typer.Context) -> Any:
    """The command's session: made when the command starts, handed to every use case."""
    from ke_papers.usecases.reading import Session

    return ctx.meta.setdefault(SESSION, Session(_building))


def _choice(ctx: typer.Context) -> config.BibChoice:
    from ke_papers import files

    choice = config.choose(ctx.obj if isinstance(ctx.obj, Path) else None)
    files.check_path(choice.path)
    return choice


def _bib(ctx: typer.Context) -> Path:
    return _choice(ctx).path


def _reading(ctx: typer.Context) -> Path:
    """The bib file for a command that only reads it; what a reader should know goes to stderr."""
    from ke_papers.usecases.reading import warnings

    path = _bib(ctx)
    for warning in warnings(path, _session(ctx)):
        _say(f"warning: {warning}")
    return path


def _writable(ctx: typer.Context, dry_run: bool = False) -> Path:
    """The file a write goes to (a dry run reads the file in use and writes nothing)."""
    from ke_papers.usecases.reading import writable

    choice = _choice(ctx)
    if dry_run:
        return choice.path
    target = writable(choice)
    if target.note:
        _say(target.note)
    return target.path


def _say(message: str) -> None:
    typer.echo(message, err=True)


#: A file this big (about 1,000 entries) takes a moment to read after it changed: a
#: terminal is told what is going on.
BIG_FILE = 1 << 20


def _building(path: Path, what: str) -> contextlib.AbstractContextManager[Any]:
    """A spinner on stderr while a big file's index is brought up to date, or a value of
    every entry made for it (on a terminal only)."""
    with contextlib.suppress(OSError):
        if sys.stderr.isatty() and path.stat().st_size >= BIG_FILE:
            doing = "reading" if what == "papers" else f"preparing the {what} of every entry in"
            return _console(err=True).status(f"{doing} {path.name} (kept for the next commands)")
    return contextlib.nullcontext()


def _console(err: bool = False) -> "Console":
    """A rich console; into a pipe it is wide enough that no column is cut."""
    from rich.console import Console

    stream = sys.stderr if err else sys.stdout
    return Console(stderr=err, width=None if stream.isatty() else 100_000)


def _emit_json(data: Any) -> None:
    from ke_papers.render.formats import to_json

    typer.echo(to_json(data), nl=False)


def _catalog(ctx: typer.Context, quiet: bool = False) -> Any:
    from ke_papers.usecases.reading import open_catalog

    return open_catalog(_bib(ctx) if quiet else _reading(ctx), _session(ctx))


def _complete_keys(ctx: typer.Context, incomplete: str) -> list[str]:
    try:
        return [k for k in _catalog(ctx, quiet=True).all_keys() if k.startswith(incomplete)]
    except KePapersError:
        return []


def _complete_sections(ctx: typer.Context, incomplete: str) -> list[str]:
    """Section names; for bash with spaces and quotes backslashed, since bash inserts a
    completion as typed (`Locate\\ and\\ edit`)."""
    import os
    import re

    try:
        sections = list(_catalog(ctx, quiet=True).tree().walk())[1:]
    except KePapersError:
        return []
    names = [n for n in dict.fromkeys(s.name for s in sections) if n.startswith(incomplete)]
    if os.environ.get("_KE_PAPERS_COMPLETE", "").endswith("bash"):
        return [re.sub(r"([^\w@%+=:,./-])", r"\\\1", n) for n in names]
    return names


def _format_option(command: str, default: str) -> Any:
    from ke_papers.render.formats import names_for

    def complete(incomplete: str) -> list[str]:
        return [n for n in names_for(command) if n.startswith(incomplete)]

    return typer.Option(
        "--format",
        "-f",
        metavar="NAME",
        help=f"Output format: {', '.join(names_for(command))} (default {default}).",
        autocompletion=complete,
    )


def _choose(command: str, named: str | None, default: str, **aliases: bool) -> "Format":
    from ke_papers.render.formats import choose

    return choose(command, named, [name for name, on in aliases.items() if on], default)


def _render(fmt: "Format", out: "Output") -> None:
    """A format with a rich form is drawn at a terminal; everything else is printed as text."""
    if fmt.rich is not None and sys.stdout.isatty():
        import dataclasses

        console = _console()
        console.print(fmt.rich(dataclasses.replace(out, width=console.size.width)))
    else:
        typer.echo(fmt.render(out), nl=False)


CategoryOpt = Annotated[
    str | None,
    typer.Option(
        "--category",
        "-c",
        metavar="SECTION",
        help="A section at any level, by name or full path ('Locate and edit').",
        autocompletion=_complete_sections,
    ),
]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"ke-papers {version('ke-papers')}")
        raise typer.Exit(0)


@app.callback()
def _main(
    ctx: typer.Context,
    _show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    bib: Annotated[
        Path | None,
        typer.Option(
            "--bib",
            metavar="PATH",
            help="Bib file to use (else $KE_PAPERS_BIB, data/papers.bib here or above, "
            "your library, the shipped list).",
        ),
    ] = None,
) -> None:
    ctx.obj = bib


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: JsonOpt = False,
    fmt: Annotated[str | None, _format_option("list", "table")] = None,
) -> None:
    """All papers in file (display) order."""
    from ke_papers.usecases.exporting import prepared

    chosen = _choose("list", fmt, "table", json=as_json)
    _render(chosen, prepared(_catalog(ctx), chosen, "list"))


@app.command()
def show(
    ctx: typer.Context,
    keys: Annotated[
        list[str],
        typer.Argument(
            metavar="KEY",
            help="Citation keys, e.g. meng2022locating.",
            autocompletion=_complete_keys,
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Papers in full: authors, venue, section, links.

    A panel each at a terminal, `label: value` lines (a blank line between papers) in a pipe.
    """
    from ke_papers.render import terminal
    from ke_papers.usecases.searching import find

    papers = find(_reading(ctx), keys, _session(ctx))
    if as_json:
        _emit_json(papers[0].as_dict() if len(papers) == 1 else [p.as_dict() for p in papers])
    elif sys.stdout.isatty():
        for paper in papers:
            _console().print(terminal.paper_panel(paper))
    else:
        typer.echo("\n".join(terminal.paper_text(p) for p in papers), nl=False)


@app.command("taxonomy")
def taxonomy_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The section tree with paper counts."""
    from ke_papers.render import terminal

    catalog = _catalog(ctx)
    root = catalog.tree()
    if as_json:
        _emit_json(
            [
                {"path": list(s.path), "papers": len(s.papers), "total": s.count()}
                for s in list(root.walk())[1:]
            ]
        )
        return
    if not sys.stdout.isatty():
        typer.echo(terminal.section_lines(root), nl=False)
        return
    label = f"{display_path(catalog.path)} ({_plural(len(catalog), 'paper')})"
    _console().print(terminal.section_tree(root, label))


@app.command()
def info(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Which bib file is used and why, its paper count, and where config and cache live."""
    from ke_papers.usecases.reading import info as info_of

    data = info_of(_choice(ctx), _session(ctx))
    if as_json:
        _emit_json(data)
        return
    for name, value in data.items():
        typer.echo(f"{name + ':':<14}{'(missing)' if value is None else value}")


@app.command()
def fmt(
    ctx: typer.Context,
    check: Annotated[
        bool, typer.Option("--check", help="Change nothing; exit 1 if the file is not canonical.")
    ] = False,
) -> None:
    """Rewrite the bib file in canonical form (field order, alignment, braces)."""
    from ke_papers.usecases.formatting import reformat

    path = _bib(ctx) if check else _writable(ctx)
    changed = reformat(path, check)
    name = display_path(path)
    if not changed:
        _say(f"{name} is canonical")
    elif check:
        _say(f"{name} is not canonical (run: ke-papers fmt)")
        raise typer.Exit(1)
    else:
        _say(f"reformatted {name}")


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Argument(metavar="[FILE]", help="The list to import.", show_default=False),
    ] = None,
    markdown: Annotated[
        Path | None,
        typer.Option(
            "--markdown",
            metavar="FILE",
            help="An awesome-list README (items, bold or linked titles, headings, tables).",
        ),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option("--format", metavar="NAME", help="markdown or bib (else FILE's suffix)."),
    ] = None,
    dry_run: DryRunOpt = False,
    allow_incomplete: Annotated[
        bool,
        typer.Option(
            "--allow-incomplete",
            help="Exit 0 even when entries are incomplete or lines could not be read.",
        ),
    ] = False,
    resolve: Annotated[
        bool,
        typer.Option(
            "--resolve",
            help="Title, authors and year from arXiv for entries with an arXiv ID (the list's "
            "venue, section and links kept); a title arXiv does not share is reported.",
        ),
    ] = False,
    resources: Annotated[
        bool,
        typer.Option(
            "--resources",
            help="Import the links that are not papers (repositories, models, pages) as @misc.",
        ),
    ] = False,
    as_json: JsonOpt = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only the summary line, no line per paper.")
    ] = False,
) -> None:
    """Import an awesome-list README or a bib file; papers already there are skipped.

    Exit code 1 when an entry lacks authors, a year or a link, a line that looks like a
    paper could not be read, or a link to a paper was left (what was read is written all
    the same). Without --resolve nothing goes to the network."""
    from ke_papers.usecases.importing import import_file

    source = markdown or file
    if source is None or (markdown and file):
        raise KePapersError("name one file to import: FILE or --markdown FILE")
    report = import_file(
        _choice(ctx), source, "markdown" if markdown else kind, dry_run, resolve, resources
    )
    if report.target.note:
        _say(report.target.note)
    for line, message in [] if quiet else report.messages:
        _say(f"{display_path(source)}:{line}: {message}")
    if as_json:
        _emit_json(report.as_dict())
    elif dry_run:
        _show_entries(report.added)
    verb = "would import" if dry_run else "imported"
    _say(
        f"{verb} {_plural(len(report.added), 'paper')} into {display_path(report.target.path)}: "
        f"{report.read} read, {len(report.added)} written, {report.skipped} already there, "
        f"{len(report.incomplete)} incomplete, {report.unread} lines skipped"
        + (f", {report.merged} duplicates merged" if report.merged else "")
        + (f", {report.resolved} resolved on arXiv" if resolve else "")
        + (
            f"; links: {links.read} read, {links.imported} imported, {links.merged} merged, "
            f"{links.resources} resources, {links.left} left"
            if (links := report.links)
            else ""
        )
    )
    if not report.complete and not allow_incomplete:
        raise typer.Exit(1)


def _show_entries(papers: "list[Paper]") -> None:
    """The entries a dry run would write, in the bib file's canonical form."""
    from ke_papers.bibtex import format_entry

    typer.echo("\n\n".join(format_entry(paper) for paper in papers))


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[WORDS]...",
            help="Words to look for (method names, title words, authors, ...).",
            autocompletion=_complete_keys,
        ),
    ] = None,
    author: Annotated[
        str | None, typer.Option("--author", metavar="NAME", help="An author's name, or part.")
    ] = None,
    year: Annotated[
        int | None, typer.Option("--year", metavar="YEAR", help="Only papers of this year.")
    ] = None,
    since: Annotated[
        int | None, typer.Option("--since", metavar="YEAR", help="Only papers from this year on.")
    ] = None,
    until: Annotated[
        int | None, typer.Option("--until", metavar="YEAR", help="Only papers up to this year.")
    ] = None,
    venue: Annotated[
        str | None,
        typer.Option("--venue", metavar="VENUE", help="Venue, e.g. EMNLP or 'ACL 2022'."),
    ] = None,
    category: CategoryOpt = None,
    has_code: Annotated[
        bool, typer.Option("--has-code", help="Only papers with a code link.")
    ] = False,
    limit: Annotated[
        int,
        typer.Option("--limit", "-n", metavar="N", min=0, help="At most N results (0: all)."),
    ] = 20,
    fmt: Annotated[str | None, _format_option("search", "table")] = None,
    as_json: JsonOpt = False,
    keys_only: KeysOpt = False,
    bibtex: BibtexOpt = False,
) -> None:
    """Ranked search over keys, titles, authors, venues, sections, keywords, abstracts, links.

    An empty query with filters lists every paper that passes them.
    Exit code 1 when nothing matches.
    """
    from ke_papers.render.formats import Output
    from ke_papers.usecases.searching import Query
    from ke_papers.usecases.searching import search as run_search

    chosen = _choose("search", fmt, "table", json=as_json, keys=keys_only, bibtex=bibtex)
    text = " ".join(query or [])
    asked = Query(text, author, year, since, until, venue, category, has_code, limit)
    found = run_search(_reading(ctx), asked, _session(ctx))
    if not found.papers:
        _say(_no_match(text, found))
        if chosen.name == "json":
            typer.echo("[]")
        raise typer.Exit(1)
    _render(chosen, Output(found.papers, "search", scores=found.scores))
    if found.total > len(found.papers):
        _say(f"{len(found.papers)} of {found.total} shown (--limit 0 shows all)")


def _no_match(text: str, found: Any) -> str:
    if found.without_filters:
        return f"{_plural(found.without_filters, 'paper')} match '{text}', but not the filters"
    if not text:
        return "no paper passes the filters"
    hint = f" (did you mean: {'; '.join(found.suggestions)}?)" if found.suggestions else ""
    return f"no paper matches '{text}'{hint}"


def _plural(count: int, word: str) -> str:
    """`1 entry`, `2 entries`, `1,234 papers`."""
    if count == 1:
        return f"1 {word}"
    plural = word[:-1] + "ies" if word.endswith("y") else word + "s"
    return f"{count:,} {plural}"


def _show_diff(old: str, new: str, name: str) -> None:
    import difflib

    diff = list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), f"{name} (now)", f"{name} (generated)", "", "", n=1
        )
    )
    cut = 200  # a web page's lines can be long: show each changed line's start
    shown = [line.rstrip("\n") for line in diff[:40]]
    shown = [line if len(line) <= cut else line[:cut] + " ..." for line in shown]
    if len(diff) > len(shown):
        shown.append(f"... {len(diff) - len(shown)} more diff lines")
    _say("\n".join(shown))


@app.command()
def export(
    ctx: typer.Context,
    fmt: Annotated[str | None, _format_option("export", "markdown")] = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="The awesome-list paper list (default).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON: the list --json objects.")] = False,
    grouped: Annotated[
        bool, typer.Option("--grouped", help="With --json: grouped by section.")
    ] = False,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="CSV, one row per paper, links as columns.")
    ] = False,
    bibtex: BibtexOpt = False,
    as_html: Annotated[
        bool, typer.Option("--html", help="One web page with search and filters (use -o).")
    ] = False,
    title: Annotated[
        str | None,
        typer.Option(
            "--title", metavar="TEXT", help="With --html: the page's title (else README's)."
        ),
    ] = None,
    description: Annotated[
        str | None,
        typer.Option(
            "--description",
            metavar="TEXT",
            help="With --html: what the list is (else README's first paragraph).",
        ),
    ] = None,
    repo: Annotated[
        str | None,
        typer.Option(
            "--repo", metavar="URL", help="With --html: the repository (else git's origin)."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write to FILE instead of stdout."),
    ] = None,
    readme: Annotated[
        Path | None,
        typer.Option(
            "--readme",
            metavar="FILE",
            help="Replace the list between the ke-papers markers in FILE.",
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="With --output/--readme: write nothing, exit 1 if FILE is stale."
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="With -o: replace FILE even if ke-papers did not write it."),
    ] = False,
    category: CategoryOpt = None,
    since: Annotated[
        int | None, typer.Option("--since", metavar="YEAR", help="Only papers from YEAR on.")
    ] = None,
) -> None:
    """Export the list: Markdown for the README, a web page, or JSON, CSV, BibTeX (see --format)."""
    from ke_papers.usecases.exporting import export as run_export

    chosen = _choose(
        "export",
        fmt,
        "markdown",
        markdown=markdown,
        json=as_json,
        csv=as_csv,
        bibtex=bibtex,
        html=as_html,
    )
    done = run_export(
        _reading(ctx),
        chosen,
        category=category,
        since=since,
        grouped=grouped,
        output=output,
        readme=readme,
        check=check,
        title=title,
        description=description,
        repository=repo,
        session=_session(ctx),
        force=force,
    )
    _report_export(done, readme is not None)


def _report_export(done: Any, readme: bool) -> None:
    if done.target is None:
        typer.echo(done.text, nl=False)
        return
    name = display_path(done.target)
    if done.status == "stale":
        _say(
            f"{name} is stale (run: ke-papers export {'--readme' if readme else '--output'} {name})"
        )
        if done.current is not None:
            _show_diff(done.current, done.text, name)
        raise typer.Exit(1)
    _say(f"wrote {name}" if done.status == "wrote" else f"{name} is up to date")


@app.command()
def cite(
    ctx: typer.Context,
    keys: Annotated[
        list[str] | None,
        typer.Argument(metavar="[KEY]...", help="Citation keys.", autocompletion=_complete_keys),
    ] = None,
    fmt: Annotated[str | None, _format_option("cite", "bibtex")] = None,
    command: Annotated[
        str, typer.Option("--command", metavar="NAME", help="With --format key: e.g. citep.")
    ] = "cite",
    query: Annotated[
        str | None,
        typer.Option("--query", "-q", metavar="WORDS", help="Cite the top search hit(s)."),
    ] = None,
    limit: Annotated[
        int,
        typer.Option("--limit", "-n", metavar="N", min=1, help="With --query: how many hits."),
    ] = 1,
    category: CategoryOpt = None,
    tex: Annotated[
        Path | None,
        typer.Option(
            "--tex",
            metavar="FILE",
            help="Every key cited in a LaTeX document (and its \\input files).",
        ),
    ] = None,
    aux: Annotated[
        Path | None,
        typer.Option("--aux", metavar="FILE", help="The keys BibTeX/biber will ask for."),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Keep the list's own fields (taxonomy, links, ...).")
    ] = False,
    ascii_only: Annotated[
        bool, typer.Option("--ascii", help="Accents as LaTeX commands, for old toolchains.")
    ] = False,
    allow_missing: Annotated[
        bool, typer.Option("--allow-missing", help="Unknown keys are not an error.")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to FILE.")
    ] = None,
    merge: Annotated[
        bool, typer.Option("--merge", help="With -o: add only the entries FILE lacks.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="With -o: replace FILE even if it holds other text.")
    ] = False,
) -> None:
    """Citations for LaTeX and prose: clean BibTeX, biblatex, ACL-style text, Markdown, \\cite.

    Choose papers by key, by --query, by --category, or from a document (--tex / --aux).
    Unknown keys are reported with the closest known ones; exit code 1 unless --allow-missing.
    """
    from ke_papers.usecases.citing import Wanted
    from ke_papers.usecases.citing import cite as run_cite

    chosen = _choose("cite", fmt, "bibtex")
    wanted = Wanted(keys or [], query, limit, category, tex, aux)
    done = run_cite(
        _reading(ctx),
        chosen,
        wanted,
        full=full,
        ascii_only=ascii_only,
        command=command,
        output=output,
        merge=merge,
        force=force,
        session=_session(ctx),
    )
    if query and not done.papers:
        _say(f"no paper matches '{query}'")
        raise typer.Exit(1)
    for key, hint in done.missing:
        _say(f"unknown key '{key}'{hint}")
    if done.status == "printed":
        typer.echo(done.text, nl=False)
    else:
        verb = "added" if done.status == "merged" else "wrote"
        _say(f"{verb} {_plural(done.added, 'entry')} to {display_path(done.target or Path())}")
    if done.missing and not allow_missing:
        raise typer.Exit(1)


@contextlib.contextmanager
def _progress() -> Iterator["Progress"]:
    """A progress bar on stderr, made once a fetch needs more than one request: adding
    one paper does not even import it."""
    shown: list[Any] = []  # the bar and its task, once made

    def update(done: int, total: int) -> None:
        if total > 1 and sys.stderr.isatty():  # into a pipe a bar is only a stray line
            if not shown:
                from rich.progress import Progress as Bar

                bar = Bar(console=_console(err=True), transient=True)
                shown[:] = [bar, bar.add_task("asking arXiv", start=False)]
                bar.start()
            shown[0].update(shown[1], completed=done, total=total)

    try:
        yield update
    finally:
        if shown:
            shown[0].stop()


@app.command()
def add(
    ctx: typer.Context,
    ids: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[ID]...",
            help="arXiv IDs or URLs: 2305.13172, arXiv:2305.13172v2, hep-th/9901001, "
            "https://arxiv.org/abs/...",
        ),
    ] = None,
    category: CategoryOpt = None,
    new_category: Annotated[
        bool,
        typer.Option("--new-category", help="Create the --category section if it does not exist."),
    ] = False,
    no_category: Annotated[
        bool,
        typer.Option("--no-category", help="Add outside every section (a list with sections)."),
    ] = False,
    code: Annotated[str | None, typer.Option("--code", metavar="URL", help="Code link.")] = None,
    page: Annotated[
        str | None, typer.Option("--page", metavar="URL", help="Project page link.")
    ] = None,
    demo: Annotated[str | None, typer.Option("--demo", metavar="URL", help="Demo link.")] = None,
    video: Annotated[str | None, typer.Option("--video", metavar="URL", help="Video link.")] = None,
    link: Annotated[
        list[str] | None,
        typer.Option(
            "--link",
            metavar="LABEL=URL",
            help="Any other link, e.g. 'code by EleutherAI=https://...'.",
        ),
    ] = None,
    keywords: Annotated[
        str | None,
        typer.Option("--keywords", metavar="A,B", help="Names people search by: ROME,CounterFact."),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(
            "--key", metavar="KEY", help="Citation key (one ID only); else Google Scholar style."
        ),
    ] = None,
    venue: Annotated[
        str | None,
        typer.Option(
            "--venue",
            metavar="LABEL",
            help="Venue label, e.g. 'ICLR 2023' (sets entry type and year).",
        ),
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option("--from-file", metavar="FILE", help="More IDs, one per line (# comments)."),
    ] = None,
    skip_missing: Annotated[
        bool,
        typer.Option("--skip-missing", help="Add what arXiv knows even if some IDs are unknown."),
    ] = False,
    dry_run: DryRunOpt = False,
    no_cache: NoCacheOpt = False,
) -> None:
    """Add papers from arXiv: metadata, key, section and links, at the end of their section.

    Papers already in the list (same arXiv ID, DOI or title) are reported and left alone.
    In a batch nothing is written unless every ID resolves (or --skip-missing).
    """
    from ke_papers import entries
    from ke_papers.usecases import adding

    request = adding.Request(
        ids=adding.read_ids(ids or [], from_file),
        category=category,
        new_category=new_category,
        no_category=no_category,
        links=entries.links_from(
            {"code": code, "page": page, "demo": demo, "video": video}, link or []
        ),
        keywords=[k.strip() for k in (keywords or "").split(",") if k.strip()],
        key=key or "",
        venue=venue or "",
        skip_missing=skip_missing,
        dry_run=dry_run,
        use_cache=not no_cache,
    )
    path = _writable(ctx, dry_run)
    with _progress() as progress:
        report = adding.add(path, request, progress=progress, session=_session(ctx))
    _report_added(report, dry_run)


def _report_added(report: Any, dry_run: bool) -> None:
    from ke_papers.bibtex import format_entry

    for failure in report.failures:
        _say(f"{failure.ref}: {failure.reason}")
    for ref, key in report.present:
        _say(f"{ref} is already in the list as {key}")
    if dry_run and report.added:
        typer.echo("\n\n".join(format_entry(p) for p in report.added))
    for paper in report.added:
        verb = "would add" if dry_run else "added"
        section = " > ".join(paper.taxonomy) or "(no section)"
        _say(f"{verb} {paper.key} ({paper.arxiv}) to {section}")


@app.command()
def update(
    ctx: typer.Context,
    keys: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[KEY]...",
            help="Keys to refresh (default: every arXiv entry).",
            autocompletion=_complete_keys,
        ),
    ] = None,
    yes: YesOpt = False,
    dry_run: DryRunOpt = False,
    no_cache: NoCacheOpt = False,
    published: Annotated[
        bool,
        typer.Option(
            "--published",
            help="Find where preprints were published (venue, type, booktitle or journal, "
            "year, DOI, pages).",
        ),
    ] = False,
    source: Annotated[
        str | None,
        typer.Option(
            "--source", metavar="A,B", help="With --published: arxiv,dblp,s2 (default all)."
        ),
    ] = None,
    rekey: Annotated[
        bool, typer.Option("--rekey", help="With --published: new keys from the venue's year.")
    ] = False,
) -> None:
    """Refresh entries from arXiv: newer title or authors, a DOI or journal reference since.

    Shows a per-entry diff; writes only with --yes. Taxonomy, links, keywords and
    venue are never touched. With --published: where preprints were published, from
    arXiv, DBLP and Semantic Scholar (arXiv ID, links and keys stay).
    """
    from ke_papers.usecases import updating

    if yes and dry_run:
        raise _fail("--yes writes and --dry-run does not: choose one")
    wanted = list(keys or [])
    if published or source is not None or rekey:
        if not published:
            raise _fail("--source and --rekey go with --published")
        return _update_published(ctx, wanted, yes, dry_run, not no_cache, source, rekey)
    with _progress() as progress:
        plan = updating.plan(
            _reading(ctx), wanted, not no_cache, progress=progress, session=_session(ctx)
        )
    for key, arxiv_id in plan.unknown:
        _say(f"{key}: arXiv knows no paper {arxiv_id}")
    for key, changes in plan.changes.items():
        typer.echo(key)
        for change in changes:
            pad = " " * len(change.field)
            typer.echo(f"  {change.field}: {change.old or '(none)'}\n  {pad}→ {change.new}")
    if not plan.changes:
        _say("nothing to update" if plan.unknown else "everything is up to date")
        raise typer.Exit(1 if plan.unknown else 0)
    if dry_run or not yes:
        tail = "" if dry_run else "; run with --yes to write"
        _say(f"{_plural(len(plan.changes), 'entry')} would change{tail}")
        return
    updating.apply(_writable(ctx), plan.changes)
    _say(f"updated {_plural(len(plan.changes), 'entry')}")


def _update_published(
    ctx: typer.Context,
    keys: list[str],
    yes: bool,
    dry_run: bool,
    use_cache: bool,
    source: str | None,
    rekey: bool,
) -> None:
    from ke_papers.usecases import publishing, updating

    names = publishing.parse_sources(source) if source is not None else publishing.DEFAULT_SOURCES
    with _progress() as progress:
        found = publishing.plan(_reading(ctx), keys, names, use_cache, rekey, progress)
    for key, changes in found.changes.items():
        typer.echo(f"{key}: {found.found_in[key]}")
        for change in changes:
            pad = " " * len(change.field)
            typer.echo(
                f"  {change.field}: {change.old or '(none)'}\n  {pad}→ {change.new or '(none)'}"
            )
    for key, candidates in found.ambiguous.items():
        _say(f"{key}: ambiguous: {'; '.join(candidates)}")
    still = f": {', '.join(found.preprints)}" if found.preprints else ""
    _say(
        f"published: {len(found.found_in)}; still preprints: {len(found.preprints)}{still}; "
        f"ambiguous: {len(found.ambiguous)}"
    )
    if not found.changes:
        return
    if dry_run or not yes:
        tail = "" if dry_run else "; run with --yes to write"
        _say(f"{_plural(len(found.changes), 'entry')} would change{tail}")
        return
    updating.apply(_writable(ctx), found.changes)
    _say(f"updated {_plural(len(found.changes), 'entry')}")


@app.command()
def discover(
    ctx: typer.Context,
    query: Annotated[
        str | None,
        typer.Option(
            "--query",
            "-q",
            metavar="WORDS",
            help="Words every paper must have, or arXiv query syntax (ti:, abs:, cat:, AND, OR). "
            "Default: the list's own keywords and phrases, in its papers' categories.",
        ),
    ] = None,
    since: Annotated[
        str,
        typer.Option("--since", metavar="DATE|Nd", help="From this day (2026-11-30) or 7d, 2w."),
    ] = "30d",
    limit: Annotated[
        int,
        typer.Option("--limit", "-n", metavar="N", min=0, help="At most N papers (0: all)."),
    ] = 20,
    everything: Annotated[
        bool, typer.Option("--all", help="Also the papers much less alike to the list.")
    ] = False,
    seen: Annotated[
        Path | None,
        typer.Option(
            "--seen",
            metavar="FILE",
            help="Papers proposed before: any text naming their arXiv IDs or links.",
        ),
    ] = None,
    fmt: Annotated[str | None, _format_option("discover", "table")] = None,
    as_json: JsonOpt = False,
    add_: Annotated[
        bool, typer.Option("--add", help="Then add the papers chosen by number.")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Add all shown, without asking.")
    ] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Ask arXiv even if a recent answer is cached.")
    ] = False,
) -> None:
    """New papers on arXiv for the list, most alike to its papers first, each with the section
    its nearest papers share and those papers named.

    Papers already in the list (any arXiv version, DOI or title) are never proposed.
    Exit code 1 when there is nothing to propose.
    """
    from ke_papers import files
    from ke_papers.usecases import discovering

    chosen = _choose("discover", fmt, "table", json=as_json)
    request = discovering.Request(
        query or "", since, limit, everything, files.read_text(seen) if seen else "", not no_cache
    )
    with _progress() as progress:
        found = discovering.discover(_reading(ctx), request, progress)
    _show_discovery(chosen, found)
    if not found.candidates:
        raise typer.Exit(1)
    if add_ or yes:
        picked = range(len(found.candidates)) if yes else _pick(len(found.candidates))
        for report in discovering.accept(_writable(ctx), [found.candidates[i] for i in picked]):
            _report_added(report, False)


def _show_discovery(fmt: "Format", found: Any) -> None:
    from ke_papers.render.candidates import summary
    from ke_papers.render.formats import Output, Suggestion

    shown = found.candidates
    if shown or fmt.name == "json":
        suggestions = [Suggestion(c.section, c.category, c.like, c.published) for c in shown]
        out = Output(
            [c.paper for c in shown],
            "discover",
            scores=[c.score for c in shown],
            suggestions=suggestions,
            since=found.since.isoformat(),
        )
        _render(fmt, out)
    counts = (len(found.present), found.seen, found.low, found.cut)
    _say(summary(found.found, len(shown), *counts))


def _pick(count: int) -> list[int]:
    """The numbers the user types at the prompt (on stderr), as positions."""
    from ke_papers.usecases.discovering import numbers

    try:
        answer = typer.prompt(
            f"add which papers? numbers 1-{count}, e.g. 1 3-5 (none: Enter)",
            default="",
            show_default=False,
            err=True,
        )
    except typer.Abort:  # no input to read the numbers from
        raise KePapersError(
            "no numbers to add were given: nothing added (--yes adds all)"
        ) from None
    return numbers(answer, count)


KeyArg = Annotated[
    str, typer.Argument(metavar="KEY", help="Citation key.", autocompletion=_complete_keys)
]
KeysArg = Annotated[
    list[str],
    typer.Argument(metavar="KEY...", help="Citation keys.", autocompletion=_complete_keys),
]


@app.command()
def edit(
    ctx: typer.Context,
    key: KeyArg,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="FIELD=VALUE", help="Set a field (again for more)."),
    ] = None,
    unset: Annotated[
        list[str] | None, typer.Option("--unset", metavar="FIELD", help="Drop a field.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Set a field no entry type or list field uses.")
    ] = False,
    from_: Annotated[
        Path | None,
        typer.Option(
            "--from", metavar="FILE", help="Put the entry in FILE (a kept edit) in place of KEY."
        ),
    ] = None,
) -> None:
    """Change one entry: in $EDITOR, from a file, or with --set/--unset for scripts.

    The edited entry is checked before it is written back in its place; a broken edit is
    refused with its line and offered again at a terminal. If the entry changed in the file
    while the editor was open, or the edit cannot be used, nothing is written and your text
    is kept in a file (named in the message) for `edit KEY --from FILE`. `--set
    venue="ICLR 2023"` also sets the entry type, container and year; every field that
    changes is shown.
    """
    from ke_papers.usecases import editing

    path = _writable(ctx)
    if from_ is not None and (set_ or unset):
        raise _fail("--from goes alone, without --set or --unset")
    if from_ is not None:
        _say(f"updated {editing.replace_from(path, key, from_).key}")
        return
    if set_ or unset:
        changes = editing.parse_assignments(set_ or [], unset or [])
        paper, done = editing.set_fields(path, key, changes, force)
        lines = [f"  {c.name}: {c.old or '(none)'} -> {c.new or '(removed)'}" for c in done]
        _say("\n".join([f"updated {paper.key}", *lines]) if done else f"no change to {key}")
        return
    edited = editing.edit_interactively(path, key, _editor)
    _say("no change" if edited is None else f"updated {edited.key}")


def _editor(data: bytes, problem: str) -> bytes | None:
    """The text after the user's editor ($EDITOR, $VISUAL, vi); after a refused edit, at a
    terminal, ask first (elsewhere, give up: the text is kept)."""
    import os

    if problem:
        if not sys.stdin.isatty():
            return None
        _say(f"error: {problem}")
        try:
            again = typer.confirm("edit again?", default=True, err=True)
        except typer.Abort:
            again = False
        if not again:
            return None
    from ke_papers.usecases.editing import run_editor

    return run_editor(data, os.environ.get("EDITOR") or os.environ.get("VISUAL") or "vi")


@app.command()
def move(
    ctx: typer.Context,
    keys: KeysArg,
    category: Annotated[
        str,
        typer.Option(
            "--category",
            "-c",
            metavar="SECTION",
            help="The section to move to (any level, by name or full path).",
            autocompletion=_complete_sections,
        ),
    ],
    after: Annotated[
        str | None,
        typer.Option("--after", metavar="KEY", help="Right after this entry of the section."),
    ] = None,
) -> None:
    """Move entries to another section, or to another place in their own."""
    from ke_papers.usecases import editing

    done = editing.move(_writable(ctx), keys, category, after)
    where = " > ".join(done.section)
    for paper in done.moved:
        _say(f"moved {paper.key} to {where}")
    for paper in done.unmoved:
        _say(f"{paper.key} is already {'there' if after else 'in ' + where}: not moved")


@app.command()
def rename(
    ctx: typer.Context,
    old: KeyArg,
    new: Annotated[str, typer.Argument(metavar="NEW", help="The new key.")],
) -> None:
    """Give an entry another key (refused when the key is taken or not valid BibTeX)."""
    from ke_papers.usecases import editing

    editing.rename(_writable(ctx), old, new)
    _say(f"renamed {old} to {new}")


@app.command()
def remove(
    ctx: typer.Context,
    keys: KeysArg,
    yes: YesOpt = False,
) -> None:
    """Remove entries (asks at a terminal; needs --yes otherwise)."""
    from ke_papers.usecases import editing

    path = _writable(ctx)
    if not yes:
        if not sys.stdin.isatty():
            raise _fail("remove asks before it deletes: at a terminal, or with --yes")
        names = ", ".join(dict.fromkeys(keys))
        typer.confirm(f"remove {names} from {display_path(path)}?", abort=True, err=True)
    for paper in editing.remove(path, keys):
        _say(f"removed {paper.key} ({paper.title})")


@app.command("lint")
def lint_(
    ctx: typer.Context,
    fix: Annotated[
        bool,
        typer.Option(
            "--fix", help="Repair what is safe (formatting, eprint versions) and say what changed."
        ),
    ] = False,
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="NAME",
            help="text, json, or github (workflow annotations).",
            autocompletion=lambda incomplete: [
                n for n in ("text", "json", "github") if n.startswith(incomplete)
            ],
        ),
    ] = "text",
    rules: Annotated[bool, typer.Option("--rules", help="List the rules and exit.")] = False,
    online: Annotated[
        bool,
        typer.Option(
            "--online",
            help="Also ask arXiv, DBLP, Semantic Scholar and the links' servers "
            "(wrong arXiv IDs, dead links, a preprint kept beside its published version).",
        ),
    ] = False,
) -> None:
    """Check the bib file: duplicates, missing fields, bad links, IDs, years, keys, formatting.

    One finding per line as `papers.bib:LINE: KEY: rule-id: message`. Exit code 1 on
    findings, 0 when clean, 2 when the file cannot be read.
    """
    from ke_papers.render.findings import REPORTS, rule_table
    from ke_papers.usecases.linting import run

    if rules:
        typer.echo(rule_table(), nl=False)
        if online:
            from ke_papers.usecases.checking import RULES

            typer.echo("\n" + rule_table(RULES), nl=False)
        return
    if output_format not in REPORTS:
        raise KePapersError(f"unknown format '{output_format}'; choose from {', '.join(REPORTS)}")
    path = _writable(ctx) if fix else _bib(ctx)
    linted = run(path, fix, online)
    for change in linted.fixed:
        _say(f"fixed: {change}")
    name = display_path(path)
    text = REPORTS[output_format](linted.findings, name)
    if text:
        typer.echo(text, nl=False)
    if linted.findings:
        _say(f"{_plural(len(linted.findings), 'finding')} in {name}")
        raise typer.Exit(1)
    _say(f"{name}: no findings")


def main() -> None:
    app()
