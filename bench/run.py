"""Time whole `ke-papers` processes against the floors beside them, in one run.

    python bench/run.py                   # shipped list, 1,000, 10,000 and 100,000 entries
    python bench/run.py --sizes 0 --runs 7   # only the shipped list (size 0)

Each command runs as a fresh process, several times, each time right after the
framework floor (a minimal Typer app printing a rich table); the table shows the
median wall time, the floor's median over the same turns, their ratio, and the peak
memory (max RSS) of the process. Machines here are shared and noisy: compare ratios,
not seconds across runs.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests"))

from arxiv_server import ArxivServer  # noqa: E402

QUIET = [
    (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
    (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
]


#: The framework floor: a minimal Typer app printing a one-row rich table.
FLOOR = [sys.executable, str(HERE / "floor_app.py")]


def spawn(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak MiB of one fresh process.

    Linux gives a spawned process the peak size of the process that spawned it as its
    first peak: this one holds no big file (files are restored from copies on disk), and
    says its own peak at the end (a peak no higher than that is at most that).
    """
    start = time.perf_counter()
    pid = os.posix_spawnp(cmd[0], cmd, env, file_actions=QUIET)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return elapsed, usage.ru_maxrss / 1024


def measure(
    cmd: list[str],
    runs: int,
    env: dict[str, str],
    before: Callable[[], object] | None = None,
    warmup: bool = True,
) -> tuple[float, float, float]:
    """Median seconds and peak MiB of `cmd` over `runs` fresh processes (one warm-up
    first), and the median seconds of the floor app run right before each of them: the
    two take turns, so that a machine busier for a while slows both alike.

    `before` runs ahead of each process, untimed (to restore a file a command changes).
    """
    times, peaks, floors = [], [], []
    for i in range(runs + warmup):
        if before:
            before()
        floor, _ = spawn(FLOOR, env)
        elapsed, peak = spawn(cmd, env)
        if i or not warmup:
            times.append(elapsed)
            peaks.append(peak)
            floors.append(floor)
    return statistics.median(times), max(peaks), statistics.median(floors)


def commands(bib: Path, key: str) -> list[tuple[str, list[str]]]:
    ke = [sys.executable, "-m", "ke_papers", "--bib", str(bib)]
    return [
        ("search rome", [*ke, "search", "rome"]),
        (
            "search + filters",
            [*ke, "search", "editing", "--since", "2020", "--venue", "EMNLP", "--has-code"],
        ),
        ("show KEY", [*ke, "show", key]),
        ("export --markdown", [*ke, "export", "--markdown"]),
        ("export --bibtex", [*ke, "export", "--bibtex"]),
        ("cite KEY", [*ke, "cite", key]),
        ("lint", [*ke, "lint"]),
    ]


def measure_first(bib: Path, runs: int, env: dict[str, str]) -> tuple[float, float, float]:
    """`info` on a file never read before: its index is removed before each run (the last
    run's index stays, for the commands measured next)."""
    parsed = Path(env["XDG_CACHE_HOME"]) / "ke-papers" / "index"
    cmd = [sys.executable, "-m", "ke_papers", "--bib", str(bib), "info"]
    measured = measure(
        cmd, runs, env, before=lambda: shutil.rmtree(parsed, ignore_errors=True), warmup=False
    )
    if not parsed.is_dir():  # else every run but the first read a warm cache
        raise SystemExit(f"the index is not in {parsed}: first reads were not measured")
    return measured


def saved(bib: Path, suffix: str = ".saved") -> Path:
    """A copy of `bib` beside it (bytes and times), made by the kernel: this process
    never holds a big file (see `spawn`)."""
    return Path(shutil.copy2(bib, bib.with_suffix(suffix)))


def spliced(bib: Path, at: int, cut: int, text: bytes) -> Path:
    """A copy of `bib` with its bytes [at, at + cut) replaced by `text`, a MiB at a time."""
    out = bib.with_suffix(".spliced")
    with bib.open("rb") as src, out.open("wb") as dst:
        while at > 0:
            chunk = src.read(min(at, 1 << 20))
            dst.write(chunk)
            at -= len(chunk)
        dst.write(text)
        src.seek(cut, os.SEEK_CUR)
        shutil.copyfileobj(src, dst, 1 << 20)
    return out


def measure_add(bib: Path, runs: int, env: dict[str, str]) -> tuple[float, float, float]:
    """`add` of one paper from the local arXiv server, the file restored (bytes and mtime)
    before each run so that every run starts from the same, already cached, list."""
    original = saved(bib)
    try:
        return measure(add_command(bib), runs, env, before=lambda: shutil.copy2(original, bib))
    finally:
        shutil.copy2(original, bib)


def measure_changed(bib: Path, runs: int, env: dict[str, str]) -> tuple[float, float, float]:
    """A read (`search rome`) right after one entry in the middle was changed by hand:
    its title alternates between two spellings, so each run finds the file changed."""
    original = saved(bib)
    with bib.open("rb") as fh:
        fh.seek(bib.stat().st_size // 2)
        middle = fh.tell() + fh.read(1 << 20).index(b"title")
    spellings = [original, spliced(bib, middle, 5, b"title = {Edited}, note")]
    turn = [0]

    def change() -> None:
        turn[0] += 1
        shutil.copyfile(spellings[turn[0] % 2], bib)

    cmd = [sys.executable, "-m", "ke_papers", "--bib", str(bib), "search", "rome"]
    try:
        return measure(cmd, runs, env, before=change)
    finally:
        shutil.copyfile(original, bib)


def measure_after_add(bib: Path, runs: int, env: dict[str, str]) -> tuple[float, float, float]:
    """A read (`search rome`) right after `add` wrote a paper (the add itself untimed)."""
    original = saved(bib)

    def add() -> None:
        shutil.copyfile(original, bib)
        subprocess.run(add_command(bib), env=env, check=True, capture_output=True)

    cmd = [sys.executable, "-m", "ke_papers", "--bib", str(bib), "search", "rome"]
    try:
        return measure(cmd, runs, env, before=add)
    finally:
        shutil.copyfile(original, bib)


def add_command(bib: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "ke_papers",
        "--bib",
        str(bib),
        "add",
        "1605.08386",
        "--no-cache",
        "-c",
        "Analysis",
    ]


def measure_edit(bib: Path, key: str, runs: int, env: dict[str, str]) -> tuple[float, float, float]:
    """`edit KEY --set note=...` of the middle entry, the file restored before each run."""
    original = saved(bib)
    cmd = [sys.executable, "-m", "ke_papers", "--bib", str(bib), "edit", key, "--set", "note=x"]
    try:
        return measure(cmd, runs, env, before=lambda: shutil.copyfile(original, bib))
    finally:
        shutil.copyfile(original, bib)


def measure_after_edit(
    bib: Path, key: str, runs: int, env: dict[str, str]
) -> tuple[float, float, float]:
    """A read (`search language`) right after `edit --set` wrote (the edit untimed)."""
    original = saved(bib)
    ke = [sys.executable, "-m", "ke_papers", "--bib", str(bib)]

    def edit() -> None:
        shutil.copyfile(original, bib)
        subprocess.run(
            [*ke, "edit", key, "--set", "note=x"], env=env, check=True, capture_output=True
        )

    try:
        return measure([*ke, "search", "language"], runs, env, before=edit)
    finally:
        shutil.copyfile(original, bib)


def anthology(bib: Path, runs: int, env: dict[str, str]) -> list[tuple[str, float, float, float]]:
    """The commands of a big foreign bib (the ACL Anthology's shape)."""
    key = middle_key(bib)
    ke = [sys.executable, "-m", "ke_papers", "--bib", str(bib)]
    measured = [("first read (no cache)", *measure_first(bib, runs, env))]
    for name, cmd in [
        ("search language", [*ke, "search", "language"]),
        ("lint", [*ke, "lint"]),
        ("list --json", [*ke, "list", "--json"]),
    ]:
        measured.append((name, *measure(cmd, runs, env)))
    measured.append(("edit --set", *measure_edit(bib, key, runs, env)))
    measured.append(("read right after edit", *measure_after_edit(bib, key, runs, env)))
    return measured


def middle_key(bib: Path) -> str:
    """The key of the entry in the middle of the file, read line by line."""
    with bib.open(encoding="utf-8") as fh:
        keys = [m[1] for line in fh if (m := re.match(r"@(?!string)\w+\{([^,]+),", line))]
    return keys[len(keys) // 2]


def floors(bib: Path) -> list[tuple[str, list[str]]]:
    return [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("import typer, rich", [sys.executable, "-c", "import typer, rich"]),
        ("minimal Typer app", FLOOR),
        ("grep -i rome FILE", ["grep", "-i", "rome", str(bib)]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="0,1000,10000,100000",
        help="entry counts; 0 is the shipped list (default: %(default)s)",
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per command (median)")
    parser.add_argument(
        "--anthology",
        type=int,
        default=45000,
        help="entries of the ACL-Anthology-shaped bib (0: none; default: %(default)s)",
    )
    args = parser.parse_args()
    # What `pip install` does: the package's bytecode is compiled once, not by every
    # command (this machine sets PYTHONDONTWRITEBYTECODE, so no command would save it).
    compileall.compile_dir(REPO / "ke_papers", quiet=1)
    work = Path(tempfile.mkdtemp(prefix="ke-bench-"))
    server = ArxivServer(REPO / "tests" / "fixtures" / "arxiv").start()
    env = {
        **os.environ,
        "XDG_CACHE_HOME": str(work / "cache"),
        "XDG_DATA_HOME": str(work / "data"),
        "NO_COLOR": "1",
        "KE_PAPERS_ARXIV_URL": server.url,
        "KE_PAPERS_ARXIV_DELAY": "0",
    }
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"median of {args.runs} runs; x floor = time / the minimal Typer app's time, "
        "the two run in turn"
    )
    print(
        f"{'entries':<14}{'command':<22}{'median s':>10}{'floor s':>9}{'x floor':>9}{'peak MiB':>10}"
    )
    try:
        for size in (int(s) for s in args.sizes.split(",") if s):
            if size == 0:
                bib, label = work / "papers-shipped.bib", "shipped (45)"
                shutil.copyfile(REPO / "data" / "papers.bib", bib)
            else:
                bib, label = work / f"papers-{size}.bib", f"{size:,}"
                make(bib, str(size))
            key = middle_key(bib)
            for name, cmd in floors(bib):
                show(label, name, *measure(cmd, args.runs, env))
            for name, *measured in cases(bib, key, args.runs, env):
                show(label, name, *measured)
        if args.anthology:
            bib = work / "anthology.bib"
            make(bib, str(args.anthology), "anthology")
            label = f"ACL {args.anthology:,}"
            show(label, "minimal Typer app", *measure(FLOOR, args.runs, env))
            for name, *measured in anthology(bib, args.runs, env):
                show(label, name, *measured)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"the benchmark's own peak: {own:.1f} MiB (no process it spawned is reported below it)")


def cases(
    bib: Path, key: str, runs: int, env: dict[str, str]
) -> Iterator[tuple[str, float, float, float]]:
    """Each command measured on a list of one size, as it is measured."""
    yield ("first read (no cache)", *measure_first(bib, runs, env))
    for name, cmd in commands(bib, key):
        yield (name, *measure(cmd, runs, env))
    yield ("add (local arXiv)", *measure_add(bib, runs, env))
    yield ("read, 1 entry changed", *measure_changed(bib, runs, env))
    yield ("read right after add", *measure_after_add(bib, runs, env))


def make(bib: Path, *args: str) -> None:
    """A bib made by make_bib.py in a child process, so that this one stays small: a
    spawned child's peak memory (ru_maxrss) starts from its parent's resident size."""
    with bib.open("w", encoding="utf-8") as out:
        subprocess.run([sys.executable, str(HERE / "make_bib.py"), *args], stdout=out, check=True)


def show(label: str, name: str, seconds: float, peak: float, floor: float) -> None:
    """One row, printed as soon as it is measured."""
    row = f"{seconds:>10.3f}{floor:>9.3f}{seconds / floor:>9.2f}{peak:>10.1f}"
    print(f"{label:<14}{name:<22}{row}", flush=True)


if __name__ == "__main__":
    main()
