"""Citations: clean BibTeX and biblatex, ACL-style text, Markdown, and \\cite commands.

Each BibTeX format writes its own names (`year`/`journal` for BibTeX, `date`/`journaltitle`
for biblatex) and keeps only the fields its styles read (`--full` keeps all): the list's
own fields (taxonomy, links, keywords, abstract) and a reference manager's (owner,
timestamp, file, annotation) are dropped. Only printed text is escaped for LaTeX; keys,
paths, URLs, DOIs, eprints and dates stay verbatim, and a month is a month macro.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ke_papers import fields as bibfields
from ke_papers.bibtex import format_entry
from ke_papers.latex import brace_acronyms, defang, escape, to_ascii, to_text, without_biblatex
from ke_papers.model import Paper, concatenated, preprint_journal

LIST_FIELDS = ("venue", "taxonomy", "keywords", "links", "abstract")
#: Values that are not printed text: written as they are, never escaped.
VERBATIM = frozenset(
    [
        "url",
        "links",
        "doi",
        "eprint",
        "archiveprefix",
        "primaryclass",
        "eprinttype",
        "eprintclass",
        "crossref",
        "xref",
        "xdata",
        "entryset",
        "ids",
        "related",
        "relatedtype",
        "file",
        "pdf",
        "date",
        "urldate",
        "eventdate",
        "origdate",
        "isbn",
        "issn",
        "isrn",
        "langid",
        "langidopts",
        "hyphenation",
        "gender",
        "pagination",
        "bookpagination",
        "options",
        "sortkey",
        "presort",
        "authortype",
        "editortype",
        "pubstate",
        "entrysubtype",
    ]
)


def _clean_value(name: str, value: str, ascii_only: bool, biblatex: bool) -> str:
    value = " ".join(value.split())
    if name in VERBATIM:
        return value
    if not biblatex:
        value = without_biblatex(value)
    if name in ("title", "booktitle", "maintitle", "subtitle"):
        value = brace_acronyms(value)
    value = defang(escape(value))  # untrusted text: shown, never run as LaTeX commands
    return to_ascii(value) if ascii_only else value


def _clean_part(value: str, ascii_only: bool) -> str:
    """A braced part of a `#` concatenation: its spaces are the text's own (`{ and }`)."""
    value = defang(escape(re.sub(r"\s+", " ", value)))
    return to_ascii(value) if ascii_only else value


def _as_bibtex(paper: Paper) -> tuple[str, dict[str, str]]:
    """Type and fields under BibTeX's names: `date` to year and month, crossref and xdata
    parents' fields inlined (BibTeX knows no xdata, and biblatex's title-to-booktitle rule)."""
    own = {n: v for n, v in paper.fields.items() if n != "xdata"}
    fields = {**paper.inherited, **own}
    for name, value in list(fields.items()):
        target = bibfields.TO_BIBTEX.get(name)
        if name == "institution" and paper.entry_type in bibfields.THESES:
            target = "school"
        if target:
            del fields[name]
            fields.setdefault(target, value)
    if "date" in fields:
        year, month = bibfields.date_parts(fields.pop("date"))
        if year:
            fields.setdefault("year", year)
        if month:
            fields.setdefault("month", month)
    if "subtitle" in fields and "title" in fields:
        fields["title"] = f"{fields['title']}: {fields.pop('subtitle')}"
    return bibfields.bibtex_type(paper.entry_type, paper.fields), fields


def _as_biblatex(paper: Paper) -> tuple[str, dict[str, str]]:
    """Type and fields under biblatex's names: `year` and `month` to `date`, `journaltitle`."""
    fields: dict[str, str] = {}
    for name, value in paper.fields.items():
        fields.setdefault(bibfields.TO_BIBLATEX.get(name, name), value)
    year, month = fields.get("year", "").strip(), bibfields.month_macro(fields.get("month", ""))
    if year.isdigit() and "date" not in fields:
        del fields["year"]
        number = bibfields.MONTHS.index(month) + 1 if month else 0
        fields["date"] = f"{year}-{number:02}" if number else year
        if number:
            fields.pop("month", None)
    types = {"conference": "inproceedings", "electronic": "online", "www": "online"}
    return types.get(paper.entry_type, paper.entry_type), fields


def clean(
    paper: Paper, full: bool = False, ascii_only: bool = False, biblatex: bool = False
) -> Paper:
    """The entry as a LaTeX document should get it, in BibTeX's or biblatex's own form.

    A preprint is `journal = {arXiv preprint arXiv:ID}` for BibTeX, `@online` with an
    eprint for biblatex. A field that uses @string macros the file does not define keeps
    them as macros (`author = AcostaJ # { and } # PattersonK`), never their names as its
    text: a .bib read with the file that defines them prints what they stand for."""
    entry_type, fields = _as_biblatex(paper) if biblatex else _as_bibtex(paper)
    if paper.is_preprint:
        fields.pop("journaltitle" if biblatex else "journal", None)
        if biblatex:
            entry_type = "online"
            fields.update(eprint=paper.arxiv, eprinttype="arxiv")
        else:
            # Google Scholar's form, which classic styles print; no eprint beside it, or
            # biblatex reading this output prints the ID twice.
            entry_type = "article"
            fields["journal"] = preprint_journal(paper.arxiv)
            for name in ("eprint", "archiveprefix", "primaryclass"):
                fields.pop(name, None)
    elif paper.arxiv and biblatex and fields.get("eprint"):
        fields["eprinttype"] = "arxiv"
    if not full:
        known = bibfields.BIBLATEX_FIELDS if biblatex else bibfields.BIBTEX_FIELDS
        fields = {n: v for n, v in fields.items() if n in known and n not in LIST_FIELDS}
    raw = {}
    for name, value in paper.undefined.items():
        target = (bibfields.TO_BIBLATEX if biblatex else bibfields.TO_BIBTEX).get(name, name)
        if target in fields and fields[target] == paper.fields.get(name):
            raw[target] = " # ".join(
                "{" + _clean_part(part[1:-1], ascii_only) + "}" if part.startswith("{") else part
                for part in concatenated(value)
            )
    month = bibfields.month_macro(fields.get("month", ""))
    if month:
        fields["month"] = raw["month"] = month
    fields = {
        n: v if n in raw else _clean_value(n, v, ascii_only, biblatex) for n, v in fields.items()
    }
    return Paper(key=paper.key, entry_type=entry_type, fields=fields, raw=raw)


def bibtex(
    papers: Iterable[Paper], full: bool = False, ascii_only: bool = False, biblatex: bool = False
) -> str:
    return joined([entry(p, full, ascii_only, biblatex) for p in papers])


def entry(
    paper: Paper, full: bool = False, ascii_only: bool = False, biblatex: bool = False
) -> str:
    """One clean entry (the parse cache keeps each paper's, with the default options)."""
    return format_entry(clean(paper, full, ascii_only, biblatex))


def joined(entries: Sequence[str]) -> str:
    """Entries as a .bib file: a blank line between them, one newline at the end."""
    return "".join(e + "\n\n" for e in entries).rstrip("\n") + "\n" if entries else ""


def _join_names(names: Sequence[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + ", and " + names[-1]


#: The fields a paper's venue is read from: one that names an undefined macro is left out
#: of text citations, not printed as the macro's name.
_VENUES = {"venue", "journal", "journaltitle", "booktitle"}


def text(paper: Paper) -> str:
    """ACL style: `Authors. Year. Title. In Venue.` (a part whose field names @string
    macros the file does not define is left out)."""
    parts = []
    if paper.authors and "author" not in paper.undefined:
        parts.append(_join_names(paper.authors).rstrip(".") + ".")
    if paper.year:
        parts.append(f"{paper.year}.")
    title = paper.title.rstrip(".")
    parts.append(title + ("" if title.endswith(("?", "!")) else "."))
    if paper.venue and not _VENUES & paper.undefined.keys():
        parts.append(f"In {paper.venue}.")
    elif paper.arxiv:
        parts.append(preprint_journal(paper.arxiv) + ".")
    return " ".join(parts)


def short_cite(paper: Paper) -> str:
    """`Meng et al., NeurIPS 2022`."""
    families = [to_text(n.last) for n in paper.names] if "author" not in paper.undefined else []
    if not families:
        who = ""
    elif len(families) == 1:
        who = families[0]
    elif len(families) == 2:
        who = f"{families[0]} and {families[1]}"
    else:
        who = f"{families[0]} et al."
    venue = paper.venue if not _VENUES & paper.undefined.keys() else ""
    when = venue or (str(paper.year) if paper.year else "")
    return ", ".join(p for p in (who, when) if p)


def markdown(paper: Paper) -> str:
    from ke_papers.render.markdown import escape_text, safe_url

    title = escape_text(paper.title)
    link = f"[{title}]({safe_url(paper.paper_url)})" if paper.paper_url else title
    return f"{link} ({escape_text(short_cite(paper))})"


def cite_command(keys: Sequence[str], command: str = "cite") -> str:
    return f"\\{command}{{{','.join(keys)}}}"
