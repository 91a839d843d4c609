"""Whether links still lead somewhere: HEAD, then GET, politely.

At most 8 requests at once and one per host at a time (each host's links are asked in
turn by one worker); a deadline per link (KE_PAPERS_LINK_TIMEOUT, default 10 s, for the
connection and again for the answer's head; no body is read). Dead is gone: 404, 410 or
another 4xx, or no server at all. 401, 403 and 429 say the server would not let us look, a
5xx that it failed for now, a certificate it could not prove: "could not check". A link
found alive is remembered for a day.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ke_papers.sources.http import USER_AGENT, cached, digest, env_seconds, store_cache

if TYPE_CHECKING:
    import requests

ENV_TIMEOUT = "KE_PAPERS_LINK_TIMEOUT"
DEFAULT_TIMEOUT = 10.0
#: Requests in flight at once, over all hosts.
AT_ONCE = 8
#: Answers that refuse to tell: the page may well be there.
REFUSED = {401, 403, 429}


@dataclass(frozen=True)
class State:
    """`ok`, `dead` or `unchecked`, and why (`HTTP 404`, `no answer within 10 s`)."""

    state: str
    why: str = ""


def _ask(session: requests.Session, url: str, timeout: float) -> State:
    import requests

    status = 0
    try:
        for method in ("HEAD", "GET"):
            with session.request(
                method, url, timeout=timeout, allow_redirects=True, stream=True
            ) as response:
                status = response.status_code
            if status < 400:
                return State("ok")
    except requests.exceptions.Timeout:
        return State("unchecked", f"no answer within {timeout:g} s")
    except requests.exceptions.SSLError:
        return State("unchecked", "its TLS certificate is not accepted")
    except requests.exceptions.ConnectionError:
        return State("dead", "no server answers")
    except requests.exceptions.RequestException as exc:
        return State("unchecked", type(exc).__name__)
    return State("unchecked" if status in REFUSED or status >= 500 else "dead", f"HTTP {status}")


def _host(urls: list[str], timeout: float) -> dict[str, State]:
    """One host's links, one after another."""
    import requests

    with requests.Session() as session:
        session.headers["User-Agent"] = USER_AGENT
        states = {}
        for url in urls:
            states[url] = _ask(session, url, timeout)
            if states[url].state == "ok":
                store_cache("links", digest(url), "ok")
        return states


def check(urls: Sequence[str]) -> dict[str, State]:
    """The state of each link (http(s) links only: the offline rules refuse the others)."""
    timeout = env_seconds(ENV_TIMEOUT, DEFAULT_TIMEOUT, zero_ok=False)
    states: dict[str, State] = {}
    hosts: dict[str, list[str]] = {}
    for url in dict.fromkeys(urls):
        if cached("links", digest(url)) == "ok":
            states[url] = State("ok")
        else:
            hosts.setdefault(urlsplit(url).netloc.casefold(), []).append(url)
    if hosts:
        with ThreadPoolExecutor(max_workers=min(AT_ONCE, len(hosts))) as pool:
            for found in pool.map(lambda group: _host(group, timeout), hosts.values()):
                states.update(found)
    return states
