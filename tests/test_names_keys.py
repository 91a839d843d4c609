"""Names and citation keys, on the cases the list has."""

from __future__ import annotations

import pytest

from ke_papers import keys, names
from ke_papers.latex import brace_acronyms, to_text


@pytest.mark.parametrize(
    ("display", "bibtex"),
    [
        ("Kevin Meng", "Meng, Kevin"),
        ("Nicola De Cao", "De Cao, Nicola"),
        ("Robert L. Logan IV", "Logan, IV, Robert L."),
        ("Marco Túlio Ribeiro", "Ribeiro, Marco Túlio"),
        ("Ludwig van Beethoven", "van Beethoven, Ludwig"),
        ("Plato", "Plato"),
    ],
)
def test_names_round_trip(display: str, bibtex: str):
    name = names.from_display(display)
    assert name.bibtex == bibtex
    assert names.parse(bibtex).display == display


def test_display_names_decode_latex():
    assert names.display_names("Aky{\\\"u}rek, Ekin and T{\\'u}lio, M. and others") == [
        "Ekin Akyürek",
        "M. Túlio",
        "et al.",
    ]


@pytest.mark.parametrize(
    ("author", "year", "title", "key"),
    [
        (
            "Meng, Kevin",
            2022,
            "Locating and Editing Factual Associations in {GPT}",
            "meng2022locating",
        ),
        ("De Cao, Nicola", 2021, "Editing Factual Knowledge", "decao2021editing"),
        ("Akyürek, Ekin", 2022, "Towards Tracing", "akyurek2022towards"),
        ("Doe, J.", 2020, "On the Use of {BERT}", "doe2020use"),
        ("Hoelscher-Obermaier, Jason", 2023, "Detecting", "hoelscherobermaier2023detecting"),
        ("", 2023, "A Survey", "anonymous2023survey"),
    ],
)
def test_key_rule(author: str, year: int, title: str, key: str):
    parsed = [names.parse(n) for n in names.split_authors(author)]
    assert keys.base_key(parsed, year, title) == key


def test_collisions_get_letter_suffixes():
    taken = {"meng2022locating", "meng2022locatinga"}
    assert keys.unique("meng2022locating", taken) == "meng2022locatingb"
    assert keys.unique("meng2022mass", taken) == "meng2022mass"


def test_acronyms_braced_and_plain_text():
    assert brace_acronyms("Can LMs Learn GPT-3 and MemPrompt?") == (
        "Can {LMs} Learn {GPT}-3 and {MemPrompt}?"
    )
    assert brace_acronyms("Already {GPT} braced") == "Already {GPT} braced"
    assert to_text("Fish \\& Chips in {GPT} by T{\\'u}lio, 50\\%") == (
        "Fish & Chips in GPT by Túlio, 50%"
    )
