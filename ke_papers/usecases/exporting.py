"""`export`: the list rendered in a format, to stdout, a file, or between a README's markers."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from ke_papers import files, outputs, taxonomy
from ke_papers.catalog import Catalog
from ke_papers.errors import KePapersError
from ke_papers.render import markdown
from ke_papers.render.formats import Format, Output
from ke_papers.usecases.reading import open_catalog


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
    """The chosen papers in `fmt`; the parse cache's ready-made Markdown bodies and BibTeX
    entries when the format uses them."""
    chosen = range(len(catalog)) if positions is None else positions
    many = len(chosen) > READY_FROM
    out = Output(
        papers=catalog.chosen(chosen),
        command=command,
        sections=catalog.column("taxonomy", chosen),
        bodies=catalog.column("markdown", chosen) if fmt.name == "markdown" else None,
        entries=catalog.column("bibtex", chosen) if fmt.name == "bibtex" and many else None,
        **options,  # type: ignore[arg-type]
    )
    return fmt.render(out)


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
    today: date | None = None,
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
    if title is not None and fmt.name != "html":
        raise KePapersError("--title goes with --html")
    if force and not output:
        raise KePapersError("--force goes with --output")
    target = readme or output
    if target is not None:
        outputs.check(target, path, force or check or bool(readme), markdown.START)
    catalog = open_catalog(path)
    section = taxonomy.resolve(catalog.sections(), category) if category else None
    positions = catalog.select(section, since)
    if fmt.name == "html":
        day = (today or _today()).isoformat()
        text = render(catalog, fmt, "export", positions, title=title, date=day)
        text = _keep_date(text, output)
    else:
        text = render(catalog, fmt, "export", positions, grouped=grouped)
        if output is not None:
            text = outputs.marked(fmt.name, text)
    if target is None:
        return Exported(text, "printed")
    return _to_file(target, text, bool(readme), check)


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
