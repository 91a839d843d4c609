"""How fast the web page filters a keystroke, in headless Chromium, on a big list.

    python bench/html_filter.py            # 10,000 entries
    python bench/html_filter.py 1000 3     # 1,000 entries, 3 rounds

Builds a bib with `bench/make_bib.py`, exports the page (`export --html`), opens it
in Debian's Chromium through Playwright and types queries key by key, then deletes
them. For each keystroke it measures from the key event's time stamp to the first
frame after the page has filtered (a `requestAnimationFrame`, then a task: the paint
is done), and to the moment the page's script has filtered (before drawing). Prints
the median, 90th percentile and worst keystroke of each.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from browser import launch  # noqa: E402
from make_bib import make  # noqa: E402

QUERIES = ["knowledge editing", "rome", "memit 2022", "locate facts"]
PROBE = """() => {
  window.__times = [];
  const q = document.getElementById('q');
  let start = 0;
  q.addEventListener('keydown', e => { start = e.timeStamp; }, true);
  q.addEventListener('input', () => {
    const filtered = performance.now() - start;
    requestAnimationFrame(() => setTimeout(() => {
      window.__times.push([filtered, performance.now() - start]);
    }));
  });
}"""


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    from playwright.sync_api import sync_playwright

    from ke_papers.render.formats import FORMATS
    from ke_papers.usecases.exporting import export

    with tempfile.TemporaryDirectory() as tmp:
        bib = Path(tmp) / "big.bib"
        bib.write_text(make(size), encoding="utf-8")
        page_path = Path(tmp) / "index.html"
        started = time.perf_counter()
        export(bib, FORMATS["html"], output=page_path)
        built = time.perf_counter() - started
        megabytes = page_path.stat().st_size / 1e6
        with sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            started = time.perf_counter()
            page.goto(page_path.as_uri())
            loaded = time.perf_counter() - started
            page.evaluate(PROBE)
            times: list[list[float]] = []
            for _ in range(rounds):
                for query in QUERIES:
                    page.evaluate("window.__times = []")
                    page.click("#q")
                    for key in query:
                        page.keyboard.press(key)
                        page.wait_for_function("n => window.__times.length >= n", arg=1)
                        times += page.evaluate("window.__times.splice(0)")
                    for _ in query:
                        page.keyboard.press("Backspace")
                        page.wait_for_function("n => window.__times.length >= n", arg=1)
                        times += page.evaluate("window.__times.splice(0)")
            shown = page.evaluate("document.getElementById('status').textContent")
            browser.close()
    print(
        f"{size:,} entries: page {megabytes:.1f} MB, export {built:.2f} s, load {loaded:.2f} s "
        f"(status after the last key: {shown})"
    )
    for n, what in enumerate(("script done", "frame drawn")):
        spread = sorted(t[n] for t in times)
        print(
            f"keystroke to {what} over {len(spread)} keys: median {statistics.median(spread):.1f} ms,"
            f" p90 {spread[int(len(spread) * 0.9)]:.1f} ms, worst {spread[-1]:.1f} ms"
        )


if __name__ == "__main__":
    main()
