"""Realistic bib files of any size, derived from data/papers.bib and the recorded arXiv feeds.

Titles, authors, abstracts, links, sections and venues are recombined from real
records; every entry gets a unique key, arXiv ID and title; venues go through
`@string` macros as many real bibliographies do. No network.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path
from xml.etree import ElementTree

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "arxiv"
ATOM = "{http://www.w3.org/2005/Atom}"
STRINGS = {
    "emnlp": "Proceedings of the Conference on Empirical Methods in Natural Language Processing",
    "acl": "Proceedings of the Annual Meeting of the Association for Computational Linguistics",
    "neurips": "Advances in Neural Information Processing Systems",
    "iclr": "International Conference on Learning Representations",
}


def arxiv_records() -> list[dict[str, object]]:
    """Title, authors and abstract of every entry in the recorded search feeds."""
    records = []
    for path in sorted(FIXTURES.glob("q_testing_*.json")):
        body = json.loads(path.read_text(encoding="utf-8"))["body"].encode("latin-1")
        for entry in ElementTree.fromstring(body).iter(f"{ATOM}entry"):
            title = " ".join((entry.findtext(f"{ATOM}title") or "").split())
            names = [a.findtext(f"{ATOM}name") or "" for a in entry.iter(f"{ATOM}author")]
            abstract = " ".join((entry.findtext(f"{ATOM}summary") or "").split())
            if title and names:
                records.append({"title": title, "authors": names, "abstract": abstract})
    return records


def seed_papers() -> list[dict[str, str]]:
    sys.path.insert(0, str(REPO))
    from ke_papers.usecases.reading import open_catalog

    return [dict(p.fields) for p in open_catalog(REPO / "data" / "papers.bib")]


def _clean(text: str) -> str:
    return " ".join(re.sub(r"[{}\\%&#$_]", " ", text).split())


def make(n: int, seed: int = 7) -> str:
    from ke_papers import keys, names

    rng = random.Random(seed)
    records = arxiv_records()
    papers = seed_papers()
    taken: set[str] = set()
    sections = sorted({p.get("taxonomy", "Overview") for p in papers})
    out = [f'@string{{{k} = "{v}"}}' for k, v in STRINGS.items()]
    for i in range(n):
        base = papers[i % len(papers)]
        record = records[rng.randrange(len(records))]
        words = _clean(str(record["title"])).split()
        rng.shuffle(words)
        title = " ".join(words[:12]) + f" {i}"
        people = [_clean(a) for a in list(record["authors"])[:6]]
        authors = names.author_field(people)
        key = keys.unique(
            keys.base_key([names.from_display(people[0])], 2015 + i % 10, title), taken
        )
        taken.add(key)
        year = 2015 + i % 10
        arxiv = f"{year % 100:02d}{1 + i % 12:02d}.{10000 + i % 90000:05d}"
        venue_key = rng.choice([*STRINGS, None, None])
        fields = [
            f"  title         = {{{title}}}",
            f"  author        = {{{authors}}}",
        ]
        if venue_key:
            fields.append(f"  booktitle     = {venue_key}")
        else:
            fields.append(f"  journal       = {{arXiv preprint arXiv:{arxiv}}}")
        fields += [
            f"  year          = {{{year}}}",
            f"  eprint        = {{{arxiv}}}",
            "  archiveprefix = {arXiv}",
        ]
        if venue_key:
            fields.append(f"  venue         = {{{venue_key.upper()} {year}}}")
        fields += [
            f"  taxonomy      = {{{rng.choice(sections)}}}",
            f"  keywords      = {{{base.get('keywords', 'editing')}}}",
            f"  links         = {{code: https://github.com/lab{i % 97}/repo{i}}}",
        ]
        if i % 3 == 0:  # about a third of real bibliography entries carry an abstract
            fields.append(f"  abstract      = {{{_clean(str(record['abstract']))}}}")
        kind = "inproceedings" if venue_key else "article"
        out.append(f"@{kind}{{{key},\n" + ",\n".join(fields) + "\n}")
    return "\n\n".join(out) + "\n"


VOLUMES = [
    "Proceedings of the 60th Annual Meeting of the Association for Computational Linguistics (Volume 1: Long Papers)",
    "Proceedings of the 2023 Conference on Empirical Methods in Natural Language Processing",
    "Findings of the Association for Computational Linguistics: NAACL 2022",
    "Proceedings of the Eighth Conference on Machine Translation",
]


def make_anthology(n: int, seed: int = 11) -> str:
    """A bib shaped like the ACL Anthology's own export: quoted values, tab-aligned,
    author lists of up to twenty names one a line, a month macro, no list fields."""
    rng = random.Random(seed)
    records = arxiv_records()
    out = []
    for i in range(n):
        record = records[rng.randrange(len(records))]
        words = _clean(str(record["title"])).split()
        rng.shuffle(words)
        title = " ".join(words[:14]) + f" {i}"
        people = [_clean(a) for a in list(record["authors"])]
        people = (people * 4)[: rng.randrange(1, 21)]
        authors = "  and\n\t  ".join(
            f"{p.split()[-1]}, {' '.join(p.split()[:-1])}" if " " in p else p for p in people
        )
        year = 2000 + i % 24
        key = f"{people[0].split()[-1].lower()}-etal-{year}-w{i}"
        volume = VOLUMES[i % len(VOLUMES)]
        fields = [
            f'\ttitle = "{title}"',
            f'\tauthor = "{authors}"',
            f'\tbooktitle = "{volume}"',
            f"\tmonth = {['jan', 'may', 'jul', 'dec'][i % 4]}",
            f'\tyear = "{year}"',
            '\taddress = "Online"',
            '\tpublisher = "Association for Computational Linguistics"',
            f'\turl = "https://aclanthology.org/{year}.acl-long.{i}"',
            f'\tdoi = "10.18653/v1/{year}.acl-long.{i}"',
            f'\tpages = "{i % 900 + 1}--{i % 900 + 12}"',
        ]
        if i % 2 == 0:
            fields.append(f'\tabstract = "{_clean(str(record["abstract"]))}"')
        out.append(f"@inproceedings{{{key},\n" + ",\n".join(fields) + ",\n}")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    shape = sys.argv[2] if len(sys.argv) > 2 else "list"
    sys.stdout.write(make_anthology(size) if shape == "anthology" else make(size))
