"""Laying counted chunks out as an inverted index: every posting where it belongs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.index.arrays import IndexArrays, term_hash
from bot.index.bm25 import BM25Parameters
from bot.index.build import CountedChunk, IndexBuilder, count_terms

PASSAGES = st.lists(st.lists(st.sampled_from("abcdefgh"), max_size=8), min_size=1, max_size=40)


def postings_by_term(passages: list[list[str]]) -> dict[str, list[tuple[int, int]]]:
    """Each term's ``(passage, count)`` pairs in passage order, counted one by one."""
    found: dict[str, list[tuple[int, int]]] = {}
    for number, tokens in enumerate(passages):
        for term, count in sorted(Counter(tokens).items()):
            found.setdefault(term, []).append((number, count))
    return found


@settings(max_examples=60, deadline=None)
@given(passages=PASSAGES, chunk=st.integers(1, 7))
def test_chunks_lay_out_as_the_postings_counted_one_by_one(
    passages: list[list[str]], chunk: int
) -> None:
    """Passages added a few at a time (each chunk numbering its own terms in its own order)
    give each term its postings in passage order, wherever its chunks put them."""
    builder = IndexBuilder(BM25Parameters())
    for first in range(0, len(passages), chunk):
        builder.add_token_lists(passages[first : first + chunk])
    arrays = builder.finish()
    laid_out = {
        arrays.terms[number]: list(
            zip(
                arrays.docs[arrays.indptr[number] : arrays.indptr[number + 1]].tolist(),
                arrays.tfs[arrays.indptr[number] : arrays.indptr[number + 1]].tolist(),
                strict=True,
            )
        )
        for number in range(len(arrays.terms))
    }
    assert laid_out == postings_by_term(passages)
    assert arrays.doc_len.tolist() == [len(tokens) for tokens in passages]
    assert hashed_terms(arrays) == {term: term_hash(term) for term in postings_by_term(passages)}


def hashed_terms(arrays: IndexArrays) -> dict[str, int]:
    """Each term with the hash a query finds it by, after checking the hashes are sorted."""
    assert np.all(arrays.term_hash[:-1] <= arrays.term_hash[1:])
    return {
        arrays.terms[int(number)]: int(hashed)
        for hashed, number in zip(arrays.term_hash, arrays.term_hash_ids, strict=True)
    }


def test_terms_numbered_in_any_calls_are_hashed_by_their_own_strings() -> None:
    """Terms numbered a call at a time, repeated within a call and across calls, each carry
    their own hash: the hashes are made as the terms are first numbered."""
    builder = IndexBuilder(BM25Parameters())
    assert builder.term_ids(["b", "a", "b", "c"]).tolist() == [0, 1, 0, 2]
    assert builder.term_ids(["c", "e", "d", "e", "a"]).tolist() == [2, 3, 4, 3, 1]
    assert builder.term_ids(["a"]).tolist() == [1]
    arrays = builder.finish()
    assert list(arrays.terms) == ["b", "a", "c", "e", "d"]
    assert hashed_terms(arrays) == {term: term_hash(term) for term in "abcde"}


def test_spilled_chunks_lay_out_the_same(tmp_path: Path) -> None:
    """Chunks spilled to files and laid out into a folder give the arrays that chunks kept in
    memory give, and the spill files are gone."""
    passages = [["a", "b", "a"], ["c"], ["b", "c", "d"], [], ["a", "d", "d"]] * 5
    spill = tmp_path / "spill"
    spill.mkdir()
    builders = IndexBuilder(BM25Parameters(), spill=spill), IndexBuilder(BM25Parameters())
    for builder in builders:
        for first in range(0, len(passages), 3):
            builder.add_token_lists(passages[first : first + 3])
    saved, in_memory = builders[0].finish(tmp_path), builders[1].finish()
    assert list(saved.terms) == list(in_memory.terms)
    for name in ("indptr", "docs", "tfs", "idf", "doc_len"):
        assert np.array_equal(getattr(saved, name), getattr(in_memory, name)), name
    a = list(saved.terms).index("a")
    postings = saved.docs[saved.indptr[a] : saved.indptr[a + 1]].tolist()
    assert postings == [n for n, tokens in enumerate(passages) if "a" in tokens]
    assert not list(spill.iterdir())


def test_a_spilled_chunk_cut_short_stops_the_build(tmp_path: Path) -> None:
    """A spill file that lost its end (a full disk, someone tidying the cache folder) is an
    error, never postings read from what is left."""
    builder = IndexBuilder(BM25Parameters(), spill=tmp_path)
    builder.add_token_lists([["a", "b", "a"], ["c"]])
    [spilled] = list(tmp_path.iterdir())
    spilled.write_bytes(spilled.read_bytes()[:-1])
    with pytest.raises(ValueError, match="not whole"):
        builder.finish()


def test_a_chunk_with_a_term_twice_is_refused_before_it_is_laid_out() -> None:
    """Two of a chunk's terms given one number would count one df for two runs of postings,
    which would overrun the space laid out for them: refused instead."""
    builder = IndexBuilder(BM25Parameters())
    counted = count_terms([["a", "b"], ["a"]])
    ids = builder.term_ids(counted.terms)
    builder.add_counts(counted, np.full_like(ids, ids[0]))
    with pytest.raises(ValueError, match="a term twice"):
        builder.finish()


def test_a_chunk_not_sorted_by_term_is_refused() -> None:
    """Postings sorted by passage would be laid out out of place: refused, not indexed."""
    counted = count_terms([["a", "b"], ["a", "b"]])
    by_passage = np.lexsort((counted.term, counted.passage))
    shuffled = CountedChunk(
        terms=counted.terms,
        lengths=counted.lengths,
        passage=counted.passage[by_passage],
        term=counted.term[by_passage],
        tf=counted.tf[by_passage],
    )
    builder = IndexBuilder(BM25Parameters())
    with pytest.raises(ValueError, match="not sorted by term"):
        builder.add_counts(shuffled)
    builder.add_counts(counted)
    assert builder.passages == 2
