"""The one URL policy for every way a link comes in (add options, imported lists, the bib).

Only http(s) links with a host: `javascript:`, `data:`, `file:` and friends never reach a
README, a web page or a citation.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ke_papers.errors import KePapersError


def problem(url: str) -> str | None:
    """`empty-url`, `bad-url`, or None for a link the list may keep."""
    if not url.strip():
        return "empty-url"
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # `https://[host/...`: not a URL at all
        return "bad-url"
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        return "bad-url"
    return None


def check(url: str) -> str:
    """The URL, stripped; anything but an http(s) link with a host is refused."""
    if problem(url) is not None:
        raise KePapersError(f"'{url}' is not an http(s) URL")
    return url.strip()


def for_bibtex(url: str) -> str:
    """Percent-encode what would break a BibTeX value or the links field."""
    return url.replace(" ", "%20").replace("{", "%7B").replace("}", "%7D")
