"""The metrics match trec_eval: hand-worked cases always, pytrec_eval itself when installed."""

from __future__ import annotations

import math
import random

import pytest

from bot.evaluation.metrics import evaluate, ndcg_at, ranked, recall_at, reciprocal_rank_at


def test_ranked_breaks_ties_by_descending_document_id() -> None:
    assert ranked({"a": 1.0, "c": 1.0, "b": 2.0}) == ["b", "c", "a"]


@pytest.mark.parametrize(
    ("order", "judged", "ndcg", "recall", "rr"),
    [
        (["x", "r"], {"r": 1}, 1 / math.log2(3), 1.0, 0.5),
        (["r", "s"], {"r": 1, "s": 1}, 1.0, 1.0, 1.0),
        (["s", "r"], {"r": 2, "s": 1}, (1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3)), 1.0, 1.0),
        (["a", "b"], {"r": 1}, 0.0, 0.0, 0.0),
        (["x"] * 10 + ["r"], {"r": 1}, 0.0, 1.0, 0.0),  # rank 11: counts for recall only
        (["r"], {"r": 0, "s": 1}, 0.0, 0.0, 0.0),  # grade 0 is not relevant
    ],
)
def test_hand_worked_cases(order, judged, ndcg, recall, rr) -> None:
    order = [doc if doc != "x" else f"x{i}" for i, doc in enumerate(order)]
    assert ndcg_at(order, judged) == pytest.approx(ndcg)
    assert recall_at(order, judged) == pytest.approx(recall)
    assert reciprocal_rank_at(order, judged) == pytest.approx(rr)


def test_queries_without_results_count_as_zero() -> None:
    scores = evaluate({"q1": {"d1": 1.0}}, {"q1": {"d1": 1}, "q2": {"d2": 1}})
    assert scores.queries == 2 and scores.ndcg_at_10 == pytest.approx(0.5)


def test_agrees_with_pytrec_eval() -> None:
    import pytrec_eval  # a dev dependency: CI always runs this check

    rng = random.Random(5)
    docs = [f"d{i}" for i in range(60)]
    qrels = {
        f"q{q}": {doc: rng.choice([0, 1, 1, 2]) for doc in rng.sample(docs, rng.randint(1, 8))}
        for q in range(40)
    }
    # Coarse scores so ties are common: tie order is where home-made metrics usually drift.
    run = {
        query: {doc: float(rng.randint(1, 6)) for doc in rng.sample(docs, rng.randint(5, 30))}
        for query in qrels
    }
    measures = {"ndcg_cut.10", "recall.100", "recip_rank"}
    reference = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
    ten = {query: {doc: run[query][doc] for doc in ranked(run[query])[:10]} for query in run}
    rr_reference = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(ten)
    for query, judged in qrels.items():
        order = ranked(run[query])
        assert ndcg_at(order, judged) == pytest.approx(reference[query]["ndcg_cut_10"])
        assert recall_at(order, judged) == pytest.approx(reference[query]["recall_100"])
        assert reciprocal_rank_at(order, judged) == pytest.approx(rr_reference[query]["recip_rank"])
