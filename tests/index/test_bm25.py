"""Ranking: why the BM25 variant is what it is, and that scores are rank-bm25's own."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from rank_bm25 import BM25Okapi, BM25Plus

from bot.analysis.analyzer import tokenize
from bot.index import BM25Parameters, LuceneBM25, PassageIndex
from bot.index.bm25 import idf


def seed_tokens(seed_service) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return [tokenize(p.text) for p in seed_service.passages]


def test_okapi_idf_floors_topical_words_on_a_tiny_corpus(seed_service) -> None:  # type: ignore[no-untyped-def]
    corpus = seed_tokens(seed_service)
    okapi = BM25Okapi(corpus)
    ours = LuceneBM25(corpus)
    # "korea" and "satellite" are in every seed passage: Okapi's idf goes negative and is
    # floored to epsilon, so "North Korea satellite" barely ranks; ours stays positive.
    for term in ("korea", "satellit"):
        assert okapi.idf[term] == pytest.approx(okapi.epsilon * okapi.average_idf)
        assert ours.idf[term] > 0
    # Rarer terms still weigh more than common ones (in 1, 2 and 3 of the 3 passages).
    assert ours.idf["iranian"] > ours.idf["technolog"] > ours.idf["korea"]


def test_bm25plus_scores_passages_without_any_query_term(seed_service) -> None:  # type: ignore[no-untyped-def]
    corpus = seed_tokens(seed_service)
    query = tokenize("Iranian")
    plus = BM25Plus(corpus).get_scores(query)
    has_term = [("iranian" in doc) for doc in corpus]
    assert any(score > 0 for score, hit in zip(plus, has_term, strict=True) if not hit)
    ours = PassageIndex.build(corpus, BM25Parameters())
    top, total = ours.top(query, 10)
    assert total == sum(has_term) == len(top)
    assert all("iranian" in corpus[hit.position] for hit in top)


def test_scores_equal_rank_bm25_get_scores_on_random_corpora() -> None:
    rng = random.Random(7)
    vocabulary = [f"t{i}" for i in range(60)]
    for _ in range(20):
        corpus = [
            [rng.choice(vocabulary[: rng.randint(5, 60)]) for _ in range(rng.randint(1, 40))]
            for _ in range(rng.randint(1, 50))
        ]
        params = BM25Parameters(k1=rng.uniform(0.5, 2.0), b=rng.uniform(0.0, 1.0))
        index = PassageIndex.build(corpus, params)
        reference = LuceneBM25(corpus, k1=params.k1, b=params.b)
        query = [rng.choice([*vocabulary, "unseen"]) for _ in range(rng.randint(1, 5))]
        np.testing.assert_allclose(
            index.scores(query), reference.get_scores(query), rtol=0, atol=1e-9
        )
        top, total = index.top(query, 10)
        expected = sorted(
            (i for i, s in enumerate(reference.get_scores(query)) if s > 0),
            key=lambda i: (-reference.get_scores(query)[i], i),
        )
        assert total == len(expected)
        assert [hit.position for hit in top] == expected[:10]


def test_empty_index_and_empty_query_give_nothing() -> None:
    assert PassageIndex.build([], BM25Parameters()).top(["x"], 5) == ([], 0)
    index = PassageIndex.build([["a", "b"], ["c"]], BM25Parameters())
    assert index.top([], 5) == ([], 0)
    assert index.top(["zzz"], 5) == ([], 0)


@pytest.mark.parametrize(
    ("passages", "containing", "expected"),
    [
        (3, 3, math.log(1 + 0.5 / 3.5)),  # in every passage: small, still positive
        (10, 9, math.log(1 + 1.5 / 9.5)),  # in most: Okapi's would be negative
        (1000, 1, math.log(1 + 999.5 / 1.5)),  # rare: Okapi's plus about 1/N
    ],
)
def test_lucene_idf_is_log_1_plus_okapis_ratio(passages, containing, expected) -> None:
    assert idf(passages, containing) == expected > 0
