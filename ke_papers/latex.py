"""BibTeX/LaTeX text <-> plain Unicode text.

The bib file stores values as BibTeX would read them (braces, `\\&`, accents as
commands or UTF-8); people and Markdown want plain text. Both directions live here
so that every renderer agrees on what a title "is".
"""

from __future__ import annotations

import re
import unicodedata

_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
}
_COMBINING_TO_ACCENT = {v: k for k, v in _ACCENTS.items()}

_LETTERS = {
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
    "dh": "ð",
    "DH": "Ð",
    "th": "þ",
    "TH": "Þ",
}
_LETTER_COMMANDS = {v: k for k, v in _LETTERS.items() if k not in ("i", "j")}

#: Characters that mean something to LaTeX and must be escaped in a value.
SPECIALS = "&%#_$"

#: A letter command an accent can stand on (`\\i`, `\\o`, `\\ss`); unbraced, the spaces after
#: it go, as TeX skips them after a control word (`Mart\\'\\i n` is `Martín`).
_CMD_BASE = r"\\(?:ss|ae|AE|oe|OE|aa|AA|[ijoOlL])(?![A-Za-z])"
_ACCENT_CMD = re.compile(
    rf"""\\(['`^"~=.])\s*(?:\{{\s*({_CMD_BASE}|[A-Za-z])\s*(?:\{{\}})?\s*\}}|({_CMD_BASE})\s*|([A-Za-z]))"""
    rf"""|\\([uvHckrdb])(?:\s*\{{\s*({_CMD_BASE}|[A-Za-z])\s*(?:\{{\}})?\s*\}}|\s+([A-Za-z])"""
    rf"""|\s*({_CMD_BASE})\s*)"""
)
#: The dotless letters LaTeX puts an accent on (`\\'\\i`): accented, they are `í` and `ĵ`.
_DOTTED = {"i": "i", "j": "j"}
_LETTER_CMD = re.compile(
    r"\\(ss|ae|AE|oe|OE|aa|AA|dh|DH|th|TH|o|O|l|L|i|j)(?![A-Za-z])\s*(?:\{\})?"
)
_ESCAPED = re.compile(r"\\([&%#_$\{\}])")
_TEXT_CMD = re.compile(r"\\(?:emph|textbf|textit|textsc|textrm|texttt|mbox|textsf|text)\s*(?=\{)")
_OTHER_CMD = re.compile(r"\\[A-Za-z]+\s*")
_PRIVATE = 0xE000
_HIDDEN = re.compile("[\ue000-\ue07f]")


#: `squeeze` works a piece of about this many characters at a time.
_SQUEEZE_PIECE = 1 << 20
_SPACE = re.compile(r"\s")


def squeeze(text: str) -> str:
    """`" ".join(text.split())`, without a list of every word at once: a 50 MB field
    would make millions of strings, ten times its size. Pieces are cut at a space."""
    if len(text) <= _SQUEEZE_PIECE:
        return " ".join(text.split())
    parts = []
    pos = 0
    while pos < len(text):
        m = _SPACE.search(text, pos + _SQUEEZE_PIECE)
        end = m.start() if m else len(text)
        part = " ".join(text[pos:end].split())
        if part:
            parts.append(part)
        pos = end
    return " ".join(parts)


def _accent(mark: str, letter: str) -> str:
    if letter.startswith("\\"):
        letter = _DOTTED.get(letter[1:]) or _LETTERS[letter[1:]]
    return unicodedata.normalize("NFC", letter + _ACCENTS[mark])


def to_text(value: str) -> str:
    """Plain Unicode text of a BibTeX value: no braces, no commands, one space between words."""
    if "\\" in value:
        value = _ACCENT_CMD.sub(_accented, value)
        value = _LETTER_CMD.sub(_letter, value)
        value = _TEXT_CMD.sub("", value)
        value = value.replace("\\\\", " ").replace("~", "\u00a0").replace("\\ ", " ")
        # Escaped specials hide in private-use characters while braces and commands go.
        value = _ESCAPED.sub(_hidden, value)
        value = _OTHER_CMD.sub("", value)
    elif "{" in value or "~" in value:  # no command to read: only ties and braces go
        value = value.replace("~", "\u00a0")
    else:
        return squeeze(value)
    value = value.replace("{", "").replace("}", "").replace("\u00a0", " ")
    value = _HIDDEN.sub(_shown, value)
    return squeeze(value)


def _accented(m: re.Match[str]) -> str:
    return _accent(m[1] or m[5], m[2] or m[3] or m[4] or m[6] or m[7] or m[8])


def _letter(m: re.Match[str]) -> str:
    return _LETTERS[m[1]]


def _hidden(m: re.Match[str]) -> str:
    return chr(_PRIVATE + ord(m[1]))


def _shown(m: re.Match[str]) -> str:
    return chr(ord(m[0]) - _PRIVATE)


def escape(text: str) -> str:
    """Escape LaTeX specials in plain text, leaving what is already escaped and `$math$` alone."""
    if not _NEEDS_ESCAPE.search(text):
        return text
    return _ESCAPE_TOKEN.sub(_escaped, text)


_SPECIAL = "[" + re.escape(SPECIALS) + "]"
_NEEDS_ESCAPE = re.compile(r"[\\" + re.escape(SPECIALS) + "]")
#: What `escape` changes or keeps, left to right: a backslash and the character after it, a
#: backslash that ends the text, `$math$` (no `$` inside, no space just inside either `$`),
#: and a special.
_ESCAPE_TOKEN = re.compile(r"\\[\s\S]|\\\Z|\$[^\s$](?:[^$]*[^\s$])?\$|" + _SPECIAL)


def _escaped(m: re.Match[str]) -> str:
    token = m[0]
    if token == "\\":  # a lone backslash at the end would escape the value's closing brace
        return "\\textbackslash{}"
    if len(token) > 1:  # already escaped, or math
        return token
    return "\\" + token


#: Commands titles, names and abstracts really use: accents, letters, text styles, logos
#: and math. Every other command in untrusted text is shown, not run (`defang`).
_SAFE = """u v H c k r d b t ss o O ae AE oe OE aa AA l L i j dh DH th TH
    emph textbf textit textsc textrm texttt textsf textsl textup text mbox textsuperscript
    textsubscript textendash textemdash textquoteleft textquoteright textquotedblleft
    textquotedblright textasciitilde textasciicircum textbackslash textbar textless
    textgreater textunderscore ldots dots cdots LaTeX TeX BibTeX
    alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu
    xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta
    Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega mathcal mathbb mathbf mathrm mathit mathsf
    mathtt mathfrak boldsymbol bm operatorname frac tfrac dfrac sqrt sum prod int oint log
    exp sin cos tan min max arg argmin argmax lim inf sup det ell infty partial nabla le ge leq
    geq neq ne ll gg approx sim simeq cong equiv propto times cdot circ star ast pm mp div
    to rightarrow leftarrow leftrightarrow Rightarrow Leftarrow Leftrightarrow mapsto
    longrightarrow in notin ni subset subseteq supset supseteq cup cap setminus emptyset
    forall exists neg lnot land lor wedge vee oplus otimes odot left right big Big bigg Bigg
    langle rangle lvert rvert lVert rVert mid vert Vert top bot perp parallel hat tilde bar
    vec dot ddot overline underline widehat widetilde prime quad qquad colon url href
    nolinkurl"""
SAFE_COMMANDS = frozenset(_SAFE.split())
_COMMAND = re.compile(r"\\([A-Za-z@]+)")


def defang(value: str) -> str:
    """Untrusted LaTeX made harmless: a command that is not a known text or math command
    (`\\input`, `\\write`, `\\catcode`, `\\csname`, `\\def`, ...) prints as text instead of running."""
    value = value.replace(
        "^^", "\\textasciicircum{}\\textasciicircum{}"
    )  # TeX's ^^5c is a backslash
    if "\\" not in value:
        return value
    return _COMMAND.sub(_defanged, value)


def _defanged(m: re.Match[str]) -> str:
    return m[0] if m[1] in SAFE_COMMANDS else "\\textbackslash{}" + m[1]


def escape_text(text: str) -> str:
    """BibTeX value for plain text: LaTeX specials and braces escaped."""
    if "{" in text or "}" in text:
        text = _BRACE.sub(_backslashed, text)
    return escape(text)


_BRACE = re.compile(r"(?<!\\)[{}]")


def _backslashed(m: re.Match[str]) -> str:
    """`\\` and the match: a function, as a template would be expanded in Python per match."""
    return "\\" + m[0]


def from_text(text: str) -> str:
    """BibTeX value for a plain-text title: escaped, and acronyms braced."""
    return brace_acronyms(escape_text(text))


def to_ascii(value: str) -> str:
    """Write non-ASCII letters as LaTeX accent commands (`T{\\'u}lio`) for old toolchains."""
    if value.isascii():
        return value
    out: list[str] = []
    for ch in value:
        if ord(ch) < 128:
            out.append(ch)
            continue
        if ch in _LETTER_COMMANDS:
            out.append("{\\" + _LETTER_COMMANDS[ch] + "}")
            continue
        decomposed = unicodedata.normalize("NFD", ch)
        base, marks = decomposed[0], decomposed[1:]
        if base.isascii() and marks and all(m in _COMBINING_TO_ACCENT for m in marks):
            inner = "\\i" if base == "i" and marks else base
            for mark in marks:
                cmd = _COMBINING_TO_ACCENT[mark]
                sep = " " if cmd.isalpha() and not inner.startswith("{") else ""
                inner = f"\\{cmd}{sep}{inner}" if cmd.isalpha() else f"\\{cmd}{inner}"
            out.append("{" + inner + "}")
        else:
            out.append(ch)
    return "".join(out)


#: A word (a run of ASCII letters and digits) with a capital after its first letter.
_CAPPED_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9][a-z0-9]*[A-Z][A-Za-z0-9]*")


def brace_acronyms(title: str) -> str:
    """Brace words with capitals after their first letter (`{GPT}`, `{MemPrompt}`).

    BibTeX styles lowercase titles; braces keep acronyms and names as written.
    Words already inside braces, or naming a command (`\\LaTeX`), are left alone.
    """
    out: list[str] = []
    depth = 0
    counted = copied = 0
    for m in _CAPPED_WORD.finditer(title):
        start, end = m.span()
        depth += title.count("{", counted, start) - title.count("}", counted, start)
        counted = end
        if depth == 0 and not (start and title[start - 1] == "\\"):
            out += (title[copied:start], "{", m[0], "}")
            copied = end
    if not copied:
        return title
    out.append(title[copied:])
    return "".join(out)


#: Dotless i and j fold to the letters people type for them.
_DOTLESS = str.maketrans("ıȷ", "ij")


def fold(text: str) -> str:
    """Lowercase ASCII-folded text: `Túlio` and `tulio` compare equal (a dotless i or j
    folds to i or j)."""
    if text.isascii():
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text).translate(_DOTLESS)
    for ch in set(decomposed):  # each mark goes in one C-level pass, not a test per character
        if unicodedata.combining(ch):
            decomposed = decomposed.replace(ch, "")
    return decomposed.casefold()


#: biblatex's text commands and what plain LaTeX writes for them (BibTeX output has no biblatex).
_BIBLATEX_COMMANDS = {
    "mkbibquote": "``{}''",
    "enquote": "``{}''",
    "mkbibemph": "\\emph{{{}}}",
    "mkbibitalic": "\\textit{{{}}}",
    "mkbibbold": "\\textbf{{{}}}",
    "mkbibacro": "\\textsc{{{}}}",
    "mkbibparens": "({})",
    "mkbibbrackets": "[{}]",
    "mkbibsuperscript": "\\textsuperscript{{{}}}",
    "autocap": "{}",
}
_BIBLATEX_CALL = re.compile(
    r"\\(" + "|".join(_BIBLATEX_COMMANDS) + r")\*?\s*\{((?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)\}"
)
_BIBLATEX_HYPHEN = re.compile(r"\\(?:nb)?hyphen(?![A-Za-z])\s*(?:\{\})?")


def without_biblatex(value: str) -> str:
    """A value with biblatex's own text commands (`\\mkbibquote{...}`, `\\hyphen`) in plain
    LaTeX, for a document built with BibTeX, where they are undefined."""
    if "\\" not in value:
        return value
    value = _BIBLATEX_HYPHEN.sub("-", value)
    return _BIBLATEX_CALL.sub(lambda m: _BIBLATEX_COMMANDS[m[1]].format(m[2]), value)
