"""The `ke-papers` command: parse options, call the library, render. Errors become one line."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from ke_papers import config, store, taxonomy
from ke_papers.errors import KePapersError, display_path
from ke_papers.library import Library, editing

if TYPE_CHECKING:
    from rich.console import Console

    from ke_papers.model import Paper
    from ke_papers.sources.arxiv import ArxivId, Record


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


def _console(err: bool = False) -> Console:
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
    key: Annotated[
        str,
        typer.Argument(help="Citation key, e.g. meng2022locating.", autocompletion=_complete_keys),
    ],
    as_json: JsonOpt = False,
) -> None:
    """One paper in full: authors, venue, section, links (a panel; `label: value` lines in a pipe)."""
    from ke_papers.render import terminal

    paper = _state(ctx).library().find(key)
    if as_json:
        _emit_json(paper.as_dict())
    elif sys.stdout.isatty():
        _console().print(terminal.paper_panel(paper))
    else:
        typer.echo(terminal.paper_text(paper), nl=False)


@app.command("taxonomy")
def taxonomy_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
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
    label = f"[bold]{display_path(library.path)}[/] ({len(library)} papers)"
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


def _complete_keys(ctx: typer.Context, incomplete: str) -> list[str]:
    try:
        return [p.key for p in _state(ctx).library() if p.key.startswith(incomplete)]
    except KePapersError:
        return []


def _complete_sections(ctx: typer.Context, incomplete: str) -> list[str]:
    try:
        sections = list(_state(ctx).library().tree().walk())[1:]
    except KePapersError:
        return []
    names = dict.fromkeys(s.name for s in sections)
    return [n for n in names if n.casefold().startswith(incomplete.casefold())]


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


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[
        list[str] | None,
        typer.Argument(
            help="Words to look for (method names, title words, authors, ...).",
            autocompletion=_complete_keys,
        ),
    ] = None,
    author: Annotated[
        str | None, typer.Option("--author", help="An author's name, or part.")
    ] = None,
    year: Annotated[int | None, typer.Option("--year", help="Only papers of this year.")] = None,
    since: Annotated[
        int | None, typer.Option("--since", help="Only papers from this year on.")
    ] = None,
    until: Annotated[
        int | None, typer.Option("--until", help="Only papers up to this year.")
    ] = None,
    venue: Annotated[
        str | None, typer.Option("--venue", help="Venue, e.g. EMNLP or 'ACL 2022'.")
    ] = None,
    category: CategoryOpt = None,
    has_code: Annotated[
        bool, typer.Option("--has-code", help="Only papers with a code link.")
    ] = False,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=0, help="At most N results (0: all).")
    ] = 20,
    as_json: JsonOpt = False,
    keys_only: Annotated[
        bool, typer.Option("--keys", help="One key per line (for xargs).")
    ] = False,
    bibtex: Annotated[
        bool, typer.Option("--bibtex", help="The entries as BibTeX for LaTeX.")
    ] = False,
) -> None:
    """Ranked search over keys, titles, authors, venues, sections, keywords, abstracts, links.

    An empty query with filters lists every paper that passes them.
    Exit code 1 when nothing matches.
    """
    from ke_papers.search import Filters

    library = _state(ctx).library()
    path = taxonomy.resolve(library.tree(), category) if category else None
    filters = Filters(
        author=author,
        year=year,
        since=since,
        until=until,
        venue=venue,
        category=path,
        has_code=has_code,
    )
    index = library.index()
    text = " ".join(query or [])
    hits = index.search(text, filters, limit)
    if not hits:
        close = index.suggest(text) if text.strip() else []
        hint = f" (did you mean: {'; '.join(close)}?)" if close else ""
        typer.echo(
            f"no paper matches '{text}'{hint}" if text else "no paper passes the filters", err=True
        )
        raise typer.Exit(1)
    papers = [h.paper for h in hits]
    _print_papers(papers, as_json, keys_only, bibtex, scores=[h.score for h in hits])


def _print_papers(
    papers: Sequence[Paper],
    as_json: bool,
    keys_only: bool,
    bibtex: bool,
    scores: Sequence[float] | None = None,
) -> None:
    if as_json:
        rows = [p.as_dict() for p in papers]
        if scores is not None:
            for row, score in zip(rows, scores, strict=False):
                row["score"] = score
        _emit_json(rows)
    elif keys_only:
        typer.echo("\n".join(p.key for p in papers))
    elif bibtex:
        from ke_papers.render import cite

        typer.echo(cite.bibtex(papers), nl=False)
    else:
        from ke_papers.render import terminal

        _console().print(terminal.papers_table(papers, scores, wrap=sys.stdout.isatty()))


def _show_diff(old: str, new: str, name: str) -> None:
    import difflib

    diff = list(
        difflib.unified_diff(
            old.splitlines(),
            new.splitlines(),
            f"{name} (now)",
            f"{name} (generated)",
            lineterm="",
            n=1,
        )
    )
    shown = diff[:40]
    if len(diff) > len(shown):
        shown.append(f"... {len(diff) - len(shown)} more diff lines")
    typer.echo("\n".join(shown), err=True)


@app.command()
def export(
    ctx: typer.Context,
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
    bibtex: Annotated[
        bool, typer.Option("--bibtex", help="Clean BibTeX entries for LaTeX.")
    ] = False,
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
    category: CategoryOpt = None,
    since: Annotated[
        int | None, typer.Option("--since", metavar="YEAR", help="Only papers from YEAR on.")
    ] = None,
) -> None:
    """Export the list: Markdown for the README, or JSON, CSV, BibTeX."""
    from ke_papers.render import markdown as md
    from ke_papers.render import tabular

    if sum((markdown, as_json, as_csv, bibtex)) > 1:
        raise typer.BadParameter("choose one of --markdown, --json, --csv, --bibtex")
    if readme and (output or not (markdown or not (as_json or as_csv or bibtex))):
        raise typer.BadParameter("--readme takes the Markdown list alone (no --output)")
    if check and not (output or readme):
        raise typer.BadParameter("--check needs --output or --readme")
    library = _state(ctx).library()
    path = taxonomy.resolve(library.tree(), category) if category else None
    positions = library.select(path, since)
    papers = [library.papers[i] for i in positions] if (as_json or as_csv or bibtex) else []
    if as_json:
        text = (
            json.dumps(
                tabular.grouped(papers) if grouped else [p.as_dict() for p in papers],
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
    elif as_csv:
        text = tabular.to_csv(papers)
    elif bibtex:
        from ke_papers.render import cite

        text = cite.bibtex(papers)
    else:
        text = md.paper_list(library.markdown_items(positions))
    target = readme or output
    if target is None:
        typer.echo(text, nl=False)
        return
    try:
        current = target.read_bytes().decode("utf-8") if target.exists() or readme else None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise KePapersError(f"{display_path(target)}: cannot read: {reason}") from None
    if readme:
        text = md.splice_readme(current or "", text, display_path(readme))
    if check:
        if current == text:
            typer.echo(f"{display_path(target)} is up to date", err=True)
            return
        typer.echo(
            f"{display_path(target)} is stale (run: ke-papers export "
            f"{'--readme' if readme else '--output'} {display_path(target)})",
            err=True,
        )
        if current is not None:
            _show_diff(current, text, display_path(target))
        raise typer.Exit(1)
    if current != text:
        store.write_atomic(target, text)
    typer.echo(f"wrote {display_path(target)}", err=True)


@app.command()
def cite(
    ctx: typer.Context,
    keys: Annotated[
        list[str] | None,
        typer.Argument(help="Citation keys.", autocompletion=_complete_keys),
    ] = None,
    fmt_: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="bibtex, biblatex, text (ACL style), markdown, or key."
        ),
    ] = "bibtex",
    command: Annotated[
        str, typer.Option("--command", help="With --format key: e.g. citep.")
    ] = "cite",
    query: Annotated[
        str | None, typer.Option("--query", "-q", help="Cite the top search hit(s).")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="With --query: how many hits.")
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
) -> None:
    """Citations for LaTeX and prose: clean BibTeX, biblatex, ACL-style text, Markdown, \\cite.

    Choose papers by key, by --query, by --category, or from a document (--tex / --aux).
    Unknown keys are reported with the closest known ones; exit code 1 unless --allow-missing.
    """
    from ke_papers import texrefs
    from ke_papers.render import cite as render

    if fmt_ not in render.FORMATS:
        raise typer.BadParameter(
            f"unknown format '{fmt_}'; choose from {', '.join(render.FORMATS)}"
        )
    if merge and (output is None or fmt_ not in ("bibtex", "biblatex")):
        raise typer.BadParameter("--merge needs -o FILE and a BibTeX format")
    library = _state(ctx).library()
    wanted: list[str] = list(keys or [])
    if tex:
        wanted += texrefs.tex_keys(tex)
    if aux:
        wanted += texrefs.aux_keys(aux)
    if texrefs.ALL in wanted:
        wanted = [p.key for p in library] + [k for k in wanted if k != texrefs.ALL]
    if query:
        wanted += [h.paper.key for h in library.index().search(query, limit=limit)]
    if category:
        path = taxonomy.resolve(library.tree(), category)
        wanted += [p.key for p in library if taxonomy.belongs(p, path)]
    if not wanted:
        raise typer.BadParameter("name keys, or use --query, --category, --tex or --aux")
    wanted = list(dict.fromkeys(wanted))
    papers = [p for k in wanted if (p := library.get(k)) is not None]
    missing = [k for k in wanted if library.get(k) is None]
    for key in missing:
        typer.echo(f"unknown key '{key}'{library.suggest(key)}", err=True)
    if fmt_ in ("bibtex", "biblatex"):
        text = render.bibtex(papers, full, ascii_only, biblatex=fmt_ == "biblatex")
    elif fmt_ == "text":
        text = "".join(render.text(p) + "\n" for p in papers)
    elif fmt_ == "markdown":
        text = "".join(render.markdown(p) + "\n" for p in papers)
    else:
        text = render.cite_command([p.key for p in papers], command) + "\n" if papers else ""
    if output is None:
        typer.echo(text, nl=False)
    elif merge and output.exists():
        added = _merge_into(
            output, [render.clean(p, full, ascii_only) for p in papers], fmt_ == "biblatex"
        )
        typer.echo(f"added {added} entries to {display_path(output)}", err=True)
    else:
        store.write_atomic(output, text)
        typer.echo(f"wrote {len(papers)} entries to {display_path(output)}", err=True)
    if missing and not allow_missing:
        raise typer.Exit(1)


def _merge_into(path: Path, papers: list[Paper], biblatex: bool) -> int:
    from ke_papers.render.cite import to_biblatex

    with store.locked(path):
        doc = store.read(path)
        have = {p.key for p in doc.papers}
        new = [to_biblatex(p) if biblatex else p for p in papers if p.key not in have]
        store.save(doc, [*doc.papers, *new])
    return len(new)


def _fetch(ids: list[ArxivId], no_cache: bool) -> dict[str, Record]:
    """Records from arXiv, with a progress bar on stderr when more than one request is needed."""
    from ke_papers.sources import arxiv

    if len(arxiv.batches(ids)) <= 1:
        return arxiv.fetch(ids, use_cache=not no_cache)
    from rich.progress import Progress

    with Progress(console=_console(err=True), transient=True) as progress:
        task = progress.add_task("asking arXiv", total=len(arxiv.batches(ids)))
        return arxiv.fetch(
            ids,
            use_cache=not no_cache,
            on_batch=lambda done, total: progress.update(task, completed=done),
        )


def _read_ids(values: list[str], from_file: Path | None) -> list[ArxivId]:
    from ke_papers.sources import arxiv

    raw = list(values)
    if from_file is not None:
        try:
            text = from_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise KePapersError(f"{display_path(from_file)}: cannot read: {reason}") from None
        raw += [line.split("#", 1)[0].strip() for line in text.splitlines()]
    ids = [arxiv.parse_id(value) for value in raw if value.strip()]
    if not ids:
        raise typer.BadParameter("give at least one arXiv ID (or --from-file)")
    return ids


@app.command()
def add(
    ctx: typer.Context,
    ids: Annotated[
        list[str] | None,
        typer.Argument(
            help="arXiv IDs or URLs: 2305.13172, arXiv:2305.13172v2, hep-th/9901001, https://arxiv.org/abs/..."
        ),
    ] = None,
    category: CategoryOpt = None,
    new_category: Annotated[
        bool,
        typer.Option("--new-category", help="Create the --category section if it does not exist."),
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
        typer.Option("--key", help="Citation key (one ID only); else Google Scholar style."),
    ] = None,
    venue: Annotated[
        str | None,
        typer.Option("--venue", help="Venue label, e.g. 'ICLR 2023' (sets entry type and year)."),
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option("--from-file", metavar="FILE", help="More IDs, one per line (# comments)."),
    ] = None,
    skip_missing: Annotated[
        bool,
        typer.Option("--skip-missing", help="Add what arXiv knows even if some IDs are unknown."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the entries; write nothing.")
    ] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Ask arXiv even if a recent answer is cached.")
    ] = False,
) -> None:
    """Add papers from arXiv: metadata, key, section and links, at the end of their section.

    Papers already in the list (same arXiv ID, DOI or title) are reported and left alone.
    In a batch nothing is written unless every ID resolves (or --skip-missing).
    """
    from ke_papers import curate
    from ke_papers.model import Link

    arxiv_ids = _read_ids(ids or [], from_file)
    if key and len(arxiv_ids) > 1:
        raise typer.BadParameter("--key names one paper; give one ID")
    links = [
        Link(label, curate.check_url(url))
        for label, url in (("code", code), ("page", page), ("demo", demo), ("video", video))
        if url is not None
    ]
    links += [curate.parse_link(option) for option in link or []]
    choice = _state(ctx).choice()
    path = config.writable(choice) if not dry_run else choice.path
    library = Library.read(path) if path.exists() else Library([])
    section: tuple[str, ...] = ()
    if category:
        try:
            section = taxonomy.resolve(library.tree(), category)
        except KePapersError:
            if not new_category:
                raise
            section = taxonomy.split_path(category)
    extras = curate.Extras(
        taxonomy=section,
        links=tuple(links),
        venue=venue or "",
        key=key or "",
        keywords=tuple(k.strip() for k in (keywords or "").split(",") if k.strip()),
    )
    present = {i.base: p for i in arxiv_ids if (p := library.by_arxiv(i.base)) is not None}
    todo = [i for i in arxiv_ids if i.base not in present]
    records = _fetch(todo, no_cache) if todo else {}
    missing = [str(i) for i in todo if i.base not in records]
    for ident in missing:
        typer.echo(f"{ident}: arXiv knows no such paper", err=True)
    if missing and not skip_missing:
        raise KePapersError(
            f"nothing written: {len(missing)} of {len(arxiv_ids)} IDs not found "
            "(--skip-missing adds the others)"
        )
    for base, paper in present.items():
        typer.echo(f"{base} is already in the list as {paper.key}", err=True)
    with editing(path, write=not dry_run) as library:
        added = []
        for ident in todo:
            record = records.get(ident.base)
            if record is None:
                continue
            paper = curate.paper_from(record, extras)
            same = library.duplicate_of(paper)
            if same is not None:
                typer.echo(f"{ident.base} is already in the list as {same.key}", err=True)
                continue
            if paper.key and library.get(paper.key):
                raise KePapersError(f"key '{paper.key}' is already taken")
            paper.key = paper.key or library.new_key(paper)
            library.add(paper)
            added.append(paper)
    if dry_run:
        typer.echo(
            "".join(store.format_entry(p) + "\n\n" for p in added).rstrip("\n")
            + ("\n" if added else ""),
            nl=False,
        )
    for paper in added:
        verb = "would add" if dry_run else "added"
        section = " > ".join(paper.taxonomy) or "(no section)"
        typer.echo(f"{verb} {paper.key} ({paper.arxiv}) to {section}", err=True)


@app.command()
def update(
    ctx: typer.Context,
    keys: Annotated[
        list[str] | None,
        typer.Argument(
            help="Keys to refresh (default: every arXiv entry).", autocompletion=_complete_keys
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Write the changes.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show the changes.")] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Ask arXiv even if a recent answer is cached.")
    ] = False,
) -> None:
    """Refresh entries from arXiv: newer title or authors, a DOI or journal reference since.

    Shows a per-entry diff; writes only with --yes. Taxonomy, links, keywords and
    venue are never touched.
    """
    from ke_papers import curate
    from ke_papers.sources import arxiv

    choice = _state(ctx).choice()
    library = Library.read(choice.path)
    papers = [library.find(k) for k in keys] if keys else [p for p in library if p.arxiv]
    without = [p.key for p in papers if not p.arxiv]
    if without:
        raise KePapersError(f"no arXiv ID to update from: {', '.join(without)}")
    records = _fetch([arxiv.parse_id(p.arxiv) for p in papers], no_cache)
    plan = {
        p.key: curate.changes_for(p, records[arxiv.parse_id(p.arxiv).base])
        for p in papers
        if arxiv.parse_id(p.arxiv).base in records
    }
    for paper in papers:
        if arxiv.parse_id(paper.arxiv).base not in records:
            typer.echo(f"{paper.key}: arXiv knows no paper {paper.arxiv}", err=True)
    plan = {k: c for k, c in plan.items() if c}
    for key_, changes in plan.items():
        typer.echo(key_)
        for change in changes:
            typer.echo(
                f"  {change.field}: {change.old or '(none)'}\n  {' ' * len(change.field)}→ {change.new}"
            )
    if not plan:
        typer.echo("everything is up to date", err=True)
        return
    if dry_run or not yes:
        typer.echo(
            f"{len(plan)} entries would change" + ("" if dry_run else "; run with --yes to write"),
            err=True,
        )
        return
    with editing(config.writable(choice)) as target:
        for key_, changes in plan.items():
            target.replace(key_, curate.apply(target.find(key_), changes))
    typer.echo(f"updated {len(plan)} entries", err=True)


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
        str, typer.Option("--format", help="text, json, or github (workflow annotations).")
    ] = "text",
) -> None:
    """Check the bib file: duplicates, missing fields, bad links, IDs, years, keys, formatting.

    One finding per line as `papers.bib:LINE: KEY: rule-id: message`. Exit code 1 on
    findings, 0 when clean, 2 when the file cannot be read.
    """
    from ke_papers import lint

    if output_format not in ("text", "json", "github"):
        raise typer.BadParameter(f"unknown format '{output_format}'; choose text, json or github")
    choice = _state(ctx).choice()
    path = choice.path
    if fix:
        path = config.writable(choice)
        with store.locked(path):
            doc = store.read(path, lenient=True)
            papers, text, changes = lint.fix(doc)
            if text != doc.text:
                store.verify(papers, text, path, lenient=True)
                store.write_atomic(path, text)
        for change in changes:
            typer.echo(f"fixed: {change}", err=True)
    findings = lint.check_file(path)
    readme = lint.readme_for(path)
    if readme is not None:
        try:
            items = Library.read(path).markdown_items()
        except KePapersError:  # duplicate keys: read leniently for the README check
            items = Library(store.read(path, lenient=True).papers).markdown_items()
        stale = lint.readme_finding(readme, items)
        findings += [stale] if stale else []
    name = display_path(path)
    if output_format == "json":
        _emit_json([{"file": name, **dataclasses.asdict(f)} for f in findings])
    elif output_format == "github":
        for f in findings:
            typer.echo(
                f"::{f.severity} file={name},line={f.line},title={f.rule}::{f.key}: {f.message}"
            )
    else:
        for f in findings:
            mark = "" if f.severity == "error" else " (warning)"
            typer.echo(f"{name}:{f.line}: {f.key}: {f.rule}: {f.message}{mark}")
    if findings:
        typer.echo(f"{len(findings)} findings in {name}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{name}: no findings", err=True)


def main() -> None:
    app()
