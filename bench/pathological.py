"""Inputs made to be slow or big (issue 31): how the work grows, and peak memory.

    python bench/pathological.py              # growth table and the 50 MB field
    python bench/pathological.py --field 200  # a 200 MB field instead

Growth: each input is built at N and 2N and read by a fresh `ke-papers` process (its
own empty cache, so the index is built); the table shows both times and their ratio
(about 2 is linear, about 4 quadratic). Memory: a bib holding one field of the given
size; each command's peak memory (max RSS of the process) beside the file's size.
The machine is shared and noisy: read the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

Build = Callable[[int], str]


def crossref_chain(n: int) -> str:
    """Each entry `crossref`s the one before it."""
    head = "@proceedings{p0, title = {The Proceedings}, year = {2020}, publisher = {P}}\n"
    return head + "".join(
        f"\n@inproceedings{{p{i}, title = {{Paper {i}}}, author = {{Lee, Ann}}, "
        f"crossref = {{p{i - 1}}}}}\n"
        for i in range(1, n)
    )


def xdata_chain(n: int) -> str:
    """Each entry takes the fields of the one before through `xdata` (the same few fields:
    a chain where entry i adds a field of its own gives the last one n fields, and its
    output grows as n squared)."""
    head = "@xdata{x0, publisher = {P}, year = {2020}}\n"
    return head + "".join(
        f"\n@misc{{x{i}, title = {{T {i}}}, xdata = {{x{i - 1}}}}}\n" for i in range(1, n)
    )


def string_chain(n: int) -> str:
    """Each @string is the one before it (a chain of n names for one text), and an entry
    after each uses the newest with text added. (A chain where each adds a letter gives
    n squared letters from n lines: `@string` macros may add at most eight times the
    file's size, so that one is an error line.)"""
    lines = ['@string{s0 = "The Proceedings of Something"}']
    for i in range(1, n):
        lines += [f"@string{{s{i} = s{i - 1}}}", f'@misc{{k{i}, title = s{i} # " {i}"}}']
    return "\n".join(lines) + "\n"


def many_entries(n: int) -> str:
    """Entries with comment lines inside them (the comment scan) and no blank lines."""
    return "".join(
        f"@misc{{k{i}, % a comment\n title = {{T {i}}}, year = {{2020}}}}\n" for i in range(n)
    )


GROWTH: list[tuple[str, Build, list[str], int]] = [
    ("crossref chain, list", crossref_chain, ["list", "--format", "keys"], 5000),
    ("crossref chain, lint", crossref_chain, ["lint"], 5000),
    ("xdata chain, list", xdata_chain, ["list", "--format", "keys"], 2000),
    ("@string chain, fmt --check (one parse)", string_chain, ["fmt", "--check"], 2000),
    ("@string chain, list (the index)", string_chain, ["list", "--format", "keys"], 500),
    ("entries with comments, lint", many_entries, ["lint"], 20000),
]
SEARCHES = [("search, one long word", 1000)]


def run(args: list[str], home: Path) -> tuple[float, int, int]:
    """Wall time, peak memory (KiB) and exit code of one fresh `ke-papers` process."""
    env = {**os.environ, "XDG_CACHE_HOME": str(home / "cache"), "XDG_DATA_HOME": str(home)}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ke_papers", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def growth(folder: Path) -> None:
    print("| input | N | time at N | time at 2N | ratio |\n|---|---:|---:|---:|---:|")
    for name, build, args, n in GROWTH:
        times = []
        for size in (n, 2 * n):
            bib = folder / f"{build.__name__}{size}.bib"
            bib.write_text(build(size), encoding="utf-8")
            home = Path(tempfile.mkdtemp(dir=folder))
            times.append(run(["--bib", str(bib), *args], home)[0])
        print(
            f"| {name} | {n:,} | {times[0]:.2f} s | {times[1]:.2f} s | {times[1] / times[0]:.2f} |"
        )
    bib = folder / "list.bib"
    bib.write_text(many_entries(200), encoding="utf-8")
    home = Path(tempfile.mkdtemp(dir=folder))
    run(["--bib", str(bib), "list"], home)  # the index built once
    for name, n in SEARCHES:
        times = [run(["--bib", str(bib), "search", "a" * size], home)[0] for size in (n, 2 * n)]
        print(
            f"| {name} (letters) | {n:,} | {times[0]:.2f} s | {times[1]:.2f} s | {times[1] / times[0]:.2f} |"
        )


def memory(folder: Path, megabytes: int) -> None:
    size = megabytes * 1_000_000
    text = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. "
    field = (text * (size // len(text) + 1))[:size]
    bib = folder / "big.bib"
    bib.write_text(
        "@misc{a2020b,\n  title = {B},\n  year = {2020},\n  abstract = {" + field + "}\n}\n\n"
        "@misc{c2021d,\n  title = {D},\n  year = {2021}\n}\n",
        encoding="utf-8",
    )
    file_mb = bib.stat().st_size / 2**20
    print(f"\n| command (one {megabytes} MB field) | peak memory | x file size |\n|---|---:|---:|")
    for args in (["lint"], ["fmt", "--check"], ["list", "--format", "keys"]):
        home = Path(tempfile.mkdtemp(dir=folder))
        for label in ("index built", "index ready"):
            peak = run(["--bib", str(bib), *args], home)[1]
            shown = f"{' '.join(args)} ({label})"
            print(f"| {shown} | {peak / 1024:.0f} MB | {peak / 1024 / file_mb:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--field", type=int, default=50, help="the big field's size in MB")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ke-papers-bench-") as name:
        growth(Path(name))
        memory(Path(name), options.field)


if __name__ == "__main__":
    main()
