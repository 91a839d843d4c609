"""`export`: the list rendered in a format, to stdout, a file, or between a README's markers."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from ke_papers import files, outputs, taxonomy
from ke_papers.catalog import Catalog
from ke_papers.errors import KePapersError
from ke_papers.render import markdown
from ke_papers.render.formats import Format, Output
from ke_papers.usecases.reading import Session, open_catalog


@dataclass(frozen=True)
class Exported:
    """The text, and what became of it: printed, written, unchanged, up to date or stale."""

    text: str
    status: str
    target: Path | None = None
    #: The target's text before (for a diff of a stale file).
    current: str | None = None


#: From how many papers the ready-made BibTeX entries pay: loading them all costs more
#: than cleaning a few papers.
READY_FROM = 100


def render(
    catalog: Catalog,
    fmt: Format,
    command: str,
    positions: Sequence[int] | None = None,
    **options: object,
) -> str:
    """The chosen papers in `fmt`."""
    return fmt.render(prepared(catalog, fmt, command, positions, **options))


def prepared(
    catalog: Catalog,
    fmt: Format,
    command: str,
    positions: Sequence[int] | None = None,
    **options: object,
) -> Output:
    """What `fmt` renders for the chosen papers, with the index's ready-made Markdown
    bodies, BibTeX entries and JSON objects when the format uses them."""
    chosen = range(len(catalog)) if positions is None else positions
    many = len(chosen) > READY_FROM
    return Output(
        papers=catalog.chosen(chosen),
        command=command,
        sections=catalog.column("taxonomy", chosen),
        bodies=catalog.column("markdown", chosen) if fmt.name == "markdown" else None,
        keys=catalog.column("key", chosen) if fmt.name == "markdown" else None,
        years=[
            year if not arxiv else 0
            for year, arxiv in zip(
                catalog.column("year", chosen), catalog.column("arxiv", chosen), strict=True
            )
        ]
        if fmt.name == "markdown"
        else None,
        entries=catalog.column("bibtex", chosen) if fmt.name == "bibtex" and many else None,
        objects=catalog.column("json", chosen) if fmt.name == "json" and many else None,
        **options,  # type: ignore[arg-type]
    )


def export(
    path: Path,
    fmt: Format,
    *,
    category: str | None = None,
    since: int | None = None,
    grouped: bool = False,
    output: Path | None = None,
    readme: Path | None = None,
    check: bool = False,
    title: str | None = None,
    description: str | None = None,
    repository: str | None = None,
    today: date | None = None,
    session: Session | None = None,
    force: bool = False,
) -> Exported:
    """`today` dates a web page (default: $SOURCE_DATE_EPOCH's day, else the clock's).

    An `output` that exists is replaced only when it is ke-papers' own earlier output
    (or empty), or with `force`; never when it is the bib file itself.
    """
    if readme and (output or fmt.name != "markdown"):
        raise KePapersError("--readme takes the Markdown list alone (no --output)")
    if check and not (output or readme):
        raise KePapersError("--check needs --output or --readme")
    if grouped and fmt.name != "json":
        raise KePapersError("--grouped goes with --format json")
    if fmt.name != "html":
        for name, value in (("title", title), ("description", description), ("repo", repository)):
            if value is not None:
                raise KePapersError(f"--{name} goes with --html")
    if force and not output:
        raise KePapersError("--force goes with --output")
    target = readme or output
    if target is not None:
        outputs.check(target, path, force or check or bool(readme), markdown.START)
    catalog = open_catalog(path, session)
    section = taxonomy.resolve(catalog.sections(), category) if category else None
    positions = catalog.select(section, since)
    if fmt.name == "html":
        day = (today or _today()).isoformat()
        header = page_header(path, title, description, repository)
        text = render(catalog, fmt, "export", positions, date=day, **header)
        text = _keep_date(text, output)
    else:
        text = render(catalog, fmt, "export", positions, grouped=grouped)
        if output is not None:
            text = outputs.marked(fmt.name, text)
    if target is None:
        return Exported(text, "printed")
    return _to_file(target, text, bool(readme), check)


def page_header(
    path: Path, title: str | None, description: str | None, repository: str | None
) -> dict[str, str]:
    """The web page's title, description and repository link: those given, else the
    README beside the list (its `# ` title and first paragraph, in `data/..` or the list's
    own folder) and the repository's `origin` remote as an https address."""
    found = _readme_header(path) if title is None or description is None else ("", "")
    return {
        "title": title if title is not None else found[0],
        "description": description if description is not None else found[1],
        "repository": repository if repository is not None else _origin(path.parent),
    }


def _readme_header(path: Path) -> tuple[str, str]:
    """A README's first heading and the paragraph after it, as plain text."""
    from markdown_it import MarkdownIt

    for folder in (path.parent, path.parent.parent):
        readme = folder / "README.md"
        if readme.is_file():
            break
    else:
        return "", ""
    try:
        tokens = MarkdownIt().parse(files.read_text(readme)[:20_000])
    except (KePapersError, OSError):
        return "", ""
    title = about = ""
    for n, token in enumerate(tokens):
        if token.type == "inline" and tokens[n - 1].type == "heading_open" and not title:
            title = _plain(token)
        elif token.type == "inline" and tokens[n - 1].type == "paragraph_open" and title:
            about = _plain(token)
            break
        elif token.type == "heading_open" and title and tokens[n].tag != "h1":
            break
    return title, about


def _plain(token: Any) -> str:
    """An inline token's text without its markup (links keep their text)."""
    breaks = ("softbreak", "hardbreak")
    text = "".join(
        " " if c.type in breaks else c.content
        for c in token.children or []
        if c.type in ("text", "code_inline", *breaks)
    )
    return " ".join(text.split())


def _origin(folder: Path) -> str:
    """The https address of the git repository's `origin` ('' when there is none)."""
    import re
    import subprocess

    try:
        done = subprocess.run(
            ["git", "-C", str(folder), "config", "--get", "remote.origin.url"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    url = done.stdout.strip()
    m = re.match(r"^(?:ssh://)?git@([^:/]+)[:/](.+?)(?:\.git)?$", url)
    if m:
        return f"https://{m[1]}/{m[2]}"
    return re.sub(r"\.git$", "", url) if url.startswith("https://") else ""


def _today() -> date:
    """The day a page is dated: $SOURCE_DATE_EPOCH's (reproducible builds), else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return date.today()
    try:
        return datetime.fromtimestamp(int(epoch), timezone.utc).date()
    except (ValueError, OverflowError, OSError):
        raise KePapersError(f"SOURCE_DATE_EPOCH='{epoch}' is not a time in seconds") from None


def _keep_date(text: str, output: Path | None) -> str:
    """The page keeps the date of the file it replaces when nothing else in it changed.

    So the footer says when the list last changed, and `--check` does not call a page
    stale only because a day has passed.
    """
    from ke_papers.render import html

    if output is None or not output.is_file():
        return text
    with contextlib.suppress(KePapersError):
        current = files.read_text(output)
        day = html.page_date(current)
        if day is not None and html.redate(text, day) == current:
            return current
    return text


def _to_file(target: Path, text: str, readme: bool, check: bool) -> Exported:
    """Write (or with `check` compare) under the target's lock; a README gets only its list."""
    with contextlib.nullcontext() if check else files.locked(target):
        current = files.read_text(target) if target.exists() or readme else None
        if readme:
            text = markdown.splice_readme(current or "", text, str(target))
        if current == text:
            return Exported(text, "up to date" if check else "unchanged", target, current)
        if check:
            return Exported(text, "stale", target, current)
        files.write_atomic(target, text)
        if not readme:
            outputs.remember(target, text.encode("utf-8"))
    return Exported(text, "wrote", target, current)


def readme_stale(readme: Path, bib: Path) -> bool | None:
    """Whether README's generated list differs from the bib's; None when it cannot tell."""
    from ke_papers.render.formats import FORMATS

    try:
        return export(bib, FORMATS["markdown"], readme=readme, check=True).status == "stale"
    except KePapersError:
        return None
