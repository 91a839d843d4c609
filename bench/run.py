"""Time whole `ke-papers` processes against the floors beside them, in one run.

    python bench/run.py                   # shipped list, 1,000, 10,000 and 100,000 entries
    python bench/run.py --sizes 0 --runs 7   # only the shipped list (size 0)

Each command runs as a fresh process, several times; the table shows the median
wall time, its ratio to the framework floor (a minimal Typer app printing a rich
table) and the peak memory (max RSS) of the process. Machines here are shared and
noisy: compare ratios within one run, not seconds across runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from make_bib import make  # noqa: E402


def measure(cmd: list[str], runs: int, env: dict[str, str]) -> tuple[float, float]:
    """Median seconds and peak MiB of `cmd` over `runs` fresh processes (one warm-up first)."""
    times, peaks = [], []
    for i in range(runs + 1):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            raise SystemExit(f"failed: {' '.join(cmd)}")
        if i:
            times.append(elapsed)
            peaks.append(usage.ru_maxrss / 1024)
    return statistics.median(times), max(peaks)


def commands(bib: Path, key: str) -> list[tuple[str, list[str]]]:
    ke = [sys.executable, "-m", "ke_papers", "--bib", str(bib)]
    return [
        ("search rome", [*ke, "search", "rome"]),
        ("search + filters", [*ke, "search", "editing", "--since", "2020", "--venue", "EMNLP",
                              "--has-code"]),
        ("show KEY", [*ke, "show", key]),
        ("export --markdown", [*ke, "export", "--markdown"]),
    ]


def floors(bib: Path) -> list[tuple[str, list[str]]]:
    return [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("import typer, rich", [sys.executable, "-c", "import typer, rich"]),
        ("minimal Typer app", [sys.executable, str(HERE / "floor_app.py")]),
        ("grep -i rome FILE", ["grep", "-i", "rome", str(bib)]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0,1000,10000,100000",
                        help="entry counts; 0 is the shipped list (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=5, help="runs per command (median)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ke-bench-"))
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache"), "XDG_DATA_HOME": str(work / "data"),
           "NO_COLOR": "1"}
    rows = []
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            if size == 0:
                bib, label, key = REPO / "data" / "papers.bib", "shipped (45)", "meng2022locating"
            else:
                bib = work / f"papers-{size}.bib"
                bib.write_text(make(size), encoding="utf-8")
                label, key = f"{size:,}", f"paper{size // 2}x{2015 + (size // 2) % 10}"
            measured = [(name, *measure(cmd, args.runs, env)) for name, cmd in floors(bib)]
            floor = measured[2][1]
            for name, cmd in commands(bib, key):
                measured.append((name, *measure(cmd, args.runs, env)))
            for name, seconds, peak in measured:
                rows.append((label, name, seconds, seconds / floor, peak))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'entries':<14}{'command':<22}{'median s':>10}{'x floor':>9}{'peak MiB':>10}")
    for label, name, seconds, ratio, peak in rows:
        print(f"{label:<14}{name:<22}{seconds:>10.3f}{ratio:>9.2f}{peak:>10.1f}")


if __name__ == "__main__":
    main()
