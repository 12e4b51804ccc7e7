"""Both query backends give rank-bm25's own scores, top-k and match counts, on every path.

Each path is a backend with a tuning that forces it, and small bounds so that tiny corpora have
"long" posting lists; all are passed to the index, nothing is patched.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.index import Backend, BM25Parameters, LuceneBM25, PassageIndex
from bot.index.backends import resolve, use_kernel_cache
from bot.index.backends.base import COMPILED_FROM_PASSAGES, QueryTuning
from bot.index.backends.numpy_backend import NumpyBackend
from bot.index.bounds import BoundsLayout

VOCABULARY = [f"t{i}" for i in range(40)]
SMALL_BOUNDS = BoundsLayout(range_shift=3, long_postings=8, bitmap_postings=8)


@dataclass(frozen=True)
class QueryPath:
    """A backend and the tuning that sends every query down one of its paths."""

    backend: Backend
    tuning: QueryTuning = field(default_factory=lambda: QueryTuning(first_ranges=2))

    def build(self, corpus: list[list[str]], params: BM25Parameters) -> PassageIndex:
        return PassageIndex.build(
            corpus, params, backend=self.backend, tuning=self.tuning, layout=SMALL_BOUNDS
        )


PATHS = {
    "numpy": QueryPath("numpy"),
    "numpy-pruned": QueryPath("numpy", QueryTuning(exhaustive_postings=0, first_ranges=2)),
    "compiled": QueryPath("numba"),
    "compiled-ranges": QueryPath("numba", QueryTuning(compiled_exhaustive=0, first_ranges=2)),
    # no weight table: every weight computed
    "compiled-ranges-computed": QueryPath(
        "numba", QueryTuning(compiled_exhaustive=0, first_ranges=2, small_tf=0)
    ),
    # every range scanned whole
    "compiled-ranges-dense": QueryPath(
        "numba", QueryTuning(compiled_exhaustive=0, first_ranges=2, dense_share=1 << 20)
    ),
    # every range notes its touched slots
    "compiled-ranges-sparse": QueryPath(
        "numba", QueryTuning(compiled_exhaustive=0, first_ranges=2, dense_share=0)
    ),
}


def expected_top(reference: LuceneBM25, query: list[str], limit: int) -> tuple[list[int], int]:
    with np.errstate(invalid="ignore"):  # NaN for an empty passage when b = 1: never > 0
        scores = reference.get_scores(query)
    matching = sorted((i for i, s in enumerate(scores) if s > 0), key=lambda i: (-scores[i], i))
    return matching[:limit], len(matching)


@pytest.fixture(params=list(PATHS))
def query_path(request) -> QueryPath:  # type: ignore[no-untyped-def]
    path = PATHS[request.param]
    if path.backend == "numba":
        pytest.importorskip("numba")
    return path


corpora = st.lists(
    st.lists(st.sampled_from(VOCABULARY[:12]) | st.sampled_from(VOCABULARY), max_size=25),
    min_size=1,
    max_size=120,
)
queries = st.lists(st.sampled_from([*VOCABULARY, "unseen"]), min_size=1, max_size=6)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    corpus=corpora,
    query=queries,
    k1=st.floats(0.1, 3.0),
    b=st.floats(0.0, 1.0),
    limit=st.sampled_from([1, 3, 10, 50]),
    duplicate=st.booleans(),
)
def test_scores_and_top_k_equal_rank_bm25(
    query_path, corpus, query, k1, b, limit, duplicate
) -> None:
    if duplicate:  # identical passages: ties must fall to the earlier position
        corpus = corpus + corpus
    if not any(corpus):
        return  # rank-bm25 divides by an average length of zero
    index = query_path.build(corpus, BM25Parameters(k1, b))
    reference = LuceneBM25(corpus, k1=k1, b=b)
    # rank-bm25 gives NaN for an empty passage when b = 1 (0/0); such a passage matches nothing.
    with np.errstate(invalid="ignore"):
        reference_scores = np.nan_to_num(reference.get_scores(query))
    np.testing.assert_allclose(index.scores(query), reference_scores, rtol=0, atol=1e-9)
    top, total = index.top(query, limit)
    ids, expected_total = expected_top(reference, query, limit)
    assert total == expected_total == index.count(query)
    assert [hit.position for hit in top] == ids
    assert all(abs(hit.score - reference_scores[hit.position]) <= 1e-9 for hit in top)


def test_pruning_skips_most_of_a_long_posting_list(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(3)
    corpus = [["common"] * rng.randint(1, 3) + ["filler"] * rng.randint(0, 20) for _ in range(6000)]
    for position in (17, 2500, 5999):
        corpus[position] += ["rare", "rare"]
    index = PassageIndex.build(
        corpus,
        BM25Parameters(),
        backend="numpy",
        tuning=QueryTuning(exhaustive_postings=0, first_ranges=2),
        layout=BoundsLayout(range_shift=4),
    )
    scored: list[int] = []
    original = NumpyBackend._score_candidates

    def counting(self, *args):  # type: ignore[no-untyped-def]
        positions, scores = original(self, *args)
        scored.append(positions.size)
        return positions, scores

    monkeypatch.setattr(NumpyBackend, "_score_candidates", counting)  # a spy, not a switch
    top, total = index.top(["rare", "common"], 3)
    assert total == 6000
    assert {hit.position for hit in top} == {17, 2500, 5999}
    assert 0 < sum(scored) < 1500  # far fewer than the 6000 passages "common" is in
    reference = LuceneBM25(corpus)
    ids, _ = expected_top(reference, ["rare", "common"], 3)
    assert [hit.position for hit in top] == ids


def test_repeated_query_terms_count_repeatedly(query_path: QueryPath) -> None:
    corpus = [["a", "b"], ["a"], ["b", "b", "c"], []]
    index = query_path.build(corpus, BM25Parameters())
    reference = LuceneBM25(corpus, k1=1.2, b=0.75)
    for query in (["a", "a"], ["b", "a", "b"], ["c", "c", "c"]):
        np.testing.assert_allclose(index.scores(query), reference.get_scores(query), atol=1e-12)
        assert [h.position for h in index.top(query, 5)[0]] == expected_top(reference, query, 5)[0]


def test_limit_zero_still_counts_matches(query_path: QueryPath) -> None:
    index = query_path.build([["a"], ["b"], ["a", "b"]], BM25Parameters())
    assert index.top(["a", "b"], 0) == ([], 3)


@pytest.fixture(scope="module")
def zipf_case() -> tuple[list[list[str]], list[tuple[list[str], np.ndarray]]]:
    """3,000 passages over a Zipf-distributed vocabulary; 150 queries of 1-8 terms, each with
    rank-bm25's scores for it."""
    rng = np.random.default_rng(11)
    vocabulary = np.array([f"w{i}" for i in range(3000)])
    weights = 1.0 / np.arange(1, vocabulary.size + 1) ** 1.1
    weights /= weights.sum()
    corpus = [
        rng.choice(vocabulary, size=int(rng.integers(0, 120)), p=weights).tolist()
        for _ in range(3000)
    ]
    reference = LuceneBM25(corpus, k1=1.2, b=0.75)
    queries = [
        rng.choice(vocabulary[:800], size=int(rng.integers(1, 9))).tolist() for _ in range(150)
    ]
    return corpus, [(query, reference.get_scores(query)) for query in queries]


def test_every_path_matches_rank_bm25_on_a_zipf_corpus(query_path, zipf_case) -> None:
    """Realistic term statistics: long lists, pruning that matters, many near-tied scores."""
    corpus, cases = zipf_case
    index = query_path.build(corpus, BM25Parameters(k1=1.2, b=0.75))
    for query, expected in cases:
        ranked = sorted(np.flatnonzero(expected > 0), key=lambda i: (-expected[i], i))
        for limit in (1, 10):
            top, total = index.top(query, limit)
            assert (query, [hit.position for hit in top]) == (query, ranked[:limit])
            assert total == len(ranked) == index.count(query)
            assert all(abs(hit.score - expected[hit.position]) <= 1e-9 for hit in top)


def test_warm_up_runs_the_compiled_kernels_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("numba")
    from bot.index.backends.numba_backend import NumbaBackend

    index = PassageIndex.build([["a", "b"], ["b"], ["c"]], BM25Parameters(), backend="numba")
    calls: list[str] = []
    for name in ("_top_all", "_top_ranges", "_count"):
        original = getattr(NumbaBackend, name)

        def spy(self, *args, _name=name, _original=original):  # type: ignore[no-untyped-def]
            calls.append(_name)
            return _original(self, *args)

        monkeypatch.setattr(NumbaBackend, name, spy)
    index.warm_up()
    index.warm_up()
    assert sorted(calls) == ["_count", "_top_all", "_top_ranges"]
    assert [hit.position for hit in index.top(["b"], 5)[0]] == [1, 0]


def test_kernel_cache_dir_is_where_numba_keeps_the_kernels(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    numba_config = pytest.importorskip("numba.core.config")
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)  # put back as it was afterwards
    try:
        use_kernel_cache(tmp_path)
        assert str(tmp_path) == numba_config.CACHE_DIR
    finally:
        monkeypatch.undo()
        numba_config.reload_config()


def test_length_classes_give_rank_bm25s_norm_and_weights() -> None:
    """Passages of 65,536 terms or more get classes by distinct length; either way a class's
    norm, and the weight table, are rank-bm25's expressions to the bit."""
    from bot.index.backends.numba_backend import length_classes, weight_table

    k1, b = 1.2, 0.75
    for lengths in (np.array([3, 0, 7, 3]), np.array([3, 70_000, 3, 12])):
        avgdl = int(lengths.sum()) / lengths.size
        classes, norms = length_classes(lengths, BM25Parameters(k1, b), avgdl)
        expected = k1 * (1 - b + b * lengths / avgdl)
        assert np.array_equal(norms[classes], expected)
        table = weight_table(norms, k1 + 1, 8)
        for tf in range(1, table.shape[0]):
            assert np.array_equal(table[tf, classes], tf * (k1 + 1) / (tf + expected))


def test_the_backend_is_the_one_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """``numpy`` is always numpy; ``auto`` is numba from COMPILED_FROM_PASSAGES passages, and
    numpy below that or when CORPUSBOT_NO_NUMBA is set."""
    corpus = [["a", "b"], ["b"]]
    assert PassageIndex.build(corpus, BM25Parameters(), backend="numpy").backend == "numpy"
    assert PassageIndex.build(corpus, BM25Parameters(), backend="numba").backend == "numba"
    assert PassageIndex.build(corpus, BM25Parameters()).backend == "numpy"
    assert resolve("auto", COMPILED_FROM_PASSAGES - 1) == "numpy"
    assert resolve("auto", COMPILED_FROM_PASSAGES) == "numba"
    monkeypatch.setenv("CORPUSBOT_NO_NUMBA", "1")
    assert resolve("auto", COMPILED_FROM_PASSAGES) == "numpy"
    with pytest.raises(ValueError, match="unknown index backend 'fast'"):
        PassageIndex.build(corpus, BM25Parameters(), backend="fast")  # type: ignore[arg-type]
