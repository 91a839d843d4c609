"""The list as one self-contained web page: search, filters, a chart, copyable citations.

The whole list is in the HTML, so the page reads with scripts off; `page.js` only
hides what the filters leave out and, for a query, shows copies of the best matches. Its search is the CLI's: the page carries `search.Index`'s
folded field texts and weights, and the script ranks them the same way, keeping the
papers that match every word. Every value is HTML-escaped; the data for the script is
JSON with `<`, `>`, `&` and the line separators escaped, so that no title can close the
script or run as code. A Content-Security-Policy lets only the page's own script and
style run and allows no request at all.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from ke_papers import search, urls, venues
from ke_papers.model import ARXIV_ABS, TAXONOMY_SEP, Paper
from ke_papers.render import cite
from ke_papers.render.markdown import slug
from ke_papers.render.terminal import venue_year
from ke_papers.taxonomy import Section, build_tree

DEFAULT_TITLE = "Paper list"
ARXIV_PDF = "https://arxiv.org/pdf/"
_HERE = Path(__file__).resolve().parent
_DATE = re.compile(r'<meta name="date" content="(\d{4}-\d\d-\d\d)">')
_SCRIPT_UNSAFE = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
#: Bars of the chart: width, gap, plot height, margins (SVG units).
_BAR, _GAP, _PLOT, _LEFT, _BOTTOM, _TOP = 34, 10, 90, 4, 22, 18


def _e(text: object) -> str:
    """Text or an attribute value, HTML-escaped (quotes too): data never becomes markup."""
    return escape(str(text), quote=True)


def script_json(data: Any) -> str:
    """JSON that can stand inside a <script> element: nothing in it can end or open a tag."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda m: _SCRIPT_UNSAFE[m[0]], text)


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def page_date(text: str) -> str | None:
    """The date a page was generated on (its `<meta name="date">`), or None."""
    m = _DATE.search(text)
    return m[1] if m else None


def redate(text: str, day: str) -> str:
    """The same page dated `day`: its date meta and footer, and nothing else, changed."""
    old = page_date(text)
    if old is None:
        return text
    text = text.replace(
        f'<meta name="date" content="{old}">', f'<meta name="date" content="{day}">', 1
    )
    return text.replace(
        f'<time datetime="{old}">{old}</time>', f'<time datetime="{day}">{day}</time>', 1
    )


def _safe(url: str) -> str | None:
    return url.strip() if url and urls.problem(url) is None else None


def venue_name(paper: Paper) -> str:
    """The venue's series (`EMNLP` for `EMNLP 2022`), the venue filter's value."""
    return venues.parse(paper.venue).name if paper.venue else ""


def _buttons(paper: Paper) -> list[tuple[str, str]]:
    """The paper's links as (label, URL), arXiv and PDF first, each URL once."""
    out: list[tuple[str, str]] = []
    if paper.arxiv:
        out += [("arXiv", ARXIV_ABS + paper.arxiv), ("PDF", ARXIV_PDF + paper.arxiv)]
    elif paper.paper_url:
        out.append(("Paper", paper.paper_url))
    out += [(link.label, link.url) for link in paper.extra_links]
    seen: set[str] = set()
    kept = []
    for label, url in out:
        safe = _safe(url)
        if safe and safe not in seen:
            seen.add(safe)
            kept.append((label, safe))
    return kept


def _paper(i: int, paper: Paper) -> str:
    title_id = f"t{i}"
    url = _safe(paper.paper_url)
    title = _e(paper.title or paper.key)
    head = f'<a href="{_e(url)}">{title}</a>' if url else title
    parts = [
        f'<li class="paper" id="paper-{_e(paper.key)}" data-key="{_e(paper.key)}" data-i="{i}">',
        f'<p class="title" id="{title_id}">{head}</p>',
    ]
    if paper.authors:
        parts.append(f'<p class="authors">{_e(", ".join(paper.authors))}</p>')
    where = venue_year(paper)
    if where or paper.taxonomy:
        section = (
            f'<span class="where"> · {_e(" › ".join(paper.taxonomy))}</span>'
            if paper.taxonomy
            else ""
        )
        parts.append(f'<p class="meta"><span class="venue">{_e(where)}</span>{section}</p>')
    links = "".join(
        f'<a class="btn" href="{_e(href)}">{_e(label)}</a>' for label, href in _buttons(paper)
    )
    copy = (
        f'<button type="button" class="act copy" aria-describedby="{title_id}">Copy BibTeX</button>'
    )
    parts.append(f'<div class="links">{links}{copy}</div>')
    if paper.keywords:
        words = "".join(f"<li>{_e(k)}</li>" for k in paper.keywords)
        parts.append(f'<ul class="keywords" aria-label="Keywords">{words}</ul>')
    bib = _e(cite.bibtex([paper]))
    parts.append(f'<details class="bib"><summary>BibTeX</summary><pre>{bib}</pre></details>')
    parts.append("</li>")
    return "".join(parts)


def _month(paper: Paper) -> int:
    """The paper's month (1-12) for "newest first": its month or date field, else its
    arXiv ID's when that is of the paper's year; 0 when unknown."""
    from ke_papers import fields

    month = fields.month_macro(paper.value("month"))
    if month:
        return fields.MONTHS.index(month) + 1
    arxiv = paper.arxiv
    if len(arxiv) > 4 and arxiv[4] == "." and paper.year and str(paper.year)[2:] == arxiv[:2]:
        return int(arxiv[2:4])
    return 0


class _Ids:
    """Each section's anchor (`sec-3-locate-and-edit`) and number, in display order."""

    def __init__(self, root: Section) -> None:
        self.sections = list(root.walk())
        self.number = {s.path: n for n, s in enumerate(self.sections)}

    def anchor(self, section: Section) -> str:
        return f"sec-{self.number[section.path]}-{slug(section.name)}" if section.path else "list"


def _list(section: Section, ids: _Ids, rendered: Sequence[str]) -> str:
    depth = len(section.path)
    parts = []
    if section.path:
        level = min(6, depth + 1)
        parts.append(
            f'<section class="sec" id="{ids.anchor(section)}" data-s="{ids.number[section.path]}">'
            f'<h{level}>{_e(section.name)} <span class="n">({section.count()})</span></h{level}>'
        )
    if section.papers:
        papers = "".join(f"\n{rendered[i]}" for i in section.papers)
        parts.append(f'<ol class="papers">{papers}\n</ol>')
    parts.extend(_list(child, ids, rendered) for child in section.children)
    if section.path:
        parts.append("</section>")
    return "\n".join(parts)


def _tree(section: Section, ids: _Ids) -> str:
    items = []
    for child in section.children:
        path = _e(TAXONOMY_SEP.join(child.path))
        items.append(
            f'<li><a href="#{ids.anchor(child)}" data-section="{path}">{_e(child.name)} '
            f'<span class="n">({child.count()})</span></a>{_tree(child, ids)}</li>'
        )
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _chart(papers: Sequence[Paper]) -> str:
    """Papers per year as inline SVG bars, each labelled with its count; the script redraws
    them for what the search and filters leave. The same numbers stand in a table."""
    years = sorted({p.year for p in papers if p.year})
    if len(years) < 2:
        return ""
    span = list(range(years[0], years[-1] + 1))
    counts = {y: 0 for y in span}
    for p in papers:
        if p.year:
            counts[p.year] += 1
    top = max(counts.values())
    width = _LEFT + len(span) * (_BAR + _GAP) + _GAP
    height = _TOP + _PLOT + _BOTTOM
    step = max(1, -(-len(span) // 14))
    shapes = [
        f'<line class="axis" x1="{_LEFT}" y1="{_TOP + _PLOT}" x2="{width}" y2="{_TOP + _PLOT}"/>'
    ]
    for n, year in enumerate(span):
        x = _LEFT + _GAP + n * (_BAR + _GAP)
        h = counts[year] * _PLOT / top
        shapes.append(
            f'<g class="bar" data-year="{year}"><rect x="{x}" y="{_TOP + _PLOT - h:.1f}" '
            f'width="{_BAR}" height="{h:.1f}"><title>{year}: {counts[year]}</title></rect>'
            f'<text class="count" x="{x + _BAR / 2:.0f}" y="{_TOP + _PLOT - h - 4:.1f}" '
            f'text-anchor="middle">{counts[year] or ""}</text></g>'
        )
        if n % step == 0:
            shapes.append(
                f'<text class="tick" x="{x + _BAR / 2:.0f}" y="{height - 6}" '
                f'text-anchor="middle">{year}</text>'
            )
    summary = ", ".join(f"{y}: {counts[y]}" for y in span if counts[y])
    rows = "".join(
        f'<tr data-year="{y}"><th scope="row">{y}</th><td>{counts[y]}</td></tr>' for y in span
    )
    return (
        '<figure class="chart"><figcaption id="chart-cap">Papers per year</figcaption>'
        f'<svg viewBox="0 0 {width} {height}" role="img" '
        f'data-plot="{_PLOT}" data-base="{_TOP + _PLOT}" '
        f'aria-label="Papers per year: {_e(summary)}">{"".join(shapes)}</svg>'
        "<details><summary>The numbers as a table</summary><table><caption>Papers per year"
        '</caption><thead><tr><th scope="col">Year</th><th scope="col">Papers</th></tr>'
        f"</thead><tbody>{rows}</tbody></table></details></figure>"
    )


def _filters(papers: Sequence[Paper]) -> str:
    years = [p.year for p in papers if p.year]
    low, high = (min(years), max(years)) if years else (1900, 2100)
    names: dict[str, int] = {}
    for p in papers:
        if name := venue_name(p):
            names[name] = names.get(name, 0) + 1
    options = "".join(
        f'<option value="{_e(n)}" data-n="{names[n]}">{_e(n)} ({names[n]})</option>'
        for n in sorted(names, key=str.casefold)
    )
    code = sum(p.has_code for p in papers)
    code_n = f'<span class="n" id="code-n">({code})</span>'
    return (
        '<div id="filters" class="filters" hidden>'
        f'<fieldset><legend>Year</legend><label>From <input type="number" id="from" '
        f'min="{low}" max="{high}" placeholder="{low}" inputmode="numeric"></label> '
        f'<label>to <input type="number" id="to" min="{low}" max="{high}" '
        f'placeholder="{high}" inputmode="numeric"></label></fieldset>'
        '<p><label for="venue">Venue</label> <select id="venue">'
        f'<option value="">Any venue</option>{options}</select></p>'
        f'<p><label><input type="checkbox" id="code"> Has code {code_n}</label></p>'
        '<p><button type="button" class="btn" id="clear">Clear search and filters</button></p>'
        "</div>"
    )


def _index(papers: Sequence[Paper], ids: _Ids) -> dict[str, Any]:
    """What the script searches: the CLI's index and weights, and each paper's filter values."""
    built = search.page_index(papers)
    leaf = {}
    for section in ids.sections:
        for i in section.papers:
            leaf[i] = ids.number[section.path]
    return {
        "fields": list(search.WEIGHTS),
        "weights": search.WEIGHTS,
        "damping": search.LENGTH_DAMPING,
        "quality": [search.EXACT, search.TYPO, search.PREFIX, search.SUBSTRING],
        "phrase": search.PHRASE_BONUS,
        "typoMin": search.TYPO_MIN_LENGTH,
        "prefixMin": search.PREFIX_MIN_LENGTH,
        "wholeBelow": search.WHOLE_WORD_BELOW,
        "text": built["text"],
        "starts": built["starts"],
        "lengths": built["lengths"],
        "vocabulary": built["vocabulary"],
        "sections": [TAXONOMY_SEP.join(s.path) for s in ids.sections],
        "papers": [
            [p.year or 0, int(p.has_code), leaf[i], venue_name(p), _month(p)]
            for i, p in enumerate(papers)
        ],
    }


def page(
    papers: Sequence[Paper],
    title: str = DEFAULT_TITLE,
    date: str = "",
    description: str = "",
    repository: str = "",
) -> str:
    """The whole page; `date` (YYYY-MM-DD) goes in its footer; the header names the list,
    says what it is and links to its repository when given."""
    papers = list(papers)
    root = build_tree((p.taxonomy, i) for i, p in enumerate(papers))
    ids = _Ids(root)
    rendered = [_paper(i, p) for i, p in enumerate(papers)]
    style = (_HERE / "page.css").read_text("utf-8")
    script = (_HERE / "page.js").read_text("utf-8")
    policy = (
        f"default-src 'none'; script-src '{_hash(script)}'; style-src '{_hash(style)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    count = f"{len(papers)} paper{'' if len(papers) == 1 else 's'}"
    tree = (
        f'<li><a href="#list" data-section="" aria-current="true">All papers '
        f'<span class="n">({len(papers)})</span></a>{_tree(root, ids)}</li>'
    )
    about = f'<p class="about">{_e(description)}</p>' if description else ""
    repo = _safe(repository)
    link = f'<p class="repo"><a href="{_e(repo)}">Repository</a></p>' if repo else ""
    tools = (
        '<div class="tools"><p id="status" role="status">' + count + "</p>"
        '<p class="order" hidden><label for="order">Order</label> <select id="order">'
        '<option value="">List order</option><option value="new">Newest first</option>'
        "</select></p></div>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en" class="no-js"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        f'<meta name="generator" content="ke-papers"><meta name="date" content="{date}">'
        + (f'<meta name="description" content="{_e(description)}">' if description else "")
        + f"<title>{_e(title)}</title><style>{style}</style></head>\n<body>"
        '<a class="skip" href="#main">Skip to the papers</a>'
        f'<header><div class="brand"><h1>{_e(title)}</h1>{about}{link}</div>'
        '<form class="search" role="search" hidden>'
        '<label for="q">Search papers</label> <input type="search" id="q" autocomplete="off" '
        'spellcheck="false" placeholder="e.g. rome, memit, knowledge neurons"></form></header>\n'
        '<div class="layout"><aside><details class="panel" open><summary>Sections and filters'
        f'</summary><nav aria-label="Sections"><ul class="tree">{tree}</ul></nav>'
        f"{_filters(papers)}{_chart(papers)}</details></aside>\n"
        f'<main id="main">{tools}'
        '<div id="empty" class="empty" hidden></div>'
        f'<ol id="results" class="papers" hidden></ol>'
        '<p><button type="button" class="btn" id="more" hidden></button></p><div id="list">'
        f"{_list(root, ids, rendered)}</div></main></div>\n"
        f'<footer><p>{count} · generated by ke-papers on <time datetime="{date}">{date}</time>'
        + (f' · <a href="{_e(repo)}">source</a>' if repo else "")
        + "</p></footer>\n"
        f'<script type="application/json" id="ke-data">{script_json(_index(papers, ids))}'
        f"</script>\n<script>{script}</script>\n</body></html>\n"
    )
