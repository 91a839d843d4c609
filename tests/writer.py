"""A writing process for the durability tests: adds papers one write at a time."""

from __future__ import annotations

import sys
from pathlib import Path

from ke_papers.model import Paper
from ke_papers.usecases.reading import editing


def main() -> None:
    bib, prefix, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    for i in range(count):
        with editing(bib) as library:
            library.add(
                Paper(
                    f"{prefix}{i}",
                    "misc",
                    {
                        "title": f"Paper {prefix} {i}",
                        "year": "2024",
                        "taxonomy": f"Writers > {prefix}",
                        "abstract": "x" * 2000,  # a larger file makes a torn write likelier to show
                    },
                )
            )
        print(i, flush=True)


if __name__ == "__main__":
    main()
