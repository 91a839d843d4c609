"""The fast per-paper derivations give exactly what the straightforward code gave.

Each reference below is the implementation the fast one replaced, kept word for word:
the fast paths (plain splits, one-regex URL checks, regex scans instead of loops over
characters, caches) must agree with it on real entries, on a generated list, on hostile
strings and on random text built from the characters that matter.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from conftest import DATA_BIB, REPO, seed_text
from hypothesis import given, settings
from hypothesis import strategies as st

from ke_papers import bibread, bibtex, latex, names, urls
from ke_papers.model import END, Link, Paper
from ke_papers.render import cite, markdown

# --- references: the code before the fast paths -------------------------------------------


def ref_split_top(text: str, sep: re.Pattern[str]) -> list[str]:
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        elif depth == 0:
            m = sep.match(text, i)
            if m:
                parts.append(text[start:i])
                start = i = m.end()
                continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def ref_split_authors(value: str) -> list[str]:
    if not value.strip():
        return []
    return [p for p in ref_split_top(" ".join(value.split()), re.compile(r"\s+and\s+", re.I)) if p]


def ref_from_display(name: str) -> names.Name:
    words = ref_split_top(" ".join(name.split()), re.compile(r" "))
    jr = ""
    if len(words) > 2 and words[-1].casefold() in names._SUFFIXES:
        jr = words.pop()
    if len(words) <= 1:
        return names.Name(first="", last="".join(words), jr=jr)
    start = len(words) - 1
    while start > 1 and words[start - 1].casefold() in names._PARTICLES:
        start -= 1
    return names.Name(first=" ".join(words[:start]), last=" ".join(words[start:]), jr=jr)


def ref_parse(name: str) -> names.Name:
    parts = ref_split_top(name, re.compile(r","))
    if len(parts) >= 3:
        return names.Name(first=", ".join(parts[2:]), last=parts[0], jr=parts[1])
    if len(parts) == 2:
        return names.Name(first=parts[1], last=parts[0])
    return ref_from_display(parts[0])


def ref_display(name: names.Name) -> str:
    return " ".join(p for p in (name.first, name.last, name.jr) if p)


def ref_display_names(value: str) -> list[str]:
    out = []
    for raw in ref_split_authors(value):
        if raw.casefold() == "others":
            out.append("et al.")
        else:
            out.append(ref_to_text(ref_display(ref_parse(raw))))
    return out


def ref_problem(url: str) -> str | None:
    if not url.strip():
        return "empty-url"
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "bad-url"
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        return "bad-url"
    return None


def ref_to_text(value: str) -> str:
    if "\\" in value or "{" in value or "~" in value:
        value = latex._ACCENT_CMD.sub(latex._accented, value)
        value = latex._LETTER_CMD.sub(lambda m: latex._LETTERS[m[1]], value)
        value = latex._TEXT_CMD.sub("", value)
        value = value.replace("\\\\", " ").replace("~", "\u00a0").replace("\\ ", " ")
        value = latex._ESCAPED.sub(lambda m: chr(0xE000 + ord(m[1])), value)
        value = latex._OTHER_CMD.sub("", value)
        value = value.replace("{", "").replace("}", "").replace("\u00a0", " ")
        value = re.sub("[\ue000-\ue07f]", lambda m: chr(ord(m[0]) - 0xE000), value)
    return " ".join(value.split())


def ref_escape(text: str) -> str:
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            out.append(text[i : i + 2])
            i += 2
            continue
        if ch == "\\":
            out.append("\\textbackslash{}")
            i += 1
            continue
        if ch == "$":
            end = text.find("$", i + 1)
            if end > i + 1 and not text[end - 1].isspace() and not text[i + 1].isspace():
                out.append(text[i : end + 1])
                i = end + 1
                continue
        if ch in "&%#_$":
            out.append("\\" + ch)
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def ref_defang(value: str) -> str:
    value = value.replace("^^", "\\textasciicircum{}\\textasciicircum{}")
    return re.sub(
        r"\\([A-Za-z@]+)",
        lambda m: m[0] if m[1] in latex.SAFE_COMMANDS else "\\textbackslash{}" + m[1],
        value,
    )


def ref_escape_text(text: str) -> str:
    return ref_escape(re.sub(r"(?<!\\)([{}])", r"\\\1", text))


def ref_to_ascii(value: str) -> str:
    out: list[str] = []
    for ch in value:
        if ord(ch) < 128:
            out.append(ch)
            continue
        if ch in latex._LETTER_COMMANDS:
            out.append("{\\" + latex._LETTER_COMMANDS[ch] + "}")
            continue
        decomposed = unicodedata.normalize("NFD", ch)
        base, marks = decomposed[0], decomposed[1:]
        if base.isascii() and marks and all(m in latex._COMBINING_TO_ACCENT for m in marks):
            inner = "\\i" if base == "i" and marks else base
            for mark in marks:
                cmd = latex._COMBINING_TO_ACCENT[mark]
                sep = " " if cmd.isalpha() and not inner.startswith("{") else ""
                inner = f"\\{cmd}{sep}{inner}" if cmd.isalpha() else f"\\{cmd}{inner}"
            out.append("{" + inner + "}")
        else:
            out.append(ch)
    return "".join(out)


def ref_brace_acronyms(title: str) -> str:
    out: list[str] = []
    depth = 0
    pos = 0
    for m in re.finditer(r"[A-Za-z0-9]+", title):
        segment = title[pos : m.start()]
        depth += segment.count("{") - segment.count("}")
        out.append(segment)
        word = m[0]
        preceded = m.start() > 0 and title[m.start() - 1] == "\\"
        if depth == 0 and any(c.isupper() for c in word[1:]) and not preceded:
            out.append("{" + word + "}")
        else:
            out.append(word)
        pos = m.end()
    out.append(title[pos:])
    return "".join(out)


def ref_fold(text: str) -> str:
    if text.isascii():
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text).replace("\u0131", "i").replace("\u0237", "j")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def ref_md_escape_text(text: str) -> str:
    text = re.sub(r"([\\`*_\[\]|])", r"\\\1", text)
    text = re.sub(r"&(?=#?\w+;)", "&amp;", text)
    return text.replace("<", "&lt;")


def ref_entry_body(paper: Paper) -> str:
    def escape_line(text: str) -> str:
        return re.sub(
            r"^(\d+)([.)])|^([-+*#>=])",
            lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}",
            ref_md_escape_text(text),
        )

    title = paper.title
    lines = [
        f"**{ref_md_escape_text(title)}**{'' if title.endswith(('?', '!', '.')) else '.'}"
        + (f" ({ref_md_escape_text(paper.venue)})" if paper.venue else "")
        + " <br />"
    ]
    if paper.authors:
        authors = ", ".join(paper.authors)
        lines.append(escape_line(authors + ("" if authors.endswith(".") else ".")))
    links = " ".join(
        f"[[{ref_md_escape_text(link.label)}]({markdown.safe_url(link.url)})]"
        for link in paper.links
        if ref_problem(markdown.safe_url(link.url)) is None
    )
    if links:
        lines.append(links)
    return "\n".join(lines)


def ref_format_entry(paper: Paper) -> str:
    rank = {name: i for i, name in enumerate(bibtex.FIELD_ORDER)}

    def field_value(name: str) -> str:
        raw = paper.raw.get(name)
        if raw is None:
            return "{" + " ".join(paper.fields[name].split()) + "}"
        raw = " ".join(raw.split())
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2 and "#" not in raw:
            return "{" + raw[1:-1] + "}"
        if raw.isdigit():
            return "{" + raw + "}"
        return raw

    fields = sorted(paper.fields, key=lambda n: rank.get(n, len(rank)))
    lines = [f"@{paper.entry_type}{{{paper.key},"]
    comments = paper.comments
    for i, name in enumerate(fields):
        if name in comments:
            lines += ["  " + c for c in comments[name].split("\n")]
        comma = "," if i < len(fields) - 1 else ""
        lines.append(f"  {name:<13} = {field_value(name)}{comma}")
    if END in comments:
        lines += ["  " + c for c in comments[END].split("\n")]
    lines.append("}")
    return "\n".join(lines)


# --- inputs ------------------------------------------------------------------------------

HOSTILE_TEXT = [
    "",
    " ",
    "\t\n ",
    "\u00a0",
    "\u3000\u2028",
    "{",
    "}",
    "}{",
    "{{}}",
    "{{nested {deep} braces}}",
    "{unbalanced",
    "unbalanced}}",
    "\\",
    "\\\\",
    "a\\",
    "a\\\\",
    "\\\\\\",
    '{\\"o}',
    '\\"{o}',
    "{\\'e}t{\\'e}",
    "\\c c \\c{c} \\v{s} \\u g \\H o",
    "\\ss{} \\o \\O{} \\ae\\AE \\i \\j {\\l}",
    "\\&",
    "\\%",
    "a & b",
    "100%",
    "50\\% off",
    "# _ $ & %",
    "$x^2$",
    "$ x$",
    "$x $",
    "$$",
    "$$x$$",
    "$a$b$c$",
    "$a\\$b$",
    "cost $5 and $6",
    "$\\alpha$-rank of {BERT} & {GPT}-2",
    "$unclosed",
    "trailing $",
    "~",
    "a~b",
    "a\\~b",
    "\\~{n}",
    "\\ ",
    "x\\ y",
    "\\emph{Emph} \\textbf {bold} \\text{t}",
    "\\input{/etc/passwd}",
    "\\write18{rm -rf /}",
    "\\csname foo\\endcsname",
    "\\def\\x{y}",
    "^^5c",
    "^^^",
    "\\@tempa",
    "\\mkbibquote{quoted}",
    "\\mkbibemph{a {b} c} \\hyphen \\nbhyphen{}",
    "\\LaTeX\\ and \\TeX",
    "{\\LaTeX}: BERT and GPT",
    "MemPrompt, GPT-4, T5, mT5, iPhone, 3D, X, ABC123, a1B",
    "{GPT} and {Mem{P}rompt} and GPT",
    "}GPT{ GPT",
    "}}GPT{{ GPT",
    "\\GPT \\textBERT",
    "\x00\x01\x1c\x1d\x1e\x1f\x7f",
    "a\x1cb",
    "\x85\u2028\u2029\u200b\ufeff",
    "\ue026\ue07e\ue07f\ue080 {x}",
    "\ue026 plain",
    "Túlio Müller Ørsted Łukasz Ðorđe Þór ß æ œ ı ȷ",
    "Tu\u0301lio x\u0327 a\u034fb e\u0308\u0304",
    "ﬁ ﬂ ① ² ½ Ⅸ",
    "日本語 テキスト 中文",
    "🙂 emoji 👩‍🔬",
    "Ａｎｎ Ｌｅｅ",
    "`code` *bold* _u_ [x](y) | pipe <b> &amp; &#39; &x;",
    "1. list",
    "- item",
    "# heading",
    "> quote",
]

HOSTILE_NAMES = [
    "Meng, Kevin and Bau, David",
    "Meng, Kevin AND Bau, David",
    "Meng, Kevin\tand\nBau, David",
    "Meng, Kevin\u00a0and\u00a0Bau, David",
    "Meng, Kevin \u2028and\u3000 Bau, David",
    "and",
    " and ",
    "and and and",
    "A and and B",
    "A andB and C",
    "Sand, Andy and Anderson, Sandra",
    "{Barnes and Noble, Inc.} and Smith, J.",
    "{Barnes {and} Noble} and {Ben and Jerry}",
    "{{nested and} braces} and X",
    "}} and {{ and X",
    "{unclosed and X and Y",
    "closed} and X",
    "{,} and {, , ,}",
    ",",
    ",,,",
    ", ,",
    "Last,",
    ",First",
    "van der Berg, Jr., Jan",
    "von Last, Jr, First, Extra",
    "De Cao, Nicola and Nicola De Cao",
    "Robert L. Logan IV",
    "Logan IV",
    "Jan van der Berg",
    "Jan de la Fontaine",
    "de la Fontaine",
    "Madonna",
    "  Spaced   Out  Name  ",
    'M{\\"u}ller, Thomas and {\\O}rsted, Hans',
    "{\\'E}mile Zola and Zola, {\\'E}mile",
    'J{\\"o}rg {von} Neumann',
    "{Kevin Meng}",
    "{Kevin} {Meng}",
    "Kevin {Meng, Jr.}",
    "others",
    "Others",
    "Meng, Kevin and others",
    "Meng, Kevin and OTHERS",
    "Túlio Ribeiro and Müller, Jürgen",
    "日本 太郎 and 中文 名",
    "\\relax and {\\",
    "\x00 and \x1c",
]

HOSTILE_URLS = [
    "",
    " ",
    "\t",
    "https://example.org",
    "https://example.org/",
    "http://example.org/path?q=1#frag",
    "https://arxiv.org/abs/2202.05262",
    "https://github.com/kmeng01/rome",
    "https://example.org:8080/x",
    "https://example.org:/x",
    "https://example.org:port/x",
    "https://:80/",
    "https://",
    "https:///path",
    "http:/example.org",
    "http:example.org",
    "//example.org/x",
    "example.org",
    "HTTP://EXAMPLE.ORG",
    "Https://example.org",
    "hTTp://example.org/",
    "ftp://example.org",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "JavaScript://example.org/%0aalert(1)",
    "javascript://%0Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://user:pass@example.org/",
    "https://user@example.org",
    "https://@example.org",
    "https://[::1]/",
    "https://[::1]:8080/x",
    "https://[::1/",
    "https://[host/x",
    "https://host]/x",
    "https://[fe80::1%25eth0]/",
    "https://[not-ipv6]/",
    "https://exa[mple.org/",
    "https://example.org/pa[th]",
    "https://example.org/a b",
    "https://example.org/a%20b",
    " https://example.org",
    "https://example.org ",
    "https://example.org\n",
    "https://exa\tmple.org",
    "https://exa\nmple.org",
    "https://example.org/\x1c",
    "https://example.org/\x85",
    "https://example.org/\u00a0",
    "https://example.org/\u2028",
    "https://example.org/\u200b",
    "https://example.org/\x7f",
    "https://example.org/\x00",
    "\x00https://example.org",
    "\x01https://example.org",
    "\x1chttps://example.org",
    "https://bücher.example/",
    "https://xn--bcher-kva.example/",
    "https://例子.测试/",
    "https://exa\u2100mple.org/",
    "https://exa\uff0fmple.org/",
    "https://example.org/日本",
    "https://example.org/\\evil",
    "https://example.org\\@evil.com/",
    "https://example.org?x",
    "https://example.org#x",
    "https://example.org;x",
    "https://exa_mple.org/",
    "https://-.-/",
    "https://.../",
    "http://a",
    "https://example.org/(paren)<lt>",
    "https://example.org/{brace}",
    "https://example.org/%7Bbrace%7D",
]


def _strings(text: str) -> Iterator[str]:
    doc = bibread.parse(text)
    for paper in doc.papers:
        yield from paper.fields.values()
        yield from paper.raw.values()
        yield from paper.inherited.values()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> str:
    """`python bench/make_bib.py 2000`, its parse cache in a folder of its own."""
    home = tmp_path_factory.mktemp("make_bib")
    env = {**os.environ, "XDG_CACHE_HOME": str(home / "cache"), "KE_PAPERS_NO_CACHE": "1"}
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "make_bib.py"), "2000"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        check=True,
    )
    return out.stdout


@pytest.fixture(scope="module")
def papers(generated: str) -> list[Paper]:
    """Every entry of data/papers.bib and of the generated list, and a few hostile ones."""
    hostile = [
        Paper(
            key=f"hostile{i}",
            entry_type="article",
            fields={
                "title": title,
                "author": author,
                "venue": title,
                "journal": "arXiv preprint",
                "eprint": "2202.05262",
                "links": "; ".join(f"l{j}: {u}" for j, u in enumerate(HOSTILE_URLS[i::7])),
            },
        )
        for i, (title, author) in enumerate(zip(HOSTILE_TEXT, HOSTILE_NAMES, strict=False))
    ]
    with_urls = [
        Paper(key=f"url{i}", entry_type="misc", fields={"title": "T", "url": url})
        for i, url in enumerate(HOSTILE_URLS)
    ]
    real = bibread.read(DATA_BIB).papers + bibread.parse(generated).papers
    return [*real, *hostile, *with_urls]


@pytest.fixture(scope="module")
def corpus(generated: str) -> list[str]:
    """Every field value (decoded and raw) of both lists, seed lines, and hostile strings."""
    found = {
        *_strings(DATA_BIB.read_text(encoding="utf-8")),
        *_strings(generated),
        *seed_text().splitlines(),
        *HOSTILE_TEXT,
        *HOSTILE_NAMES,
        *HOSTILE_URLS,
    }
    found |= {latex.escape_text(s) for s in list(found)}  # the same, as BibTeX values
    return sorted(found)


def _same(fast: Callable[[str], object], ref: Callable[[str], object], inputs: list[str]) -> None:
    wrong = [(s, fast(s), ref(s)) for s in inputs if fast(s) != ref(s)]
    assert not wrong, wrong[:5]


# --- real and hostile inputs --------------------------------------------------------------


def test_corpus_is_broad(corpus: list[str], papers: list[Paper]) -> None:
    """The comparisons below run over thousands of values, markup and hostile text among them."""
    assert len(corpus) > 10_000 and len(papers) > 2_000
    assert sum("{" in s for s in corpus) > 200 and sum("\\" in s for s in corpus) > 100
    assert sum(not s.isascii() for s in corpus) > 100


@pytest.mark.parametrize("sep", [names._AND, names._COMMA, names._SPACE], ids=["and", ",", " "])
def test_split_top(corpus: list[str], sep: re.Pattern[str]) -> None:
    _same(lambda s: names._split_top(s, sep), lambda s: ref_split_top(s, sep), corpus)


def test_names(corpus: list[str]) -> None:
    _same(names.split_authors, ref_split_authors, corpus)
    _same(names.parse, ref_parse, corpus)
    _same(names.from_display, ref_from_display, corpus)
    _same(lambda s: names.parse(s).display, lambda s: ref_display(ref_parse(s)), corpus)
    names._display.cache_clear()
    _same(names.display_names, ref_display_names, corpus)
    _same(names.display_names, ref_display_names, corpus)  # again, now from the cache


def test_url_problem(corpus: list[str]) -> None:
    _same(urls.problem, ref_problem, corpus)
    assert {urls.problem(u) for u in HOSTILE_URLS} == {None, "bad-url", "empty-url"}


def test_latex(corpus: list[str]) -> None:
    _same(latex.to_text, ref_to_text, corpus)
    _same(latex.escape, ref_escape, corpus)
    _same(latex.escape_text, ref_escape_text, corpus)
    _same(latex.defang, ref_defang, corpus)
    _same(latex.brace_acronyms, ref_brace_acronyms, corpus)
    _same(latex.fold, ref_fold, corpus)
    _same(latex.to_ascii, ref_to_ascii, corpus)
    _same(latex.from_text, lambda s: ref_brace_acronyms(ref_escape_text(s)), corpus)


def test_markdown(corpus: list[str], papers: list[Paper]) -> None:
    _same(markdown.escape_text, ref_md_escape_text, corpus)
    wrong = [p.key for p in papers if markdown.entry_body(p) != ref_entry_body(p)]
    assert not wrong, wrong[:5]
    assert any("[[" not in ref_entry_body(p) for p in papers if p.key.startswith("url"))


def test_format_entry(papers: list[Paper]) -> None:
    wrong = [p.key for p in papers if bibtex.format_entry(p) != ref_format_entry(p)]
    assert not wrong, wrong[:5]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"full": True},
        {"ascii_only": True},
        {"biblatex": True},
        {"full": True, "ascii_only": True, "biblatex": True},
    ],
)
def test_cite_bibtex(
    papers: list[Paper], options: dict[str, bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole export, once with the fast functions and once with the references."""
    fast = cite.bibtex(papers, **options)
    for name, ref in (
        ("escape", ref_escape),
        ("defang", ref_defang),
        ("brace_acronyms", ref_brace_acronyms),
        ("to_ascii", ref_to_ascii),
        ("format_entry", ref_format_entry),
    ):
        monkeypatch.setattr(cite, name, ref)
    assert fast == cite.bibtex(papers, **options)


# --- random text from the characters that matter ------------------------------------------

MARKUP = list("{}\\$&%#_~^ ,.-:;/?@[]()`*|<>'\"=aAnNdDzZ09\t\n")
SPACES = ["\u00a0", "\u2028", "\u3000", "\x1c", "\x1f", "\x85", "\x0b", "\x0c", "\r"]
ODD = ["\x00", "\x7f", "\u0301", "\u034f", "ü", "é", "ø", "ß", "日", "\ue026", "\ue07f", "🙂"]
WORDS = [" and ", " AND ", "and", "others", "GPT", "MemPrompt", "\\emph", '\\"o', "\\^^", "^^"]
PIECES = st.sampled_from(MARKUP + SPACES + ODD + WORDS)
TEXT = st.lists(PIECES, max_size=40).map("".join)
URL_START = st.sampled_from(
    ["http://", "https://", "HTTP://", "https:", "https:/", "javascript:", "", " https://"]
)
URL_PIECES = st.sampled_from(
    [*list("aZ09.-:@[]/?#%{}\\~!$&'()*+,;=_`|^<>\""), *SPACES, *ODD, "example.org", "::1"]
)
URL = st.tuples(URL_START, st.lists(URL_PIECES, max_size=20).map("".join)).map("".join)
MANY = settings(max_examples=1500, deadline=None)


@MANY
@given(TEXT)
def test_random_names(text: str) -> None:
    for sep in (names._AND, names._COMMA, names._SPACE):
        assert names._split_top(text, sep) == ref_split_top(text, sep)
    assert names.parse(text) == ref_parse(text)
    assert names.from_display(text) == ref_from_display(text)
    assert names.display_names(text) == ref_display_names(text)


@MANY
@given(TEXT)
def test_random_latex_and_markdown(text: str) -> None:
    assert latex.to_text(text) == ref_to_text(text)
    assert latex.escape(text) == ref_escape(text)
    assert latex.escape_text(text) == ref_escape_text(text)
    assert latex.defang(text) == ref_defang(text)
    assert latex.brace_acronyms(text) == ref_brace_acronyms(text)
    assert latex.fold(text) == ref_fold(text)
    assert latex.to_ascii(text) == ref_to_ascii(text)
    assert markdown.escape_text(text) == ref_md_escape_text(text)


@MANY
@given(URL)
def test_random_urls(url: str) -> None:
    assert urls.problem(url) == ref_problem(url)
    link = Paper(key="k", entry_type="misc", fields={"title": "T", "links": f"code: {url}"})
    assert markdown.entry_body(link) == ref_entry_body(link)


def test_link_labels_and_order_survive() -> None:
    """Bad links drop out of an entry without moving the good ones around them."""
    paper = Paper(key="k", entry_type="misc", fields={"title": "T", "url": "https://a.org/x y"})
    paper.__dict__["extra_links"] = [
        Link("code", "javascript:alert(1)"),
        Link("page", "https://b.org/(1)"),
        Link("demo", "HTTPS://C.ORG"),
    ]
    assert markdown.entry_body(paper) == ref_entry_body(paper)
    assert markdown.entry_body(paper).splitlines()[-1] == (
        "[[paper](https://a.org/x%20y)] [[page](https://b.org/%281%29)] [[demo](HTTPS://C.ORG)]"
    )
