"""The search service: the one API both the Discord bot and the command line call."""

from __future__ import annotations

import difflib
import functools
import heapq
import itertools
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.analysis import languages
from bot.analysis.analyzer import WORD, Analyzer
from bot.corpus import CorpusLoad, Document, FileRules
from bot.corpus.languages import AUTO
from bot.corpus.passages import MAX_WORDS, MIN_WORDS, Passage
from bot.corpus.walk import CorpusListing
from bot.index import Backend, BM25Parameters, Subset
from bot.index.backends.base import ScoredPassage
from bot.index.layered import LayeredIndex
from bot.search.completion import IdCompleter
from bot.search.rerank import SecondStage, reorder
from bot.search.snippets import Snippet, select_snippet
from bot.snapshot import PassageSettings, Snapshot, build_snapshot, load_snapshot

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 1000
MAX_RESULTS = 25
FUZZY_ALL_IDS = 50_000  # "did you mean" compares every passage id up to this corpus size
FUZZY_NEAR_DOCUMENTS = 200  # beyond it, the passages of this many documents either side
# "Did you mean" stops comparing after this long and offers the closest found so far (ids that
# sort near the typed one are compared first): a full pass at 50,000 ids is about a second of
# CPU, and a member can send many unknown ids.
CLOSEST_IDS_SECONDS = 0.3


class QueryTooLongError(ValueError):
    """A query over :data:`MAX_QUERY_CHARS`; the message is fit to show a user."""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One ranked passage with its snippet for this query."""

    rank: int
    passage: Passage
    score: float
    snippet: Snippet


@dataclass(frozen=True, slots=True)
class SearchResponse:
    """The ranked answer to one query."""

    query: str
    terms: tuple[str, ...]
    hits: tuple[SearchHit, ...]
    total_matches: int
    offset: int = 0
    unknown_words: tuple[str, ...] = ()
    language: str = languages.DEFAULT_LANGUAGE  # the question's, as the search took it

    @property
    def has_more(self) -> bool:
        """Whether passages beyond this page match too."""
        return self.offset + len(self.hits) < self.total_matches


@dataclass(frozen=True, slots=True)
class _Reading:
    """The question read in one of the corpus's languages: that language's analyzer makes its
    ``terms``, which are matched in that language's passages (``subset``; ``None``: every
    passage, when the corpus has no other language)."""

    language: str
    analyzer: Analyzer
    subset: Subset | None
    terms: tuple[str, ...]

    @classmethod
    def of(cls, query: str, language: str, subset: Subset | None) -> _Reading:
        """``query`` read in ``language``: its distinct terms, in order."""
        analyzer = languages.analyzer_for(language)
        return cls(language, analyzer, subset, tuple(dict.fromkeys(analyzer.tokenize(query))))


@dataclass(frozen=True, slots=True)
class SourceView:
    """A passage opened in full, with its neighbours in the document."""

    passage: Passage
    position: int
    count: int
    previous: Passage | None
    next: Passage | None


@dataclass(slots=True)
class CorpusSummary:
    """What a load produced, for logs and ``corpusbot index``."""

    documents: int
    passages: int
    vocabulary: int
    skipped: list[tuple[str, str]] = field(default_factory=list)
    repaired: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def describe(self) -> str:
        """One line, e.g. "3 documents, 41 passages; skipped 1: notes.bin is binary"."""
        line = f"{self.documents} documents, {self.passages} passages, {self.vocabulary} terms"
        if self.skipped:
            reasons = "; ".join(f"{path} is {reason}" for path, reason in self.skipped[:5])
            more = f" (+{len(self.skipped) - 5} more)" if len(self.skipped) > 5 else ""
            line += f"; skipped {len(self.skipped)}: {reasons}{more}"
        if self.repaired:
            line += f"; repaired {len(self.repaired)}: " + ", ".join(
                p for p, _ in self.repaired[:5]
            )
        return line


class SearchService:
    """Answers queries and opens passages by id over one immutable corpus snapshot.

    The passages and the index live in a :class:`~bot.snapshot.Snapshot` (memory-mapped when
    it comes from the cache), so a million passages cost little memory; a ``Passage`` is made
    only when a result or ``/source`` needs it.
    """

    def __init__(
        self,
        documents: Sequence[Document],
        *,
        params: BM25Parameters | None = None,
        min_words: int = MIN_WORDS,
        max_words: int = MAX_WORDS,
        load: CorpusLoad | None = None,
        snapshot: Snapshot | None = None,
        backend: Backend = "auto",
        second_stage: SecondStage | None = None,
        language: str = AUTO,
    ) -> None:
        started = time.perf_counter()
        if snapshot is None:
            settings = PassageSettings(
                params or BM25Parameters(), min_words, max_words, language=language
            )
            snapshot = build_snapshot(
                list(documents), settings, None, progress=False, backend=backend
            )
        self._snapshot = snapshot
        self.second_stage = second_stage
        self.index = snapshot.index
        self.passages: Sequence[Passage] = snapshot.store
        self.documents: Sequence[Document] = snapshot.store.documents
        skipped = snapshot.skipped or tuple(
            (s.path, s.reason) for s in (load.skipped if load else [])
        )
        repaired = snapshot.repaired or tuple(
            (s.path, s.reason) for s in (load.repaired if load else [])
        )
        self.summary = CorpusSummary(
            documents=len(self.documents),
            passages=len(self.passages),
            vocabulary=self.index.vocabulary_size,
            skipped=list(skipped),
            repaired=list(repaired),
            seconds=time.perf_counter() - started,
        )
        if len(self._languages) > 1:
            # A corpus of several languages detects each question's: the detector's model
            # loads on first use (about a second), so it loads with the index, not on a
            # member's first question.
            languages.load_detector()

    @property
    def snapshot(self) -> Snapshot:
        """The passages and index this service answers from."""
        return self._snapshot

    @property
    def layered(self) -> bool:
        """Whether changed files are laid over a saved snapshot, which a full build (a merge)
        would fold in, for faster queries."""
        return isinstance(self.index, LayeredIndex)

    @classmethod
    def from_folder(
        cls,
        corpus_dir: Path,
        *,
        params: BM25Parameters | None = None,
        min_words: int = MIN_WORDS,
        max_words: int = MAX_WORDS,
        cache_dir: Path | None = None,
        progress: bool | None = None,
        files: FileRules | None = None,
        backend: Backend = "auto",
        second_stage: SecondStage | None = None,
        language: str = AUTO,
        layered: bool = True,
        listing: CorpusListing | None = None,
    ) -> SearchService:
        """Load and index every supported file under ``corpus_dir``.

        With ``cache_dir`` the built index and passages are saved there and memory-mapped on the
        next start, unless the corpus files or the settings changed. ``backend`` answers the
        queries (``auto``: numba when installed); ``second_stage`` reorders BM25's best
        passages (``None``: BM25 alone). ``language`` is that of the documents that declare
        none (``auto``: detected). With ``layered`` (and ``cache_dir``) a corpus a few files
        away from a saved snapshot re-reads only those files; without, it builds in full.
        ``listing`` is the corpus's files when a plan listed them a moment ago
        (:attr:`LoadPlan.listing`).
        """
        started = time.perf_counter()
        settings = PassageSettings(
            params or BM25Parameters(), min_words, max_words, files or FileRules(), language
        )
        snapshot = load_snapshot(
            corpus_dir,
            settings,
            cache_dir,
            progress=progress,
            backend=backend,
            layered=layered,
            listing=listing,
        )
        service = cls((), snapshot=snapshot, second_stage=second_stage)
        service.summary.seconds = time.perf_counter() - started
        log.info(
            "corpus %s: %s (%s)",
            corpus_dir,
            service.summary.describe(),
            "with changed files laid over the saved index"
            if service.layered
            else "from cache"
            if snapshot.cached
            else "built",
        )
        return service

    def search(
        self, query: str, limit: int = 3, offset: int = 0, *, locale: str | None = None
    ) -> SearchResponse:
        """Rank passages for ``query``; page with ``offset``. No usable term means no hits.

        In a corpus of several languages the question is answered from the passages in its
        own language; ``locale`` (the member's Discord locale, say "de" or "pt-BR") decides
        that language when the question is too short to tell. See :meth:`_readings`.
        """
        if len(query) > MAX_QUERY_CHARS:
            raise QueryTooLongError(
                f"That question is {len(query):,} characters long; "
                f"please keep it under {MAX_QUERY_CHARS:,}."
            )
        limit = max(0, min(limit, MAX_RESULTS))
        offset = max(0, offset)
        language, readings = self._readings(query, locale)
        ranked, total = self._rank(readings, offset + limit)
        if total == 0 and len(readings) == 1 and len(self._languages) > 1:
            # Nothing in the question's language matches (a mistaken detection, or a word
            # only other languages' documents use): the other languages may still answer.
            readings = [self._reading(query, code) for code in self._languages]
            ranked, total = self._rank(readings, offset + limit)
        hits = tuple(
            SearchHit(
                rank=offset + number,
                passage=(passage := self.passages[scored.position]),
                score=scored.score,
                # The reading's analyzer is the passage's language's: its subset holds only
                # that language's passages (or the corpus has no other language).
                snippet=select_snippet(passage.text, weights, analyzer=reading.analyzer),
            )
            for number, (scored, reading, weights) in enumerate(ranked[offset:], start=1)
        )
        terms = tuple(dict.fromkeys(term for reading in readings for term in reading.terms))
        unknown = self._unknown_words(query, [reading.analyzer for reading in readings])
        return SearchResponse(query, terms, hits, total, offset, unknown, language)

    def _readings(self, query: str, locale: str | None) -> tuple[str, list[_Reading]]:
        """The question's language, and the readings it is ranked by.

        A corpus in one language reads every question in that language, with nothing
        detected: an English corpus ranks exactly as it would with no languages at all. In a
        corpus of several, the question's language is detected (``locale`` helps a short
        question); when the corpus has that language, the question is read in it and only
        its passages can answer. When it has not, the question is read in each of the
        corpus's languages, each reading ranking its own language's passages, and the best
        scores of all of them win (one list, by score).
        """
        if len(self._languages) <= 1:
            only = next(iter(self._languages), languages.DEFAULT_LANGUAGE)
            return only, [_Reading.of(query, only, None)]
        asked = languages.detect_language(query, hint=locale)
        if asked in self._languages:
            return asked, [self._reading(query, asked)]
        return asked, [self._reading(query, code) for code in self._languages]

    def _reading(self, query: str, language: str) -> _Reading:
        """``query`` read in ``language``, matched in that language's passages only."""
        labels = self._snapshot.store.passage_languages
        return _Reading.of(query, language, Subset(labels, self._languages[language]))

    @functools.cached_property
    def _languages(self) -> dict[str, int]:
        """The languages of the corpus's passages, each with its number in the store."""
        numbers = {code: n for n, code in enumerate(self._snapshot.store.languages)}
        return {code: numbers[code] for code in self.passages_by_language}

    @functools.cached_property
    def passages_by_language(self) -> dict[str, int]:
        """How many passages each language of the corpus has (none listed without any)."""
        store = self._snapshot.store
        counts = np.bincount(store.passage_languages, minlength=len(store.languages))
        return {code: int(counts[n]) for n, code in enumerate(store.languages) if counts[n]}

    def _rank(
        self, readings: Sequence[_Reading], depth: int
    ) -> tuple[list[tuple[ScoredPassage, _Reading, dict[str, float]]], int]:
        """The best ``depth`` passages over every reading, by score then corpus order, each
        with its reading and the weights of that reading's terms; and how many match. BM25's
        order, its top ``stage.depth`` reordered by the second stage when there is one."""
        stage = self.second_stage
        fetch = max(depth, stage.depth) if stage else depth
        ranked: list[tuple[ScoredPassage, _Reading, dict[str, float]]] = []
        total = 0
        for reading in readings:
            known = self.index.known_terms(reading.terms)
            found, matched = self.index.top(known, fetch, reading.subset)
            weights = {term: self.index.idf(term) for term in known}
            ranked += [(scored, reading, weights) for scored in found]
            total += matched
        if len(readings) > 1:
            ranked.sort(key=lambda hit: (-hit[0].score, hit[0].position))
        if stage:
            reordered = reorder(
                [
                    ((reading, weights, scored.position), scored.score)
                    for scored, reading, weights in ranked
                ],
                lambda hit: stage.bonus(self.passages[hit[2]].text, tuple(hit[1]), hit[1]),
                stage.depth,
            )
            ranked = [
                (ScoredPassage(position, score), reading, weights)
                for (reading, weights, position), score in reordered
            ]
        return ranked[:depth], total

    def _unknown_words(self, query: str, analyzers: Sequence[Analyzer]) -> tuple[str, ...]:
        """Query words with index terms, none of which the corpus contains, however the
        question was read."""
        unknown = []
        for word in WORD.findall(query):
            readings = [analyzer.tokenize(word) for analyzer in analyzers]
            if any(readings) and not any(self.index.known_terms(t) for t in readings):
                unknown.append(word)
        return tuple(dict.fromkeys(unknown))

    def passage(self, passage_id: str) -> Passage | None:
        """The passage with this id, or ``None``."""
        position = self._snapshot.store.find_passage(passage_id.strip())
        return None if position < 0 else self.passages[position]

    def open(self, source_id: str) -> SourceView | None:
        """A passage by id, or a document by id (its first passage), with its neighbours."""
        store = self._snapshot.store
        source_id = source_id.strip()
        position = store.find_passage(source_id)
        if position < 0:
            number = store.find_document(source_id)
            if number < 0:
                return None
            span = store.document_span(number)
            if span.first == span.end:
                return None  # a document with no passages
            position = span.first
        passage = self.passages[position]
        span = store.document_span(int(store.passage_document(position)))
        return SourceView(
            passage=passage,
            position=passage.ordinal,
            count=span.end - span.first,
            previous=self.passages[position - 1] if position > span.first else None,
            next=self.passages[position + 1] if position + 1 < span.end else None,
        )

    def closest_ids(
        self, source_id: str, limit: int = 5, budget: float = CLOSEST_IDS_SECONDS
    ) -> list[str]:
        """Ids that look like ``source_id``, for "did you mean" replies.

        Up to :data:`FUZZY_ALL_IDS` passages every id is compared; beyond that, the passages of
        the documents whose ids sort nearest, so the reply stays fast at a million passages.
        The comparing stops after ``budget`` seconds, the documents whose ids sort nearest
        compared first.
        """
        source_id = source_id.strip()
        store = self._snapshot.store
        deadline = time.perf_counter() + budget
        near = store.nearby_documents(source_id.partition("#")[0], FUZZY_NEAR_DOCUMENTS)
        if len(self.passages) <= FUZZY_ALL_IDS:
            candidates = list(self._passage_ids(range(store.document_count)))
            near_first: Iterable[str] = itertools.chain(self._passage_ids(near), candidates)
        else:
            # The candidates are the near documents' passages: compare each of them once.
            candidates = list(self._passage_ids(sorted(near)))
            near_first = self._passage_ids(near)
        prefixed = [pid for pid in candidates if source_id and pid.startswith(source_id)]
        fuzzy = _close_matches(source_id, near_first, limit, deadline)
        return list(dict.fromkeys(prefixed[:limit] + fuzzy))[:limit]

    def _passage_ids(self, documents: Iterable[int]) -> Iterator[str]:
        """Passage ids of these documents, without decoding any text."""
        store = self._snapshot.store
        for number in documents:
            span = store.document_span(number)
            document_id = store.document_id(number)
            for ordinal in range(1, span.end - span.first + 1):
                yield f"{document_id}#{ordinal}"

    def complete(self, prefix: str, limit: int = 25) -> list[tuple[str, str]]:
        """``(label, id)`` choices whose id or document title contains ``prefix``."""
        return self._completer.complete(prefix, limit)

    @functools.cached_property
    def _completer(self) -> IdCompleter:
        """Made on the first keystroke (it maps the search text; two at once make it twice, and
        either serves)."""
        return IdCompleter(self._snapshot.store)


def _close_matches(
    word: str, candidates: Iterable[str], limit: int, deadline: float, cutoff: float = 0.5
) -> list[str]:
    """``difflib.get_close_matches`` over the candidates compared before ``deadline``: the
    same best ``limit``, by ratio then id, when time suffices (so their order never matters,
    nor a candidate given twice)."""
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word)
    scored: dict[str, float] = {}
    for count, candidate in enumerate(candidates):
        if count % 64 == 0 and time.perf_counter() > deadline:
            break
        matcher.set_seq1(candidate)
        if (
            matcher.real_quick_ratio() >= cutoff
            and matcher.quick_ratio() >= cutoff
            and (ratio := matcher.ratio()) >= cutoff
        ):
            scored[candidate] = ratio
    best = heapq.nlargest(limit, ((ratio, candidate) for candidate, ratio in scored.items()))
    return [candidate for _, candidate in best]
