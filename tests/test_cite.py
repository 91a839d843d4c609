"""`ke-papers cite`: citations that compile in LaTeX the first time."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import DATA_BIB

from ke_papers import bibread
from ke_papers.usecases.reading import open_catalog

SPECIAL = r"""@misc{odd2024title,
  title = {Fish & Chips: 100% of #1 snake_case costs $5, \& not $\alpha$ {BERT} GPT},
  author = {Ribeiro, Marco T{\'u}lio and Akyürek, Ekin and Smith & Sons},
  year = {2024},
  taxonomy = {Odd}, keywords = {X}, links = {code: https://x.org/a_b%20c}, abstract = {A}
}
"""


def cite(run, *args: str, code: int = 0, bib: Path = DATA_BIB):
    return run("--bib", str(bib), "cite", *args, code=code)


def test_clean_bibtex_for_a_conference_paper(run):
    out = cite(run, "meng2022locating").stdout
    assert out == (
        "@inproceedings{meng2022locating,\n"
        "  title         = {Locating and Editing Factual Associations in {GPT}},\n"
        "  author        = {Meng, Kevin and Bau, David and Andonian, Alex and Belinkov, Yonatan},\n"
        "  booktitle     = {Advances in Neural Information Processing Systems},\n"
        "  year          = {2022},\n"
        "  eprint        = {2202.05262},\n"
        "  archiveprefix = {arXiv}\n"
        "}\n"
    )


def test_preprint_form_and_full(run):
    out = cite(run, "hase2023does").stdout
    assert "@article{hase2023does," in out
    assert "journal       = {arXiv preprint arXiv:2301.04213}" in out
    # the journal names the ID: an eprint too would make biblatex print it twice
    assert "eprint        =" not in out and "archiveprefix" not in out
    biblatex = cite(run, "hase2023does", "-f", "biblatex").stdout
    assert "eprint        = {2301.04213}" in biblatex
    full = cite(run, "meng2022locating", "--full").stdout
    assert "taxonomy" in full and "keywords" in full and "links" in full


def test_full_output_reads_back_links_verbatim(run, tmp_path: Path):
    bib = tmp_path / "links.bib"
    bib.write_text(
        "@misc{a2024b, title = {A_B}, year = {2024},\n"
        "  links = {video: https://www.youtube.com/watch?v=_NMQyOu2HTo&t=0; code: https://x.org/a_b}}\n",
        encoding="utf-8",
    )
    out = cite(run, "a2024b", "--full", bib=bib).stdout
    [back] = bibread.parse(out, tmp_path / "out.bib").papers
    assert [link.url for link in back.extra_links] == [
        "https://www.youtube.com/watch?v=_NMQyOu2HTo&t=0",
        "https://x.org/a_b",
    ]
    assert back.get("title") == "A\\_B"


def test_escaping_each_special_once(run, tmp_path: Path):
    bib = tmp_path / "odd.bib"
    bib.write_text(SPECIAL, encoding="utf-8")
    out = cite(run, "odd2024title", bib=bib).stdout
    title = re.search(r"title\s+= \{(.*)\},\n", out)[1]
    assert title == (
        r"Fish \& Chips: 100\% of \#1 snake\_case costs \$5, \& not $\alpha$ "
        r"{BERT} {GPT}"
    )
    assert r"Smith \& Sons" in out
    assert "Ribeiro, Marco T{\\'u}lio and Akyürek, Ekin" in out
    assert "taxonomy" not in out and "abstract" not in out
    assert bibread.parse(out, tmp_path / "out.bib").papers[0].key == "odd2024title"


def test_accents_both_ways(run, tmp_path: Path):
    bib = tmp_path / "odd.bib"
    bib.write_text(SPECIAL, encoding="utf-8")
    ascii_out = cite(run, "odd2024title", "--ascii", bib=bib).stdout
    assert 'Aky{\\"u}rek, Ekin' in ascii_out and ascii_out.isascii()
    text = cite(run, "odd2024title", "-f", "text", bib=bib).stdout
    assert text.startswith(
        "Marco Túlio Ribeiro, Ekin Akyürek, and Smith & Sons. 2024. Fish & Chips"
    )
    assert cite(run, "murty2022fixing", "--ascii").stdout.count("T{\\'u}lio") == 1


def test_other_formats(run):
    assert cite(run, "meng2022locating", "-f", "text").stdout == (
        "Kevin Meng, David Bau, Alex Andonian, and Yonatan Belinkov. 2022. Locating and Editing "
        "Factual Associations in GPT. In NeurIPS 2022.\n"
    )
    assert cite(run, "meng2022locating", "-f", "markdown").stdout == (
        "[Locating and Editing Factual Associations in GPT](https://arxiv.org/abs/2202.05262) "
        "(Meng et al., NeurIPS 2022)\n"
    )
    assert cite(run, "reid2022learning", "-f", "markdown").stdout.endswith(
        "(Reid and Neubig, EMNLP 2022)\n"
    )
    assert cite(run, "meng2022locating", "meng2022mass", "-f", "key").stdout == (
        "\\cite{meng2022locating,meng2022mass}\n"
    )
    assert cite(run, "meng2022locating", "-f", "key", "--command", "citep").stdout == (
        "\\citep{meng2022locating}\n"
    )
    biblatex = cite(run, "hase2023does", "meng2022locating", "-f", "biblatex").stdout
    assert "@online{hase2023does," in biblatex and "eprinttype    = {arxiv}" in biblatex
    assert "date          = {2023}" in biblatex and "journal" not in biblatex.split("@inproc")[0]
    cite(run, "meng2022locating", "-f", "nope", code=2)


def test_choosing_without_keys(run):
    assert "meng2022locating" in cite(run, "--query", "rome", "-f", "key").stdout
    keys = cite(run, "--query", "editing", "--limit", "3", "-f", "key").stdout
    assert keys.count(",") == 2
    assert cite(run, "-c", "Meta-learning", "-f", "key").stdout == (
        "\\cite{decao2021editing,mitchell2022fast,sinitsin2020editable}\n"
    )
    assert "name keys" in cite(run, code=2).stderr


def test_tex_document_keys(run, tmp_path: Path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "main.tex").write_text(
        "\\documentclass{article}\n"
        "% \\cite{commented2020out}\n"
        "Text \\citep[p.~3]{meng2022locating, meng2022mass} and \\citet*{mitchell2022fast}.\n"
        "100\\% sure \\parencite[see][12]{decao2021editing} % \\cite{also2020commented}\n"
        "\\input{chapters/one}\n\\include{two}\n\\nocite{dai2022knowledge}\n",
        encoding="utf-8",
    )
    (tmp_path / "chapters" / "one.tex").write_text(
        "\\textcite{huang2023transformer}\\footcite{hartvigsen2022aging}"
        "\\autocite{meng2022locating}\\citeauthor{zheng2023can}\\citeyear{onoe2023can}\n",
        encoding="utf-8",
    )
    (tmp_path / "two.tex").write_text(
        "\\Citet{yao2023editing}\\cites{li2023pmet}{logan2022fruit}\n", encoding="utf-8"
    )
    out = cite(run, "--tex", str(tmp_path / "main.tex"), "-f", "key").stdout
    assert out == (
        "\\cite{meng2022locating,meng2022mass,mitchell2022fast,decao2021editing,"
        "huang2023transformer,hartvigsen2022aging,zheng2023can,onoe2023can,"
        "yao2023editing,li2023pmet,logan2022fruit,dai2022knowledge}\n"
    )


def test_nocite_star_and_aux(run, tmp_path: Path):
    (tmp_path / "all.tex").write_text("\\nocite{*}\n", encoding="utf-8")
    assert cite(run, "--tex", str(tmp_path / "all.tex"), "-f", "key").stdout.count(",") == 44
    (tmp_path / "main.aux").write_text(
        "\\relax\n\\citation{meng2022locating}\n\\citation{meng2022mass,zheng2023can}\n"
        "\\abx@aux@cite{0}{mitchell2022fast}\n\\@input{sub.aux}\n",
        encoding="utf-8",
    )
    (tmp_path / "sub.aux").write_text("\\citation{li2023pmet}\n", encoding="utf-8")
    assert cite(run, "--aux", str(tmp_path / "main.aux"), "-f", "key").stdout == (
        "\\cite{meng2022locating,meng2022mass,zheng2023can,mitchell2022fast,li2023pmet}\n"
    )


def test_unknown_keys(run):
    result = cite(run, "meng2022locating", "meng2022locatin", code=1)
    assert "@inproceedings{meng2022locating," in result.stdout
    assert result.stderr == "unknown key 'meng2022locatin' (did you mean meng2022locating?)\n"
    cite(run, "meng2022locating", "nobody1999", "--allow-missing")


def test_output_and_merge_keep_existing_entries(run, tmp_path: Path):
    refs = tmp_path / "refs.bib"
    mine = "@article{mine2020, title={Mine},   author = {Me}}\n\n@misc{meng2022locating, title={My own copy}}\n"
    refs.write_text(mine, encoding="utf-8")
    result = cite(run, "meng2022locating", "mitchell2022fast", "-o", str(refs), "--merge")
    assert "added 1 entry" in result.stderr
    text = refs.read_text(encoding="utf-8")
    assert text.startswith(mine.rstrip("\n"))
    assert [p.key for p in open_catalog(refs)] == [
        "mine2020",
        "meng2022locating",
        "mitchell2022fast",
    ]
    refused = cite(run, "meng2022locating", "-o", str(refs), code=2)
    assert "exists and holds other text: --merge adds to it, --force replaces it" in refused.stderr
    assert [p.key for p in open_catalog(refs)] == [
        "mine2020",
        "meng2022locating",
        "mitchell2022fast",
    ]
    cite(run, "meng2022locating", "-o", str(refs), "--force")
    assert [p.key for p in open_catalog(refs)] == ["meng2022locating"]
    cite(run, "meng2022locating", "-o", str(refs))  # the same text again: no --force needed


TEX_TOOLS = all(shutil.which(t) for t in ("pdflatex", "bibtex", "biber"))
needs_tex = pytest.mark.skipif(
    not TEX_TOOLS,
    reason="pdflatex, bibtex or biber not installed "
    "(.ci/run installs them; see docs/development.md)",
)


def every_key_document(tmp_path: Path, preamble: str, ending: str) -> Path:
    keys = [p.key for p in open_catalog(DATA_BIB)]
    cites = "\n".join(f"\\cite{{{k}}}" for k in keys)
    doc = tmp_path / "doc.tex"
    doc.write_text(
        f"\\documentclass{{article}}\n\\usepackage[T1]{{fontenc}}\n{preamble}\n"
        f"\\begin{{document}}\n{cites}\n{ending}\n\\end{{document}}\n",
        encoding="utf-8",
    )
    return doc


def latex(tmp_path: Path, *steps: list[str]) -> None:
    for step in steps:
        subprocess.run(step, cwd=tmp_path, check=False, capture_output=True, timeout=120)


def assert_clean(log: str, blg: str) -> None:
    undefined = [line for line in log.splitlines() if "undefined" in line.lower()]
    assert undefined == []
    problems = [
        line
        for line in blg.splitlines()
        if re.search(r"warn|error", line, re.IGNORECASE)
        and not re.search(r"\b0 (warnings|errors)\b|warning\$ -- 0$", line)
    ]
    assert problems == []


def compile_every_paper(run, tmp_path: Path, preamble: str, ending: str, tool: str) -> str:
    """Cite every paper through `cite --tex -o`, build with pdflatex and `tool`; the .blg."""
    every_key_document(tmp_path, preamble, ending)
    cite(run, "--tex", str(tmp_path / "doc.tex"), "-o", str(tmp_path / "refs.bib"))
    pdflatex = ["pdflatex", "-interaction=nonstopmode", "doc.tex"]
    latex(tmp_path, pdflatex, [tool, "doc"], pdflatex, pdflatex)
    assert (tmp_path / "doc.pdf").exists()
    blg = (tmp_path / "doc.blg").read_text(encoding="utf-8", errors="replace")
    assert_clean((tmp_path / "doc.log").read_text(encoding="utf-8", errors="replace"), blg)
    return blg


@needs_tex
def test_every_paper_compiles_with_bibtex_natbib(run, tmp_path: Path):
    blg = compile_every_paper(
        run,
        tmp_path,
        "\\usepackage{natbib}\n\\usepackage{url}",
        "\\bibliographystyle{plainnat}\n\\bibliography{refs}",
        "bibtex",
    )
    assert "Database file #1: refs.bib" in blg
    assert (tmp_path / "doc.bbl").read_text(encoding="utf-8").count("\\bibitem") == 45


@needs_tex
def test_every_paper_compiles_with_biber_biblatex(run, tmp_path: Path):
    blg = compile_every_paper(
        run,
        tmp_path,
        "\\usepackage[backend=biber]{biblatex}\n\\addbibresource{refs.bib}",
        "\\printbibliography",
        "biber",
    )
    assert "Found 45 citekeys" in blg
    # a preprint's arXiv ID is printed once, from its journal, not again as an eprint
    bbl = (tmp_path / "doc.bbl").read_text(encoding="utf-8")
    entry = bbl[bbl.index("\\entry{li2022large}") :]
    entry = entry[: entry.index("\\endentry")]
    assert entry.count("2211.05110") == 1
