"""The BM25 index over passages.

Scores come from ``rank-bm25``. Its ``BM25Okapi`` idf, ``log((N - n + 0.5) / (n + 0.5))``, turns
negative for a term in more than half of the passages and is then floored to a small epsilon, so
on a small corpus the query's most topical words ("North Korea", "satellite" in a one-article
corpus) count for almost nothing; ``BM25Plus`` instead adds ``delta`` for every query term, so a
passage with no query term still scores. We keep Okapi's term-frequency saturation and use the
Lucene idf ``log(1 + (N - n + 0.5) / (n + 0.5))``: always positive, monotone in rarity, and equal
to Okapi's for rare terms on a large corpus. A passage with no query term scores exactly zero and
is never a result.

``LuceneBM25`` stays the reference. :class:`PassageIndex` computes the same numbers from an
inverted index (posting lists of passage positions and term counts, CSR by term), so a query
costs work in proportion to its terms' postings, not to the corpus. Each contribution is the very
expression ``get_scores`` evaluates, summed in query order, so scores (and ties) match it bit for
bit. For top-k on long posting lists, per-range score bounds (block-max, ranges of
``2**RANGE_SHIFT`` passages) prove most of the corpus cannot reach the k-th score, and only the
rest is scored exactly.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import os
import sys
import threading
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rank_bm25 import BM25Okapi

from bot.strings import StringTable, array_view, write_strings

log = logging.getLogger(__name__)

# The optional accelerator (bot/index_numba.py), loaded when the first index is made so that
# KERNEL_CACHE_DIR applies; ``None`` means the numpy path, which gives the same results.
_NOT_LOADED: Any = object()
_kernels: Any = _NOT_LOADED
_kernels_lock = threading.Lock()


def use_kernel_cache(folder: Path | None) -> None:
    """Keep numba's compiled kernels in ``folder`` (numba's ``NUMBA_CACHE_DIR``); ``None``
    leaves numba's own choice: beside the code, else the user's cache folder. Takes effect
    when the first index is made."""
    if folder is None:
        return
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    if "numba" in sys.modules:  # numba read its settings when imported
        from numba.core import config

        config.reload_config()  # type: ignore[no-untyped-call]


def compiled_kernels() -> Any:
    """The numba kernels module, or ``None`` for the numpy path; loaded once."""
    global _kernels
    with _kernels_lock:
        if _kernels is _NOT_LOADED:
            _kernels = _load_kernels()
        return _kernels


def _load_kernels() -> Any:
    if os.environ.get("CORPUSBOT_NO_NUMBA"):
        return None
    try:
        from bot import index_numba
    except ImportError:  # pragma: no cover - numba is an optional extra
        return None
    except RuntimeError as error:
        # numba resolves where to cache each kernel as it is defined, and refuses when no
        # folder is writable (a service user without a home, the code read-only).
        log.warning(
            "compiled query kernels off: %s. Answers are the same from numpy, slower on large "
            "corpora; set KERNEL_CACHE_DIR to a writable folder to use them.",
            error,
        )
        return None
    return index_numba


FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

INDEX_FORMAT = 1
RANGE_SHIFT = 8  # passages per bound range: 256
EXHAUSTIVE_POSTINGS = 20_000  # below this many postings a query is scored in full
FIRST_RANGES = 24  # ranges scored first to find a k-th score to prune with
DENSE_SHARE = 8  # the range kernel scans a range whole from 1/8 of its size in postings
LONG_POSTINGS = 2048  # lists at least this long get per-range bounds
BITMAP_POSTINGS = 4096  # lists this long, in 1/32 of the passages, also get a bitmap
# With numba: up to this many postings every matching passage is scored; above, the range
# kernel. (Measured on 2 cores, docs/performance.md: at 1M passages the range sweep beats
# scoring everything from about 20k postings, and a MaxScore kernel at p99.)
COMPILED_EXHAUSTIVE = 20_000
SMALL_TF = 8  # term counts below this are looked up in a per-length table
CHUNK_PASSAGES = 20_000  # passages counted per chunk while building
_SLACK = 1e-9  # relative margin so rounding can never prune a passage that belongs in the top


class LuceneBM25(BM25Okapi):  # type: ignore[misc]
    """``rank_bm25.BM25Okapi`` with the always-positive Lucene idf."""

    def _calc_idf(self, nd: dict[str, int]) -> None:
        n = self.corpus_size
        self.idf = {term: math.log(1.0 + (n - df + 0.5) / (df + 0.5)) for term, df in nd.items()}
        self.average_idf = sum(self.idf.values()) / len(self.idf) if self.idf else 0.0


def term_hash(term: str) -> int:
    """A stable 64-bit hash of a term (Python's own ``hash`` changes between runs)."""
    digest = hashlib.blake2b(term.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def lucene_idf(corpus_size: int, terms: Sequence[str], df: Sequence[int]) -> FloatArray:
    """Each term's idf, computed by ``LuceneBM25._calc_idf`` itself so the two cannot drift."""
    reference = LuceneBM25.__new__(LuceneBM25)
    reference.corpus_size = corpus_size
    reference._calc_idf(dict(zip(terms, (int(d) for d in df), strict=True)))
    return np.fromiter((reference.idf[t] for t in terms), dtype=np.float64, count=len(terms))


@dataclass(frozen=True, slots=True)
class BM25Parameters:
    """BM25's term-frequency saturation ``k1`` and length normalisation ``b``."""

    k1: float = 1.2
    b: float = 0.75


@dataclass(frozen=True, slots=True)
class ScoredPassage:
    """A passage position in the index and its BM25 score for a query."""

    position: int
    score: float


@dataclass(slots=True)
class CountedChunk:
    """Term counts of consecutive passages: what tokenising workers send back, compactly."""

    terms: list[str]  # the chunk's own vocabulary
    lengths: npt.NDArray[np.int32]  # terms per passage (repeats included)
    passage: npt.NDArray[np.int32]  # per posting: passage number within the chunk
    term: npt.NDArray[np.int32]  # per posting: index into ``terms``
    tf: npt.NDArray[np.int32]  # per posting: how often the term occurs in the passage


def count_terms(token_lists: Sequence[Sequence[str]]) -> CountedChunk:
    """Count each passage's terms; postings come out sorted by passage, then term."""
    local: dict[str, int] = {}
    flat = np.fromiter(
        (local.setdefault(tok, len(local)) for tokens in token_lists for tok in tokens),
        dtype=np.int64,
    )
    lengths = np.fromiter((len(t) for t in token_lists), dtype=np.int32, count=len(token_lists))
    width = max(len(local), 1)
    owner = np.repeat(np.arange(len(token_lists), dtype=np.int64), lengths)
    keys, tf = np.unique(owner * width + flat, return_counts=True)
    return CountedChunk(
        terms=list(local),
        lengths=lengths,
        passage=(keys // width).astype(np.int32),
        term=(keys % width).astype(np.int32),
        tf=tf.astype(np.int32),
    )


class _Scratch(threading.local):
    """Per-thread dense buffers, so concurrent searches never share accumulators."""

    def __init__(self) -> None:
        self.size = -1
        self.acc: FloatArray = np.zeros(0)
        self.mark: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self.touched: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self.words: npt.NDArray[np.uint64] = np.zeros(0, dtype=np.uint64)

    def get(self, size: int) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        if self.size != size:
            self.size = size
            self.acc = np.zeros(size)
            self.mark = np.zeros(size, dtype=bool)
        return self.acc, self.mark

    def bits(self, size: int) -> npt.NDArray[np.uint64]:
        """One zero bit per passage, as uint64 words (the compiled count leaves it zero)."""
        words = (size + 63) // 64
        if self.words.size != words:
            self.words = np.zeros(words, dtype=np.uint64)
        return self.words

    def compiled(self, size: int) -> tuple[FloatArray, npt.NDArray[np.int32]]:
        """The accumulator and a list of touched passages, for the compiled kernel."""
        acc, _ = self.get(size)
        if self.touched.size != size:
            self.touched = np.zeros(size, dtype=np.int32)
        return acc, self.touched


class PassageIndex:
    """BM25 over tokenised passages; positions are indexes into the passage list."""

    params: BM25Parameters
    size: int

    def __init__(self, tokenized: Sequence[list[str]], params: BM25Parameters) -> None:
        built = IndexBuilder(params)
        built.add_token_lists(tokenized)
        self._adopt(built.finish()._arrays, params)

    @classmethod
    def build(cls, tokenized: Iterable[list[str]], params: BM25Parameters) -> PassageIndex:
        """Index the passages' term lists, given in passage order, a chunk at a time."""
        builder = IndexBuilder(params)
        for chunk in _chunks(tokenized, CHUNK_PASSAGES):
            builder.add_token_lists(chunk)
        return builder.finish()

    @classmethod
    def load(cls, directory: Path) -> PassageIndex:
        """Open an index saved by :meth:`save` or ``IndexBuilder.finish``, memory-mapped."""
        meta = np.load(directory / "index_meta.npy")
        params = BM25Parameters(k1=float(meta[1]), b=float(meta[2]))
        if int(meta[0]) != INDEX_FORMAT:
            raise ValueError(f"index format {int(meta[0])} is not {INDEX_FORMAT}")
        arrays: dict[str, Any] = {
            name: np.load(directory / f"{name}.npy", mmap_mode="r") for name in _ARRAY_NAMES
        }
        arrays["terms"] = StringTable.open(directory / "terms")
        index = cls.__new__(cls)
        index._adopt(arrays, params)
        return index

    def save(self, directory: Path) -> None:
        """Write the arrays for :meth:`load` (a built index is usually written in place)."""
        _save_arrays(directory, self._arrays, self.params)

    def _adopt(self, arrays: dict[str, Any], params: BM25Parameters) -> None:
        # Plain ndarray views of the memory maps: same pages, and numba accepts them.
        arrays = {k: np.asarray(v) if isinstance(v, np.ndarray) else v for k, v in arrays.items()}
        self._arrays = arrays
        self.params = params
        self._terms: StringTable = arrays["terms"]
        self._term_hash: npt.NDArray[np.uint64] = arrays["term_hash"]
        self._term_hash_ids: npt.NDArray[np.int32] = arrays["term_hash_ids"]
        self._hash_view = array_view(self._term_hash, "Q")
        self._hash_ids_view = array_view(self._term_hash_ids, "i")
        self._term_id = functools.lru_cache(maxsize=65_536)(self._find_term)
        self._indptr: npt.NDArray[np.int64] = arrays["indptr"]
        self._docs: npt.NDArray[np.int32] = arrays["docs"]
        self._tfs: npt.NDArray[np.integer[Any]] = arrays["tfs"]
        self._idf: FloatArray = arrays["idf"]
        self._long_row: npt.NDArray[np.int32] = arrays["long_row"]
        self._range_max: npt.NDArray[np.float32] = arrays["range_max"]
        self._range_ptr: npt.NDArray[np.int32] = arrays["range_ptr"]
        self._bitmap_row: npt.NDArray[np.int32] = arrays["bitmap_row"]
        self._bitmaps: npt.NDArray[np.uint8] = arrays["bitmaps"]
        self._term_max: FloatArray = arrays["term_max"]
        lengths = np.asarray(arrays["doc_len"], dtype=np.int64)
        self.size = int(lengths.size)
        avgdl = int(lengths.sum()) / self.size if self.size else 1.0
        k1, b = params.k1, params.b
        self._k1_plus_1 = k1 + 1
        self._length_class, self._class_norm = _length_classes(lengths, k1, b, avgdl)
        self._class_weight = _weight_table(self._class_norm, self._k1_plus_1)
        self._scratch = _Scratch()
        self.accelerated = compiled_kernels() is not None
        self._warm_lock = threading.Lock()
        self._warm = False

    # --- vocabulary ------------------------------------------------------------------------

    @property
    def vocabulary_size(self) -> int:
        """How many distinct terms the corpus has."""
        return len(self._terms)

    def _find_term(self, term: str) -> int:
        """The term's column in the index, -1 if the corpus does not contain it.

        A binary search of the sorted term hashes through a ``memoryview``: ``bisect`` in C on
        plain ints, about a microsecond. (``np.searchsorted`` with a Python int above 2**63
        converts the whole hash array first, a tenth of a millisecond at 200k terms.)
        """
        key = term_hash(term)
        hashes = self._hash_view
        at = bisect_left(hashes, key)
        encoded = term.encode("utf-8", "surrogatepass")
        while at < len(hashes) and hashes[at] == key:
            term_id = self._hash_ids_view[at]
            if self._terms.encoded(term_id) == encoded:
                return term_id
            at += 1
        return -1

    def idf(self, term: str) -> float:
        """The term's idf, 0 for a term the corpus does not contain."""
        term_id = self._term_id(term)
        return 0.0 if term_id < 0 else float(self._idf[term_id])

    def known_terms(self, terms: Sequence[str]) -> list[str]:
        """The query terms that occur somewhere in the corpus."""
        return [term for term in terms if self._term_id(term) >= 0]

    # --- scoring ---------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Run each compiled kernel the queries use once on this index's arrays, so no real
        query waits while numba loads one from its cache (tens of milliseconds each, about
        half a second in all). Done once; a second caller waits for the first."""
        with self._warm_lock:
            if self._warm or not self.accelerated or not self.vocabulary_size or not self.size:
                return
            self._top_compiled_all(_KernelQuery.of(self._indptr, [0], [0]), 1)
            self._top_compiled_ranges(_KernelQuery.of(self._indptr, [0], [0]), 1)
            self._count_compiled(_KernelQuery.of(self._indptr, [0], [0, 0]))  # two ids: no shortcut
            self._warm = True

    @functools.cached_property
    def _norm(self) -> FloatArray:
        """Each passage's rank-bm25 ``k1 * (1 - b + b * doc_len / avgdl)``, for the numpy path
        only: the kernels look it up by length class, so a bot with numba never builds these
        8 bytes a passage."""
        norm: FloatArray = self._class_norm[self._length_class]
        return norm

    def _postings(self, term_id: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[Any]]:
        start, end = int(self._indptr[term_id]), int(self._indptr[term_id + 1])
        return self._docs[start:end], self._tfs[start:end]

    def _impacts(self, term_id: int, docs: npt.NDArray[Any], tfs: npt.NDArray[Any]) -> FloatArray:
        """rank-bm25's per-term expression for these postings, operation for operation."""
        q_freq = tfs.astype(np.float64)
        idf = float(self._idf[term_id])
        result: FloatArray = idf * (q_freq * self._k1_plus_1 / (q_freq + self._norm[docs]))
        return result

    def scores(self, terms: Sequence[str]) -> FloatArray:
        """BM25 score of every passage for the query terms (zeros where no term matches)."""
        scores = np.zeros(self.size)
        for term in terms:
            term_id = self._term_id(term)
            if term_id >= 0:
                docs, tfs = self._postings(term_id)
                scores[docs] += self._impacts(term_id, docs, tfs)
        return scores

    def top(self, terms: Sequence[str], limit: int) -> tuple[list[ScoredPassage], int]:
        """The best ``limit`` passages that match at least one term, and how many match."""
        query = [t for t in map(self._term_id, terms) if t >= 0]
        unique = list(dict.fromkeys(query))
        if not unique or self.size == 0:
            return [], 0
        if self.accelerated and _kernels is not None:
            return self._top_compiled(_KernelQuery.of(self._indptr, query, unique), limit)
        total = self._count_matching(unique)
        if limit <= 0:
            return [], total
        postings = sum(int(self._indptr[t + 1] - self._indptr[t]) for t in unique)
        if postings <= EXHAUSTIVE_POSTINGS or all(self._long_row[t] < 0 for t in unique):
            positions, scores = self._score_all(query, unique)
        else:
            positions, scores = self._score_pruned(query, unique, limit)
        return _best(positions, scores, limit), total

    def _top_compiled(self, query: _KernelQuery, limit: int) -> tuple[list[ScoredPassage], int]:
        """Route a query to the numba kernels: every matching passage scored when its postings
        are few, else the range sweep plus an exact count of the matching passages."""
        if query.postings <= COMPILED_EXHAUSTIVE:
            return self._top_compiled_all(query, max(limit, 0))
        total = self._count_compiled(query)
        if limit <= 0:
            return [], total
        return self._top_compiled_ranges(query, limit), total

    def _top_compiled_all(self, query: _KernelQuery, limit: int) -> tuple[list[ScoredPassage], int]:
        """Top-k and the exact match count by the numba term-at-a-time kernel."""
        assert _kernels is not None
        acc, touched = self._scratch.compiled(self.size)
        positions, scores, total = _kernels.score_all_top_k(
            self._docs,
            self._tfs,
            self._length_class,
            self._class_norm,
            self._class_weight,
            query.starts,
            query.ends,
            self._idf[query.ids],
            query.order,
            self._k1_plus_1,
            limit,
            acc,
            touched,
        )
        return _best(positions, scores, limit) if limit else [], int(total)

    def _top_compiled_ranges(self, query: _KernelQuery, limit: int) -> list[ScoredPassage]:
        """Top-k by the numba block-max kernel: ranges of passages, best bound first."""
        assert _kernels is not None
        ids = query.ids
        repeats = np.bincount(query.order, minlength=ids.size).astype(np.float64)
        positions, scores = _kernels.top_k_ranges(
            self._docs,
            self._tfs,
            self._length_class,
            self._class_norm,
            self._class_weight,
            query.starts,
            query.ends,
            self._idf[ids],
            self._long_row[ids],
            self._range_max,
            self._range_ptr,
            self._term_max[ids],
            repeats,
            query.order,
            self._k1_plus_1,
            limit,
            _SLACK,
            RANGE_SHIFT,
            int(self._range_max.shape[1]),
            FIRST_RANGES,
            DENSE_SHARE,
        )
        return _best(positions, scores, limit)

    def _count_compiled(self, query: _KernelQuery) -> int:
        """Passages with at least one of the terms: a bitmap of the union, built in one pass."""
        assert _kernels is not None
        if query.ids.size == 1:
            return query.postings
        words = self._scratch.bits(self.size)
        return int(
            _kernels.count_matching(
                self._docs,
                query.starts,
                query.ends,
                self._bitmap_row[query.ids],
                self._bitmaps,
                words,
                words.view(np.uint8),
            )
        )

    def _count_matching(self, unique: list[int]) -> int:
        """Passages with at least one of the terms (the numpy path): stored bitmaps for very
        common terms, marks for the rest."""
        if len(unique) == 1:
            return int(self._indptr[unique[0] + 1] - self._indptr[unique[0]])
        _, mark = self._scratch.get(self.size)
        mapped = [int(self._bitmap_row[t]) for t in unique if self._bitmap_row[t] >= 0]
        union_bits: npt.NDArray[np.uint8] | None = None
        if mapped:
            union_bits = np.bitwise_or.reduce(self._bitmaps[mapped], axis=0)
        count = 0 if union_bits is None else int(np.bitwise_count(union_bits).sum())
        touched: list[npt.NDArray[np.int32]] = []
        for term_id in unique:
            if self._bitmap_row[term_id] >= 0:
                continue
            docs, _ = self._postings(term_id)
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
        if len(unique) == 1:
            docs, tfs = self._postings(unique[0])
            impacts = self._impacts(unique[0], docs, tfs)
            scores = impacts
            for _ in range(len(query) - 1):
                scores = scores + impacts
            return docs.astype(np.int64), scores
        acc, mark = self._scratch.get(self.size)
        parts = []
        for term_id in unique:
            docs, _ = self._postings(term_id)
            fresh = docs[~mark[docs]]
            mark[fresh] = True
            parts.append(fresh)
        union = np.concatenate(parts).astype(np.int64)
        mark[union] = False
        by_term = {t: (self._postings(t)[0], self._impacts(t, *self._postings(t))) for t in unique}
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
        repeats = Counter(query)
        short = [t for t in unique if self._long_row[t] < 0]
        n_ranges = self._range_max.shape[1]
        range_bound = np.zeros(n_ranges)
        for term_id in unique:
            if self._long_row[term_id] >= 0:
                range_bound += repeats[term_id] * self._range_max[self._long_row[term_id]]
        if short:
            short_docs, partial = self._score_all([t for t in query if t in short], short)
        else:
            short_docs, partial = np.zeros(0, np.int64), np.zeros(0)
        short_range = short_docs >> RANGE_SHIFT
        doc_bound = partial + range_bound[short_range]
        best_in_range = range_bound.copy()
        np.maximum.at(best_in_range, short_range, doc_bound)
        order = np.argsort(-best_in_range, kind="stable")
        order = order[best_in_range[order] > 0]

        threshold = 0.0
        positions, scores = np.zeros(0, np.int64), np.zeros(0)
        start, batch = 0, FIRST_RANGES
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
                threshold = kth * (1 - _SLACK)
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
        acc, mark = self._scratch.get(self.size)
        in_ranges = np.zeros(self._range_max.shape[1], dtype=bool)
        in_ranges[ranges] = True
        mark[extra] = True
        hits: dict[int, tuple[npt.NDArray[Any], FloatArray]] = {}
        parts = [extra]
        for term_id in unique:
            row = int(self._long_row[term_id])
            start = int(self._indptr[term_id])
            if row < 0:
                docs, tfs = self._postings(term_id)
                keep = in_ranges[docs >> RANGE_SHIFT] | mark[docs]
                docs, tfs = docs[keep], tfs[keep]
            else:
                ptr = self._range_ptr[row]
                idx = _spans(ptr[ranges].astype(np.int64), ptr[ranges + 1].astype(np.int64))
                idx += start
                docs, tfs = self._docs[idx], self._tfs[idx]
                if extra.size:
                    listed, listed_tfs = self._postings(term_id)
                    found = np.searchsorted(listed, extra)
                    found[found >= listed.size] = 0
                    present = listed[found] == extra
                    docs = np.concatenate([docs, extra[present].astype(docs.dtype)])
                    tfs = np.concatenate([tfs, listed_tfs[found[present]]])
            hits[term_id] = docs, self._impacts(term_id, docs, tfs)
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


def _length_classes(
    lengths: IntArray, k1: float, b: float, avgdl: float
) -> tuple[npt.NDArray[Any], FloatArray]:
    """Each passage's length class and each class's length norm, op for op rank-bm25's. The
    compiled range kernel reads 2 bytes a passage (the length itself, when below 65536) where
    a norm per passage would be 8: the sweep misses the cache far less."""
    if lengths.size == 0 or int(lengths.max()) < 65536:
        classes: npt.NDArray[Any] = lengths.astype(np.uint16)
        values = np.arange(int(lengths.max(initial=0)) + 1, dtype=np.int64)
    else:  # passages of 65536 terms or more: a class per distinct length
        values, inverse = np.unique(lengths, return_inverse=True)
        classes = inverse.astype(np.int32)
    with np.errstate(invalid="ignore", divide="ignore"):
        norms: FloatArray = np.asarray(k1 * (1 - b + b * values / avgdl), np.float64)
    return classes, norms


def _weight_table(norms: FloatArray, k1_plus_1: float) -> FloatArray:
    """``q_freq * (k1 + 1) / (q_freq + norm)`` for the small term counts (most postings) and
    every length class, so the kernel looks up what rank-bm25 computes with two divisions."""
    q_freq = np.arange(SMALL_TF, dtype=np.float64)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        table: FloatArray = q_freq * k1_plus_1 / (q_freq + norms[None, :])
    return np.ascontiguousarray(table)


def _spans(starts: IntArray, ends: IntArray) -> IntArray:
    """The indexes ``[starts[i], ends[i])`` for all i, concatenated, without a Python loop."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(total, dtype=np.int64)


def _best(positions: IntArray, scores: FloatArray, limit: int) -> list[ScoredPassage]:
    """Highest score first; ties keep corpus order so results are deterministic."""
    if positions.size > limit:
        kth = np.partition(scores, positions.size - limit)[positions.size - limit]
        above = scores > kth
        tied = np.sort(positions[scores == kth])[: limit - int(above.sum())]
        positions = np.concatenate([positions[above], tied])
        scores = np.concatenate([scores[above], np.full(tied.size, kth)])
    # A few results (the kernels' top k) sort faster as Python floats than through numpy.
    position_list: list[int] = positions.tolist()
    score_list: list[float] = scores.tolist()
    order = sorted(range(len(position_list)), key=lambda i: (-score_list[i], position_list[i]))
    return [ScoredPassage(position_list[i], score_list[i]) for i in order]


def _chunks(items: Iterable[list[str]], size: int) -> Iterator[list[list[str]]]:
    chunk: list[list[str]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_ARRAY_NAMES = (
    "term_hash",
    "term_hash_ids",
    "indptr",
    "docs",
    "tfs",
    "idf",
    "doc_len",
    "long_row",
    "range_max",
    "range_ptr",
    "bitmap_row",
    "bitmaps",
    "term_max",
)


def _save_arrays(directory: Path, arrays: dict[str, Any], params: BM25Parameters) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in _ARRAY_NAMES:
        np.save(directory / f"{name}.npy", np.asarray(arrays[name]))
    table: StringTable = arrays["terms"]
    write_strings(directory / "terms", list(table))
    np.save(directory / "index_meta.npy", np.array([INDEX_FORMAT, params.k1, params.b]))


class IndexBuilder:
    """Builds a :class:`PassageIndex` chunk by chunk, holding only compact arrays.

    With ``spill``, each chunk's postings go to a file there until :meth:`finish` lays them out,
    so building a million passages needs little more memory than the finished index.
    """

    def __init__(self, params: BM25Parameters, spill: Path | None = None) -> None:
        self.params = params
        self._spill = spill
        self._vocabulary: dict[str, int] = {}
        self._chunks: list[tuple[Any, Any, Any] | Path] = []
        self._lengths: list[npt.NDArray[np.int32]] = []
        self._df = np.zeros(0, dtype=np.int64)
        self._max_tf = 0
        self.passages = 0

    def add_token_lists(self, token_lists: Sequence[Sequence[str]]) -> None:
        """Count and add the next passages' term lists."""
        if token_lists:
            self.add_counts(count_terms(token_lists))

    def add_counts(self, chunk: CountedChunk) -> None:
        """Add the next passages, counted (by a worker process, say)."""
        vocabulary = self._vocabulary
        global_ids = np.fromiter(
            (vocabulary.setdefault(t, len(vocabulary)) for t in chunk.terms),
            dtype=np.int32,
            count=len(chunk.terms),
        )
        terms = global_ids[chunk.term]
        docs = chunk.passage + np.int32(self.passages)
        if len(vocabulary) > self._df.size:
            grown = np.zeros(len(vocabulary) - self._df.size, np.int64)
            self._df = np.concatenate([self._df, grown])
        self._df += np.bincount(terms, minlength=self._df.size)
        chunk_max = int(chunk.tf.max(initial=0))
        self._max_tf = max(self._max_tf, chunk_max)
        tfs = chunk.tf.astype(np.uint16 if chunk_max < 65536 else np.uint32)
        if self._spill is None:
            self._chunks.append((terms, docs, tfs))
        else:
            path = self._spill / f"chunk-{len(self._chunks):05d}.npz"
            np.savez(path, terms=terms, docs=docs, tfs=tfs)
            self._chunks.append(path)
        self._lengths.append(chunk.lengths)
        self.passages += int(chunk.lengths.size)

    def _chunk(self, number: int) -> tuple[Any, Any, Any]:
        stored = self._chunks[number]
        self._chunks[number] = Path()
        if isinstance(stored, Path):
            with np.load(stored) as saved:
                loaded = saved["terms"], saved["docs"], saved["tfs"]
            stored.unlink()
            return loaded
        return stored

    def finish(self, directory: Path | None = None) -> PassageIndex:
        """Lay the postings out by term (written into ``directory`` when given) and open them."""
        arrays = self._layout(directory)
        if directory is not None:
            del arrays
            return PassageIndex.load(directory)
        index = PassageIndex.__new__(PassageIndex)
        index._adopt(arrays, self.params)
        return index

    def _layout(self, directory: Path | None) -> dict[str, Any]:
        n = self.passages
        vocabulary = list(self._vocabulary)
        self._vocabulary = {}
        df = self._df
        indptr = np.zeros(df.size + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        nnz = int(indptr[-1])
        max_tf = self._max_tf
        tf_dtype = np.uint8 if max_tf < 256 else np.uint16 if max_tf < 65536 else np.uint32

        def output(name: str, dtype: Any) -> Any:
            if directory is None:
                return np.zeros(nnz, dtype=dtype)
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / f"{name}.npy"
            return np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(nnz,))

        docs = output("docs", np.int32)
        tfs = output("tfs", tf_dtype)
        cursor = indptr[:-1].copy()
        for number in range(len(self._chunks)):
            terms, chunk_docs, chunk_tfs = self._chunk(number)
            order = np.argsort(terms, kind="stable")
            sorted_terms = terms[order]
            groups, first, counts = np.unique(sorted_terms, return_index=True, return_counts=True)
            rank = np.arange(sorted_terms.size, dtype=np.int64) - np.repeat(first, counts)
            dest = cursor[sorted_terms] + rank
            docs[dest] = chunk_docs[order]
            tfs[dest] = chunk_tfs[order]
            cursor[groups] += counts
        self._chunks = []
        lengths = np.concatenate(self._lengths) if self._lengths else np.zeros(0, np.int32)
        self._lengths = []
        hashes = np.fromiter(map(term_hash, vocabulary), dtype=np.uint64, count=len(vocabulary))
        hash_order = np.argsort(hashes, kind="stable")
        arrays: dict[str, Any] = {
            "terms": StringTable.from_strings(vocabulary),
            "term_hash": hashes[hash_order],
            "term_hash_ids": hash_order.astype(np.int32),
            "indptr": indptr,
            "docs": docs,
            "tfs": tfs,
            "idf": lucene_idf(n, vocabulary, df.tolist()),
            "doc_len": lengths.astype(np.int32),
        }
        arrays.update(_bounds(arrays, n, self.params))
        if directory is not None:
            docs.flush()
            tfs.flush()
            for name in _ARRAY_NAMES:
                if name not in ("docs", "tfs"):
                    np.save(directory / f"{name}.npy", np.asarray(arrays[name]))
            write_strings(directory / "terms", arrays["terms"])
            meta = np.array([INDEX_FORMAT, self.params.k1, self.params.b])
            np.save(directory / "index_meta.npy", meta)
        return arrays


@dataclass(frozen=True, slots=True)
class _KernelQuery:
    """A query as the kernels take it, worked out once: its distinct term ids, each query
    term's slot among them (in query order, repeats kept, so scores sum as ``rank-bm25`` sums
    them), where each term's postings start and end, and how many postings that is."""

    ids: IntArray
    order: IntArray
    starts: IntArray
    ends: IntArray
    postings: int

    @classmethod
    def of(cls, indptr: IntArray, query: list[int], unique: list[int]) -> _KernelQuery:
        """The kernel form of ``query`` (term ids) with its distinct ids ``unique``."""
        slot = {term_id: i for i, term_id in enumerate(unique)}
        ids = np.array(unique, dtype=np.int64)
        starts = indptr[ids]
        ends = indptr[ids + 1]
        order = np.array([slot[t] for t in query], dtype=np.int64)
        return cls(ids, order, starts, ends, int((ends - starts).sum()))


def _term_maxima(arrays: dict[str, Any], params: BM25Parameters) -> FloatArray:
    """Each term's largest contribution to any passage, a block of terms at a time."""
    indptr: IntArray = arrays["indptr"]
    terms = indptr.size - 1
    maxima = np.zeros(terms)
    if terms == 0:
        return maxima
    lengths = np.asarray(arrays["doc_len"], dtype=np.int64)
    avgdl = int(lengths.sum()) / lengths.size
    k1, b = params.k1, params.b
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = k1 * (1 - b + b * lengths / avgdl)
    idf: FloatArray = arrays["idf"]
    first = 0
    while first < terms:
        last = int(np.searchsorted(indptr, indptr[first] + 4_000_000, side="right")) - 1
        last = min(max(last, first + 1), terms)
        start, end = int(indptr[first]), int(indptr[last])
        docs = np.asarray(arrays["docs"][start:end])
        q_freq = np.asarray(arrays["tfs"][start:end]).astype(np.float64)
        owner = np.repeat(idf[first:last], np.diff(indptr[first : last + 1]))
        impacts = owner * (q_freq * (k1 + 1) / (q_freq + norm[docs]))
        maxima[first:last] = np.maximum.reduceat(impacts, indptr[first:last] - start)
        first = last
    return maxima


def _bounds(arrays: dict[str, Any], n: int, params: BM25Parameters) -> dict[str, Any]:
    """Per-range maximum impact of each long posting list, and bitmaps of the commonest terms."""
    indptr: IntArray = arrays["indptr"]
    df = np.diff(indptr)
    n_ranges = max(1, (n + (1 << RANGE_SHIFT) - 1) >> RANGE_SHIFT)
    long_terms = np.flatnonzero(df >= max(2 * n_ranges, LONG_POSTINGS))
    bitmap_terms = np.flatnonzero((df * 32 >= n) & (df >= BITMAP_POSTINGS))
    long_row = np.full(df.size, -1, dtype=np.int32)
    long_row[long_terms] = np.arange(long_terms.size, dtype=np.int32)
    bitmap_row = np.full(df.size, -1, dtype=np.int32)
    bitmap_row[bitmap_terms] = np.arange(bitmap_terms.size, dtype=np.int32)
    range_max = np.zeros((long_terms.size, n_ranges), dtype=np.float32)
    range_ptr = np.zeros((long_terms.size, n_ranges + 1), dtype=np.int32)
    bitmaps = np.zeros((bitmap_terms.size, (n + 7) // 8), dtype=np.uint8)
    if long_terms.size or bitmap_terms.size:
        probe = PassageIndex.__new__(PassageIndex)
        empty = {
            "long_row": long_row,
            "bitmap_row": bitmap_row,
            "range_max": range_max,
            "range_ptr": range_ptr,
            "bitmaps": bitmaps,
            "term_max": np.zeros(df.size),
        }
        probe._adopt({**arrays, **empty}, params)
        boundaries = np.arange(n_ranges + 1, dtype=np.int64) << RANGE_SHIFT
        for row, term_id in enumerate(long_terms.tolist()):
            docs, tfs = probe._postings(term_id)
            impacts = probe._impacts(term_id, docs, tfs)
            ptr = np.searchsorted(docs, boundaries)
            range_ptr[row] = ptr
            nonempty = np.flatnonzero(ptr[1:] > ptr[:-1])
            exact = np.maximum.reduceat(impacts, ptr[nonempty])
            bound = exact.astype(np.float32)
            bound = np.where(bound < exact, np.nextafter(bound, np.float32(np.inf)), bound)
            range_max[row, nonempty] = bound
        for row, term_id in enumerate(bitmap_terms.tolist()):
            docs, _ = probe._postings(term_id)
            bits = np.zeros(bitmaps.shape[1] * 8, dtype=bool)
            bits[docs] = True
            bitmaps[row] = np.packbits(bits, bitorder="little")
    return {
        "term_max": _term_maxima(arrays, params),
        "long_row": long_row,
        "range_max": range_max,
        "range_ptr": range_ptr,
        "bitmap_row": bitmap_row,
        "bitmaps": bitmaps,
    }
