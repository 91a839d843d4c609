"""Bib files ke-papers did not write: biblatex, reference-manager exports, thesis bibliographies.

Each test reads a small made-up file in the shape such files have, through the real CLI.
"""

from __future__ import annotations

import datetime
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_cite import latex, needs_tex

from ke_papers import bibread

FOREIGN = r"""@string{jomch = {Journal of Modern Chemistry}}

@article{sigfridsson,
  author       = {Sigfridsson, Emma and Ryde, Ulf},
  title        = {Comparison of methods for deriving atomic charges},
  journaltitle = jomch,
  date         = {1998-05},
  volume       = {19},
  pages        = {377--395},
  location     = {Hoboken},
  langid       = {english},
  file         = {Sigfridsson_1998.pdf},
  owner        = {me},
  timestamp    = {2020-01-01},
  annotation   = {An \texttt{article} entry},
  mendeley-tags = {chem},
  pmid         = {123},
}

@inproceedings{moraux,
  author       = {Moraux, Paul},
  title        = {Le \mkbibquote{De Anima} dans la tradition grècque},
  crossref     = {cr_m},
  pages        = {281--324},
  month        = jan,
}

@inproceedings{salam,
  author       = {Salam, Abdus},
  title        = {Weak and Electromagnetic Interactions},
  crossref     = {cr_m},
  pages        = {367--377},
}

@proceedings{cr_m,
  editor       = {Lloyd, G. E. R. and Owen, G. E. L.},
  title        = {Aristotle on Mind and the Senses},
  date         = {1866},
  publisher    = {Cambridge University Press},
  location     = {Cambridge},
}

@thesis{geer,
  author       = {de Geer, Ingrid},
  title        = {Earl, Saint, Bishop, Skald~-- and Music},
  type         = {phdthesis},
  institution  = {Uppsala Universitet},
  date         = {1985-01-12/1985-02},
}

@set{stdmodel,
  entryset     = {sigfridsson,pines},
}

@xdata{hup,
  publisher    = {Harvard University Press},
  location     = {Cambridge, Mass.},
}

@book{pines,
  author       = {Pines, Shlomo},
  title        = {The Guide of the Perplexed},
  date         = {1963},
  xdata        = {hup},
}

@book{worman,
  author       = {Worman, Nancy},
  title        = {The Cast of Character},
  date         = {2002},
  eprinttype   = {googlebooks},
  eprint       = {A_0g_f-Z9pQC},
  publisher    = {University of Texas Press},
}
"""

#: Every way people record an arXiv paper (the key says which), and one that is not arXiv.
ARXIV = r"""@article{eprint, title = {A}, eprint = {2006.04181}, archiveprefix = {arXiv}, year = 2020}
@online{blx, title = {B}, eprint = {2006.04182v2}, eprinttype = {arxiv}, date = {2020}}
@article{scholar, title = {C}, journal = {arXiv preprint arXiv:2006.04183}, year = {2020}}
@article{semantic, title = {D}, journal = {ArXiv}, volume = {abs/2006.04184}, year = {2020}}
@article{dblp, title = {E}, journal = {CoRR}, volume = {abs/2006.04185}, year = {2020}}
@misc{note, title = {F}, note = {arXiv:2006.04186}, year = {2020}}
@misc{url, title = {G}, url = {https://arxiv.org/pdf/2006.04187v1.pdf}, year = {2020}}
@misc{doi, title = {H}, doi = {10.48550/arXiv.2006.04188}, year = {2020}}
@misc{old, title = {I}, journal = {arXiv preprint arXiv:hep-th/9901001}, year = {1999}}
@book{books, title = {J}, eprint = {A_0g_f-Z9pQC}, eprinttype = {googlebooks}, year = {2002}}
@article{mendeley, title = {K}, arxivId = {1706.03762}, author = {V, A}, year = {2017}}
@article{zotero, title = {L}, note = {arXiv: 2005.14165 [cs]}, author = {B, T}, year = {2020}}
"""


def write(tmp_path: Path, text: str, name: str = "refs.bib") -> Path:
    bib = tmp_path / name
    bib.write_text(text, encoding="utf-8")
    return bib


def listed(run, bib: Path) -> dict[str, dict]:
    return {p["key"]: p for p in run.json("--bib", str(bib), "list", "--json")}


def lint_rows(run, bib: Path) -> list[dict]:
    result = run("--bib", str(bib), "lint", "--format", "json", code=None)
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else []


# Reading


def test_biblatex_fields_give_year_and_venue(run, tmp_path: Path):
    bib = write(tmp_path, FOREIGN)
    papers = listed(run, bib)
    assert (papers["sigfridsson"]["year"], papers["sigfridsson"]["venue"]) == (
        1998,
        "Journal of Modern Chemistry",
    )
    assert (papers["geer"]["year"], papers["geer"]["venue"]) == (1985, "Uppsala Universitet")
    assert papers["pines"]["year"] == 1963
    shown = run("--bib", str(bib), "show", "sigfridsson").stdout
    assert "1998" in shown and "Journal of Modern Chemistry" in shown
    text = run("--bib", str(bib), "cite", "sigfridsson", "-f", "text").stdout
    assert text == (
        "Emma Sigfridsson and Ulf Ryde. 1998. Comparison of methods for deriving atomic "
        "charges. In Journal of Modern Chemistry.\n"
    )
    table = run("--bib", str(bib), "list").stdout
    assert "Journal of Modern Chemistry 1998" in table


@pytest.mark.parametrize(
    ("date", "year", "month"),
    [
        ("2006", 2006, ""),
        ("2006-05", 2006, "may"),
        ("2006-05-24", 2006, "may"),
        ("2006-05/2007-02", 2006, "may"),
        ("2006/2007", 2006, ""),
        ("2006~", 2006, ""),
        ("1866-11-02/", 1866, "nov"),
    ],
)
def test_every_date_form_gives_year_and_month(run, tmp_path: Path, date: str, year, month):
    bib = write(
        tmp_path, f"@article{{a, title = {{T}}, journaltitle = {{J}}, date = {{{date}}}}}\n"
    )
    assert listed(run, bib)["a"]["year"] == year
    cited = run("--bib", str(bib), "cite", "a").stdout
    assert f"year          = {{{year}}}" in cited
    assert bool(re.search(rf"month +?= {month}\b", cited)) == bool(month), cited


def test_crossref_and_xdata_fields_are_inherited_for_reading_not_writing(run, tmp_path: Path):
    bib = write(tmp_path, FOREIGN)
    papers = listed(run, bib)
    assert (papers["moraux"]["year"], papers["moraux"]["venue"]) == (
        1866,
        "Aristotle on Mind and the Senses",
    )
    rules = {(f["key"], f["rule"]) for f in lint_rows(run, bib)}
    assert not {r for r in rules if r[1] in ("missing-field", "bad-year", "bad-arxiv")}
    run("--bib", str(bib), "fmt")
    moraux = next(p for p in bibread.read(bib).papers if p.key == "moraux")
    assert "booktitle" not in moraux.fields and moraux.fields["crossref"] == "cr_m"
    assert moraux.raw["month"] == "jan"


def test_arxiv_ids_in_every_spelling(run, tmp_path: Path):
    papers = listed(run, write(tmp_path, ARXIV))
    assert {k: p["arxiv"] for k, p in papers.items()} == {
        "eprint": "2006.04181",
        "blx": "2006.04182v2",
        "scholar": "2006.04183",
        "semantic": "2006.04184",
        "dblp": "2006.04185",
        "note": "2006.04186",
        "url": "2006.04187",
        "doi": "2006.04188",
        "old": "hep-th/9901001",
        "books": None,
        "mendeley": "1706.03762",
        "zotero": "2005.14165",
    }
    assert papers["scholar"]["venue"] is None and papers["dblp"]["venue"] is None
    bib = tmp_path / "refs.bib"
    missing = [r["message"] for r in lint_rows(run, bib) if r["rule"] == "missing-field"]
    assert missing and not [m for m in missing if "journal" in m]  # cite writes a preprint's


COMMENTED = """@article{commented2020,
  author = {Doe, Jane},
  % Title From The Publisher's Page, {checked}, 2020
  title = {The Real Title},
  year = {2020},
  journal = {J},
  % LAST LINE: keep me
}
"""


def test_comment_lines_inside_an_entry_are_kept_verbatim(run, tmp_path: Path):
    bib = write(tmp_path, COMMENTED)
    assert listed(run, bib)["commented2020"]["title"] == "The Real Title"
    run("--bib", str(bib), "fmt")
    text = bib.read_text(encoding="utf-8")
    assert text == (
        "@article{commented2020,\n"
        "  % Title From The Publisher's Page, {checked}, 2020\n"
        "  title         = {The Real Title},\n"
        "  author        = {Doe, Jane},\n"
        "  journal       = {J},\n"
        "  year          = {2020}\n"
        "  % LAST LINE: keep me\n"
        "}\n"
    )
    run("--bib", str(bib), "fmt", "--check")
    assert listed(run, bib)["commented2020"]["title"] == "The Real Title"


def test_a_comment_after_a_field_is_kept_before_the_next_one(run, tmp_path: Path):
    bib = write(
        tmp_path,
        "@article{a, % from the publisher\n  year = {2020}, % online in 2019\n"
        '  title = {T}, url = "https://x.org/a%20b", journal = {J}}\n',
    )
    papers = listed(run, bib)
    assert papers["a"]["title"] == "T" and papers["a"]["year"] == 2020
    run("--bib", str(bib), "fmt")
    assert bib.read_text(encoding="utf-8") == (
        "@article{a,\n"
        "  % online in 2019\n"
        "  title         = {T},\n"
        "  journal       = {J},\n"
        "  % from the publisher\n"
        "  year          = {2020},\n"
        "  url           = {https://x.org/a%20b}\n"
        "}\n"
    )


def test_a_percent_line_inside_a_value_stays_in_the_value(run, tmp_path: Path):
    bib = write(
        tmp_path, "@misc{a,\n  abstract = {One\n  % two {three}\n  four},\n  title = {T}\n}\n"
    )
    paper = bibread.read(bib).papers[0]
    assert paper.fields["title"] == "T" and "% two {three}" in paper.fields["abstract"]
    assert paper.comments == {}


STRAY = """@article{first2020,
  title = {First},
  author = {Doe, Jane}},
  year = {2020},
  journal = {J}
}

@article{second2021, title = {Second}, author = {Roe, Rich}, year = {2021}, journal = {J}}
"""


def test_a_stray_brace_is_reported_at_its_line(run, tmp_path: Path):
    bib = write(tmp_path, STRAY)
    for args in (["list"], ["fmt"], ["cite", "first2020"]):
        result = run("--bib", str(bib), *args, code=2)
        assert result.stderr == (
            f"error: {bib}:3: a '}}' here closes entry first2020 before its last fields, "
            "so 'year = {2020},' would be read as a comment\n"
        )
    rows = lint_rows(run, bib)
    assert [(r["line"], r["key"], r["message"]) for r in rows if r["rule"] == "stray-text"] == [
        (
            3,
            "first2020",
            "a '}' here closes entry first2020 before its last fields, "
            "so 'year = {2020},' would be read as a comment",
        )
    ]
    assert bib.read_text(encoding="utf-8") == STRAY


def test_text_between_entries_that_looks_like_fields_is_a_lint_finding(run, tmp_path: Path):
    bib = write(tmp_path, "@misc{a, title = {A}}\n\nSome words.\n  note = {lost},\n")
    assert [r["key"] for r in listed(run, bib).values()] == ["a"]
    rows = [r for r in lint_rows(run, bib) if r["rule"] == "stray-text"]
    assert [(r["line"], r["message"]) for r in rows] == [
        (4, "text between entries reads like a field, 'note = {lost},' (a stray '}' above?)")
    ]


def test_a_duplicate_field_is_reported_at_its_own_line(run, tmp_path: Path):
    bib = write(tmp_path, "@article{a,\n  title = {x},\n  year = {2000},\n  title = {y}\n}\n")
    result = run("--bib", str(bib), "list", code=2)
    assert result.stderr == f"error: {bib}:4: duplicate field 'title'\n"


def test_a_broken_entry_is_one_line_of_our_own(tmp_path: Path):
    """bibtexparser's log lines reach a real process's stderr; they must not."""
    bib = write(
        tmp_path, "@misc{ok, title = {Fine}}\n\n@article{a,\n  title = {T},\n  year 2000\n}\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "ke_papers", "--bib", str(bib), "list"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "error: refs.bib:5: cannot parse @article (the entry starts at line 3): Expected a `=` "
        "after entry key `year 2000`, but found the end of the entry (`}`).\n"
    )


CP1252 = "@article{muller2001cafe,\n  title = {Café “quoted”},\n  author = {Müller, Hans},\n  journal = {J}, year = {2001}\n}\n"


def test_a_cp1252_file_is_read_and_written_back_in_its_encoding(run, tmp_path: Path):
    bib = tmp_path / "old.bib"
    bib.write_bytes(CP1252.encode("cp1252"))
    result = run("--bib", str(bib), "list", "--json")
    assert json.loads(result.stdout)[0]["title"] == "Café “quoted”"
    assert (
        result.stderr == f"note: {bib} is not UTF-8; read as cp1252, and written back as cp1252\n"
    )
    run("--bib", str(bib), "fmt")
    data = bib.read_bytes()
    assert "Café “quoted”".encode("cp1252") in data and "Müller".encode("cp1252") in data
    assert "Ã".encode("cp1252") not in data
    new = write(
        tmp_path, "@article{lukasz2020, title = {Łódź}, author = {Łukasz, A.}, year = 2020}\n"
    )
    before = bib.read_bytes()
    result = run("--bib", str(bib), "import", str(new), code=2)
    assert result.stderr.splitlines()[-1].startswith(f"error: {bib}:")
    assert "cannot be written in this file's encoding (cp1252)" in result.stderr
    # The line the character would stand on: where the same import into the same file in
    # UTF-8 puts it.
    same = tmp_path / "same.bib"
    same.write_text(before.decode("cp1252"), encoding="utf-8")
    run("--bib", str(same), "import", str(new), code=1)  # 1: the paper has no link
    lines = same.read_text(encoding="utf-8").splitlines()
    line = int(result.stderr.splitlines()[-1].split(":")[2])
    assert "Łódź" in lines[line - 1] and not any("Ł" in text for text in lines[: line - 1])
    assert bib.read_bytes() == before


def test_a_latin1_file_with_bytes_cp1252_lacks(run, tmp_path: Path):
    bib = tmp_path / "latin.bib"
    bib.write_bytes("@misc{a, title = {Gr\u00fc\u00dfe \x81}}\n".encode("latin-1"))
    result = run("--bib", str(bib), "list", "--json")
    assert "read as latin-1" in result.stderr
    assert json.loads(result.stdout)[0]["title"] == "Grüße \x81"


# Citing


def cite(run, bib: Path, *args: str) -> str:
    return run("--bib", str(bib), "cite", *args).stdout


def entry(text: str, key: str) -> str:
    m = re.search(r"@\w+\{" + re.escape(key) + r",\n(?:.*\n)*?\}", text)
    assert m, text
    return m[0]


def test_cite_escapes_printed_text_only(run, tmp_path: Path):
    bib = write(tmp_path, FOREIGN)
    full = cite(run, bib, "moraux", "sigfridsson", "worman", "--full")
    assert "crossref      = {cr_m}" in full
    assert "file          = {Sigfridsson_1998.pdf}" in full
    assert "eprint        = {A_0g_f-Z9pQC}" in full
    odd = write(
        tmp_path, "@misc{odd, title = {Fish & Chips_2}, url = {https://x.org/a_b}}\n", "odd.bib"
    )
    out = cite(run, odd, "odd")
    assert r"title         = {Fish \& Chips\_2}" in out and "{https://x.org/a_b}" in out


def test_cite_brings_crossref_parents_after_the_children_once(run, tmp_path: Path):
    bib = write(tmp_path, FOREIGN)
    keys = re.findall(r"^@\w+\{([^,]+),", cite(run, bib, "cr_m", "moraux", "salam"), re.M)
    assert keys == ["moraux", "salam", "cr_m"]
    keys = re.findall(r"^@\w+\{([^,]+),", cite(run, bib, "stdmodel", "-f", "biblatex"), re.M)
    assert keys == ["stdmodel", "sigfridsson", "pines", "hup"]
    assert cite(run, bib, "moraux", "-f", "key") == "\\cite{moraux}\n"


def test_cite_keeps_month_macros(run, tmp_path: Path):
    bib = write(tmp_path, FOREIGN)
    assert "month         = jan," in cite(run, bib, "moraux")
    sig = entry(cite(run, bib, "sigfridsson"), "sigfridsson")
    assert "month         = may," in sig and "year          = {1998}," in sig
    plain = write(
        tmp_path, "@article{a, title={T}, journal={J}, year={2000}, month={March}}\n", "p.bib"
    )
    assert "month         = mar\n" in cite(run, plain, "a")
    assert "date          = {2000-03}" in cite(run, plain, "a", "-f", "biblatex")


def test_each_format_writes_its_own_fields(run, tmp_path: Path):
    bib = write(tmp_path, FOREIGN)
    dropped = ("owner", "timestamp", "pmid", "file", "annot", "mendeley-tags")
    out = entry(cite(run, bib, "sigfridsson"), "sigfridsson")
    names = set(re.findall(r"^  ([\w-]+) +=", out, re.M))
    assert names == {"title", "author", "journal", "year", "month", "volume", "pages", "address"}
    out = entry(cite(run, bib, "sigfridsson", "-f", "biblatex"), "sigfridsson")
    names = set(re.findall(r"^  ([\w-]+) +=", out, re.M))
    assert {"journaltitle", "date", "location", "langid"} <= names
    assert not names & {"journal", "year", "address", *dropped}
    full = cite(run, bib, "sigfridsson", "--full")
    assert all(f"  {name}" in full for name in dropped)
    geer = entry(cite(run, bib, "geer"), "geer")
    assert geer.startswith("@phdthesis{geer,") and "school        = {Uppsala Universitet}" in geer
    bibtex = write(
        tmp_path, "@article{a, title={T}, journal={J}, address={A}, year={2000}}\n", "b.bib"
    )
    blx = cite(run, bibtex, "a", "-f", "biblatex")
    assert "journaltitle  = {J}" in blx and "location      = {A}" in blx and "date" in blx
    assert "journal " not in blx and "year" not in blx


def build(tmp_path: Path, keys: list[str], preamble: str, ending: str, tool: str) -> Path:
    doc = tmp_path / "doc.tex"
    cites = "\n".join(f"\\cite{{{k}}}" for k in keys)
    doc.write_text(
        f"\\documentclass{{article}}\n\\usepackage[T1]{{fontenc}}\n{preamble}\n"
        f"\\begin{{document}}\n{cites}\n{ending}\n\\end{{document}}\n",
        encoding="utf-8",
    )
    pdflatex = ["pdflatex", "-interaction=nonstopmode", "doc.tex"]
    latex(tmp_path, pdflatex, [tool, "doc"], pdflatex, pdflatex)
    assert (tmp_path / "doc.pdf").exists()
    return tmp_path


def assert_no_errors(folder: Path, keys: list[str], biber: bool) -> None:
    log = (folder / "doc.log").read_text(encoding="utf-8", errors="replace")
    blg = (folder / "doc.blg").read_text(encoding="utf-8", errors="replace")
    assert [line for line in log.splitlines() if line.startswith("!")] == []
    assert [line for line in log.splitlines() if "undefined" in line and "itation" in line] == []
    if biber:
        assert [line for line in blg.splitlines() if "ERROR" in line or "WARN" in line] == []
        assert f"Found {len(keys)} citekeys" in blg
    else:
        assert "error message" not in blg and "I was expecting" not in blg
        bbl = (folder / "doc.bbl").read_text(encoding="utf-8", errors="replace")
        assert bbl.count("\\bibitem") >= len(keys) - 1  # a crossref parent may merge


def compile_both(run, tmp_path: Path, bib: Path) -> None:
    keys = [p.key for p in bibread.read(bib).papers if p.entry_type != "xdata"]  # not citable
    for fmt, biber in (("bibtex", False), ("biblatex", True)):
        folder = tmp_path / fmt
        folder.mkdir()
        (folder / "refs.bib").write_text(cite(run, bib, *keys, "-f", fmt), encoding="utf-8")
        if biber:
            build(
                folder,
                keys,
                "\\usepackage[backend=biber]{biblatex}\n\\addbibresource{refs.bib}",
                "\\printbibliography",
                "biber",
            )
        else:
            build(
                folder,
                keys,
                "\\usepackage{natbib}\n\\usepackage{url}",
                "\\bibliographystyle{plainnat}\n\\bibliography{refs}",
                "bibtex",
            )
        assert_no_errors(folder, keys, biber)


@needs_tex
def test_a_biblatex_file_compiles_with_biber_and_with_bibtex(run, tmp_path: Path):
    compile_both(run, tmp_path, write(tmp_path, FOREIGN))


def biblatex_examples() -> Path | None:
    """biblatex's own example file, where TeX Live installed it (texlive-bibtex-extra)."""
    if not shutil.which("kpsewhich"):
        return None
    found = subprocess.run(
        ["kpsewhich", "biblatex-examples.bib"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return Path(found) if found else None


EXAMPLES = biblatex_examples()
needs_examples = pytest.mark.skipif(
    EXAMPLES is None, reason="biblatex-examples.bib not installed (texlive-bibtex-extra)"
)


@needs_tex
@needs_examples
def test_biblatex_examples_compile_with_biber_and_with_bibtex(run, tmp_path: Path):
    assert EXAMPLES is not None
    bib = tmp_path / "examples.bib"
    shutil.copyfile(EXAMPLES, bib)
    compile_both(run, tmp_path, bib)


@needs_examples
def test_biblatex_examples_read_and_fmt_keeps_every_field(run, tmp_path: Path):
    assert EXAMPLES is not None
    bib = tmp_path / "examples.bib"
    shutil.copyfile(EXAMPLES, bib)
    papers = list(listed(run, bib).values())
    dated = [p for p in papers if p["type"] not in ("set", "xdata")]
    assert all(p["year"] for p in dated)
    assert sum(1 for p in papers if p["arxiv"]) >= 3
    before = bibread.read(bib)
    run("--bib", str(bib), "fmt")
    after = bibread.read(bib)

    def fields(doc: bibread.Document) -> list[tuple[str, dict[str, str]]]:
        """fmt writes each value on one line: the same value, whitespace squeezed."""
        return [(p.key, {n: " ".join(v.split()) for n, v in p.fields.items()}) for p in doc.papers]

    assert fields(after) == fields(before)
    assert not {r["rule"] for r in lint_rows(run, bib)} & {"not-canonical", "missing-field"}


# Linting


def test_lint_has_no_false_alarms_on_foreign_shapes(run, tmp_path: Path):
    bib = write(tmp_path, FOREIGN)
    assert lint_rows(run, bib) == [
        {
            "file": str(bib),
            "line": 1,
            "key": "-",
            "rule": "not-canonical",
            "message": "9 of 9 entries differ from canonical form; run ke-papers fmt",
            "severity": "error",
        }
    ]


def test_bad_year_takes_old_books_and_refuses_the_impossible(run, tmp_path: Path):
    next_year = datetime.date.today().year + 1
    years = {"a": "1866", "b": "1899", "c": "999", "d": str(next_year), "e": str(next_year + 1)}
    text = "".join(
        f"@book{{{k}, title = {{T {k}}}, publisher = {{P}}, year = {{{y}}}}}\n"
        for k, y in years.items()
    )
    bad = {r["key"] for r in lint_rows(run, write(tmp_path, text)) if r["rule"] == "bad-year"}
    assert bad == {"c", "e"}


def test_duplicate_title_needs_a_shared_author_or_the_same_year_and_venue(run, tmp_path: Path):
    text = (
        "@article{a, title = {Introduction}, author = {Ann, A.}, journal = {J}, year = {1990}}\n"
        "@article{b, title = {Introduction}, author = {Bob, B.}, journal = {K}, year = {2005}}\n"
        "@article{c, title = {Introduction}, author = {Ann, A.}, journal = {L}, year = {2010}}\n"
        "@article{d, title = {Introduction}, author = {Dee, D.}, journal = {M}, year = {2005}}\n"
        "@article{e, title = {Introduction}, author = {Eve, E.}, journal = {M}, year = {2005}}\n"
    )
    rows = [r for r in lint_rows(run, write(tmp_path, text)) if r["rule"] == "duplicate-title"]
    assert [(r["key"], r["message"].rsplit(" as ", 1)[1]) for r in rows] == [
        ("c", "a (line 1)"),
        ("e", "d (line 4)"),
    ]


def test_file_wide_style_findings_are_one_line_on_a_foreign_file(run, tmp_path: Path):
    text = "".join(
        f"@article{{ref{i}, title={{Paper {i}}}, author={{Doe, J.}}, journal={{J}}, year={{2000}}}}\n"
        for i in range(12)
    )
    rows = lint_rows(run, write(tmp_path, text))
    assert [(r["rule"], r["message"]) for r in rows] == [
        ("not-canonical", "12 of 12 entries differ from canonical form; run ke-papers fmt")
    ]
    mostly = text.replace("ref0,", "doe2000paper,", 1).replace("ref1,", "doe2000paperb,", 1)
    mostly = "".join(
        line.replace(f"ref{i},", f"doe2000paper{chr(97 + i)},") if i > 2 else line
        for i, line in enumerate(mostly.splitlines(keepends=True))
    )
    rows = lint_rows(run, write(tmp_path, mostly, "mostly.bib"))
    assert [r["key"] for r in rows if r["rule"] == "key-style"] == ["ref2"]
