"""The inverted index gives rank-bm25's own scores and top-k, on every query path."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bot.index as index_module
from bot.index import BM25Parameters, LuceneBM25, PassageIndex, _length_classes, _weight_table

VOCABULARY = [f"t{i}" for i in range(40)]
PATHS = [
    "numpy",
    "numpy-pruned",
    "compiled",
    "compiled-ranges",
    "compiled-ranges-computed",
    "compiled-ranges-dense",
    "compiled-ranges-sparse",
]


def expected_top(reference: LuceneBM25, query: list[str], limit: int) -> tuple[list[int], int]:
    with np.errstate(invalid="ignore"):  # NaN for an empty passage when b = 1: never > 0
        scores = reference.get_scores(query)
    matching = sorted((i for i, s in enumerate(scores) if s > 0), key=lambda i: (-scores[i], i))
    return matching[:limit], len(matching)


@pytest.fixture(params=PATHS)
def query_path(request, monkeypatch):  # type: ignore[no-untyped-def]
    """Force one query path; small thresholds so tiny corpora have "long" posting lists."""
    monkeypatch.setattr(index_module, "LONG_POSTINGS", 8)
    monkeypatch.setattr(index_module, "BITMAP_POSTINGS", 8)
    monkeypatch.setattr(index_module, "RANGE_SHIFT", 3)
    monkeypatch.setattr(index_module, "FIRST_RANGES", 2)
    if request.param.startswith("compiled"):
        pytest.importorskip("numba")
        if request.param.startswith("compiled-ranges"):
            monkeypatch.setattr(index_module, "COMPILED_EXHAUSTIVE", 0)
        if request.param == "compiled-ranges-computed":  # no weight table: every weight computed
            monkeypatch.setattr(index_module, "SMALL_TF", 0)
        if request.param == "compiled-ranges-dense":  # every range scanned whole
            monkeypatch.setattr(index_module, "DENSE_SHARE", 1 << 20)
        if request.param == "compiled-ranges-sparse":  # every range notes its touched slots
            monkeypatch.setattr(index_module, "DENSE_SHARE", 0)
    else:
        monkeypatch.setattr(index_module, "_kernels", None)
        if request.param == "numpy-pruned":
            monkeypatch.setattr(index_module, "EXHAUSTIVE_POSTINGS", 0)
    return request.param


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
    index = PassageIndex.build(corpus, BM25Parameters(k1, b))
    reference = LuceneBM25(corpus, k1=k1, b=b)
    # rank-bm25 gives NaN for an empty passage when b = 1 (0/0); such a passage matches nothing.
    with np.errstate(invalid="ignore"):
        reference_scores = np.nan_to_num(reference.get_scores(query))
    np.testing.assert_allclose(index.scores(query), reference_scores, rtol=0, atol=1e-9)
    top, total = index.top(query, limit)
    ids, expected_total = expected_top(reference, query, limit)
    assert total == expected_total
    assert [hit.position for hit in top] == ids
    assert all(abs(hit.score - reference_scores[hit.position]) <= 1e-9 for hit in top)


def test_pruning_skips_most_of_a_long_posting_list(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(index_module, "_kernels", None)
    monkeypatch.setattr(index_module, "EXHAUSTIVE_POSTINGS", 0)
    monkeypatch.setattr(index_module, "RANGE_SHIFT", 4)
    monkeypatch.setattr(index_module, "FIRST_RANGES", 2)
    rng = random.Random(3)
    corpus = [["common"] * rng.randint(1, 3) + ["filler"] * rng.randint(0, 20) for _ in range(6000)]
    for position in (17, 2500, 5999):
        corpus[position] += ["rare", "rare"]
    index = PassageIndex.build(corpus, BM25Parameters())
    scored: list[int] = []
    original = PassageIndex._score_candidates

    def counting(self, *args):  # type: ignore[no-untyped-def]
        positions, scores = original(self, *args)
        scored.append(positions.size)
        return positions, scores

    monkeypatch.setattr(PassageIndex, "_score_candidates", counting)
    top, total = index.top(["rare", "common"], 3)
    assert total == 6000
    assert {hit.position for hit in top} == {17, 2500, 5999}
    assert 0 < sum(scored) < 1500  # far fewer than the 6000 passages "common" is in
    reference = LuceneBM25(corpus)
    ids, _ = expected_top(reference, ["rare", "common"], 3)
    assert [hit.position for hit in top] == ids


def test_repeated_query_terms_count_repeatedly() -> None:
    corpus = [["a", "b"], ["a"], ["b", "b", "c"], []]
    index = PassageIndex.build(corpus, BM25Parameters())
    reference = LuceneBM25(corpus, k1=1.2, b=0.75)
    for query in (["a", "a"], ["b", "a", "b"], ["c", "c", "c"]):
        np.testing.assert_allclose(index.scores(query), reference.get_scores(query), atol=1e-12)
        assert [h.position for h in index.top(query, 5)[0]] == expected_top(reference, query, 5)[0]


def test_limit_zero_still_counts_matches() -> None:
    index = PassageIndex.build([["a"], ["b"], ["a", "b"]], BM25Parameters())
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
    index = PassageIndex.build(corpus, BM25Parameters(k1=1.2, b=0.75))
    for query, expected in cases:
        ranked = sorted(np.flatnonzero(expected > 0), key=lambda i: (-expected[i], i))
        for limit in (1, 10):
            top, total = index.top(query, limit)
            assert (query, [hit.position for hit in top]) == (query, ranked[:limit])
            assert total == len(ranked)
            assert all(abs(hit.score - expected[hit.position]) <= 1e-9 for hit in top)


def test_warm_up_runs_the_compiled_kernels_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    index = PassageIndex.build([["a", "b"], ["b"], ["c"]], BM25Parameters())
    if not index.accelerated:
        pytest.skip("numba is not installed (or CORPUSBOT_NO_NUMBA is set)")
    calls: list[str] = []
    for name in ("_top_compiled_all", "_top_compiled_ranges", "_count_compiled"):
        original = getattr(PassageIndex, name)

        def spy(self, *args, _name=name, _original=original):  # type: ignore[no-untyped-def]
            calls.append(_name)
            return _original(self, *args)

        monkeypatch.setattr(PassageIndex, name, spy)
    index.warm_up()
    index.warm_up()
    assert sorted(calls) == ["_count_compiled", "_top_compiled_all", "_top_compiled_ranges"]
    assert [hit.position for hit in index.top(["b"], 5)[0]] == [1, 0]


def test_kernel_cache_dir_is_where_numba_keeps_the_kernels(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    numba_config = pytest.importorskip("numba.core.config")
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)  # put back as it was afterwards
    try:
        index_module.use_kernel_cache(tmp_path)
        assert str(tmp_path) == numba_config.CACHE_DIR
    finally:
        monkeypatch.undo()
        numba_config.reload_config()


def test_length_classes_give_rank_bm25s_norm_and_weights() -> None:
    """Passages of 65,536 terms or more get classes by distinct length; either way a class's
    norm, and the weight table, are rank-bm25's expressions to the bit."""
    k1, b = 1.2, 0.75
    for lengths in (np.array([3, 0, 7, 3]), np.array([3, 70_000, 3, 12])):
        avgdl = int(lengths.sum()) / lengths.size
        classes, norms = _length_classes(lengths, k1, b, avgdl)
        expected = k1 * (1 - b + b * lengths / avgdl)
        assert np.array_equal(norms[classes], expected)
        table = _weight_table(norms, k1 + 1)
        for tf in range(1, table.shape[0]):
            assert np.array_equal(table[tf, classes], tf * (k1 + 1) / (tf + expected))
