"""What every web source shares: its settings, a bounded session, a day's cache, politeness.

arXiv, DBLP and Semantic Scholar are asked through the same machinery, so that each has a
base-URL setting, a deadline and a size cap on every answer, a pause between requests,
Retry-After honoured once, answers cached for a day, and one clear line when it fails.
`requests` is imported only by the functions that talk to a server.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ke_papers import files, urls
from ke_papers.errors import KePapersError

if TYPE_CHECKING:
    import requests

#: The longest wait a setting may ask for: a day.
MAX_SECONDS = 86_400.0
CACHE_SECONDS = 24 * 3600
#: The longest Retry-After honoured before the one retry (a setting, for tests and the impatient).
ENV_MAX_WAIT = "KE_PAPERS_MAX_WAIT"
DEFAULT_MAX_WAIT = 60.0
#: Who asks: DBLP and Semantic Scholar ask clients to say so.
USER_AGENT = "ke-papers (https://github.com/zjunlp/KnowledgeEditingPapers)"


class TooLarge(Exception):
    """An answer over the size cap, on the wire or unpacked."""


def env_seconds(name: str, default: float, zero_ok: bool) -> float:
    """A setting in seconds: a finite number, above zero (or zero when `zero_ok`), a day at most."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    low_ok = seconds >= 0 if zero_ok else seconds > 0
    if not (math.isfinite(seconds) and low_ok and seconds <= MAX_SECONDS):
        least = "0 or more" if zero_ok else "more than 0"
        raise KePapersError(
            f"${name} must be a number of seconds, {least} and at most {MAX_SECONDS:.0f}, "
            f"not '{value}'"
        )
    return seconds


def env_url(name: str, default: str) -> str:
    value = os.environ.get(name) or default
    if urls.problem(value) is not None:
        raise KePapersError(f"${name} must be an http(s) URL, not '{value}'")
    return value


def _cache_file(kind: str, name: str) -> Path:
    from ke_papers.config import cache_dir

    return cache_dir() / kind / (name.replace("/", "_") + ".json")


def cached(kind: str, name: str) -> Any:
    """The value stored under `kind/name` less than a day ago, else None."""
    try:
        data = json.loads(_cache_file(kind, name).read_text(encoding="utf-8"))
        if time.time() - float(data["fetched"]) > CACHE_SECONDS:
            return None
        return data["record"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store_cache(kind: str, name: str, value: Any) -> None:
    data = {"fetched": time.time(), "record": value}
    # The cache only saves requests; a read-only cache folder is no error.
    files.write_quietly(_cache_file(kind, name), json.dumps(data, ensure_ascii=False).encode())


def digest(text: str) -> str:
    """A cache file name for a request (a query of any length or character)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def bounded_session(timeout: float, max_bytes: int) -> requests.Session:
    """A session whose every answer is whole within `timeout` seconds and at most `max_bytes`,
    on the wire and unpacked: a server that drips a byte a second or sends a gzip bomb is cut off."""
    import requests

    class _Session(requests.Session):
        def request(self, *args: Any, **kwargs: Any) -> requests.Response:
            deadline = time.monotonic() + timeout
            kwargs.update(timeout=timeout, stream=True)
            response = super().request(*args, **kwargs)
            body = bytearray()
            while chunk := response.raw.read1(65536, decode_content=True):
                body += chunk
                if len(body) > max_bytes or response.raw.tell() > max_bytes:
                    response.close()
                    raise TooLarge
                if time.monotonic() > deadline:
                    response.close()
                    raise requests.exceptions.ReadTimeout
            response._content = bytes(body)
            response._content_consumed = True
            return response

    return _Session()


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (a number, or an HTTP date), else None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


@dataclass
class Service:
    """One web API, asked politely: `name` says it in messages, `kind` names its settings
    (KE_PAPERS_<KIND>_URL, _DELAY, _TIMEOUT) and its cache folder."""

    name: str
    kind: str
    default_url: str
    default_delay: float = 1.0
    max_bytes: int = 16 * 2**20
    headers: dict[str, str] = field(default_factory=dict)
    _session: requests.Session | None = None
    _timeout: float = 0.0
    _last: float = -math.inf

    def setting(self, what: str) -> str:
        return f"KE_PAPERS_{self.kind.upper()}_{what}"

    @property
    def base(self) -> str:
        return env_url(self.setting("URL"), self.default_url).rstrip("/")

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """The answer to one request (2xx or 404), the requests paced; a 429 is waited for
        once (its Retry-After, at most $KE_PAPERS_MAX_WAIT) and asked again; the rest is one line."""
        response = self._send(method, path, kwargs)
        if response.status_code == 429:
            wait = retry_after(response.headers.get("Retry-After"))
            cap = env_seconds(ENV_MAX_WAIT, DEFAULT_MAX_WAIT, zero_ok=True)
            time.sleep(min(wait if wait is not None else self._delay(), cap))
            response = self._send(method, path, kwargs)
            if response.status_code == 429:
                wait = retry_after(response.headers.get("Retry-After"))
                asked = f", Retry-After {wait:g} s" if wait is not None else ""
                raise KePapersError(
                    f"{self.name} is limiting requests (HTTP 429{asked}) after one wait; "
                    "try again later"
                )
        if response.status_code >= 400 and response.status_code != 404:
            raise KePapersError(f"{self.name} answered HTTP {response.status_code} ({self.base})")
        return response

    def _delay(self) -> float:
        return env_seconds(self.setting("DELAY"), self.default_delay, zero_ok=True)

    def _send(self, method: str, path: str, kwargs: dict[str, Any]) -> requests.Response:
        import requests

        timeout = env_seconds(self.setting("TIMEOUT"), 30.0, zero_ok=False)
        if self._session is None or timeout != self._timeout:
            self._session, self._timeout = bounded_session(timeout, self.max_bytes), timeout
            self._session.headers.update({"User-Agent": USER_AGENT, **self.headers})
        time.sleep(max(0.0, self._last + self._delay() - time.monotonic()))
        try:
            return self._session.request(method, self.base + path, **kwargs)
        except TooLarge:
            raise KePapersError(
                f"{self.name}'s answer is larger than {self.max_bytes // 2**20} MiB: "
                f"not read ({self.base})"
            ) from None
        except requests.exceptions.Timeout:
            raise KePapersError(
                f"{self.name} did not answer within {timeout:g} s ({self.base})"
            ) from None
        except requests.exceptions.ConnectionError:
            raise KePapersError(
                f"cannot reach {self.name} at {self.base} (no network, or the server is down; "
                f"{self.setting('URL')} names a mirror)"
            ) from None
        except requests.exceptions.RequestException as exc:
            raise KePapersError(f"{self.name} request failed: {exc}") from None
        finally:
            self._last = time.monotonic()
