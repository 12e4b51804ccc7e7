"""Rank whole documents with the bot's passage index, for judged collections like BEIR.

Documents are split into passages and indexed exactly as the bot does (``split_corpus``,
``passage_terms``, ``PassageIndex``); a document's score is its best passage's score, optionally
plus a share of its other passages' scores. RM3 pseudo-relevance feedback is an option that only
uses the index's public ``scores``; the bot's second stage (``bot/search/rerank.py``) reorders
the best passages before documents take their best passage's score, as it does for the bot.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from bot.analysis.analyzer import TITLE_WEIGHT, passage_terms, title_weight, tokenize
from bot.corpus import Document
from bot.corpus.passages import MAX_WORDS, MIN_WORDS, split_corpus
from bot.index import BM25Parameters, PassageIndex
from bot.search.rerank import SecondStage


@dataclass(frozen=True, slots=True)
class Rm3:
    """RM3: expand the query with ``terms`` terms from the top ``documents`` passages, mixed in
    with weight ``weight`` (the original query keeps ``1 - weight``)."""

    documents: int = 5
    terms: int = 10
    weight: float = 0.3


@dataclass(frozen=True, slots=True)
class RankingSettings:
    """Everything that decides a ranking, reported beside the scores it produced."""

    k1: float = 1.2
    b: float = 0.75
    min_words: int = MIN_WORDS
    max_words: int = MAX_WORDS
    title_weight: int = TITLE_WEIGHT
    rest_weight: float = 0.0
    rm3: Rm3 | None = None
    second_stage: SecondStage | None = None

    def as_dict(self) -> dict[str, object]:
        """For JSON reports."""
        return asdict(self)

    def describe(self) -> str:
        """One line, e.g. for a table caption."""
        text = (
            f"k1={self.k1} b={self.b} passages={self.min_words}-{self.max_words} words "
            f"title×{self.title_weight} doc=max"
        )
        if self.rest_weight:
            text += f"+{self.rest_weight}×rest"
        if self.rm3:
            text += f" rm3={self.rm3.documents}/{self.rm3.terms}/{self.rm3.weight}"
        if self.second_stage:
            text += f" rerank top {self.second_stage.depth}"
        return text


class DocumentRanker:
    """Passage BM25 aggregated to documents."""

    def __init__(self, documents: Sequence[Document], settings: RankingSettings) -> None:
        self.settings = settings
        passages = split_corpus(documents, settings.min_words, settings.max_words)
        # The bot's rule (a title of its own is weighted, one that opens the text is not), with
        # the weight itself a setting so it can be measured.
        weights = {
            document.id: settings.title_weight if title_weight(document.title, document.text) else 0
            for document in documents
        }
        self._terms = [
            passage_terms(passage.title, passage.text, weights[passage.document.id])
            for passage in passages
        ]
        self.index = PassageIndex.build(self._terms, BM25Parameters(settings.k1, settings.b))
        # Passages come in document order, so each document is one contiguous run of positions.
        first: dict[str, int] = {}
        for position, passage in enumerate(passages):
            first.setdefault(passage.document.id, position)
        self.document_ids = list(first)
        self._starts = np.fromiter(first.values(), dtype=np.int64, count=len(first))
        self.passages = len(passages)
        self._texts = [passage.text for passage in passages]

    def rank(self, query: str, depth: int = 100) -> dict[str, float]:
        """The best ``depth`` documents that match the query, with their scores."""
        terms = self.index.known_terms(list(dict.fromkeys(tokenize(query))))
        if not terms or not self.passages:
            return {}
        scores = self.index.scores(terms)
        if self.settings.rm3:
            scores = self._rm3(terms, scores, self.settings.rm3)
        if self.settings.second_stage:
            scores = self._rerank(terms, scores, self.settings.second_stage)
        documents = self._aggregate(scores)
        matching = np.flatnonzero(documents > 0)
        if matching.size > depth:
            matching = matching[np.argpartition(-documents[matching], depth - 1)[:depth]]
        return {self.document_ids[i]: float(documents[i]) for i in matching.tolist()}

    def _aggregate(self, scores: np.ndarray) -> np.ndarray:
        best = np.maximum.reduceat(scores, self._starts)
        if not self.settings.rest_weight:
            return best
        total = np.add.reduceat(scores, self._starts)
        return best + self.settings.rest_weight * (total - best)

    def _rerank(self, terms: list[str], scores: np.ndarray, stage: SecondStage) -> np.ndarray:
        """The scores with the second stage's bonus added to the best ``stage.depth``
        passages, as the bot reorders them."""
        top = [int(p) for p in np.argsort(-scores, kind="stable")[: stage.depth] if scores[p] > 0]
        idf = {term: self.index.idf(term) for term in terms}
        reranked = scores.copy()
        for position in top:
            reranked[position] += stage.bonus(self._texts[position], terms, idf)
        return reranked

    def _rm3(self, terms: list[str], scores: np.ndarray, rm3: Rm3) -> np.ndarray:
        """Rescore with the query mixed with a relevance model of the top passages."""
        top = [int(p) for p in np.argsort(-scores)[: rm3.documents] if scores[p] > 0]
        if not top:
            return scores
        model: dict[str, float] = {}
        for position in top:
            counts = Counter(self._terms[position])
            length = sum(counts.values())
            for term, count in counts.items():
                model[term] = model.get(term, 0.0) + count / length * float(scores[position])
        expansion = sorted(model.items(), key=lambda item: (-item[1], item[0]))[: rm3.terms]
        mass = sum(weight for _, weight in expansion)
        weights = dict.fromkeys(terms, (1.0 - rm3.weight) / len(terms))
        for term, weight in expansion:
            weights[term] = weights.get(term, 0.0) + rm3.weight * weight / mass
        mixed = np.zeros_like(scores)
        for term, weight in weights.items():
            mixed += weight * self.index.scores([term])
        return mixed
