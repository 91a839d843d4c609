"""The one URL policy for every way a link comes in (add options, imported lists, the bib).

Only http(s) links with a host: `javascript:`, `data:`, `file:` and friends never reach a
README, a web page or a citation.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ke_papers.errors import KePapersError

#: A link that is plainly fine: lowercase http(s), an ASCII host name with maybe a port, and
#: printable ASCII after it. `urlsplit` takes it apart without a doubt, and is left for the rest.
_PLAIN = re.compile(r"https?://[A-Za-z0-9.\-]+(?::[0-9]*)?(?:[/?#][!-~]*)?")


def problem(url: str) -> str | None:
    """`empty-url`, `bad-url`, or None for a link the list may keep."""
    if _PLAIN.fullmatch(url):
        return None
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
