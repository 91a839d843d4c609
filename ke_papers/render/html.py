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
from ke_papers.model import TAXONOMY_SEP, Paper
from ke_papers.render import cite
from ke_papers.render.markdown import slug
from ke_papers.taxonomy import Section, build_tree

DEFAULT_TITLE = "Paper list"
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
_BAR, _GAP, _PLOT, _LEFT, _BOTTOM, _TOP = 22, 6, 120, 30, 22, 10
_PALETTE = 8


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


def _paper(i: int, paper: Paper) -> str:
    title_id = f"t{i}"
    url = _safe(paper.paper_url)
    title = _e(paper.title or paper.key)
    head = f'<a href="{_e(url)}">{title}</a>' if url else title
    meta = (
        [f'<span class="venue">{_e(paper.venue or paper.year or "")}</span>']
        if (paper.venue or paper.year)
        else []
    )
    if paper.authors:
        meta.append(f'<span class="authors">{_e(", ".join(paper.authors))}</span>')
    links = [
        f'<a class="btn" href="{_e(safe)}">{_e(link.label)}</a>'
        for link in paper.extra_links
        if (safe := _safe(link.url))
    ]
    links.append(
        f'<button type="button" class="btn copy" aria-describedby="{title_id}">Copy BibTeX</button>'
    )
    parts = [
        f'<li class="paper" id="paper-{_e(paper.key)}" data-key="{_e(paper.key)}" data-i="{i}">',
        f'<p class="title" id="{title_id}">{head}</p>',
    ]
    if meta:
        parts.append(f'<p class="meta">{" · ".join(meta)}</p>')
    if paper.taxonomy:
        parts.append(f'<p class="where">{_e(" › ".join(paper.taxonomy))}</p>')
    parts.append(f'<p class="links">{" ".join(links)}</p>')
    if paper.keywords:
        words = "".join(f"<li>{_e(k)}</li>" for k in paper.keywords)
        parts.append(f'<ul class="keywords" aria-label="Keywords">{words}</ul>')
    bib = _e(cite.bibtex([paper]))
    parts.append(f'<details class="bib"><summary>BibTeX</summary><pre>{bib}</pre></details>')
    parts.append("</li>")
    return "".join(parts)


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


def _chart(papers: Sequence[Paper], root: Section) -> str:
    """Papers per year stacked by top section, as inline SVG, with the same numbers as a table."""
    tops = [s.name for s in root.children] + (["(no section)"] if root.papers else [])
    years = sorted({p.year for p in papers if p.year})
    if not years:
        return ""
    span = list(range(years[0], years[-1] + 1))
    counts = {(y, t): 0 for y in span for t in tops}
    for p in papers:
        if p.year:
            counts[p.year, p.taxonomy[0] if p.taxonomy else "(no section)"] += 1
    totals = {y: sum(counts[y, t] for t in tops) for y in span}
    top = max(totals.values())
    width = _LEFT + len(span) * (_BAR + _GAP) + _GAP
    height = _TOP + _PLOT + _BOTTOM
    step = max(1, -(-len(span) // 12))
    shapes = [
        f'<line class="axis" x1="{_LEFT}" y1="{_TOP + _PLOT}" x2="{width}" y2="{_TOP + _PLOT}"/>',
        f'<text class="tick" x="{_LEFT - 4}" y="{_TOP + 4}" text-anchor="end">{top}</text>',
        f'<text class="tick" x="{_LEFT - 4}" y="{_TOP + _PLOT}" text-anchor="end">0</text>',
    ]
    for n, year in enumerate(span):
        x = _LEFT + _GAP + n * (_BAR + _GAP)
        base = float(_TOP + _PLOT)
        for c, name in enumerate(tops):
            count = counts[year, name]
            if not count:
                continue
            h = count * _PLOT / top
            base -= h
            shapes.append(
                f'<rect class="c{c % _PALETTE}" x="{x}" y="{base:.1f}" width="{_BAR}" '
                f'height="{h:.1f}"><title>{year}, {_e(name)}: {count}</title></rect>'
            )
        if n % step == 0:
            shapes.append(
                f'<text class="tick" x="{x + _BAR / 2:.0f}" y="{height - 6}" '
                f'text-anchor="middle">{year}</text>'
            )
    summary = ", ".join(f"{y}: {totals[y]}" for y in span if totals[y])
    legend = "".join(
        f'<li><span class="sw c{c % _PALETTE}" aria-hidden="true"></span>{_e(n)}</li>'
        for c, n in enumerate(tops)
    )
    head = "".join(f'<th scope="col">{_e(n)}</th>' for n in tops)
    rows = "".join(
        f'<tr><th scope="row">{y}</th>'
        + "".join(f"<td>{counts[y, t]}</td>" for t in tops)
        + f"<td>{totals[y]}</td></tr>"
        for y in span
    )
    return (
        '<figure class="chart"><figcaption id="chart-cap">Papers per year, by section</figcaption>'
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="Papers per year: {_e(summary)}">{"".join(shapes)}</svg>'
        f'<ul class="legend">{legend}</ul>'
        "<details><summary>The numbers as a table</summary><table><caption>Papers per year, "
        f'by section</caption><thead><tr><th scope="col">Year</th>{head}<th scope="col">All'
        f"</th></tr></thead><tbody>{rows}</tbody></table></details></figure>"
    )


def _filters(papers: Sequence[Paper]) -> str:
    years = [p.year for p in papers if p.year]
    low, high = (min(years), max(years)) if years else (1900, 2100)
    names: dict[str, int] = {}
    for p in papers:
        if name := venue_name(p):
            names[name] = names.get(name, 0) + 1
    options = "".join(
        f'<option value="{_e(n)}">{_e(n)} ({names[n]})</option>'
        for n in sorted(names, key=str.casefold)
    )
    code = sum(p.has_code for p in papers)
    return (
        '<div id="filters" class="filters" hidden>'
        f'<fieldset><legend>Year</legend><label>From <input type="number" id="from" '
        f'min="{low}" max="{high}" placeholder="{low}" inputmode="numeric"></label> '
        f'<label>to <input type="number" id="to" min="{low}" max="{high}" '
        f'placeholder="{high}" inputmode="numeric"></label></fieldset>'
        '<p><label for="venue">Venue</label> <select id="venue">'
        f'<option value="">Any venue</option>{options}</select></p>'
        f'<p><label><input type="checkbox" id="code"> Has code ({code})</label></p>'
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
            [p.year or 0, int(p.has_code), leaf[i], venue_name(p)] for i, p in enumerate(papers)
        ],
    }


def page(papers: Sequence[Paper], title: str = DEFAULT_TITLE, date: str = "") -> str:
    """The whole page; `date` (YYYY-MM-DD) goes in its footer."""
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
    return (
        '<!DOCTYPE html>\n<html lang="en" class="no-js"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        f'<meta name="generator" content="ke-papers"><meta name="date" content="{date}">'
        f"<title>{_e(title)}</title><style>{style}</style></head>\n<body>"
        '<a class="skip" href="#main">Skip to the papers</a>'
        f'<header><h1>{_e(title)}</h1><form class="search" role="search" hidden>'
        '<label for="q">Search papers</label> <input type="search" id="q" autocomplete="off" '
        'spellcheck="false" placeholder="e.g. rome, memit, knowledge neurons"></form></header>\n'
        '<div class="layout"><aside><details class="panel" open><summary>Sections and filters'
        f'</summary><nav aria-label="Sections"><ul class="tree">{tree}</ul></nav>'
        f"{_filters(papers)}</details></aside>\n"
        f'<main id="main">{_chart(papers, root)}<p id="status" role="status">{count}</p>'
        f'<ol id="results" class="papers" hidden></ol>'
        '<p><button type="button" class="btn" id="more" hidden></button></p><div id="list">'
        f"{_list(root, ids, rendered)}</div></main></div>\n"
        f'<footer><p>{count} · generated by ke-papers on <time datetime="{date}">{date}</time>'
        "</p></footer>\n"
        f'<script type="application/json" id="ke-data">{script_json(_index(papers, ids))}'
        f"</script>\n<script>{script}</script>\n</body></html>\n"
    )
