"""The awesome-list paper list in Markdown, and splicing it into a README.

Shape of an entry (the seed's dominant one):

    1. **Title**. (Venue) <br />
    First Last, First Last.
    [[paper](url)] [[code](url)]

Headings: `## Papers`, then `###` for the top level of the taxonomy and one more
`#` per level. Contents anchors follow GitHub's heading slugs. Data is escaped so
that no title, name or URL can change the page's structure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ke_papers import urls
from ke_papers.errors import KePapersError
from ke_papers.model import Paper
from ke_papers.taxonomy import Section, build_tree

START = "<!-- ke-papers:start -->"
END = "<!-- ke-papers:end -->"
PAPERS_HEADING = "Papers"
_SPECIAL = re.compile(r"[\\`*_\[\]|]")
_ENTITY = re.compile(r"&(?=#?\w+;)")
_LINE_START = re.compile(r"^(\d+)([.)])|^([-+*#>=])")
_SLUG_DROP = re.compile(r"[^\w\- ]", re.UNICODE)


def escape_text(text: str) -> str:
    """Markdown-safe inline text: specials backslashed, `<` and entities neutralised."""
    if _SPECIAL.search(text):  # most text has none, and a search costs less than a sub
        text = _SPECIAL.sub(_backslashed, text)
    if "&" in text:
        text = _ENTITY.sub("&amp;", text)
    return text.replace("<", "&lt;")


def _backslashed(m: re.Match[str]) -> str:
    """`\\` and the match: a function, as a template would be expanded in Python per match."""
    return "\\" + m[0]


def _escape_line(text: str) -> str:
    """Like escape_text, and a line that would start a list, heading or quote does not."""
    return _LINE_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", escape_text(text))


def safe_url(url: str) -> str:
    """A URL that cannot end the Markdown link early: spaces and parentheses encoded."""
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C")


def slug(heading: str) -> str:
    """GitHub's heading anchor: lowercase, punctuation dropped, spaces to hyphens."""
    return _SLUG_DROP.sub("", heading.strip().lower()).replace(" ", "-")


class _Slugger:
    """Hands out anchors the way GitHub numbers repeated headings (`x`, `x-1`, `x-2`)."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def __call__(self, heading: str) -> str:
        base = slug(heading)
        count = self.seen.get(base, 0)
        self.seen[base] = count + 1
        return base if count == 0 else f"{base}-{count}"


def entry_body(paper: Paper) -> str:
    """An entry without its number: the part the parse cache can keep ready."""
    title = paper.title
    lines = [
        f"**{escape_text(title)}**{'' if title.endswith(('?', '!', '.')) else '.'}"
        + (f" ({escape_text(paper.venue)})" if paper.venue else "")
        + " <br />"
    ]
    if paper.authors:
        authors = ", ".join(paper.authors)
        lines.append(_escape_line(authors + ("" if authors.endswith(".") else ".")))
    links = []
    for link in paper.links:
        url = safe_url(link.url)
        if urls.problem(url) is None:
            links.append(f"[[{escape_text(link.label)}]({url})]")
    if links:
        lines.append(" ".join(links))
    return "\n".join(lines)


def keyed(body: str, key: str, year: int = 0) -> str:
    """An entry body with its key as an anchor (`#key` links to it; an import reads it
    back), and its year when the venue does not show it (`0`: nothing to add)."""
    import html

    anchor = f'<a id="{html.escape(key)}"></a>' if key else ""
    if year and not re.match(r"\*\*.*\*\*\.? \(.*\) <br />", body.split("\n", 1)[0]):
        body = body.replace(" <br />", f" ({year}) <br />", 1)
    return anchor + body


def paper_list(items: Sequence[tuple[Sequence[str], str]]) -> str:
    """Contents, then `## Papers` with every section and its numbered entries.

    `items` are (taxonomy, entry_body) pairs in file order.
    """
    root = build_tree(items)
    slugger = _Slugger()
    slugger(PAPERS_HEADING)
    sections = list(root.walk())[1:]
    anchors = {section.path: slugger(section.name) for section in sections}
    contents = [
        f"{'  ' * (len(s.path) - 1)}- [{escape_text(s.name)}](#{anchors[s.path]})" for s in sections
    ]
    blocks: list[str] = []
    if contents:
        blocks.append("\n".join(contents))
    blocks.append(f"## {PAPERS_HEADING}")
    blocks.extend(_section_blocks(root))
    return "\n\n".join(blocks) + "\n"


def _section_blocks(section: Section) -> list[str]:
    blocks = []
    if section.path:
        level = min(6, len(section.path) + 2)
        blocks.append(f"{'#' * level} {escape_text(section.name)}")
    blocks.extend(f"{i}. {body}" for i, body in enumerate(section.papers, 1))
    for child in section.children:
        blocks.extend(_section_blocks(child))
    return blocks


#: A line and its ending, as CommonMark cuts lines (CR LF, CR or LF).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


def _marker_lines(readme: str) -> list[tuple[int, int, str, int]]:
    """(start, end, text, line number) of every marker line outside code: a line of its
    own that CommonMark reads as HTML (markdown-it-py), so one shown in a fenced or
    indented code block, or written as code, is not a marker."""
    from markdown_it import MarkdownIt

    if START not in readme and END not in readme:
        return []
    html: set[int] = set()
    for token in MarkdownIt("commonmark").parse(readme):
        if token.type == "html_block" and token.map:
            html.update(range(*token.map))
    found = []
    pos = 0
    for number, m in enumerate(_LINE.finditer(readme)):
        line = m[0]
        if not line:
            break
        text = line.rstrip("\r\n").lstrip("\ufeff").strip()
        if number in html and text in (START, END):
            found.append((pos, pos + len(line), text, number + 1))
        pos += len(line)
    return found


def splice_readme(readme: str, generated: str, name: str = "README.md") -> str:
    """The README with only what stands between the marker lines replaced.

    Markers shown as code are not markers; a second pair of real ones is an error (which
    list would be the one?). The list takes the README's line endings (CRLF stays CRLF)
    and a byte order mark stays where it is.
    """
    markers = _marker_lines(readme)
    starts = [m for m in markers if m[2] == START]
    ends = [m for m in markers if m[2] == END]
    if not starts or not ends:
        raise KePapersError(
            f"{name}: markers not found: put {START} and {END} on lines of their own "
            "where the paper list goes"
        )
    if len(starts) > 1 or len(ends) > 1:
        second = (starts if len(starts) > 1 else ends)[1]
        raise KePapersError(
            f"{name}:{second[3]}: a second {second[2]} (the first is at line "
            f"{(starts if len(starts) > 1 else ends)[0][3]}): keep one pair of markers, "
            "or show them as code"
        )
    if ends[0][0] < starts[0][0]:
        raise KePapersError(f"{name}:{ends[0][3]}: {END} comes before {START}")
    start_line = readme[starts[0][0] : starts[0][1]]
    if start_line.endswith("\r\n"):  # the list takes the line ending its marker has
        generated = generated.replace("\r\n", "\n").replace("\n", "\r\n")
    return readme[: starts[0][1]] + generated + readme[ends[0][0] :]
