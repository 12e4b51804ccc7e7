"""The compiled steps of finishing an index (postings laid out by term, score bounds) give
numpy's arrays, bit for bit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.index import BM25Parameters
from bot.index import bounds as bounds_module
from bot.index.bounds import BoundsLayout
from bot.index.build import build_arrays

SMALL_BOUNDS = BoundsLayout(range_shift=3, long_postings=8, bitmap_postings=8)

corpora = st.lists(
    st.lists(st.sampled_from([f"t{i}" for i in range(12)]), max_size=25), min_size=1, max_size=90
)


@given(corpus=corpora, k1=st.sampled_from([0.0, 0.9, 1.2, 2.0]), b=st.sampled_from([0, 0.75, 1]))
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_a_compiled_index_is_numpys(
    corpus: list[list[str]], k1: float, b: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = BM25Parameters(k1=k1, b=b)
    with monkeypatch.context() as patched:
        patched.setenv("CORPUSBOT_NO_NUMBA", "1")
        expected = build_arrays(corpus, params, SMALL_BOUNDS)
    with monkeypatch.context() as patched:
        patched.setattr(bounds_module, "COMPILED_FROM_POSTINGS", 0)
        patched.delenv("CORPUSBOT_NO_NUMBA", raising=False)
        found = build_arrays(corpus, params, SMALL_BOUNDS)
    for name in ("indptr", "docs", "tfs", "idf", "doc_len", "term_hash", "term_hash_ids"):
        assert np.array_equal(getattr(found, name), getattr(expected, name)), name
        assert getattr(found, name).dtype == getattr(expected, name).dtype, name
    for field in dataclasses.fields(expected.bounds):
        assert np.array_equal(
            getattr(found.bounds, field.name), getattr(expected.bounds, field.name), equal_nan=True
        ), field.name
