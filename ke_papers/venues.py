"""Venue labels (`NeurIPS 2022`, `ACL 2022 Findings`) and what BibTeX needs for them.

The list shows the short label; a citation needs the entry type and the full
`booktitle` or `journal`. Unknown venues still cite, with the label as booktitle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LABEL = re.compile(
    r"^\s*(?P<name>[A-Za-z][A-Za-z&\- ]*?)\s*(?P<year>(?:19|20)\d\d)\b(?P<rest>.*)$"
)

# name -> (entry type, title template); {year} and {nth} (ordinal edition) are filled in.
_KNOWN: dict[str, tuple[str, str]] = {
    "ACL": (
        "inproceedings",
        "Proceedings of the {nth} Annual Meeting of the Association for Computational Linguistics",
    ),
    "EMNLP": (
        "inproceedings",
        "Proceedings of the {year} Conference on Empirical Methods in Natural Language Processing",
    ),
    "NAACL": (
        "inproceedings",
        "Proceedings of the {year} Conference of the North American Chapter of the Association "
        "for Computational Linguistics: Human Language Technologies",
    ),
    "EACL": (
        "inproceedings",
        "Proceedings of the {year} Conference of the European Chapter of the Association "
        "for Computational Linguistics",
    ),
    "COLING": (
        "inproceedings",
        "Proceedings of the International Conference on Computational Linguistics (COLING {year})",
    ),
    "NEURIPS": ("inproceedings", "Advances in Neural Information Processing Systems"),
    "NIPS": ("inproceedings", "Advances in Neural Information Processing Systems"),
    "ICML": (
        "inproceedings",
        "Proceedings of the {nth} International Conference on Machine Learning",
    ),
    "ICLR": ("inproceedings", "International Conference on Learning Representations"),
    "AAAI": ("inproceedings", "Proceedings of the AAAI Conference on Artificial Intelligence"),
    "IJCAI": (
        "inproceedings",
        "Proceedings of the International Joint Conference on Artificial Intelligence",
    ),
    "CVPR": (
        "inproceedings",
        "Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition",
    ),
    "TACL": ("article", "Transactions of the Association for Computational Linguistics"),
    "TMLR": ("article", "Transactions on Machine Learning Research"),
    "JMLR": ("article", "Journal of Machine Learning Research"),
}
# Year of each series' first edition, for "the 60th Annual Meeting".
_FIRST_EDITION = {"ACL": 1963, "ICML": 1984}
_FINDINGS = "Findings of the Association for Computational Linguistics: {name} {year}"


@dataclass(frozen=True)
class Venue:
    label: str
    name: str
    year: int | None
    findings: bool

    @property
    def entry_type(self) -> str:
        return _KNOWN.get(self.name.upper(), ("inproceedings", ""))[0]

    @property
    def container(self) -> str:
        """The full booktitle (or journal) BibTeX styles print."""
        key = self.name.upper()
        if self.findings and self.year:
            return _FINDINGS.format(name=self.name, year=self.year)
        if key not in _KNOWN or self.year is None:
            return self.label
        template = _KNOWN[key][1]
        nth = ""
        if key in _FIRST_EDITION:
            nth = ordinal(self.year - _FIRST_EDITION[key] + 1)
        return template.format(year=self.year, nth=nth)


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


#: Venue names as people spell them; a label's name is written this way (`Neurips` -> `NeurIPS`).
_NAMES = (
    *("ACL", "AACL", "EACL", "NAACL", "EMNLP", "COLING", "CoNLL", "LREC", "TACL", "IJCNLP"),
    *("SIGIR", "SIGDIAL", "KDD", "WWW", "WSDM", "CIKM", "NeurIPS", "NIPS", "ICML", "ICLR"),
    *("AAAI", "IJCAI", "CVPR", "ICCV", "ECCV", "WACV", "BMVC", "TMLR", "JMLR", "TPAMI", "TKDE"),
    *("TNNLS", "UAI", "AISTATS", "COLT", "COLM", "ICASSP", "Interspeech", "ACMMM", "MM"),
    *("ICDE", "ICDM", "SDM", "ECIR", "ECAI", "NLPCC", "CCL"),
)
_SPELLING = {name.casefold(): name for name in _NAMES}
#: The words after a label that only say which track (`EMNLP 2023 Main Conference Paper`).
_TRACK = re.compile(
    r"(?:[\s,]+\(?(?:main(?:\s+(?:conference|track))?|conference|proceedings|paper|long|short|"
    r"oral|poster|spotlight|accepted|camera[- ]ready)\)?)+\s*$",
    re.IGNORECASE,
)
_PREFIX = re.compile(
    r"^(?:(?:published|accepted|appears?)(?:\s+(?:in|at|by|to))?|in)\s+|"
    r"(?<=^findings of )the association for computational linguistics:\s*",
    re.IGNORECASE,
)
_FINDINGS_OF = re.compile(r"^findings\s+of\s+(?:the\s+)?(?P<rest>.+)$", re.IGNORECASE)
_GLUED = re.compile(r"\b(?P<name>[A-Za-z]{2,})[\s'’]*(?P<year>(?:19|20)\d\d|'?\d\d)\b")
_FINDINGS_FIRST = re.compile(r"^(?P<name>.+?)\s+findings\s+(?P<year>(?:19|20)\d\d)$", re.I)
_PREPRINT = re.compile(r"^(?:arxiv|preprint|arxiv preprint|corr|openreview|-+|n/?a|none)$", re.I)
#: A label: a venue name, maybe a year, maybe a kind of track.
_IS_LABEL = re.compile(
    r"^(?P<name>[A-Za-z][\w&\-]*)(?:\s+(?P<year>(?:19|20)\d\d))?"
    r"(?:\s+(?:findings|workshops?|demo(?:nstrations?)?|industry(?:\s+track)?))?$",
    re.IGNORECASE,
)
_ACRONYM = re.compile(r"^[A-Z][A-Za-z&\-]*[A-Z]")


def normalise(label: str) -> str:
    """A venue label as the list writes it: `EMNLP2023` -> `EMNLP 2023`, `Findings of EMNLP
    2023` -> `EMNLP 2023 Findings`, `Neurips 2021` -> `NeurIPS 2021`, tracks dropped;
    '' for a preprint (`arXiv`)."""
    text = re.sub(r"\s*\(\s*(findings|workshops?)\s*\)", r" \1", label, flags=re.IGNORECASE)
    text = " ".join(text.replace("’", "'").split()).strip(" .,;:()[]（）")
    if _PREPRINT.match(text):
        return ""
    text = _PREFIX.sub("", _PREFIX.sub("", text))
    text = _TRACK.sub("", text).strip(" .,;:")
    text = re.sub(r"\b((?:19|20)\d\d)[./-]\d{1,2}\b", r"\1", _GLUED.sub(_spaced, text))
    findings = _FINDINGS_OF.match(text)
    if findings:
        text = f"{findings['rest']} Findings"
    first = _FINDINGS_FIRST.match(text)
    if first:
        text = f"{first['name']} {first['year']} Findings"
    return " ".join(_SPELLING.get(word.casefold(), word) for word in text.split())


def _spaced(m: re.Match[str]) -> str:
    year = m["year"].lstrip("'")
    return f"{m['name']} {year if len(year) == 4 else '20' + year}"


def is_label(text: str) -> bool:
    """Whether text is a venue label (`ACL 2023`, `NeurIPS'22 Oral`) rather than a title."""
    m = _IS_LABEL.match(normalise(text))
    if not m:
        return False
    return m["name"].casefold() in _SPELLING or bool(m["year"] and _ACRONYM.match(m["name"]))


_AT_END = re.compile(
    r"^(?P<title>.+?)(?:\s*,\s*|\s+[(（]\s*|\s+[-–—|]\s+)(?P<label>[^,()（）]{2,60}?)\s*[)）]?\s*$"
)


def split_title(text: str) -> tuple[str, str]:
    """A title with a venue label glued to its end (`Title, EMNLP 2023 Main Conference Paper`,
    `Title (Published in Findings of EMNLP 2024)`) -> (title, normalised label); else (text, '')."""
    m = _AT_END.match(text)
    if m and re.search(r"(?:19|20)\d\d", normalise(m["label"])) and is_label(m["label"]):
        return m["title"], normalise(m["label"])
    return text, ""


def is_preprint(text: str) -> bool:
    """`arXiv`, `preprint`, `-`: a table's venue cell that names no venue."""
    return bool(_PREPRINT.match(" ".join(text.split()).strip(" .,;:()")))


def parse(label: str) -> Venue:
    """`ACL 2022 Findings`, `ACL2023 Findings`, `NeurIPS 2022` -> its name, year and kind."""
    m = _LABEL.match(label)
    if not m:
        return Venue(label=label, name=label.strip(), year=None, findings=False)
    findings = "findings" in label.casefold()
    name = m["name"].replace("Findings of", "").replace("Findings", "").strip() or m["name"]
    return Venue(label=label, name=name, year=int(m["year"]), findings=findings)
