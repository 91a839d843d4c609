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


def parse(label: str) -> Venue:
    """`ACL 2022 Findings`, `ACL2023 Findings`, `NeurIPS 2022` -> its name, year and kind."""
    m = _LABEL.match(label)
    if not m:
        return Venue(label=label, name=label.strip(), year=None, findings=False)
    findings = "findings" in label.casefold()
    name = m["name"].replace("Findings of", "").replace("Findings", "").strip() or m["name"]
    return Venue(label=label, name=name, year=int(m["year"]), findings=findings)
