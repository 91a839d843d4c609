"""How alike a text is to a list of papers, and to each of them: term vectors and cosines.

`discover` asks two questions of a new paper. Does it belong to the list at all? And
which of the list's papers does it resemble most? Each text becomes the terms it uses
(words folded to lowercase ASCII, common words dropped, plural and verb endings cut so
that `edits`, `edited` and `editing` are one term), each counted 1 + log(times used).

- Belonging (`Corpus.likeness`): the cosine between the text's terms and the list's
  profile, where a term weighs as many as the papers using it. The words the list
  uses most (`edit`, `knowledge`) count most: they are what the list is about.
- Resemblance (`Corpus.nearest`): the cosine between TF-IDF vectors (smoothed idf: a term
  every paper uses says little about which paper is nearest). A term the list never
  uses still counts in a text's length, at the idf of the rarest term.

Both are 0 for no shared term and 1 for the same text.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from ke_papers.latex import fold

_WORD = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*|\d+[a-z][a-z0-9]*")

#: Words that say nothing about a paper's subject: English function words and the
#: phrases every abstract uses.
_STOPWORDS = """
a about above after again against all also although among an and any are as at be
because been before being below between both but by can could did do does doing done
down during each either et etc few for from further had has have having here how
however i if in into is it its itself just may more most much must no nor not now of
off on once one only or other our out over own per same several should show shows
shown since so some such than that the their them then there these they this those
through thus to too two under until up upon us use used uses using very via was we
were what when where whether which while who whom why will with within without would
yet you your al paper propose proposed present presents approach method methods
results result new novel based work study studies existing first able across
"""
STOPWORDS = frozenset(_STOPWORDS.split())
#: Endings cut from words of at least this many letters.
_MIN_STEM = 4


def stem(word: str) -> str:
    """A word without its plural, past or -ing ending and a final `e`: `edits`, `edited`,
    `editing` -> `edit`; `locate`, `locating` -> `locat`; `memories` -> `memory`."""
    for ending, replacement in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("s", "")):
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM - 1:
            if ending == "s" and word.endswith(("ss", "us", "is")):
                break
            word = word[: len(word) - len(ending)] + replacement
            break
    return word[:-1] if word.endswith("e") and len(word) > _MIN_STEM else word


def terms(text: str) -> list[str]:
    """The terms of a text in order: folded words, stopwords and one-letter words dropped,
    hyphenated words kept whole and also as their parts (`locate-then-edit`)."""
    out: list[str] = []
    for word in _WORD.findall(fold(text)):
        parts = word.split("-")
        for part in parts if len(parts) == 1 else [*parts, word]:
            if len(part) > 1 and part not in STOPWORDS:
                out.append(stem(part))
    return out


class Near(NamedTuple):
    """A document of the corpus (its position) and how alike it is to the text asked about (0 to 1)."""

    position: int
    similarity: float


def _cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    dot = sum(w * large.get(term, 0.0) for term, w in small.items())
    norms = math.sqrt(sum(w * w for w in a.values()) * sum(w * w for w in b.values()))
    return dot / norms if norms else 0.0


def _counts(document: Iterable[str]) -> dict[str, float]:
    return {term: 1 + math.log(n) for term, n in Counter(document).items()}


class Corpus:
    """The list's papers (term lists): their profile, and their unit TF-IDF vectors."""

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        self.documents = documents
        self.size = len(documents)
        #: How many documents use each term: the list's profile.
        self.df: Counter[str] = Counter()
        for document in documents:
            self.df.update(set(document))
        self.idf = {term: self._idf(count) for term, count in self.df.items()}
        #: The weight of a term no document has: as rare as a term can be.
        self.unseen = self._idf(0)
        self.vectors = [self.vector(document) for document in documents]

    def likeness(self, document: Iterable[str]) -> float:
        """How much a text is about what the list is about (0 to 1)."""
        return _cosine(_counts(document), self.df)

    def typical(self, texts: Sequence[Sequence[str]] | None = None) -> float:
        """The median likeness of the list's own papers, each to the others: what a text
        that belongs scores (0 for a list of fewer than two papers). `texts`, when given,
        are the papers' terms as a new text would be measured (one per document)."""
        if self.size < 2:
            return 0.0
        scores = []
        for document, text in zip(self.documents, texts or self.documents, strict=True):
            others = Counter(self.df)
            others.subtract(set(document))
            scores.append(_cosine(_counts(text), +others))
        return statistics.median(scores)

    def _idf(self, df: int) -> float:
        return math.log((1 + self.size) / (1 + df)) + 1

    def vector(self, document: Iterable[str]) -> dict[str, float]:
        """The unit TF-IDF vector of a term list (empty for no terms)."""
        weights = {t: n * self.idf.get(t, self.unseen) for t, n in _counts(document).items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        return {term: w / norm for term, w in weights.items()} if norm else {}

    def nearest(self, document: Iterable[str]) -> list[Near]:
        """Every document sharing a term with `document`, most alike first."""
        query = self.vector(document)
        found = []
        for i, vector in enumerate(self.vectors):
            shared = query.keys() & vector.keys()
            if shared:
                found.append(Near(i, sum(query[t] * vector[t] for t in shared)))
        found.sort(key=lambda near: -near.similarity)
        return found
