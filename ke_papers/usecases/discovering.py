"""`discover`: the new papers on arXiv a list should consider, ranked by the list itself.

arXiv's search is asked for the papers of a period (with the user's words, or the
list's own vocabulary: the phrases its papers share, the ones that set each section
apart, in the categories its papers use). Each paper found is scored by how much it is
about what the list is about (`similarity.Corpus.likeness`), and placed in the section
that its nearest papers in the list share, those papers named as the reason. A paper
the list already holds (any arXiv version, its DOI or its title) or that was proposed
before (`seen`) is never proposed; one that resembles the list much less than the
list's own papers resemble each other is shown only when asked for (`everything`).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from ke_papers import identity, taxonomy
from ke_papers.errors import KePapersError
from ke_papers.latex import fold
from ke_papers.model import TAXONOMY_SEP, Paper
from ke_papers.similarity import STOPWORDS, Corpus, terms
from ke_papers.sources import Failure, Progress
from ke_papers.usecases import adding
from ke_papers.usecases.reading import open_catalog

#: How far back `discover` looks unless told.
DEFAULT_SINCE = "30d"
#: How many papers arXiv is asked for at most: two pages, most relevant first.
POOL = 200
#: How many of the list's nearest papers place a candidate, and how many are named.
NEIGHBOURS, NAMED = 5, 3
#: A candidate less alike to the list than this share of what the list's own papers
#: typically score is shown only with --all.
LOW = 0.75
#: The most phrases the query made from the list's vocabulary holds.
PHRASES, SECTION_PHRASES = 10, 8
_SINCE = re.compile(r"^(\d+)\s*([dw])$", re.IGNORECASE)
_PHRASE_WORD = re.compile(r"[a-z0-9]+")
_QUERY_SYNTAX = re.compile(
    r"\b(?:ti|au|abs|co|jr|cat|rn|id|all|submittedDate):|\b(?:AND|OR|ANDNOT)\b"
)


@dataclass(frozen=True)
class Request:
    #: The user's words (or arXiv query syntax); empty: the list's own vocabulary.
    query: str = ""
    since: str = DEFAULT_SINCE
    #: At most this many candidates (0: all).
    limit: int = 20
    #: Show the candidates that score low too.
    everything: bool = False
    #: A text naming the papers proposed before (their arXiv IDs or links).
    seen: str = ""
    use_cache: bool = True


@dataclass(frozen=True)
class Candidate:
    """A paper arXiv found that the list does not have: how alike it is, where it would go."""

    paper: Paper
    score: float
    section: tuple[str, ...]
    #: The name `add --category` takes for the section: its shortest unambiguous one.
    category: str
    #: The list's papers, nearest first, that placed it there.
    like: tuple[Paper, ...]
    #: The day of its first version (YYYY-MM-DD).
    published: str


@dataclass
class Discovery:
    candidates: list[Candidate]
    since: date
    #: How many papers arXiv answered with.
    found: int = 0
    #: Found but already in the list: (arXiv ID, key of the paper there).
    present: list[tuple[str, str]] = field(default_factory=list)
    #: Found but proposed before (named in `seen`).
    seen: int = 0
    #: Left out for a low score (shown with --all), and for the limit.
    low: int = 0
    cut: int = 0


def since_date(text: str, today: date | None = None) -> date:
    """The first day of the period: `2026-11-30`, `7d` (seven days back) or `2w`."""
    today = today or datetime.now(timezone.utc).date()
    value = text.strip()
    m = _SINCE.match(value)
    if m:
        days = int(m[1]) * (7 if m[2].lower() == "w" else 1)
        if days > 365 * 100:
            raise KePapersError(f"--since {value} reaches back more than a century")
        return today - timedelta(days=days)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise KePapersError(
            f"--since takes a date (2026-11-30) or days or weeks back (7d, 2w), not '{text}'"
        ) from None
    if day > today:
        raise KePapersError(f"--since {value} is in the future")
    return day


def _quoted(phrase: str) -> str:
    """A phrase as arXiv's search takes it: words only, in quotes when more than one."""
    words = _PHRASE_WORD.findall(fold(phrase))
    return f'all:"{" ".join(words)}"' if len(words) > 1 else f"all:{words[0]}"


def _phrases(paper: Paper) -> set[str]:
    """What a paper is called by: its keywords, and its title's pairs of content words."""
    found = {" ".join(_PHRASE_WORD.findall(fold(k))) for k in paper.keywords}
    words = _PHRASE_WORD.findall(fold(paper.title))
    found |= {
        f"{a} {b}"
        for a, b in itertools.pairwise(words)
        if a not in STOPWORDS and b not in STOPWORDS and len(a) > 1 and len(b) > 1
    }
    return {phrase for phrase in found if len(phrase) >= 4}


def vocabulary(papers: Sequence[Paper]) -> list[str]:
    """The list's own search terms: the phrases most of its papers share, then for each
    section the phrase that sets it apart from the rest of the list (used by two of its
    papers at least, or by its only one)."""
    used: Counter[str] = Counter()
    sections: dict[tuple[str, ...], list[set[str]]] = defaultdict(list)
    for paper in papers:
        phrases = _phrases(paper)
        used.update(phrases)
        sections[tuple(paper.taxonomy)].append(phrases)
    shared = [p for p, n in used.most_common() if n >= 2][:PHRASES]
    apart = [_apart(members, used, len(papers)) for members in sections.values()]
    apart = sorted((p for p in apart if p), key=lambda p: -used[p])[:SECTION_PHRASES]
    return list(dict.fromkeys(shared + apart))


def _apart(members: Sequence[set[str]], used: Counter[str], total: int) -> str:
    """The phrase of a section's papers most used in it and least outside it ('' if none
    is used by two of them, in a section of more than one)."""
    inside = Counter(phrase for phrases in members for phrase in phrases)
    size, rest = len(members), max(1, total - len(members))
    fit = sorted(p for p in inside if inside[p] >= min(2, size))
    if not fit:
        return ""
    return max(fit, key=lambda p: inside[p] / size - (used[p] - inside[p]) / rest)


def categories(papers: Iterable[Paper]) -> list[str]:
    """The arXiv categories the list's papers are filed under, where a tenth of them are."""
    used = Counter(p.get("primaryclass").strip() for p in papers if p.get("primaryclass").strip())
    total = sum(used.values())
    return [c for c, n in used.most_common(5) if n * 10 >= total]


def arxiv_query(
    words: str, phrases: Sequence[str], cats: Sequence[str], since: date, until: date
) -> str:
    """arXiv's search_query: the user's words (all of them) or any of the list's phrases,
    in its categories, submitted from `since` on."""
    if _QUERY_SYNTAX.search(words):
        topic = f"({words.strip()})"
    elif words.strip():
        parts = re.findall(r'"[^"]+"|\S+', words)
        quoted = [_quoted(p.strip('"')) for p in parts if _PHRASE_WORD.search(fold(p))]
        topic = "(" + " AND ".join(quoted) + ")"
    else:
        topic = "(" + " OR ".join(_quoted(p) for p in phrases) + ")"
    query = [topic]
    if cats:
        query.append("(" + " OR ".join(f"cat:{c}" for c in cats) + ")")
    query.append(f"submittedDate:[{since:%Y%m%d}0000 TO {until:%Y%m%d}2359]")
    return " AND ".join(query)


def _document(paper: Paper, abstract: bool = True) -> list[str]:
    """A list paper's terms: title, keywords, the name of its section, and its abstract."""
    parts = [paper.title, *paper.keywords, *paper.taxonomy[-1:]]
    return terms(" ".join([*parts, paper.abstract] if abstract else parts))


def _text(paper: Paper) -> list[str]:
    """A new paper's terms: its title (twice: it says the most) and its abstract."""
    return terms(" ".join([paper.title, paper.title, paper.abstract]))


def _category(tree: taxonomy.Section, section: tuple[str, ...]) -> str:
    """The shortest name of a section that `add --category` resolves to it."""
    for depth in range(1, len(section) + 1):
        name = TAXONOMY_SEP.join(section[-depth:])
        try:
            if taxonomy.resolve(tree, name) == section:
                return name
        except KePapersError:
            continue
    return TAXONOMY_SEP.join(section)


class Ranking:
    """The list as the measure of new papers: how alike each is, and where it would go."""

    def __init__(self, papers: Sequence[Paper]) -> None:
        self.papers = papers
        #: What the list is about: its titles, keywords and section names, which every
        #: paper has (an abstract only some do: those would outweigh the rest).
        self.profile = Corpus([_document(p, abstract=False) for p in papers])
        self.corpus = Corpus([_document(p) for p in papers])
        self.tree = taxonomy.build(papers)
        #: Measured as a new paper is: by its title and abstract, where it has one.
        texts = [_text(p) if p.abstract else _document(p, abstract=False) for p in papers]
        self.floor = LOW * self.profile.typical(texts)

    def place(self, paper: Paper, published: str = "") -> Candidate:
        """The candidate: its likeness to the list, and the section of its nearest papers
        (the one their likeness adds up highest for), with those papers."""
        text = _text(paper)
        nearest = self.corpus.nearest(text)[:NEIGHBOURS]
        weight: dict[tuple[str, ...], float] = defaultdict(float)
        for near in nearest:
            weight[tuple(self.papers[near.position].taxonomy)] += near.similarity
        section = max(weight, key=lambda s: weight[s]) if weight else ()
        like = [self.papers[n.position] for n in nearest]
        like = [p for p in like if tuple(p.taxonomy) == section][:NAMED]
        category = _category(self.tree, section) if section else ""
        score = round(self.profile.likeness(text), 3)
        return Candidate(paper, score, section, category, tuple(like), published)


def discover(path: Path, request: Request, progress: Progress | None = None) -> Discovery:
    """Ask arXiv, drop what the list has or was proposed, rank and place the rest."""
    from ke_papers.sources import arxiv

    today = datetime.now(timezone.utc).date()
    since = since_date(request.since, today)
    catalog = open_catalog(path)
    papers = list(catalog)
    phrases = vocabulary(papers)
    if not request.query.strip() and not phrases:
        raise KePapersError(
            "the list has no keywords or titles to search arXiv with: give --query WORDS"
        )
    query = arxiv_query(request.query, phrases, categories(papers), since, today)
    records = arxiv.search(query, max(POOL, request.limit), request.use_cache, progress)
    result = Discovery([], since, found=len(records))
    known = identity.Duplicates(papers)
    seen = set(identity.ids_in(request.seen))
    ranking = Ranking(papers)
    candidates: dict[str, Candidate] = {}
    for record in records:
        paper = arxiv.to_paper(record)
        match = known.find(paper)
        if record.published and record.published < since.isoformat():
            result.found -= 1  # arXiv's date filter is the server's; this one is ours
        elif match is not None:
            result.present.append((record.id, match.paper.key))
        elif record.id in seen:
            result.seen += 1
        elif record.id not in candidates:
            candidates[record.id] = ranking.place(paper, record.published)
    ranked = sorted(candidates.values(), key=lambda c: -c.score)
    shown = ranked if request.everything else [c for c in ranked if c.score >= ranking.floor]
    result.low = len(ranked) - len(shown)
    if request.limit and len(shown) > request.limit:
        result.cut = len(shown) - request.limit
        shown = shown[: request.limit]
    result.candidates = shown
    return result


class _Fetched:
    """The papers a discovery already fetched, as `add`'s source: arXiv is not asked again."""

    def __init__(self, found: dict[str, Paper], ids: Sequence[identity.ArxivId]) -> None:
        self.found = found
        self.ids = ids

    def papers(self, progress: Progress | None = None) -> Iterator[Paper | Failure]:
        for ident in self.ids:
            yield self.found.get(ident.base) or Failure(str(ident), "not among the candidates")


def accept(path: Path, chosen: Sequence[Candidate]) -> list[adding.Added]:
    """Add the chosen candidates, each to its suggested section, through `add`: one
    write per section (a candidate with no section goes outside them)."""
    found = {c.paper.arxiv: c.paper for c in chosen}
    groups: dict[tuple[str, ...], list[Candidate]] = defaultdict(list)
    for candidate in chosen:
        groups[candidate.section].append(candidate)
    reports = []
    for section, members in groups.items():
        request = adding.Request(
            ids=[identity.parse_id(c.paper.arxiv) for c in members],
            category=TAXONOMY_SEP.join(section) or None,
            no_category=not section,
        )
        reports.append(adding.add(path, request, source=lambda ids, _: _Fetched(found, ids)))
    return reports


def numbers(text: str, count: int) -> list[int]:
    """The candidates chosen by number (`1 3-5, 7`), as positions from 0, in order."""
    chosen: list[int] = []
    for part in re.split(r"[\s,]+", text.strip()):
        if not part:
            continue
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        low, high = (int(m[1]), int(m[2] or m[1])) if m else (0, 0)
        if not m or not 1 <= low <= high <= count:
            raise KePapersError(
                f"choose candidates by their numbers, 1 to {count} (e.g. 1 3-5), not '{part}'"
            )
        chosen += [n - 1 for n in range(low, high + 1) if n - 1 not in chosen]
    return chosen
