"""Ranked search and filters over the papers.

Each query word is matched, case- and accent-insensitively, against the tokens of
each field of each paper: a whole word counts fully, a prefix half, a one-letter
typo (words of five letters or more) a little less, and a bare substring (`mend`
inside "recommendation") a quarter. Fields weigh differently: a keyword or the key
outweighs a title word, which outweighs an abstract or a URL; hits in long fields
count a little less. Papers that match every query word come first.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from ke_papers.errors import KePapersError
from ke_papers.latex import fold, squeeze
from ke_papers.model import Paper

if TYPE_CHECKING:
    from ke_papers.index import Index

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
    return tuple(squeeze(text) for text in paper_fields(paper).values())


def index_words(text: str) -> set[str]:
    return set(_TOKEN.findall(text))


def token_count(value: str) -> int:
    return sum(1 for _ in _TOKEN.finditer(value))


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


def passing(index: Index, filters: Filters) -> list[int] | None:
    """Places of the papers that pass the filters (in file order), or None when no
    filter is set: year, code and section from the index's columns, then author and venue."""
    if not filters.active():
        return None
    where: list[str] = ["1"]
    args: list[Any] = []
    for _column, op, value in (
        ("year", "=", filters.year),
        ("year", ">=", filters.since),
        ("year", "<=", filters.until),
    ):
        if value is not None:
            where.append(f"year {op} ? AND year > 0")
            args.append(value)
    if filters.has_code:
        where.append("code = 1")
    if filters.category is not None:
        path = fold(" / ".join(filters.category))
        where.append("(ftaxonomy = ? OR substr(ftaxonomy, 1, ?) = ?)")
        args += [path, len(path) + 3, path + " / "]
    sql = f"SELECT id, venue FROM entry WHERE {' AND '.join(where)}"
    rows = dict(index.conn.execute(sql, args))
    if filters.author:
        wanted = fold(filters.author)
        authors = index.conn.execute("SELECT rowid FROM fts WHERE instr(authors, ?) > 0", (wanted,))
        rows = {r: rows[r] for (r,) in authors if r in rows}
    if filters.venue:
        words = _VENUE_TOKEN.findall(fold(filters.venue))
        patterns = [
            re.compile(
                rf"(?<![{'a-z' if w.isalpha() else '0-9'}]){re.escape(w)}(?![{'a-z' if w.isalpha() else '0-9'}])"
            )
            for w in words
        ]
        rows = {r: v for r, v in rows.items() if words and all(p.search(v) for p in patterns)}
    return [i for i, row in enumerate(index.layout.ids) if row in rows]


class Search:
    """Ranked search over the index: FTS5 finds the papers each query word touches (its
    terms: the word, words it begins or stands in, and one typo away, from the index's
    vocabulary), and each is scored on its fields' texts."""

    def __init__(
        self,
        index: Index,
        papers: Sequence[Paper],
        of_rows: Callable[[Sequence[int]], list[Paper]],
    ) -> None:
        self.index = index
        self.conn = index.conn
        self.papers = papers  # by place in the file
        self.of_rows = of_rows
        self.count = len(index)

    def passing(self, filters: Filters) -> list[int] | None:
        return passing(self.index, filters)

    @functools.cached_property
    def _longest(self) -> int:
        """The length of the index's longest word."""
        return int(self.conn.execute("SELECT coalesce(max(length(t)), 0) FROM term").fetchone()[0])

    def _classes(self, word: str) -> list[tuple[float, list[str]]]:
        """The index's terms a query word matches, by how well: itself; one typo away
        (from five letters); terms it begins and terms it stands in (from four)."""
        exact = [t for (t,) in self.conn.execute("SELECT term FROM vocab WHERE term = ?", (word,))]
        if len(word) < WHOLE_WORD_BELOW:
            return [(EXACT, exact)]
        sql = "SELECT t FROM inside WHERE inside MATCH ?"  # trigrams: words within words
        inside = [t for (t,) in self.conn.execute(sql, (f'"{word}"',)) if word in t]
        begins = [t for t in inside if t.startswith(word) and t != word]
        within = [t for t in inside if not t.startswith(word)]
        return [(EXACT, exact), (TYPO, self._typos(word)), (PREFIX, begins), (SUBSTRING, within)]

    def _typos(self, word: str) -> list[str]:
        """The index's terms one typo away from a word of five letters or more (none for
        a word longer than any term but one: its variants would fill memory for nothing)."""
        if not TYPO_MIN_LENGTH <= len(word) <= self._longest + 1:
            return []
        variants = sorted(set(_one_edit(word)) - {word})
        found: list[str] = []
        for k in range(0, len(variants), 500):
            batch = variants[k : k + 500]
            marks = ",".join("?" * len(batch))
            sql = f"SELECT t FROM term WHERE t IN ({marks})"  # a b-tree: faster than vocab
            found += [t for (t,) in self.conn.execute(sql, batch)]
        return found

    def _match(self, query: str) -> set[int]:
        return {
            r for (r,) in self.conn.execute("SELECT rowid FROM fts WHERE fts MATCH ?", (query,))
        }

    def _qualities(self, word: str) -> dict[int, dict[str, float]]:
        """For each paper a word touches: the best match quality in each field."""
        found: dict[int, dict[str, float]] = {}
        for quality, terms in self._classes(word):
            for k in range(0, len(terms), 200):
                batch = terms[k : k + 200]
                any_of = " OR ".join(f'"{t}"' for t in batch)
                marks = ",".join("?" * len(batch))
                sql = f"SELECT DISTINCT col FROM fields WHERE term IN ({marks})"
                held = {col for (col,) in self.conn.execute(sql, batch)}
                for field in (f for f in WEIGHTS if f in held):  # the fields that hold them
                    for row in self._match(f"{{{field}}} : ({any_of})"):
                        best = found.setdefault(row, {})
                        if quality > best.get(field, 0.0):
                            best[field] = quality
        return found

    def _lengths(self, rows: set[int]) -> dict[int, tuple[int, ...]]:
        """The length in words of each paper's damped fields."""
        have = self.index.rows
        assert tuple(LENGTH_DAMPING) == ("title", "keywords", "abstract")
        title, keywords, abstract = have.n_title, have.n_keywords, have.n_abstract
        return {row: (title[row], keywords[row], abstract[row]) for row in rows}

    def _phrased(self, words: list[str], rows: set[int]) -> set[int]:
        """The papers among `rows` whose title or keywords hold the words as one phrase
        (the last one may begin a word)."""
        near = self._match(f'{{title keywords}} : "{" ".join(words)}" *') & rows
        phrase = " ".join(words)
        marks = ",".join("?" * len(near))
        sql = f"SELECT rowid, title, keywords FROM fts WHERE rowid IN ({marks})"
        return {
            r
            for r, title, keywords in self.conn.execute(sql, sorted(near))
            if phrase in title or phrase in keywords
        }

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
        allowed_rows = None if allowed is None else {self.index.layout.ids[i] for i in allowed}
        touched = [self._qualities(word) for word in words]
        candidates = set().union(*touched)
        if allowed_rows is not None:
            candidates &= allowed_rows
        lengths = self._lengths(candidates)
        average = self._average_lengths()
        damped = {f: k for k, f in enumerate(LENGTH_DAMPING)}
        scores: dict[int, float] = {}
        matched: dict[int, int] = {}
        for found in touched:
            idf = _idf(self.count, len(found) or 1)
            for row in candidates.intersection(found):
                total = 0.0
                for field, quality in found[row].items():
                    damping = LENGTH_DAMPING.get(field, 0.0)
                    length = lengths[row][damped[field]] / average[field] if damping else 1.0
                    total += WEIGHTS[field] * quality / (1 - damping + damping * length)
                scores[row] = scores.get(row, 0.0) + idf * total
                matched[row] = matched.get(row, 0) + 1
        if len(words) > 1:
            for row in self._phrased(words, set(scores)):
                scores[row] += PHRASE_BONUS
        place = self.index.rows.place  # an entry set twice is found once, at its first place
        ranked = sorted(scores, key=lambda r: (-matched[r], -scores[r], place[r]))
        if ranked and matched[ranked[0]] == len(words):
            ranked = [r for r in ranked if matched[r] == len(words)]
        total = len(ranked)
        if limit:
            ranked = ranked[:limit]
        papers = self.of_rows(ranked)
        hits = [
            Hit(p, round(scores[r], 3), matched[r]) for p, r in zip(papers, ranked, strict=True)
        ]
        return Hits(hits, total)

    def _average_lengths(self) -> dict[str, float]:
        """Each field's mean length in words (from the totals the index keeps)."""
        sizes = self.index.info["sizes"]
        return {
            f: max(1.0, s / max(1, self.count)) for f, s in zip(LENGTH_DAMPING, sizes, strict=True)
        } | {f: 1.0 for f in WEIGHTS if f not in LENGTH_DAMPING}

    def suggest(self, query: str, n: int = 3) -> list[str]:
        """Keys, titles or words close to a query that found nothing."""
        import difflib

        wanted = " ".join(tokens(query)) or fold(query)
        if not wanted:
            return []
        head = wanted[:1]
        keys = self.conn.execute("SELECT DISTINCT key FROM entry")
        pool = [k for (k,) in keys if fold(k).startswith(head)]
        terms = self.conn.execute(
            "SELECT term FROM vocab WHERE term >= ? AND term < ?", (head, chr(ord(head) + 1))
        )
        pool += [t for (t,) in terms]
        return difflib.get_close_matches(wanted, pool, n=n, cutoff=0.6)


def page_index(papers: Sequence[Paper]) -> dict[str, Any]:
    """The search data of the web page: each field's texts joined by newlines, where each
    paper's starts, its length in words, and every word."""
    values = [field_values(p) for p in papers]
    out: dict[str, Any] = {"text": {}, "starts": {}, "lengths": {}}
    vocabulary: set[str] = set()
    for k, f in enumerate(WEIGHTS):
        column = [v[k] for v in values]
        text = "\n".join(column)
        starts, pos = [], 0
        for value in column:
            starts.append(pos)
            pos += len(value) + 1
        out["text"][f], out["starts"][f] = text, starts
        out["lengths"][f] = [token_count(value) for value in column]
        vocabulary.update(_TOKEN.findall(text))
    out["vocabulary"] = " ".join(sorted(vocabulary))
    return out


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
