"""The compiled steps of building an index (counting a chunk's terms, laying the postings out
by term, the score bounds) give numpy's arrays, bit for bit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.index import BM25Parameters
from bot.index import bounds as bounds_module
from bot.index import build as build_module
from bot.index.bounds import BoundsLayout
from bot.index.build import build_arrays, count_numbered

SMALL_BOUNDS = BoundsLayout(range_shift=3, long_postings=8, bitmap_postings=8)

corpora = st.lists(
    st.lists(st.sampled_from([f"t{i}" for i in range(12)]), max_size=25), min_size=1, max_size=90
)


@given(
    corpus=corpora,
    k1=st.sampled_from([0.0, 0.9, 1.2, 2.0]),
    b=st.sampled_from([0, 0.75, 1]),
    chunk_passages=st.sampled_from([7, 20_000]),
    threads=st.integers(1, 4),
)
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_a_compiled_index_is_numpys(
    corpus: list[list[str]],
    k1: float,
    b: float,
    chunk_passages: int,
    threads: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Chunks of a few passages, their postings moved by one to four threads (each its own
    terms), lay out the same index as numpy does."""
    params = BM25Parameters(k1=k1, b=b)
    monkeypatch.setattr(build_module, "CHUNK_PASSAGES", chunk_passages)
    with monkeypatch.context() as patched:
        patched.setenv("CORPUSBOT_NO_NUMBA", "1")
        expected = build_arrays(corpus, params, SMALL_BOUNDS)
    with monkeypatch.context() as patched:
        patched.setattr(bounds_module, "THREADS", threads)
        patched.setattr(bounds_module, "COMPILED_FROM_POSTINGS", 0)
        patched.delenv("CORPUSBOT_NO_NUMBA", raising=False)
        assert bounds_module.compiled_kernels(1) is not None  # or this compares numpy with itself
        found = build_arrays(corpus, params, SMALL_BOUNDS)
    for name in ("indptr", "docs", "tfs", "idf", "doc_len", "term_hash", "term_hash_ids"):
        assert np.array_equal(getattr(found, name), getattr(expected, name)), name
        assert getattr(found, name).dtype == getattr(expected, name).dtype, name
    for field in dataclasses.fields(expected.bounds):
        assert np.array_equal(
            getattr(found.bounds, field.name), getattr(expected.bounds, field.name), equal_nan=True
        ), field.name


@given(
    groups=st.lists(
        st.lists(st.lists(st.integers(0, 9), max_size=12), max_size=8), min_size=1, max_size=3
    ),
    weights=st.lists(st.integers(1, 3), min_size=24, max_size=24),
    spare_terms=st.integers(0, 2),
)
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_compiled_counts_are_numpys(
    groups: list[list[list[int]]],
    weights: list[int],
    spare_terms: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each group is one analyzer's texts, one per passage, counted after the groups before it
    # (their passages interleave), as a chunk of several languages is; each text weighs as a
    # title may.
    passages = sum(len(texts) for texts in groups)
    order = list(range(passages))[::-1] if len(groups) > 1 else list(range(passages))
    numbers: list[int] = []
    owners: list[int] = []
    weight: list[int] = []
    passage = iter(order)
    for texts in groups:
        for text in texts:
            owner = next(passage)
            numbers += text
            owners += [owner] * len(text)
            weight += [weights[owner % len(weights)]] * len(text)
    terms = [f"t{i}" for i in range(10 + spare_terms)]
    used = sorted(set(numbers))
    renumber = {old: new for new, old in enumerate(used)}
    arguments = (
        [terms[i] for i in used],
        np.asarray([renumber[n] for n in numbers], dtype=np.int64),
        np.asarray(owners, dtype=np.int64),
        np.asarray(weight, dtype=np.int64),
        passages,
    )
    with monkeypatch.context() as patched:
        patched.setenv("CORPUSBOT_NO_NUMBA", "1")
        expected = count_numbered(*arguments)
    with monkeypatch.context() as patched:
        patched.setattr(build_module, "COMPILED_COUNT_FROM", 0)
        patched.delenv("CORPUSBOT_NO_NUMBA", raising=False)
        assert bounds_module.compiled_kernels(1, worth_from=build_module.COMPILED_COUNT_FROM)
        found = count_numbered(*arguments)
    assert found.terms == expected.terms
    for name in ("lengths", "passage", "term", "tf"):
        assert np.array_equal(getattr(found, name), getattr(expected, name)), name
        assert getattr(found, name).dtype == getattr(expected, name).dtype, name
