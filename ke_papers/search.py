"""Ranked search and filters over the papers.

Each query word is matched, case- and accent-insensitively, against the tokens of
each field of each paper: a whole word counts fully, a prefix half, a one-letter
typo (words of five letters or more) a little less, and a bare substring (`mend`
inside "recommendation") a quarter. Fields weigh differently: a keyword or the key
outweighs a title word, which outweighs an abstract or a URL; hits in long fields
count a little less. Papers that match every query word come first.
"""

from __future__ import annotations

import math
import re
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from ke_papers.errors import KePapersError
from ke_papers.latex import fold
from ke_papers.model import Paper

_TOKEN = re.compile(r"[a-z0-9]+")
_VENUE_TOKEN = re.compile(r"[a-z]+|\d+")
_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789"

#: How much a whole-word hit in each field weighs.
WEIGHTS = {
    "key": 12.0,
    "keywords": 10.0,
    "title": 6.0,
    "authors": 5.0,
    "taxonomy": 4.0,
    "venue": 4.0,
    "year": 3.0,
    "abstract": 1.5,
    "urls": 1.5,
}
EXACT, TYPO, PREFIX, SUBSTRING = 1.0, 0.7, 0.5, 0.25
#: Fields whose length dampens a hit (BM25's b): a word among five counts more than among fifty.
LENGTH_DAMPING = {"title": 0.6, "keywords": 0.6, "abstract": 0.5}
PHRASE_BONUS = 4.0
TYPO_MIN_LENGTH = 5
PREFIX_MIN_LENGTH = 3
#: Shorter query words ("in", "mor") match whole words only: as parts of words they match everything.
WHOLE_WORD_BELOW = 4


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


def paper_fields(paper: Paper) -> dict[str, str]:
    """The searchable text of a paper, folded, one string per field."""
    return {
        "key": fold(paper.key),
        "keywords": fold(", ".join(paper.keywords)),
        "title": fold(paper.title),
        "authors": fold(", ".join(paper.authors)),
        "taxonomy": fold(" / ".join(paper.taxonomy)),
        "venue": fold(paper.venue),
        "year": str(paper.year or ""),
        "abstract": fold(paper.abstract),
        "urls": fold(" ".join(link.url for link in paper.links)),
    }


def field_values(paper: Paper) -> tuple[str, ...]:
    """A paper's searchable texts in the order of WEIGHTS, each on one line."""
    return tuple(" ".join(text.split()) for text in paper_fields(paper).values())


def token_count(value: str) -> int:
    return len(_TOKEN.findall(value))


def index_tokens(text: str) -> list[str]:
    """The tokens of index text (already folded), each as often as it occurs."""
    return _TOKEN.findall(text)


#: Each field's index text is kept in chunks of about this many characters (the text is
#: the chunks joined by newlines, each chunk whole values): a change to a few papers
#: rebuilds the chunks they stand in and shares the others.
CHUNK = 1 << 20


def chunked(text: str) -> list[str]:
    """Values joined by newlines, as chunks of about CHUNK characters (cut at newlines)."""
    chunks, start = [], 0
    while len(text) - start > 2 * CHUNK:
        cut = text.find("\n", start + CHUNK)
        if cut < 0:
            break
        chunks.append(text[start:cut])
        start = cut + 1
    chunks.append(text[start:] if start else text)
    return chunks


def spanned(chunks: Sequence[str], bases: Sequence[int], start: int, end: int) -> list[str]:
    """The values from `start` to `end` (positions in the chunks joined by newlines, at
    the edges of values) as chunks: whole chunks shared, those at the edges sliced."""
    out = []
    k = bisect_right(bases, start) - 1
    while True:
        chunk, base = chunks[k], bases[k]
        a, b = start - base, min(end - base, len(chunk))
        out.append(chunk if a == 0 and b == len(chunk) else chunk[a:b])
        if end <= base + len(chunk):
            return out
        k += 1
        start = bases[k]


def compacted(chunks: Iterable[str]) -> list[str]:
    """Chunks of about CHUNK characters: small neighbours joined, big ones cut."""
    out: list[str] = []
    group: list[str] = []
    size = 0

    def flush() -> None:
        nonlocal size
        if group:
            out.append(group[0] if len(group) == 1 else "\n".join(group))
            group.clear()
            size = 0

    for chunk in chunks:
        if len(chunk) >= CHUNK // 2:
            flush()
            out.extend(chunked(chunk) if len(chunk) > 2 * CHUNK else [chunk])
            continue
        group.append(chunk)
        size += len(chunk) + 1
        if size >= CHUNK:
            flush()
    flush()
    return out


def value_starts(values: Iterable[str]) -> array[int]:
    """Where each value (or chunk of values) starts in them joined by newlines."""
    starts, pos = array("q"), 0
    for value in values:
        starts.append(pos)
        pos += len(value) + 1
    return starts


class Filters(NamedTuple):
    author: str | None = None
    year: int | None = None
    since: int | None = None
    until: int | None = None
    venue: str | None = None
    category: tuple[str, ...] | None = None
    has_code: bool = False

    def active(self) -> bool:
        return self != Filters()


class Hit(NamedTuple):
    paper: Paper
    score: float
    matched: int


class Hits(NamedTuple):
    """The ranked hits (cut to the limit) and how many papers matched in all."""

    hits: list[Hit]
    total: int


def passing(meta: dict[str, Any], filters: Filters) -> list[int] | None:
    """Positions passing the filters on year, code and section (the cache's meta columns).

    None when none of those filters is set. Author and venue need the index: Index.passing.
    """
    if (filters.year, filters.since, filters.until, filters.category) == (None,) * 4 and not (
        filters.has_code
    ):
        return None
    years, code = meta["years"], meta["code"]
    keep = [
        i
        for i in range(len(years))
        if (filters.year is None or years[i] == filters.year)
        and (filters.since is None or (years[i] and years[i] >= filters.since))
        and (filters.until is None or (years[i] and years[i] <= filters.until))
        and (not filters.has_code or code[i])
    ]
    if filters.category is not None:
        path = fold(" / ".join(filters.category))
        folded = meta["folded_taxonomy"]
        keep = [i for i in keep if folded[i] == path or folded[i].startswith(path + " / ")]
    return keep


class Index:
    """Folded field texts of every paper, one text per field (in chunks), built once and
    cacheable.

    Matching scans those texts with regular expressions (C speed) and maps each hit
    back to its paper through the offsets, so a query touches only the papers it hits.
    """

    def __init__(self, data: dict[str, Any], meta: dict[str, Any], papers: Sequence[Paper]) -> None:
        self.data = data
        self.meta = meta
        self.papers = papers
        self.count = len(meta["keys"])
        self._vocabulary: set[str] | None = None
        self.starts = {f: array("q", data["starts"][f]) for f in WEIGHTS}
        self.chunks = {
            f: list(zip(value_starts(data["text"][f]), data["text"][f], strict=True))
            for f in WEIGHTS
        }
        self.lengths = {f: array("l", data["lengths"][f]) for f in WEIGHTS}
        self.avg_length = {f: max(1.0, sum(self.lengths[f]) / max(1, self.count)) for f in WEIGHTS}

    @staticmethod
    def build(papers: Sequence[Paper]) -> dict[str, Any]:
        """The index data (plain types, so that the cache can marshal it)."""
        values = [field_values(p) for p in papers]
        texts = {f: chunked("\n".join(v[k] for v in values)) for k, f in enumerate(WEIGHTS)}
        starts = {f: value_starts(v[k] for v in values) for k, f in enumerate(WEIGHTS)}
        lengths = {
            f: array("l", (token_count(v[k]) for v in values)) for k, f in enumerate(WEIGHTS)
        }
        vocabulary: set[str] = set()
        for chunks in texts.values():
            for text in chunks:
                vocabulary.update(_TOKEN.findall(text))
        return Index.assemble(texts, starts, lengths, " ".join(sorted(vocabulary)))

    @staticmethod
    def assemble(
        texts: dict[str, list[str]],
        starts: dict[str, array[int]],
        lengths: dict[str, array[int]],
        vocabulary: str,
    ) -> dict[str, Any]:
        """The index data from each field's text (in chunks), the offsets and token counts of
        its values, and every token, sorted and space-separated (the parse cache
        assembles these from reused parts)."""
        return {
            "text": texts,
            "starts": {f: starts[f].tobytes() for f in WEIGHTS},
            "lengths": {f: lengths[f].tobytes() for f in WEIGHTS},
            "vocabulary": vocabulary,
        }

    @property
    def vocabulary(self) -> set[str]:
        """Every token of every field; built only when typo or suggestion matching needs it."""
        if self._vocabulary is None:
            self._vocabulary = set(self.data["vocabulary"].split())
        return self._vocabulary

    def _paper_at(self, field: str, pos: int) -> int:
        return bisect_right(self.starts[field], pos) - 1

    def _field_hits(self, field: str, pattern: re.Pattern[str]) -> set[int]:
        return {
            self._paper_at(field, base + m.start())
            for base, text in self.chunks[field]
            for m in pattern.finditer(text)
        }

    def passing(self, filters: Filters) -> list[int] | None:
        """Positions of the papers that pass the filters, or None when no filter is set."""
        keep = passing(self.meta, filters)
        if not filters.author and not filters.venue:
            return keep
        if keep is None:
            keep = list(range(self.count))
        if filters.author:
            hits = self._field_hits("authors", re.compile(re.escape(fold(filters.author))))
            keep = [i for i in keep if i in hits]
        if filters.venue:
            wanted = _VENUE_TOKEN.findall(fold(filters.venue))
            if not wanted:
                return []
            for word in wanted:
                edge = "a-z" if word.isalpha() else "0-9"
                pattern = re.compile(rf"(?<![{edge}]){re.escape(word)}(?![{edge}])")
                hits = self._field_hits("venue", pattern)
                keep = [i for i in keep if i in hits]
        return keep

    def _typos(self, word: str) -> set[str]:
        if len(word) < TYPO_MIN_LENGTH:
            return set()
        return {v for v in _one_edit(word) if v in self.vocabulary and v != word}

    def _word_qualities(self, word: str) -> dict[int, dict[str, float]]:
        """For each paper a word touches: the best match quality in each field."""
        found: dict[int, dict[str, float]] = {}
        exact_or_prefix = re.compile(re.escape(word))
        typos = self._typos(word)
        typo_pattern = (
            re.compile(
                r"(?<![a-z0-9])(?:" + "|".join(map(re.escape, sorted(typos))) + r")(?![a-z0-9])"
            )
            if typos
            else None
        )
        for field in WEIGHTS:
            best: dict[int, float] = {}
            for base, text in self.chunks[field]:
                self._qualities(field, word, exact_or_prefix, typo_pattern, base, text, best)
            for i, quality in best.items():
                found.setdefault(i, {})[field] = quality
        return found

    def _qualities(
        self,
        field: str,
        word: str,
        exact_or_prefix: re.Pattern[str],
        typo_pattern: re.Pattern[str] | None,
        base: int,
        text: str,
        best: dict[int, float],
    ) -> None:
        """The best match quality of a word per paper in one chunk of a field's text."""
        for m in exact_or_prefix.finditer(text):
            start, end = m.start(), m.end()
            at_start = start == 0 or not text[start - 1].isalnum()
            at_end = end == len(text) or not text[end].isalnum()
            if at_start and at_end:
                quality = EXACT
            elif len(word) < WHOLE_WORD_BELOW:
                continue
            elif at_start and len(word) >= PREFIX_MIN_LENGTH:
                quality = PREFIX
            else:
                quality = SUBSTRING
            i = self._paper_at(field, base + start)
            if quality > best.get(i, 0.0):
                best[i] = quality
        if typo_pattern is not None:
            for m in typo_pattern.finditer(text):
                i = self._paper_at(field, base + m.start())
                if best.get(i, 0.0) < TYPO:
                    best[i] = TYPO

    def _score(self, i: int, qualities: dict[str, float]) -> float:
        total = 0.0
        for field, quality in qualities.items():
            damping = LENGTH_DAMPING.get(field, 0.0)
            length = self.lengths[field][i] / self.avg_length[field]
            total += WEIGHTS[field] * quality / (1 - damping + damping * length)
        return total

    def search(self, query: str, filters: Filters | None = None, limit: int = 20) -> Hits:
        """Papers matching every query word when some do, else the best partial matches.

        A query that holds no searchable word (only punctuation or undecodable bytes) is
        refused rather than matching everything.
        """
        filters = filters or Filters()
        words = list(dict.fromkeys(tokens(query)))
        if query.strip() and not words:
            raise KePapersError(f"'{query}' holds no word to search for (letters or digits)")
        allowed = self.passing(filters)
        if not words:
            chosen = list(range(self.count) if allowed is None else allowed)
            positions = chosen[:limit] if limit else chosen
            return Hits([Hit(self.papers[i], 0.0, 0) for i in positions], len(chosen))
        allowed_set = None if allowed is None else set(allowed)
        scores: dict[int, float] = {}
        matched: dict[int, int] = {}
        for word in words:
            found = self._word_qualities(word)
            idf = _idf(self.count, len(found) or 1)
            for i, qualities in found.items():
                if allowed_set is not None and i not in allowed_set:
                    continue
                scores[i] = scores.get(i, 0.0) + idf * self._score(i, qualities)
                matched[i] = matched.get(i, 0) + 1
        if len(words) > 1:
            phrase = re.compile(re.escape(" ".join(words)))
            for field in ("title", "keywords"):
                for i in self._field_hits(field, phrase):
                    if i in scores:
                        scores[i] += PHRASE_BONUS
        ranked = sorted(scores, key=lambda i: (-matched[i], -scores[i], i))
        if ranked and matched[ranked[0]] == len(words):
            ranked = [i for i in ranked if matched[i] == len(words)]
        total = len(ranked)
        if limit:
            ranked = ranked[:limit]
        return Hits([Hit(self.papers[i], round(scores[i], 3), matched[i]) for i in ranked], total)

    def suggest(self, query: str, n: int = 3) -> list[str]:
        """Keys, titles or words close to a query that found nothing."""
        import difflib

        wanted = " ".join(tokens(query)) or fold(query)
        if not wanted:
            return []
        head = wanted[:1]
        pool = [k for k in self.meta["keys"] if fold(k).startswith(head)]
        pool += [w for w in self.vocabulary if w.startswith(head)]
        return difflib.get_close_matches(wanted, pool, n=n, cutoff=0.6)


def _idf(n: int, df: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def _one_edit(word: str) -> Iterable[str]:
    """Every string one deletion, insertion, substitution or swap away from `word`."""
    for i in range(len(word) + 1):
        left, right = word[:i], word[i:]
        if right:
            yield left + right[1:]
            for c in _LETTERS:
                yield left + c + right[1:]
        if len(right) > 1:
            yield left + right[1] + right[0] + right[2:]
        for c in _LETTERS:
            yield left + c + right
