"""The search service: the one API both the Discord bot and the command line call."""

from __future__ import annotations

import difflib
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.corpus import CorpusLoad, Document, load_corpus
from bot.index import BM25Parameters, PassageIndex
from bot.passages import Passage, split_corpus
from bot.render import Snippet, citation, code, escape_markdown, quote, select_snippet
from bot.tokenize import passage_terms, tokenize

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 1000
MAX_RESULTS = 25
_QUERY_WORD = re.compile(r"\w+(?:['’]\w+)*")


class QueryTooLongError(ValueError):
    """A query over :data:`MAX_QUERY_CHARS`; the message is fit to show a user."""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One ranked passage with its snippet for this query."""

    rank: int
    passage: Passage
    score: float
    snippet: Snippet

    @property
    def quote(self) -> str:
        """The snippet as a Markdown quote line, exactly as a member reads it."""
        return quote(self.snippet.markdown())

    @property
    def citation(self) -> str:
        """Title, passage id and score, escaped."""
        return citation(self.passage.title, self.passage.id, self.score)


@dataclass(frozen=True, slots=True)
class SearchResponse:
    """The ranked answer to one query."""

    query: str
    terms: tuple[str, ...]
    hits: tuple[SearchHit, ...]
    total_matches: int
    offset: int = 0
    unknown_words: tuple[str, ...] = ()

    @property
    def has_more(self) -> bool:
        """Whether passages beyond this page match too."""
        return self.offset + len(self.hits) < self.total_matches


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
    """Loads a corpus once, then answers queries and opens passages by id."""

    def __init__(
        self,
        documents: list[Document],
        *,
        params: BM25Parameters | None = None,
        min_words: int = 40,
        max_words: int = 120,
        load: CorpusLoad | None = None,
    ) -> None:
        started = time.perf_counter()
        self.documents = documents
        self.passages = split_corpus(documents, min_words, max_words)
        self._by_id = {passage.id: position for position, passage in enumerate(self.passages)}
        self._documents_by_id = {document.id: document for document in documents}
        self._document_passages: dict[str, list[int]] = {}
        for position, passage in enumerate(self.passages):
            self._document_passages.setdefault(passage.document.id, []).append(position)
        self.index = PassageIndex.build(
            (passage_terms(passage.title, passage.text) for passage in self.passages),
            params or BM25Parameters(),
        )
        load = load or CorpusLoad(documents=documents)
        self.summary = CorpusSummary(
            documents=len(documents),
            passages=len(self.passages),
            vocabulary=self.index.vocabulary_size,
            skipped=[(s.path, s.reason) for s in load.skipped],
            repaired=[(s.path, s.reason) for s in load.repaired],
            seconds=time.perf_counter() - started,
        )

    @classmethod
    def from_folder(
        cls,
        corpus_dir: Path,
        *,
        params: BM25Parameters | None = None,
        min_words: int = 40,
        max_words: int = 120,
    ) -> SearchService:
        """Load and index every supported file under ``corpus_dir``."""
        started = time.perf_counter()
        load = load_corpus(corpus_dir)
        service = cls(
            load.documents, params=params, min_words=min_words, max_words=max_words, load=load
        )
        service.summary.seconds = time.perf_counter() - started
        log.info("corpus %s: %s", corpus_dir, service.summary.describe())
        return service

    def search(self, query: str, limit: int = 3, offset: int = 0) -> SearchResponse:
        """Rank passages for ``query``; page with ``offset``. No usable term means no hits."""
        if len(query) > MAX_QUERY_CHARS:
            raise QueryTooLongError(
                f"That question is {len(query):,} characters long; "
                f"please keep it under {MAX_QUERY_CHARS:,}."
            )
        limit = max(0, min(limit, MAX_RESULTS))
        offset = max(0, offset)
        terms = tuple(dict.fromkeys(tokenize(query)))
        known = self.index.known_terms(terms)
        ranked, total = self.index.top(known, offset + limit)
        weights = {term: self.index.idf(term) for term in known}
        hits = tuple(
            SearchHit(
                rank=offset + number,
                passage=self.passages[scored.position],
                score=scored.score,
                snippet=select_snippet(self.passages[scored.position].text, weights),
            )
            for number, scored in enumerate(ranked[offset:], start=1)
        )
        return SearchResponse(query, terms, hits, total, offset, self._unknown_words(query))

    def _unknown_words(self, query: str) -> tuple[str, ...]:
        """Query words with index terms, none of which the corpus contains."""
        unknown = []
        for word in _QUERY_WORD.findall(query):
            terms = tokenize(word)
            if terms and not self.index.known_terms(terms):
                unknown.append(word)
        return tuple(dict.fromkeys(unknown))

    def passage(self, passage_id: str) -> Passage | None:
        """The passage with this id, or ``None``."""
        position = self._by_id.get(passage_id.strip())
        return None if position is None else self.passages[position]

    def open(self, source_id: str) -> SourceView | None:
        """A passage by id, or a document by id (its first passage), with its neighbours."""
        source_id = source_id.strip()
        position = self._by_id.get(source_id)
        if position is None and source_id in self._document_passages:
            position = self._document_passages[source_id][0]
        if position is None:
            return None
        passage = self.passages[position]
        siblings = self._document_passages[passage.document.id]
        index = passage.ordinal - 1
        return SourceView(
            passage=passage,
            position=passage.ordinal,
            count=len(siblings),
            previous=self.passages[siblings[index - 1]] if index > 0 else None,
            next=self.passages[siblings[index + 1]] if index + 1 < len(siblings) else None,
        )

    def closest_ids(self, source_id: str, limit: int = 5) -> list[str]:
        """Ids that look like ``source_id``, for "did you mean" replies."""
        source_id = source_id.strip()
        prefixed = [pid for pid in self._by_id if source_id and pid.startswith(source_id)]
        fuzzy = difflib.get_close_matches(source_id, list(self._by_id), n=limit, cutoff=0.5)
        return list(dict.fromkeys(prefixed[:limit] + fuzzy))[:limit]

    def complete(self, prefix: str, limit: int = 25) -> list[tuple[str, str]]:
        """``(label, id)`` choices whose id or document title contains ``prefix``."""
        needle = prefix.strip().casefold()
        choices: list[tuple[str, str]] = []
        for passage in self.passages:
            if not needle or needle in passage.id.casefold() or needle in passage.title.casefold():
                choices.append((f"{passage.id} — {passage.title}", passage.id))
                if len(choices) >= limit:
                    break
        return choices


def render_response(response: SearchResponse) -> str:
    """The whole answer as Markdown: what the CLI prints and the bot's text shows."""
    if not response.hits:
        return no_results_message(response)
    blocks = [f"{hit.quote}\n{hit.citation}" for hit in response.hits]
    return "\n\n".join(blocks)


def no_results_message(response: SearchResponse) -> str:
    """A helpful reply when nothing matched: what was missing and what to try."""
    if not response.terms:
        return (
            "No matching passages: that question has no searchable words "
            "(only very common words, punctuation or emoji). Try a few specific keywords."
        )
    lines = ["No matching passages for that question."]
    if response.unknown_words:
        words = ", ".join(f"“{escape_markdown(word)}”" for word in response.unknown_words[:10])
        lines.append(f"The corpus never mentions: {words}.")
    lines.append("Try rephrasing with other words, or fewer and more specific keywords.")
    return "\n".join(lines)


def render_source(view: SourceView) -> str:
    """A passage in full with its document metadata, as Markdown."""
    passage = view.passage
    document = passage.document
    where = document.url or document.source
    header = (
        f"**{escape_markdown(document.title)}** · {code(passage.id)} · "
        f"passage {view.position} of {view.count}\n{code(where)}"
    )
    body = "\n".join(quote(escape_markdown(line)) for line in _paragraph_lines(passage.text))
    links = []
    if view.previous:
        links.append(f"previous: {code(view.previous.id)}")
    if view.next:
        links.append(f"next: {code(view.next.id)}")
    return header + "\n" + body + ("\n" + " · ".join(links) if links else "")


def _paragraph_lines(text: str) -> list[str]:
    """One line a paragraph, so a quote keeps the passage's paragraphs."""
    return [
        collapsed for part in re.split(r"\n\s*\n", text) if (collapsed := " ".join(part.split()))
    ]
