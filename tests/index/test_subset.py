"""Top-k within a subset of the passages: rank-bm25's scores over the whole corpus, only the
subset's passages ranked and counted."""

from __future__ import annotations

import random

import numpy as np

from bot.index import BM25Parameters, LuceneBM25, PassageIndex, Subset


def test_top_within_a_subset_is_rank_bm25s_ranking_of_that_subset() -> None:
    rng = random.Random(17)
    vocabulary = [f"t{i}" for i in range(40)]
    for _ in range(30):
        corpus = [
            [rng.choice(vocabulary[: rng.randint(3, 40)]) for _ in range(rng.randint(1, 30))]
            for _ in range(rng.randint(1, 60))
        ]
        labels = np.asarray([rng.randint(0, 2) for _ in corpus], dtype=np.uint8)
        label = rng.randint(0, 2)
        params = BM25Parameters(k1=rng.uniform(0.5, 2.0), b=rng.uniform(0.0, 1.0))
        index = PassageIndex.build(corpus, params)
        reference = LuceneBM25(corpus, k1=params.k1, b=params.b).get_scores
        query = [rng.choice([*vocabulary, "unseen"]) for _ in range(rng.randint(1, 4))]
        limit = rng.randint(0, 8)
        top, total = index.top(query, limit, Subset(labels, label))
        scores = reference(query)
        expected = sorted(
            (i for i, score in enumerate(scores) if score > 0 and labels[i] == label),
            key=lambda i: (-scores[i], i),
        )
        assert total == len(expected)
        assert [hit.position for hit in top] == expected[:limit]
        assert [hit.score for hit in top] == [float(scores[i]) for i in expected[:limit]]


def test_a_subset_no_match_falls_in_gives_nothing() -> None:
    index = PassageIndex.build([["a", "b"], ["b"], ["c"]], BM25Parameters())
    labels = np.asarray([0, 0, 1], dtype=np.uint8)
    assert index.top(["c"], 5, Subset(labels, 0)) == ([], 0)
    assert index.top(["b"], 0, Subset(labels, 0)) == ([], 2)
    assert [hit.position for hit in index.top(["b", "c"], 5, Subset(labels, 1))[0]] == [2]
