"""The `ke-papers` command: parse options, call the library, render. Errors become one line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ke_papers import config, store
from ke_papers.errors import KePapersError, display_path
from ke_papers.library import Library, editing


class _Group(TyperGroup):
    """Turns library errors into one line on stderr and exit code 2; a closed pipe is quiet."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KePapersError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(0) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None


app = typer.Typer(
    cls=_Group,
    help="Keep, search, grow, export and cite the Knowledge Editing for LLMs paper list.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Output JSON for programs.")]


class State:
    def __init__(self, bib: Path | None) -> None:
        self.bib = bib

    def choice(self) -> config.BibChoice:
        return config.choose(self.bib)

    def library(self) -> Library:
        return Library.read(self.choice().path)


def _state(ctx: typer.Context) -> State:
    return ctx.find_object(State) or State(None)


def _console(err: bool = False):
    """A rich console; into a pipe it is wide enough that no column is cut."""
    from rich.console import Console

    stream = sys.stderr if err else sys.stdout
    return Console(stderr=err, width=None if stream.isatty() else 100_000)


def _emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@app.callback()
def _main(
    ctx: typer.Context,
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
    ctx.obj = State(bib)


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """All papers in file (display) order."""
    from ke_papers.render import terminal

    library = _state(ctx).library()
    if as_json:
        _emit_json([p.as_dict() for p in library])
        return
    _console().print(terminal.papers_table(library.papers, wrap=sys.stdout.isatty()))


@app.command()
def show(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Citation key, e.g. meng2022locating.")],
    as_json: JsonOpt = False,
) -> None:
    """One paper in full: authors, venue, section, links."""
    from ke_papers.render import terminal

    paper = _state(ctx).library().find(key)
    if as_json:
        _emit_json(paper.as_dict())
        return
    _console().print(terminal.paper_panel(paper))


@app.command()
def taxonomy(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The section tree with paper counts."""
    from ke_papers.render import terminal

    library = _state(ctx).library()
    root = library.tree()
    if as_json:
        _emit_json(
            [
                {"path": list(s.path), "papers": len(s.papers), "total": s.count()}
                for s in list(root.walk())[1:]
            ]
        )
        return
    label = f"[bold]{display_path(library.document.path)}[/] ({len(library)} papers)"
    _console().print(terminal.section_tree(root, label))


@app.command()
def info(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Which bib file is used and why, its paper count, and where config and cache live."""
    choice = _state(ctx).choice()
    count = len(Library.read(choice.path)) if choice.path.is_file() else None
    data = {
        "bib": str(choice.path),
        "reason": choice.reason,
        "papers": count,
        "writes_go_to": str(config.user_library() if choice.shipped else choice.path),
        "config_dir": str(config.config_dir()),
        "cache_dir": str(config.cache_dir()),
    }
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
    path = config.writable(_state(ctx).choice())
    with store.locked(path):
        doc = store.read(path)
        text = store.canonical(doc)
        if text == doc.text:
            typer.echo(f"{display_path(path)} is canonical", err=True)
            return
        if check:
            typer.echo(f"{display_path(path)} is not canonical (run: ke-papers fmt)", err=True)
            raise typer.Exit(1)
        store.verify(doc.papers, text, path)
        store.write_atomic(path, text)
    typer.echo(f"reformatted {display_path(path)}", err=True)


@app.command("import")
def import_(
    ctx: typer.Context,
    markdown: Annotated[
        Path,
        typer.Option(
            "--markdown",
            metavar="FILE",
            help="An awesome-list README (numbered or bulleted bold titles, [[label](url)] links).",
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would be imported; write nothing.")
    ] = False,
) -> None:
    """Import an awesome-list README into the bib file; papers already there are skipped."""
    from ke_papers import importer

    try:
        text = markdown.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise KePapersError(f"{display_path(markdown)}: cannot read: {reason}") from None
    path = config.writable(_state(ctx).choice())
    source = display_path(markdown)
    with editing(path, write=not dry_run) as library:
        report = importer.import_markdown(library, text)
    for line, message in report.messages:
        typer.echo(f"{source}:{line}: {message}", err=True)
    verb = "would import" if dry_run else "imported"
    typer.echo(
        f"{verb} {len(report.added)} papers into {display_path(path)}"
        f" ({report.skipped} already there)",
        err=True,
    )


def main() -> None:
    app()
