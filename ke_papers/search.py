"""Ranked search and filters over the papers.

Each query word is matched, case- and accent-insensitively, against the tokens of
each field of each paper: a whole word counts fully, a prefix half, a one-letter
typo (words of five letters or more) a little less, and a bare substring (`mend`
inside "recommendation") a quarter. Fields weigh differently: a keyword or the key
outweighs a title word, which outweighs an abstract or a URL; hits in long fields
count a little less. Papers that match every query word come first.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ke_papers import taxonomy
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


@dataclass(frozen=True)
class Filters:
    author: str | None = None
    year: int | None = None
    since: int | None = None
    until: int | None = None
    venue: str | None = None
    category: tuple[str, ...] | None = None
    has_code: bool = False

    def accepts(self, paper: Paper) -> bool:
        if self.author and not any(fold(self.author) in fold(a) for a in paper.authors):
            return False
        year = paper.year
        if self.year is not None and year != self.year:
            return False
        if self.since is not None and (year is None or year < self.since):
            return False
        if self.until is not None and (year is None or year > self.until):
            return False
        if self.venue:
            have = _VENUE_TOKEN.findall(fold(paper.venue))
            wanted = _VENUE_TOKEN.findall(fold(self.venue))
            if not wanted or any(w not in have for w in wanted):
                return False
        if self.category is not None and not taxonomy.belongs(paper, self.category):
            return False
        return not (
            self.has_code
            and not any(
                link.label.casefold().startswith("code") and link.url for link in paper.links
            )
        )


@dataclass(frozen=True)
class Hit:
    paper: Paper
    score: float
    matched: int


class Index:
    """Folded text and token sets of every paper, built once per run."""

    def __init__(self, papers: Sequence[Paper]) -> None:
        self.papers = list(papers)
        self.texts = [paper_fields(p) for p in self.papers]
        self.token_sets = [
            {f: set(_TOKEN.findall(t)) for f, t in text.items()} for text in self.texts
        ]
        self.vocabulary: set[str] = set()
        lengths = {f: 0 for f in WEIGHTS}
        for sets, text in zip(self.token_sets, self.texts, strict=False):
            for f, s in sets.items():
                self.vocabulary.update(s)
                lengths[f] += len(_TOKEN.findall(text[f]))
        n = max(1, len(self.papers))
        self.avg_length = {f: max(1.0, total / n) for f, total in lengths.items()}

    def candidates(self, word: str) -> dict[str, float]:
        """Vocabulary tokens that a query word matches, with how well."""
        found = {word: EXACT} if word in self.vocabulary else {}
        if len(word) >= TYPO_MIN_LENGTH:
            for variant in _one_edit(word):
                if variant in self.vocabulary and variant not in found:
                    found[variant] = TYPO
        if len(word) >= PREFIX_MIN_LENGTH:
            for token in self.vocabulary:
                if token not in found and token.startswith(word):
                    found[token] = PREFIX
        return found

    def search(self, query: str, filters: Filters = Filters(), limit: int = 20) -> list[Hit]:
        words = list(dict.fromkeys(tokens(query)))
        phrase = " ".join(words) if len(words) > 1 else ""
        expanded = [(w, self.candidates(w)) for w in words]
        n = len(self.papers)
        idf = {w: _idf(n, self._document_frequency(w, c)) for w, c in expanded}
        hits: list[Hit] = []
        for i, paper in enumerate(self.papers):
            if not filters.accepts(paper):
                continue
            score = 0.0
            matched = 0
            for word, cands in expanded:
                s = self._word_score(i, word, cands)
                if s > 0:
                    matched += 1
                    score += s * idf[word]
            if words and matched == 0:
                continue
            if phrase and (phrase in self.texts[i]["title"] or phrase in self.texts[i]["keywords"]):
                score += PHRASE_BONUS
            hits.append(Hit(paper, round(score, 3), matched))
        hits.sort(key=lambda h: (-h.matched, -h.score))
        return hits[:limit] if limit else hits

    def _document_frequency(self, word: str, cands: dict[str, float]) -> int:
        keys = set(cands)
        return sum(1 for sets in self.token_sets if any(keys & s for s in sets.values())) or 1

    def _word_score(self, i: int, word: str, cands: dict[str, float]) -> float:
        total = 0.0
        sets = self.token_sets[i]
        texts = self.texts[i]
        for field, weight in WEIGHTS.items():
            present = sets[field]
            quality = max((cands[t] for t in present if t in cands), default=0.0)
            if quality == 0.0 and word in texts[field]:
                quality = SUBSTRING
            if quality:
                damping = LENGTH_DAMPING.get(field, 0.0)
                length = len(present) / self.avg_length[field]
                total += weight * quality / (1 - damping + damping * length)
        return total

    def suggest(self, query: str, n: int = 3) -> list[str]:
        """Keys or titles close to a query that found nothing."""
        words = tokens(query)
        pool: dict[str, str] = {}
        for paper, sets in zip(self.papers, self.token_sets, strict=False):
            pool[fold(paper.key)] = paper.key
            pool[fold(paper.title)] = paper.title
            for token in sets["keywords"] | sets["title"]:
                pool.setdefault(token, token)
        wanted = " ".join(words) or fold(query)
        close = difflib.get_close_matches(wanted, list(pool), n=n, cutoff=0.6)
        return [pool[c] for c in close]


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
