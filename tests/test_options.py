"""Option values coerced without pydantic (`ke_papers.options`) read as typer's own
coercion reads them: the same value, or the same message for a bad one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import typer
from typer import _coercion, core
from typer.models import ArgumentInfo, OptionInfo

from ke_papers import options

INPUTS = [
    *"""3|-1|0|1| 4 |+5|3.0|3.000|3.|.5|2.5|1e3|1_000|1__0|_1|1_|+-1|00012|-0|| |abc|0x10
|٣|１２|true|False| yes |no|on|OFF|t|Y|N|none|2|maybe|a/b|.|~/x|-|ü b|12\t|\x1c2|2\x1f
|\xa02|2\u3000|0_1|-0_0|0.0|./a|a//b|a/""".replace("\n", "").split("|"),
    "1" * 4301,  # more digits than pydantic reads
    "0" * 4300 + "1",  # leading zeros do not count
]
CASES = [
    (str, OptionInfo()),
    (bool, OptionInfo()),
    (int, OptionInfo()),
    (int, OptionInfo(min=0)),
    (int, OptionInfo(min=1, max=9)),
    (int, OptionInfo(min=1, max=9, clamp=True)),
    (Path, OptionInfo()),
    (Path, OptionInfo(allow_dash=True)),
    (list[str], ArgumentInfo()),
    (list[Path], OptionInfo()),
    (int, OptionInfo(parser=lambda text: int(text, 16))),  # the app's own parser: typer's way
]


def outcome(build, annotation, info, value):
    """What a coercion gives: the value (and its type), or the message it refuses with."""
    descriptor = _coercion.resolve_type_descriptor(annotation, info)
    many = isinstance(value, tuple)
    param = SimpleNamespace(multiple=many, nargs=-1 if many else 1)
    try:
        got = build(descriptor).coerce(value, param=param, ctx=None)
    except typer.BadParameter as exc:
        return "refused", exc.message
    return type(got).__name__, got


@pytest.mark.parametrize(("annotation", "info"), CASES)
def test_values_read_as_typer_reads_them(annotation, info):
    options.install()
    ours = core.build_runtime_param
    assert getattr(ours, "plain", False)  # installed
    many = str(annotation).startswith("list")
    values = [(v,) for v in INPUTS] + [tuple(INPUTS), ()] if many else INPUTS
    for value in [*values, None]:
        want = outcome(_coercion.build_runtime_param, annotation, info, value)
        assert outcome(ours, annotation, info, value) == want, (annotation, value)


def test_a_command_does_not_load_pydantic(tmp_path: Path):
    """In a fresh interpreter: a search with options of every plain kind never imports
    pydantic (typer's own coercion would)."""
    bib = tmp_path / "papers.bib"
    bib.write_text("@misc{a2020x, title = {Rome}, year = {2020}}\n", encoding="utf-8")
    code = f"""
import sys
from ke_papers import cli
sys.argv = ["ke-papers", "--bib", {str(bib)!r}, "search", "rome", "--limit", "3",
            "--year", "2020", "--keys"]
try:
    cli.main()
except SystemExit:
    pass
print("pydantic" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["a2020x", "False"]


def test_a_typer_without_the_pieces_keeps_its_own_coercion(tmp_path: Path):
    """Should a typer release move what `install` relies on, typer's own coercion stays
    and every command still works (a fresh interpreter, with one piece taken away)."""
    bib = tmp_path / "papers.bib"
    bib.write_text("@misc{a2020x, title = {Rome}, year = {2020}}\n", encoding="utf-8")
    code = f"""
import sys
import typer._coercion
del typer._coercion.RuntimeParam
from typer import core
from ke_papers import cli
sys.argv = ["ke-papers", "--bib", {str(bib)!r}, "search", "rome", "--limit", "3", "--keys"]
try:
    cli.main()
except SystemExit:
    pass
print(getattr(core.build_runtime_param, "plain", False))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["a2020x", "False"]
