"""A local arXiv API on 127.0.0.1 that answers from the real recorded responses.

`id_list` requests are answered with the real <entry> elements cut out of the
recorded feeds; an ID that is not an arXiv ID gets the recorded HTTP 400 answer.
`search_query` requests are answered from the search feeds given (`search`): every
entry submitted within the query's `submittedDate:[FROM TO TO]` range, in the feed's
order, a page at a time (`start`, `max_results`). It does not match the query's words:
arXiv's own ranking is not ours to imitate, and what `discover` makes of a mixed answer
is what the tests look at.
Modes stand in for failures: "down" (nothing listens), "slow" (answers after the
client's timeout), "error" (HTTP 503 every time), "reject" (the recorded 400 every time).
"""

from __future__ import annotations

import functools
import json
import re
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

_ENTRY = re.compile(r"<entry>.*?</entry>", re.DOTALL)
_ENTRY_ID = re.compile(r"<id>https?://arxiv\.org/abs/(.+?)</id>")
_PUBLISHED = re.compile(r"<published>(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)")
_SUBMITTED = re.compile(r"submittedDate:\[(\d{12}) TO (\d{12})\]")
_VALID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z\-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$")
_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <id>https://arxiv.org/api/local</id>
  <title>arXiv Query</title>
  <updated>2026-11-24T00:00:00Z</updated>
  <link href="http://127.0.0.1/api/query" type="application/atom+xml"/>
  <opensearch:itemsPerPage>{page}</opensearch:itemsPerPage>
  <opensearch:totalResults>{n}</opensearch:totalResults>
  <opensearch:startIndex>{start}</opensearch:startIndex>
{entries}
</feed>
"""


@functools.lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """200 MiB of spaces in about 200 KiB of gzip (built once; call it before timing)."""
    import gzip

    return gzip.compress(b"<" + b" " * (200 * 2**20), compresslevel=6)


def _submitted(entry: str) -> str:
    """When an entry was first submitted, as the API's dates are written (YYYYMMDDHHMM)."""
    m = _PUBLISHED.search(entry)
    return "".join(m.groups()) if m else ""


def _base(identifier: str) -> str:
    return re.sub(r"v\d+$", "", identifier)


class ArxivServer:
    def __init__(self, fixtures: Path, *more: Path, search: Sequence[Path] = ()) -> None:
        self.entries: dict[str, str] = {}
        #: What a search can find, in the order arXiv would answer it.
        self.found: list[str] = []
        #: Answer a search with every entry, whatever its date (a server that ignores it).
        self.any_date = False
        for feed in search:
            self.found += _ENTRY.findall(feed.read_text(encoding="utf-8"))
        self.bad_request = b""
        for path in sorted(p for folder in (fixtures, *more) for p in folder.glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            body = data["body"].encode("latin-1").decode("utf-8")
            if data["status_code"] == 400:
                self.bad_request = body.encode("utf-8")
                continue
            for entry in _ENTRY.findall(body):
                m = _ENTRY_ID.search(entry)
                if m:
                    self.entries.setdefault(_base(m[1]), entry)
        self.requests: list[dict[str, list[str]]] = []
        self.times: list[float] = []
        self.mode = "ok"
        #: Answer an ID the recordings lack with a recorded entry under that ID (for the
        #: README's examples, which name papers of the field rather than the recorded ones).
        self.answer_any = False
        self.slow_seconds = 3.0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/query"

    def start(self) -> ArxivServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, query: dict[str, list[str]]) -> tuple[int, bytes]:
        if query.get("search_query"):
            return 200, self._search(query)
        ids = [i for i in ",".join(query.get("id_list", [""])).split(",") if i]
        if any(not _VALID.match(i) for i in ids):
            return 400, self.bad_request
        entries = [
            self._entry(_base(i)) for i in ids if _base(i) in self.entries or self.answer_any
        ]
        body = _FEED.format(n=len(entries), page=len(entries), start=0, entries="\n".join(entries))
        return 200, body.encode("utf-8")

    def _search(self, query: dict[str, list[str]]) -> bytes:
        """One page of the entries submitted within the query's date range (all without one)."""
        dates = None if self.any_date else _SUBMITTED.search(query["search_query"][0])
        found = [e for e in self.found if not dates or dates[1] <= _submitted(e) <= dates[2]]
        start = int(query.get("start", ["0"])[0])
        page = found[start : start + int(query.get("max_results", ["10"])[0])]
        body = _FEED.format(n=len(found), page=len(page), start=start, entries="\n".join(page))
        return body.encode("utf-8")

    def _entry(self, base: str) -> str:
        if base in self.entries:
            return self.entries[base]
        stand_in = next(iter(self.entries.values()))
        return _ENTRY_ID.sub(f"<id>http://arxiv.org/abs/{base}v1</id>", stand_in, count=1)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                server.requests.append(query)
                server.times.append(time.monotonic())
                if server.mode == "slow":
                    time.sleep(server.slow_seconds)
                if server.mode in ("drip", "bomb", "huge"):
                    self._hostile(server.mode)
                    return
                if server.mode == "error":
                    status, body = 503, b"Service Unavailable"
                elif server.mode == "reject":
                    status, body = 400, server.bad_request
                else:
                    status, body = server.answer(query)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

            def _hostile(self, mode: str) -> None:
                """A byte at a time, a gzip bomb, or a body larger than any answer should be."""
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/atom+xml")
                    if mode == "bomb":
                        body = gzip_bomb()
                        self.send_header("Content-Encoding", "gzip")
                    else:
                        body = b"<" + b" " * (40 * 2**20 if mode == "huge" else 10**6)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if mode == "drip":
                        for i in range(len(body)):
                            self.wfile.write(body[i : i + 1])
                            self.wfile.flush()
                            time.sleep(0.1)
                    else:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler
