"""No command may lose or mangle a paper, whatever happens mid-write."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import DATA_BIB

from ke_papers import bibread

WRITER = Path(__file__).with_name("writer.py")


def writer(bib: Path, prefix: str, count: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(bib), prefix, str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigkill_mid_write_leaves_old_or_new_file(tmp_path: Path):
    bib = tmp_path / "papers.bib"
    bib.write_bytes(DATA_BIB.read_bytes())
    original = [p.key for p in bibread.read(bib).papers]
    rng = random.Random(1234)
    kills = 0
    for round_ in range(25):
        before = bib.read_bytes()
        proc = writer(bib, f"r{round_}x", 1000)
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += proc.returncode == -signal.SIGKILL
        after = bib.read_bytes()
        keys = [p.key for p in bibread.parse(after.decode("utf-8"), bib).papers]  # parses: whole
        assert keys[: len(original)] == original  # nothing of before lost or reordered
        prev = [p.key for p in bibread.parse(before.decode("utf-8"), bib).papers]
        assert keys[: len(prev)] == prev  # the old content is all there, untouched
        new = keys[len(prev) :]
        assert new == [f"r{round_}x{i}" for i in range(len(new))]  # whole writes only
        assert after.startswith(before.rstrip(b"\n")) or after == before
    assert kills == 25


def test_concurrent_writers_lose_no_paper(tmp_path: Path):
    bib = tmp_path / "papers.bib"
    bib.write_bytes(DATA_BIB.read_bytes())
    procs = [writer(bib, f"w{n}x", 8) for n in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    keys = [p.key for p in bibread.read(bib).papers]
    assert len(keys) == 45 + 32 and len(set(keys)) == len(keys)
    for n in range(4):
        assert [k for k in keys if k.startswith(f"w{n}x")] == [f"w{n}x{i}" for i in range(8)]


def test_two_cli_adds_at_once_both_land(tmp_path: Path):
    """The CLI path: two `ke-papers import` processes on one file, each adding a paper."""
    bib = tmp_path / "papers.bib"
    bib.write_bytes(DATA_BIB.read_bytes())
    procs = []
    for n in range(2):
        md = tmp_path / f"list{n}.md"
        md.write_text(
            f"## Papers\n### Analysis\n1. **Concurrent Paper Number {n}** <br />\n"
            f"Ada Lovelace{n}.\n[[paper](https://arxiv.org/abs/2401.0000{n})]\n",
            encoding="utf-8",
        )
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ke_papers",
                    "--bib",
                    str(bib),
                    "import",
                    "--markdown",
                    str(md),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "NO_COLOR": "1"},
            )
        )
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    titles = [p.title for p in bibread.read(bib).papers]
    assert "Concurrent Paper Number 0" in titles and "Concurrent Paper Number 1" in titles
