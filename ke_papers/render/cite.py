"""Citations: clean BibTeX and biblatex, ACL-style text, Markdown, and \\cite commands.

The list's own fields (taxonomy, links, keywords, abstract) mean nothing to BibTeX
styles and are dropped unless asked for. Values are escaped for LaTeX without
touching what is already escaped or `$math$`; URLs, DOIs and eprints stay verbatim.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ke_papers.bibtex import format_entry
from ke_papers.latex import brace_acronyms, defang, escape, to_ascii, to_text
from ke_papers.model import Paper, preprint_journal

LIST_FIELDS = ("venue", "taxonomy", "keywords", "links", "abstract")
#: Values that are identifiers or links, not text: never escaped (a `_` in a URL stays).
VERBATIM = ("url", "doi", "eprint", "archiveprefix", "primaryclass", "links")
#: What biblatex prints as "arXiv: ID" beside a journal that already names the ID.
EPRINT_FIELDS = ("eprint", "archiveprefix", "primaryclass")


def _clean_value(name: str, value: str, ascii_only: bool) -> str:
    value = " ".join(value.split())
    if name in VERBATIM:
        return value
    if name == "title":
        value = brace_acronyms(value)
    value = defang(escape(value))
    return to_ascii(value) if ascii_only else value


def clean(
    paper: Paper, full: bool = False, ascii_only: bool = False, biblatex: bool = False
) -> Paper:
    """The entry as a LaTeX document should get it (BibTeX form).

    A preprint is `journal = {arXiv preprint arXiv:ID}`, as classic styles print it; its
    eprint fields are kept only for biblatex, which would otherwise print the ID twice.
    """
    fields = {n: v for n, v in paper.fields.items() if full or n not in LIST_FIELDS}
    entry_type = paper.entry_type
    if paper.is_preprint:
        entry_type = "article"
        fields["journal"] = preprint_journal(paper.arxiv)
        if biblatex:
            fields.update(eprint=paper.arxiv, archiveprefix="arXiv")
        else:
            for name in EPRINT_FIELDS:
                fields.pop(name, None)
    fields = {n: _clean_value(n, v, ascii_only) for n, v in fields.items()}
    return Paper(key=paper.key, entry_type=entry_type, fields=fields)


def to_biblatex(paper: Paper) -> Paper:
    """biblatex's own forms: @online for preprints, `date`, `journaltitle`, `eprinttype`."""
    fields = dict(paper.fields)
    entry_type = paper.entry_type
    if "year" in fields:
        fields["date"] = fields.pop("year")
    if paper.arxiv:
        fields.pop("archiveprefix", None)
        fields["eprinttype"] = "arxiv"
        if "primaryclass" in fields:
            fields["eprintclass"] = fields.pop("primaryclass")
    if paper.is_preprint:
        entry_type = "online"
        fields.pop("journal", None)
    elif "journal" in fields:
        fields["journaltitle"] = fields.pop("journal")
    order = (
        "title",
        "author",
        "booktitle",
        "journaltitle",
        "date",
        "doi",
        "eprint",
        "eprinttype",
        "eprintclass",
        "url",
    )
    ordered = {n: fields[n] for n in order if n in fields}
    ordered.update((n, v) for n, v in fields.items() if n not in ordered)
    return Paper(key=paper.key, entry_type=entry_type, fields=ordered)


def bibtex(
    papers: Iterable[Paper], full: bool = False, ascii_only: bool = False, biblatex: bool = False
) -> str:
    entries = []
    for paper in papers:
        entry = clean(paper, full, ascii_only, biblatex)
        entries.append(format_entry(to_biblatex(entry) if biblatex else entry))
    return "".join(e + "\n\n" for e in entries).rstrip("\n") + "\n" if entries else ""


def _join_names(names: Sequence[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + ", and " + names[-1]


def text(paper: Paper) -> str:
    """ACL style: `Authors. Year. Title. In Venue.`"""
    parts = []
    if paper.authors:
        parts.append(_join_names(paper.authors).rstrip(".") + ".")
    if paper.year:
        parts.append(f"{paper.year}.")
    title = paper.title.rstrip(".")
    parts.append(title + ("" if title.endswith(("?", "!")) else "."))
    if paper.venue:
        parts.append(f"In {paper.venue}.")
    elif paper.arxiv:
        parts.append(preprint_journal(paper.arxiv) + ".")
    return " ".join(parts)


def short_cite(paper: Paper) -> str:
    """`Meng et al., NeurIPS 2022`."""
    families = [to_text(n.last) for n in paper.names]
    if not families:
        who = ""
    elif len(families) == 1:
        who = families[0]
    elif len(families) == 2:
        who = f"{families[0]} and {families[1]}"
    else:
        who = f"{families[0]} et al."
    when = paper.venue or (str(paper.year) if paper.year else "")
    return ", ".join(p for p in (who, when) if p)


def markdown(paper: Paper) -> str:
    from ke_papers.render.markdown import escape_text, safe_url

    title = escape_text(paper.title)
    link = f"[{title}]({safe_url(paper.paper_url)})" if paper.paper_url else title
    return f"{link} ({escape_text(short_cite(paper))})"


def cite_command(keys: Sequence[str], command: str = "cite") -> str:
    return f"\\{command}{{{','.join(keys)}}}"
