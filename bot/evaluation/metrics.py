"""Ranking metrics computed the way ``trec_eval`` computes them (checked against pytrec_eval).

Own code rather than a runtime dependency: the three measures are a few lines each, and
``tests/evaluation/test_metrics.py`` compares them with pytrec_eval whenever it is installed.
Conventions that matter for matching trec_eval:

* a run is ``doc → score``; it is ranked by score, ties by document id in *descending* order;
* a document is relevant when its grade is at least 1; nDCG's gain is the grade itself;
* means are over every judged query, a query with no results counting 0 (``trec_eval -c``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

Run = Mapping[str, Mapping[str, float]]
Judgments = Mapping[str, Mapping[str, int]]


@dataclass(frozen=True, slots=True)
class Scores:
    """Mean nDCG@10 (``ndcg_cut.10``), Recall@100 (``recall_100``) and MRR@10 over queries."""

    ndcg_at_10: float
    recall_at_100: float
    mrr_at_10: float
    queries: int

    def as_dict(self) -> dict[str, float]:
        """Rounded, for JSON and tables."""
        return {
            "ndcg@10": round(self.ndcg_at_10, 4),
            "recall@100": round(self.recall_at_100, 4),
            "mrr@10": round(self.mrr_at_10, 4),
        }


def ranked(results: Mapping[str, float]) -> list[str]:
    """Documents in trec_eval order: score descending, then document id descending."""
    return sorted(results, key=lambda doc: (results[doc], doc), reverse=True)


def ndcg_at(order: list[str], judged: Mapping[str, int], depth: int = 10) -> float:
    """``ndcg_cut.<depth>``: graded gain, ``log2(rank + 1)`` discount, ideal from the qrels."""
    dcg = sum(
        judged.get(doc, 0) / math.log2(rank + 2)
        for rank, doc in enumerate(order[:depth])
        if judged.get(doc, 0) > 0
    )
    ideal_gains = sorted((grade for grade in judged.values() if grade > 0), reverse=True)
    ideal = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(ideal_gains[:depth]))
    return dcg / ideal if ideal > 0 else 0.0


def recall_at(order: list[str], judged: Mapping[str, int], depth: int = 100) -> float:
    """``recall_<depth>``: the share of relevant documents in the first ``depth``."""
    relevant = {doc for doc, grade in judged.items() if grade > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(order[:depth])) / len(relevant)


def reciprocal_rank_at(order: list[str], judged: Mapping[str, int], depth: int = 10) -> float:
    """1/rank of the first relevant document within ``depth``, else 0 (BEIR's MRR@10)."""
    for rank, doc in enumerate(order[:depth], start=1):
        if judged.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def per_query(run: Run, qrels: Judgments) -> dict[str, dict[str, float]]:
    """Each judged query's three measures (zeros for a query the run has no results for)."""
    measures: dict[str, dict[str, float]] = {}
    for query_id, judged in qrels.items():
        order = ranked(run.get(query_id, {}))
        measures[query_id] = {
            "ndcg@10": ndcg_at(order, judged),
            "recall@100": recall_at(order, judged),
            "mrr@10": reciprocal_rank_at(order, judged),
        }
    return measures


def evaluate(run: Run, qrels: Judgments) -> Scores:
    """Means over every judged query."""
    measures = per_query(run, qrels)
    count = len(measures)
    if count == 0:
        return Scores(0.0, 0.0, 0.0, 0)

    def mean(name: str) -> float:
        return sum(values[name] for values in measures.values()) / count

    return Scores(mean("ndcg@10"), mean("recall@100"), mean("mrr@10"), count)
