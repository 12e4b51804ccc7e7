"""The numpy backend: term-at-a-time scoring, with range bounds pruning long posting lists.

A query of few postings is scored in full. Otherwise short posting lists are scored in full,
so each of their passages has a known partial score, a long list adds at most its maximum in
the passage's range, and ranges are visited best bound first until the k-th score found rules
out the rest. Every candidate's score is the exact sum, in query order, ``rank-bm25`` computes.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.index.backends.base import (
    ExactScorer,
    IntArray,
    QueryTuning,
    ScoredPassage,
    Scratch,
    TermQuery,
    best,
)
from bot.index.bm25 import FloatArray
from bot.index.bounds import BOUND_SLACK


class NumpyBackend:
    """Exact top-k and match counts with numpy alone (no compiled code)."""

    name = "numpy"

    def __init__(self, scorer: ExactScorer, tuning: QueryTuning) -> None:
        self._scorer = scorer
        self._tuning = tuning
        arrays = scorer.arrays
        self._indptr = arrays.indptr
        self._docs = arrays.docs
        self._tfs = arrays.tfs
        self._bounds = arrays.bounds
        self._long_row = arrays.bounds.long_row
        self._bitmap_row = arrays.bounds.bitmap_row
        self._scratch = Scratch()

    def warm_up(self) -> None:
        """Nothing to load: numpy is ready."""

    def top(self, query: TermQuery, limit: int) -> tuple[list[ScoredPassage], int]:
        """The best ``limit`` passages that match at least one term, and how many match."""
        unique = query.distinct
        total = self.count(query)
        if limit <= 0:
            return [], total
        postings = sum(int(self._indptr[t + 1] - self._indptr[t]) for t in unique)
        if postings <= self._tuning.exhaustive_postings or all(
            self._long_row[t] < 0 for t in unique
        ):
            positions, scores = self._score_all(query.terms, unique)
        else:
            positions, scores = self._score_pruned(query.terms, unique, limit)
        return best(positions, scores, limit), total

    def count(self, query: TermQuery) -> int:
        """Passages with at least one of the terms: stored bitmaps for very common terms,
        marks for the rest."""
        unique = query.distinct
        if len(unique) == 1:
            return int(self._indptr[unique[0] + 1] - self._indptr[unique[0]])
        _, mark = self._scratch.get(self._scorer.size)
        bitmaps = self._bounds.bitmaps
        mapped = [int(self._bitmap_row[t]) for t in unique if self._bitmap_row[t] >= 0]
        union_bits: npt.NDArray[np.uint8] | None = None
        if mapped:
            union_bits = np.bitwise_or.reduce(bitmaps[mapped], axis=0)
        count = 0 if union_bits is None else int(np.bitwise_count(union_bits).sum())
        touched: list[npt.NDArray[np.int32]] = []
        for term_id in unique:
            if self._bitmap_row[term_id] >= 0:
                continue
            docs, _ = self._scorer.postings(term_id)
            fresh = docs[~mark[docs]]
            mark[fresh] = True
            touched.append(fresh)
            if union_bits is not None:
                fresh = fresh[(union_bits[fresh >> 3] >> (fresh & 7).astype(np.uint8)) & 1 == 0]
            count += int(fresh.size)
        for fresh in touched:
            mark[fresh] = False
        return count

    def _score_all(self, query: list[int], unique: list[int]) -> tuple[IntArray, FloatArray]:
        """Exact scores of every matching passage (the query's postings are few)."""
        scorer = self._scorer
        if len(unique) == 1:
            docs, tfs = scorer.postings(unique[0])
            impacts = scorer.impacts(unique[0], docs, tfs)
            scores = impacts
            for _ in range(len(query) - 1):
                scores = scores + impacts
            return docs.astype(np.int64), scores
        acc, mark = self._scratch.get(scorer.size)
        parts = []
        for term_id in unique:
            docs, _ = scorer.postings(term_id)
            fresh = docs[~mark[docs]]
            mark[fresh] = True
            parts.append(fresh)
        union = np.concatenate(parts).astype(np.int64)
        mark[union] = False
        by_term = {
            t: (scorer.postings(t)[0], scorer.impacts(t, *scorer.postings(t))) for t in unique
        }
        for term_id in query:
            docs, values = by_term[term_id]
            acc[docs] += values
        scores = acc[union]
        acc[union] = 0.0
        return union, scores

    def _score_pruned(
        self, query: list[int], unique: list[int], limit: int
    ) -> tuple[IntArray, FloatArray]:
        """Exact scores of the passages that can still reach the top ``limit``.

        Short posting lists are scored in full, so each of their passages has a known partial
        score; a long list adds at most its maximum in the passage's range. Ranges are visited
        best bound first, in growing batches; the k-th score found so far then rules out every
        range, and every short-list passage, whose bound cannot reach it.
        """
        shift = self._bounds.range_shift
        range_max = self._bounds.range_max
        repeats = Counter(query)
        short = [t for t in unique if self._long_row[t] < 0]
        n_ranges = self._bounds.range_count
        range_bound = np.zeros(n_ranges)
        for term_id in unique:
            if self._long_row[term_id] >= 0:
                range_bound += repeats[term_id] * range_max[self._long_row[term_id]]
        if short:
            short_docs, partial = self._score_all([t for t in query if t in short], short)
        else:
            short_docs, partial = np.zeros(0, np.int64), np.zeros(0)
        short_range = short_docs >> shift
        doc_bound = partial + range_bound[short_range]
        best_in_range = range_bound.copy()
        np.maximum.at(best_in_range, short_range, doc_bound)
        order = np.argsort(-best_in_range, kind="stable")
        order = order[best_in_range[order] > 0]

        threshold = 0.0
        positions, scores = np.zeros(0, np.int64), np.zeros(0)
        start, batch = 0, self._tuning.first_ranges
        while start < order.size and best_in_range[order[start]] >= threshold:
            chosen = order[start : start + batch]
            start, batch = start + batch, batch * 2
            chosen = chosen[best_in_range[chosen] >= threshold]
            full = chosen[range_bound[chosen] >= threshold]
            in_chosen = np.zeros(n_ranges, dtype=bool)
            in_chosen[chosen] = True
            in_chosen[full] = False
            extra = short_docs[in_chosen[short_range] & (doc_bound >= threshold)]
            found, found_scores = self._score_candidates(query, unique, full, extra)
            positions = np.concatenate([positions, found])
            scores = np.concatenate([scores, found_scores])
            if scores.size >= limit:
                kth = float(np.partition(scores, scores.size - limit)[scores.size - limit])
                keep = scores >= kth
                positions, scores = positions[keep], scores[keep]
                threshold = kth * (1 - BOUND_SLACK)
        return positions, scores

    def _score_candidates(
        self,
        query: list[int],
        unique: list[int],
        ranges: npt.NDArray[np.intp],
        extra: IntArray,
    ) -> tuple[IntArray, FloatArray]:
        """Exact scores of every matching passage in ``ranges``, plus the passages ``extra``."""
        if ranges.size == 0 and extra.size == 0:
            return np.zeros(0, np.int64), np.zeros(0)
        scorer = self._scorer
        shift = self._bounds.range_shift
        acc, mark = self._scratch.get(scorer.size)
        in_ranges = np.zeros(self._bounds.range_count, dtype=bool)
        in_ranges[ranges] = True
        mark[extra] = True
        hits: dict[int, tuple[npt.NDArray[Any], FloatArray]] = {}
        parts = [extra]
        for term_id in unique:
            row = int(self._long_row[term_id])
            start = int(self._indptr[term_id])
            if row < 0:
                docs, tfs = scorer.postings(term_id)
                keep = in_ranges[docs >> shift] | mark[docs]
                docs, tfs = docs[keep], tfs[keep]
            else:
                ptr = self._bounds.range_ptr[row]
                idx = _spans(ptr[ranges].astype(np.int64), ptr[ranges + 1].astype(np.int64))
                idx += start
                docs, tfs = self._docs[idx], self._tfs[idx]
                if extra.size:
                    listed, listed_tfs = scorer.postings(term_id)
                    found = np.searchsorted(listed, extra)
                    found[found >= listed.size] = 0
                    present = listed[found] == extra
                    docs = np.concatenate([docs, extra[present].astype(docs.dtype)])
                    tfs = np.concatenate([tfs, listed_tfs[found[present]]])
            hits[term_id] = docs, scorer.impacts(term_id, docs, tfs)
            fresh = docs[~mark[docs]]
            mark[fresh] = True
            parts.append(fresh.astype(np.int64))
        for term_id in query:
            docs, values = hits[term_id]
            acc[docs] += values
        union = np.concatenate(parts).astype(np.int64)
        scores = acc[union]
        acc[union] = 0.0
        mark[union] = False
        return union, scores


def _spans(starts: IntArray, ends: IntArray) -> IntArray:
    """The indexes ``[starts[i], ends[i])`` for all i, concatenated, without a Python loop."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(total, dtype=np.int64)
