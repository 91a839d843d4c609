"""Real bib files, second round (issue 27): accents on dotless letters, @string macros
defined in another file, and lint rules that fire only on what is wrong.

Every bib here is made up in the shapes real files have: an ACL Anthology export
(quoted values, long author lists, front matter, nicknames, corporate authors), a file
whose names are @string macros kept in another file, a JabRef file with `in press`.
"""

from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path

import pytest
from test_cite import latex, needs_tex

from ke_papers import names
from ke_papers.latex import fold, to_text
from ke_papers.venues import ordinal


def write(tmp_path: Path, text: str, name: str = "refs.bib") -> Path:
    bib = tmp_path / name
    bib.write_text(text, encoding="utf-8")
    return bib


def lint_rows(run, bib: Path) -> list[dict]:
    result = run("--bib", str(bib), "lint", "--format", "json", code=None)
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else []


def rules_of(run, bib: Path, rule: str) -> list[tuple[str, int, str]]:
    return [(r["key"], r["line"], r["message"]) for r in lint_rows(run, bib) if r["rule"] == rule]


# Accents on \i and \j

_MARKS = {
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


def _spellings(mark: str, letter: str) -> list[str]:
    """Every way people write `mark` on a dotless `letter` (`{\\'\\i}`, `\\'{\\i}`, ...)."""
    sep = " " if mark.isalpha() else ""
    return [
        f"{{\\{mark}\\{letter}}}",
        f"\\{mark}{{\\{letter}}}",
        f"{{\\{mark}{{\\{letter}}}}}",
        f"\\{mark}\\{letter}{{}}",
        f"\\{mark}{sep}\\{letter} ",
        f"{{\\{mark} \\{letter}}}",
    ]


@pytest.mark.parametrize("mark", list(_MARKS))
@pytest.mark.parametrize("letter", ["i", "j"])
def test_every_accent_on_a_dotless_letter_reads_as_the_accented_letter(mark: str, letter: str):
    wanted = unicodedata.normalize("NFC", letter + _MARKS[mark])
    for spelled in _spellings(mark, letter):
        assert to_text(f"X{spelled}n") == f"X{wanted}n", spelled
        assert fold(to_text(f"X{spelled}n")) == f"x{letter}n", spelled


def test_names_with_accented_dotless_letters_compare_and_key_as_typed():
    assert names.display_names("Mart{\\'\\i}n Abadi and Rikters, Mat{\\=\\i}ss") == [
        "Martín Abadi",
        "Matīss Rikters",
    ]
    assert fold(to_text("Mart{\\'\\i}n")) == fold("Martín") == "martin"
    assert names.parse("Ben{\\'\\i}tez, Ana").key_part == "benitez"
    assert names.parse("{\\^\\j}ones, A.").key_part == "jones"


ABADI = r"""@inproceedings{abadi2016deep,
  title     = {Deep Learning with Differential Privacy},
  author    = {Abadi, Mart{\'\i}n and Chu, Andy and Goodfellow, Ian},
  booktitle = {Proceedings of the 2016 ACM SIGSAC Conference on Computer and Communications Security},
  year      = {2016}
}

@article{rikters2018,
  title   = {Training and Adapting Multilingual NMT},
  author  = {Rikters, Mat\=\i ss and Pinnis, M{\=a}rcis and Ji\v{r}{\'\i} Nov\'ak},
  journal = {Baltic Journal of Modern Computing},
  year    = {2018}
}
"""


def test_search_by_author_finds_accented_dotless_names_as_typed(run, tmp_path: Path):
    bib = write(tmp_path, ABADI)
    for query in ("Martin Abadi", "Martín Abadi", "martin abadi"):
        found = run.json("--bib", str(bib), "search", "--author", query, "--json")
        assert [p["key"] for p in found] == ["abadi2016deep"], query
        assert found[0]["authors"][0] == "Martín Abadi"
    for query in ("Matiss Rikters", "Matīss", "Jiri Novak"):
        found = run.json("--bib", str(bib), "search", "--author", query, "--json")
        assert [p["key"] for p in found] == ["rikters2018"], query
    listed = run.json("--bib", str(bib), "list", "--json")
    assert listed[1]["authors"] == ["Matīss Rikters", "Mārcis Pinnis", "Jiří Novák"]


# @string macros defined in another file

STRINGS = """@string{AcostaJ = "Acosta-Cabronero, Julio"}
@string{PattersonK = "Patterson, Karalyn"}
@string{NestorP = "Nestor, Peter J."}
@string{brain = "Brain"}
"""

USES = """@string{nimg = "NeuroImage"}

@article{acosta2011,
  author = AcostaJ # " and " # PattersonK,
  title = {Atrophy, hypometabolism and white matter abnormalities in semantic dementia},
  journal = brain,
  year = 2011,
  month = jul,
  volume = {134},
  pages = {2025--2035}
}

@article{nestor2006,
  author = NestorP # { and } # PattersonK,
  title = {Limbic hypometabolism},
  journal = nimg,
  year = {2006},
  month = aug # "~1",
  volume = {30},
}

@article{defined2007,
  author = {Patterson, Karalyn and Nestor, Peter J.},
  title = {Where do you know what you know?},
  journal = nimg,
  year = 2007,
  note = "Read " # Ref_2 # " first",
}

@article{later2008,
  author = {Doe, Jane},
  title = {Defined Too Late},
  journal = late,
  year = 2008,
}

@string{late = "A Journal Defined Below Its Use"}
"""


def test_lint_names_each_macro_no_string_above_defines(run, tmp_path: Path):
    bib = write(tmp_path, USES)
    lines = USES.splitlines()
    at = {k: lines.index(f"@article{{{k},") + 1 for k in ("acosta2011", "nestor2006")}
    at |= {k: lines.index(f"@article{{{k},") + 1 for k in ("defined2007", "later2008")}
    assert at["acosta2011"] == 3
    assert rules_of(run, bib, "undefined-macro") == [
        (
            "acosta2011",
            at["acosta2011"],
            "@string macros AcostaJ, PattersonK, brain not defined above (in author, journal)",
        ),
        (
            "nestor2006",
            at["nestor2006"],
            "@string macros NestorP, PattersonK not defined above (in author)",
        ),
        ("defined2007", at["defined2007"], "@string macro Ref_2 not defined above (in note)"),
        ("later2008", at["later2008"], "@string macro late not defined above (in journal)"),
    ]
    both = write(tmp_path, STRINGS + USES.replace("journal = late", "journal = brain"), "both.bib")
    assert [k for k, _, _ in rules_of(run, both, "undefined-macro")] == ["defined2007"]


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["search", "dementia"],
        ["show", "acosta2011"],
        ["cite", "acosta2011"],
        ["cite", "acosta2011", "-f", "text"],
        ["export", "--json"],
    ],
)
def test_every_reading_command_warns_once_of_undefined_macros(run, tmp_path: Path, args):
    bib = write(tmp_path, USES)
    result = run("--bib", str(bib), *args)
    warnings = [line for line in result.stderr.splitlines() if "@string" in line]
    assert warnings == [
        f"warning: {bib}: 4 entries use @string macros the file does not define "
        "(AcostaJ, PattersonK, brain, NestorP, Ref_2 and 1 more): their names stand in the "
        "text; cite keeps them as macros (ke-papers lint lists each)"
    ]
    clean = write(
        tmp_path,
        STRINGS + "\n" + USES.replace(" # Ref_2 # ", " # ").replace("= late", "= brain"),
        "clean.bib",
    )
    assert "@string" not in run("--bib", str(clean), *args).stderr


def test_cite_keeps_undefined_macros_as_macros_never_their_names_as_text(run, tmp_path: Path):
    bib = write(tmp_path, USES)
    out = run("--bib", str(bib), "cite", "acosta2011", "nestor2006", "defined2007").stdout
    assert "  author        = AcostaJ # { and } # PattersonK,\n" in out
    assert "  journal       = brain,\n" in out
    assert "  author        = NestorP # { and } # PattersonK,\n" in out
    assert "  journal       = {NeuroImage},\n" in out  # defined in the file: its text
    assert "  note          = {Read } # Ref_2 # { first}\n" in out
    assert "AcostaJ and" not in out and "Read Ref" not in out
    blx = run("--bib", str(bib), "cite", "acosta2011", "-f", "biblatex").stdout
    assert "  author        = AcostaJ # { and } # PattersonK,\n" in blx
    assert "  journaltitle  = brain,\n" in blx
    text = run("--bib", str(bib), "cite", "acosta2011", "nestor2006", "-f", "text").stdout
    assert "AcostaJ" not in text and "brain" not in text and "NestorP" not in text
    assert text.startswith("2011. Atrophy, hypometabolism")


def test_a_quoted_value_joined_with_a_macro_is_read_as_its_parts(run, tmp_path: Path):
    bib = write(tmp_path, STRINGS + '@misc{a, title = "Part " # brain # " and more"}\n')
    assert run.json("--bib", str(bib), "list", "--json")[0]["title"] == "Part Brain and more"


@needs_tex
def test_cited_macros_print_their_names_with_the_file_that_defines_them(run, tmp_path: Path):
    bib = write(tmp_path, USES)
    (tmp_path / "refs.bib").write_text(
        run("--bib", str(bib), "cite", "acosta2011", "nestor2006").stdout, encoding="utf-8"
    )
    (tmp_path / "strings.bib").write_text(STRINGS, encoding="utf-8")
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\begin{document}\n\\cite{acosta2011,nestor2006}\n"
        "\\bibliographystyle{plain}\n\\bibliography{strings,refs}\n\\end{document}\n",
        encoding="utf-8",
    )
    pdflatex = ["pdflatex", "-interaction=nonstopmode", "doc.tex"]
    latex(tmp_path, pdflatex, ["bibtex", "doc"])
    bbl = (tmp_path / "doc.bbl").read_text(encoding="utf-8")
    blg = (tmp_path / "doc.blg").read_text(encoding="utf-8")
    assert "Julio Acosta-Cabronero and Karalyn Patterson" in bbl
    assert "Peter~J. Nestor and Karalyn Patterson" in bbl and "{\\em Brain}" in bbl
    assert "AcostaJ" not in bbl and "undefined" not in blg


# Lint: only what is wrong


def test_title_venue_only_when_the_title_repeats_the_entrys_own_venue(run, tmp_path: Path):
    bib = write(
        tmp_path,
        r"""@inproceedings{bojar-etal-2017-findings,
  title = "Findings of the 2017 Conference on Machine Translation ({WMT}17)",
  author = "Bojar, Ond{\v{r}}ej and Chatterjee, Rajen",
  booktitle = "Proceedings of the Second Conference on Machine Translation",
  year = "2017", pages = "169--214"}
@inproceedings{segura-bedmar-etal-2013-semeval,
  title = "{S}em{E}val-2013 Task 9 : Extraction of Drug-Drug Interactions from Biomedical Texts ({DDIE}xtraction 2013)",
  author = "Segura-Bedmar, Isabel and Mart{\'\i}nez, Paloma",
  booktitle = "Second Joint Conference on Lexical and Computational Semantics (*{SEM}), Volume 2: Proceedings of the Seventh International Workshop on Semantic Evaluation ({S}em{E}val 2013)",
  year = "2013"}
@inproceedings{label2023, title = {Edits, EMNLP 2023 Main Conference Paper}, author = {Lee, Ann},
  booktitle = {EMNLP}, venue = {EMNLP 2023}, year = {2023}}
@inproceedings{spelled2023, title = {Edits Again (EMNLP 2023)}, author = {Lee, Ann},
  booktitle = {Proceedings of the 2023 Conference on Empirical Methods in Natural Language Processing},
  year = {2023}}
@inproceedings{acronym2022, title = {Memory, Published in ACL 2022}, author = {Lee, Ann},
  booktitle = {Proceedings of ACL 2022 (Volume 1: Long Papers)}, year = {2022}}
@inproceedings{other2022, title = {Probing (BlackboxNLP 2022)}, author = {Lee, Ann},
  booktitle = {Proceedings of the 2022 Conference on Empirical Methods in Natural Language Processing},
  year = {2022}}
""",
    )
    assert [k for k, _, _ in rules_of(run, bib, "title-venue")] == [
        "label2023",
        "spelled2023",
        "acronym2022",
    ]


def test_bad_author_takes_nicknames_and_braced_corporate_names(run, tmp_path: Path):
    authors = [
        "Huang, Ting-Hao (Kenneth)",
        "Ting-Hao (Kenneth) Huang",
        "Chen, Yun-Nung (Vivian)",
        "Smith, J. (Jack)",
        "{(DES Collaboration)}",
        "{The {ATLAS} Collaboration}",
        "{OpenAI 2023 Team}",
        "Lee (2023), Ann",
        "(Kenneth) Huang",
        "Smith (Editor)",
        "Chen, Bo (2021)",
        "Doe et al., Jane",
        "{Braced} (Team), Ann",
    ]
    bib = write(
        tmp_path,
        f"@misc{{a, title = {{T}}, year = {{2020}}, author = {{{' and '.join(authors)}}}}}\n",
    )
    flagged = [m.split("'")[1] for _, _, m in rules_of(run, bib, "bad-author")]
    assert flagged == authors[7:]


FRONT = """@article{nn-1987-advertisements, title = "Advertisements",
  journal = "Computational Linguistics", volume = "13", number = "1-2", year = "1987"}
@article{nn-1987-advertisements-2, title = "Advertisements",
  journal = "Computational Linguistics", volume = "13", number = "3-4", year = "1987"}
@article{nn-1988-advertisements, title = "Advertisements",
  journal = "Computational Linguistics", volume = "14", number = "1", year = "1988"}
@inproceedings{nn-2010-author, title = "Author Index", year = "2010",
  booktitle = "Proceedings of the 48th Annual Meeting of the ACL: Volume 1"}
@inproceedings{nn-2010-author-2, title = "Author Index", year = "2010",
  booktitle = "Proceedings of the 48th Annual Meeting of the ACL: Volume 2"}
@book{review1999, title = {Introduction}, author = {Ann, A.}, publisher = {P}, year = {1999}}
@article{review2005, title = {Introduction}, author = {Bob, B.}, journal = {K}, year = {2005}}
@article{review2005b, title = {Introduction}, author = {Dee, D.}, journal = {M}, year = {2005}}
"""

SAME = """@article{shared2019, title = {One Work}, author = {Roe, R. and Poe, P.}, journal = {J}, year = {2019}}
@misc{shared2020, title = {One work}, author = {Poe, Pat}, year = {2020}}
@article{doi2019, title = {Two Work}, author = {Ann, A.}, journal = {J}, year = {2019}, doi = {10.1/Two}}
@article{doi2021, title = {Two work}, author = {Bob, B.}, journal = {K}, year = {2021}, doi = {https://doi.org/10.1/two}}
@article{arxiv2019, title = {Three}, author = {Ann, A.}, journal = {J}, year = {2019}, eprint = {1901.00001}}
@misc{arxiv2020, title = {Three}, author = {Cy, C.}, year = {2020}, eprint = {1901.00001v2}}
@inproceedings{place2020, title = {Four}, author = {Ann, A.}, booktitle = {Proc. X}, year = {2020}}
@inproceedings{place2020b, title = {Four}, author = {Bob, B.}, booktitle = {Proc. X}, year = {2020}}
"""


def test_duplicate_title_needs_a_second_sign(run, tmp_path: Path):
    front = write(tmp_path, FRONT)
    assert rules_of(run, front, "duplicate-title") == []
    same = write(tmp_path, SAME, "same.bib")
    assert [(k, m.rsplit(" as ", 1)[1]) for k, _, m in rules_of(run, same, "duplicate-title")] == [
        ("shared2020", "shared2019 (line 1)"),
        ("doi2021", "doi2019 (line 3)"),
        ("arxiv2020", "arxiv2019 (line 5)"),
        ("place2020b", "place2020 (line 7)"),
    ]


def test_a_year_that_is_not_a_number_is_its_own_warning(run, tmp_path: Path):
    years = {
        "a": "in press",
        "b": "submitted",
        "c": "2023a",
        "d": "1066",
        "e": "2020",
        "f": "forthcoming",
    }
    bib = write(
        tmp_path,
        "".join(
            f"@book{{{k}, title = {{T {k}}}, publisher = {{P}}, year = {{{y}}}}}\n"
            for k, y in years.items()
        ),
    )
    rows = lint_rows(run, bib)
    assert [
        (r["key"], r["severity"], r["message"]) for r in rows if r["rule"] == "year-not-number"
    ] == [
        ("a", "warning", "year 'in press' is not a number"),
        ("b", "warning", "year 'submitted' is not a number"),
        ("c", "warning", "year '2023a' is not a number"),
        ("f", "warning", "year 'forthcoming' is not a number"),
    ]
    assert [r["key"] for r in rows if r["rule"] == "bad-year"] == ["d"]


STRAY = """@article{first2020,
  title = {First},
  author = {Doe, Jane}},
  year = {2020},
  journal = {J}
}

@article{second2021, title = {Second}, author = {Roe, Rich}, year = {2021}, journal = {J}}
@misc{third, title = {T}}
"""


THIRD = "@misc{third, title = {T}},\n  note = {x}}"


@pytest.mark.parametrize("at", [3, 9])
def test_lint_reports_a_stray_brace_at_its_own_line_as_list_does(run, tmp_path: Path, at: int):
    text = STRAY
    if at == 9:  # the first entry whole, the last one closed early on its own line
        text = STRAY.replace("Jane}},", "Jane},").replace("@misc{third, title = {T}}", THIRD)
    bib = write(tmp_path, text)
    error = run("--bib", str(bib), "list", code=2).stderr
    line, message = error.removeprefix(f"error: {bib}:").split(":", 1)
    assert int(line) == at
    rows = [r for r in lint_rows(run, bib) if r["rule"] == "stray-text"]
    assert [(r["line"], r["message"]) for r in rows] == [(at, message.strip())]


# A whole anthology volume

_GIVEN = [
    "Ond{\\v{r}}ej",
    "Mart{\\'\\i}n",
    "Rajen",
    "Yvette",
    "Barry",
    "Matthias",
    "Philipp",
    "Lucia",
    "Matt",
    "Christof",
    "Marco",
    "Ji{\\v{r}}{\\'\\i}",
    "Mat{\\=\\i}ss",
    "Ana",
    'Bj{\\"o}rn',
    "Fran{\\c{c}}ois",
    "Zden{\\v{e}}k",
    "S{\\o}ren",
    "{\\.I}brahim",
    "Nizar",
]
_FAMILY = [
    "Bojar",
    "Chatterjee",
    "Federmann",
    "Graham",
    "Haddow",
    "Huck",
    "Koehn",
    "Specia",
    "Post",
    "Monz",
    "Turchi",
    "Nov{\\'a}k",
    "Rikters",
    "Ben{\\'\\i}tez",
    "Mei{\\ss}ner",
    "Yvon",
    "{\\v{Z}}abokrtsk{\\'y}",
    "M{\\o}ller",
    "Y{\\i}ld{\\i}z",
    "Habash",
    "de Souza",
    "van Genabith",
    "Logan, IV",
]
_NICKNAMED = ["Huang, Ting-Hao (Kenneth)", "Chen, Yun-Nung (Vivian)", "Lee, Hung-yi (Lee)"]
_CORPORATE = ["{(DES Collaboration)}", "{The {ATLAS} Collaboration}", "{Google DeepMind}"]
_WORDS = [
    *("neural", "statistical", "adaptive", "robust", "multilingual", "low-resource"),
    *("unsupervised", "document", "character", "quality", "estimation", "translation"),
    *("parsing", "tagging", "alignment", "lexicon", "corpus", "evaluation", "metrics"),
    *("domain", "adaptation", "transfer", "morphology", "segmentation", "decoding"),
]


def anthology(n: int) -> str:
    """`n` entries of ACL Anthology shape, volume by volume: each volume's @proceedings,
    an `Author Index` and `Advertisements` in each, a shared task's findings, papers."""
    rng = random.Random(27)
    out, i, volume = [], 0, 0
    while i < n:
        volume += 1
        year = 2005 + volume // 2  # two volumes a year, each with its own front matter
        yy = f"{year % 100:02}"
        booktitle = f"Proceedings of the {ordinal(volume)} Conference on Machine Translation"
        common = (
            f'    booktitle = "{booktitle}",\n    month = sep,\n    year = "{year}",\n'
            '    address = "Copenhagen, Denmark",\n'
            '    publisher = "Association for Computational Linguistics",\n'
        )
        out.append(
            f'@proceedings{{wmt-{year}-machine-{volume},\n    title = "{booktitle}",\n'
            f'    editor = "{_FAMILY[volume % len(_FAMILY)]}, {_GIVEN[volume % len(_GIVEN)]}",\n'
            f'    month = sep,\n    year = "{year}",\n'
            f'    url = "https://aclanthology.org/W{yy}-{volume:02}",\n}}\n'
        )
        out.append(
            f'@misc{{nn-{year}-author-{volume},\n    title = "Author Index",\n{common}'
            f'    url = "https://aclanthology.org/W{yy}-{volume:02}99",\n}}\n'
        )
        out.append(
            f'@misc{{nn-{year}-advertisements-{volume},\n    title = "Advertisements",\n'
            f'    journal = "Computational Linguistics",\n    volume = "{volume}",\n'
            f'    number = "{volume % 4 + 1}",\n    year = "{year}",\n}}\n'
        )
        i += 3
        for j in range(min(97, n - i)):
            people = [
                f"{rng.choice(_FAMILY)}, {rng.choice(_GIVEN)}"
                for _ in range(rng.choice([1, 2, 3, 5, 8, 13, 30]))
            ]
            if j % 7 == 0:
                people.insert(rng.randrange(len(people) + 1), rng.choice(_NICKNAMED))
            if j % 31 == 0:
                people.append(rng.choice(_CORPORATE))
            people = list(dict.fromkeys(people))
            if j == 0 and volume % 2:  # each year's shared tasks, in one of its volumes
                title = f"Findings of the {year} Conference on Machine Translation ({{WMT}}{yy})"
            elif j == 0:
                title = f"Overview of the {{DDIE}}xtraction {year} Shared Task"
                title += f" ({{DDIE}}xtraction {year})"
            else:
                words = rng.sample(_WORDS, 5)
                title = " ".join(words).capitalize() + f" in Volume {volume}, Paper {j}"
            authors = "  and\n      ".join(people)
            out.append(
                f"@inproceedings{{paper-{year}-{volume}-{j},\n"
                f'    title = "{title}",\n    author = "{authors}",\n{common}'
                f'    url = "https://aclanthology.org/W{yy}-{volume:02}{j:02}",\n'
                f'    doi = "10.18653/v1/W{yy}-{volume:02}{j:02}",\n'
                f'    pages = "{j * 10 + 1}--{j * 10 + 9}",\n}}\n'
            )
            i += 1
    return "\n".join(out)


def test_a_thousand_entry_anthology_volume_lints_with_no_finding(run, tmp_path: Path):
    text = anthology(1000)
    assert text.count("\n@") + 1 == 1000
    assert "(Kenneth)" in text and "{(DES Collaboration)}" in text and "Author Index" in text
    bib = write(tmp_path, text, "anthology.bib")
    assert [(r["rule"], r["message"]) for r in lint_rows(run, bib)] == [
        ("not-canonical", "1,000 of 1,000 entries differ from canonical form; run ke-papers fmt")
    ]
    run("--bib", str(bib), "fmt")
    result = run("--bib", str(bib), "lint")
    assert result.stdout == "" and "no findings" in result.stderr
    listed = run.json("--bib", str(bib), "list", "--json")
    assert len(listed) == 1000
    assert any("Ting-Hao (Kenneth) Huang" in p["authors"] for p in listed)
    found = run.json("--bib", str(bib), "search", "--author", "Martin Benitez", "--json")
    assert found


def test_front_matter_without_authors_is_no_duplicate(run, tmp_path: Path):
    """The Anthology's front matter has no author: that is a missing field for citing it,
    never a duplicate of the same page in another volume."""
    bib = write(tmp_path, FRONT)
    rules = {r["rule"] for r in lint_rows(run, bib)}
    assert "duplicate-title" not in rules and "missing-field" in rules
