"""LayeredIndex against plain rank-bm25 built from scratch on the edited token lists: random
and Zipf corpora, passages removed and added, repeated query terms, subsets."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from bot.index import Backend, BM25Parameters, LuceneBM25, PassageIndex, Subset
from bot.index.layered import LayeredIndex

PARAMS = BM25Parameters()


def corpus(rng: random.Random, passages: int, zipf: bool) -> list[list[str]]:
    words = [f"t{n}" for n in range(400)]
    weights = [1 / (rank + 1) if zipf else 1.0 for rank in range(len(words))]
    return [rng.choices(words, weights, k=rng.randint(1, 60)) for _ in range(passages)]


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("zipf", [False, True])
@pytest.mark.parametrize("seed", [1, 2])
def test_scores_equal_rank_bm25_on_the_edited_corpus(
    seed: int, zipf: bool, backend: Backend
) -> None:
    if backend == "numba":
        pytest.importorskip("numba")
    rng = random.Random(seed)
    base_tokens = corpus(rng, 600, zipf)
    kept = np.array([rng.random() > 0.1 for _ in base_tokens])
    added = [*corpus(rng, 50, zipf), ["brandnew", "t0"]]
    pairs = list(zip(base_tokens, kept, strict=True))
    removed = Counter(t for tokens, k in pairs if not k for t in set(tokens))
    base, delta = PassageIndex.build(base_tokens, PARAMS), PassageIndex.build(added, PARAMS)
    layered = LayeredIndex(base, kept, delta, removed, backend=backend)
    assert layered.backend == f"layered-{backend}"
    edited = [tokens for tokens, k in pairs if k] + added
    reference = LuceneBM25(edited, k1=PARAMS.k1, b=PARAMS.b)
    fresh = PassageIndex.build(edited, PARAMS)
    labels = np.array([rng.randrange(2) for _ in edited], dtype=np.uint8)
    for query in (["t0"], ["t1", "t5", "t1"], ["t399", "brandnew"], ["t3", "t30", "t300"]):
        expected = reference.get_scores(query)
        assert layered.scores(query).tolist() == expected.tolist()
        top, total = layered.top(query, 10)
        assert (total, [(s.position, s.score) for s in top]) == (
            fresh.top(query, 10)[1],
            [(s.position, s.score) for s in fresh.top(query, 10)[0]],
        )
        subset = Subset(labels, 1)
        assert layered.top(query, 5, subset) == fresh.top(query, 5, subset)
        assert layered.top(query, 0) == ([], fresh.count(query))
        assert layered.count(query) == fresh.count(query)
        assert [layered.idf(t) for t in query] == [reference.idf.get(t, 0.0) for t in query]
    assert layered.vocabulary_size == fresh.vocabulary_size
    assert layered.known_terms(["t0", "brandnew", "nowhere"]) == ["t0", "brandnew"]


def test_a_term_only_removed_passages_had_is_unknown() -> None:
    base = PassageIndex.build([["gone", "stay"], ["stay"]], PARAMS)
    layered = LayeredIndex(
        base, np.array([False, True]), PassageIndex.build([["new"]], PARAMS), {"gone": 1, "stay": 1}
    )
    assert layered.known_terms(["gone", "stay", "new"]) == ["stay", "new"]
    assert layered.top(["gone"], 5) == ([], 0)
    assert layered.vocabulary_size == 2


def test_removed_counts_the_index_cannot_hold_are_refused() -> None:
    base = PassageIndex.build([["a"], ["b"]], PARAMS)
    delta = PassageIndex.build([], PARAMS)
    with pytest.raises(ValueError, match="lacks"):
        LayeredIndex(base, np.array([True, False]), delta, {"zzz": 1})
    with pytest.raises(ValueError, match="more removed"):
        LayeredIndex(base, np.array([True, False]), delta, {"b": 2})


def test_term_ids_finds_each_term_as_term_id_does() -> None:
    index = PassageIndex.build(corpus(random.Random(5), 300, True), PARAMS)
    terms = [f"t{n}" for n in range(0, 500, 7)] + ["", "nowhere", "t0"]
    assert index.term_ids(terms).tolist() == [index.term_id(t) for t in terms]


def test_warming_the_saved_index_loads_the_kernel_its_layers_use(tmp_path: Path) -> None:
    pytest.importorskip("numba")
    from bot.index.backends import numba_kernels
    from bot.index.backends.numba_backend import NumbaBackend

    tokens = corpus(random.Random(9), 300, True)
    PassageIndex.build(tokens, PARAMS).save(tmp_path)
    saved = PassageIndex.load(tmp_path, backend="numba")  # memory-mapped, as in the bot
    backend = saved._backend
    assert isinstance(backend, NumbaBackend)
    backend._warm_layers()
    warmed = set(numba_kernels.layered_top_k.signatures)
    delta = PassageIndex.build(corpus(random.Random(10), 20, True), PARAMS)
    layered = LayeredIndex(saved, np.ones(300, dtype=np.bool_), delta, {}, backend="numba")
    layered.top(["t0", "t1"], 3, Subset(np.zeros(layered.size, dtype=np.uint8), 0))
    assert set(numba_kernels.layered_top_k.signatures) == warmed
