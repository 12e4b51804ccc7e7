"""Choose the second ranking stage's settings on half A; check them on B, distractors, SciFact.

The stage is the bot's own (``bot/search/rerank.py``: BM25 + window_weight × window +
phrase_weight × phrase over BM25's top ``depth``); this script only caches each candidate's
query-term matches so that a grid of settings costs seconds. Every figure is
answer-in-the-first-passage, as ``corpusbot eval qa`` counts it, on the fixed halves A and B of
the XQuAD questions (``QaCase.half``) over their own paragraphs, and on halves A and B with the
Wikipedia distractors; SciFact is train nDCG@10 with the stage applied as ``eval beir`` applies
it (``DocumentRanker``).

A setting is chosen by its answers on half A alone (paragraphs + distractors), among those that
keep SciFact at or above BM25 alone; fewer and smaller weights win ties. Half B is looked at only
after the choice.

    INDEX_CACHE_DIR=/tmp/r16-cache .venv/bin/python scripts/second_stage_sweep.py \\
        ../shared/eval-data/xquad-dev/en/qa.jsonl ../shared/eval-data/xquad-dev/en/corpus \\
        /tmp/xq-distract ../shared/eval-data/scifact
"""

from __future__ import annotations

import argparse
import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.analysis.analyzer import tokenize
from bot.analysis.matching import find_terms
from bot.evaluation.beir import load_beir
from bot.evaluation.metrics import evaluate
from bot.evaluation.qa import QaCase, load_qa
from bot.evaluation.ranking import DocumentRanker, RankingSettings
from bot.search.rerank import Match, SecondStage, phrase_score, place_terms, window_score
from bot.search.service import SearchService

DEPTHS = (10, 20, 50)
WINDOWS = (8, 12, 16, 24)
WINDOW_WEIGHTS = (0.0, 0.1, 0.25, 0.5, 1.0)
PHRASE_WEIGHTS = (0.0, 0.1, 0.25, 0.5)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One of BM25's top passages for a query, with what the stage reads of it."""

    key: int | str  # a passage position (SciFact) or whether it holds the answer (XQuAD)
    bm25: float
    text: str
    matches: tuple[Match, ...]


@dataclass(frozen=True, slots=True)
class Query:
    terms: tuple[str, ...]
    idf: dict[str, float]
    candidates: tuple[Candidate, ...]


def bonus(stage: SecondStage, query: Query, candidate: Candidate) -> float:
    """``SecondStage.bonus`` from the cached matches."""
    placed = _placed(candidate, stage.window)
    window = window_score(placed, query.idf, stage.window)
    phrase = phrase_score(placed, query.terms, query.idf)
    return stage.window_weight * window + stage.phrase_weight * phrase


_PLACED: dict[tuple[int, int], list[tuple[int, str]]] = {}


def _placed(candidate: Candidate, window: int) -> list[tuple[int, str]]:
    """``place_terms`` of a candidate, computed once per window size."""
    key = (id(candidate), window)
    if key not in _PLACED:
        _PLACED[key] = place_terms(candidate.text, candidate.matches, window)
    return _PLACED[key]


def first(stage: SecondStage | None, query: Query) -> Candidate | None:
    """The candidate the stage puts first (ties keep BM25's order)."""
    if not query.candidates:
        return None
    if stage is None:
        return query.candidates[0]
    head = query.candidates[: stage.depth]
    return max(head, key=lambda c: c.bm25 + bonus(stage, query, c))  # max keeps the first tie


def qa_queries(corpus: Path, cases: Sequence[QaCase], depth: int) -> list[Query]:
    """Each question's top ``depth`` BM25 passages; a candidate's key is 1 when it holds the
    answer (compared as ``eval qa`` compares)."""
    cache = os.environ.get("INDEX_CACHE_DIR")
    service = SearchService.from_folder(
        corpus, cache_dir=Path(cache) if cache else None, progress=False, second_stage=None
    )
    queries = []
    for case in cases:
        terms = tuple(service.index.known_terms(list(dict.fromkeys(tokenize(case.question)))))
        ranked, _ = service.index.top(terms, depth)
        answer = _normal(case.answer)
        candidates = []
        for hit in ranked:
            text = service.passages[hit.position].text
            matches = tuple(find_terms(text, frozenset(terms)))
            candidates.append(Candidate(int(answer in _normal(text)), hit.score, text, matches))
        idf = {t: service.index.idf(t) for t in terms}
        queries.append(Query(terms, idf, tuple(candidates)))
    return queries


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def answered(stage: SecondStage | None, queries: Sequence[Query]) -> int:
    """How many questions have the answer in the passage ranked first."""
    return sum(1 for q in queries if (top := first(stage, q)) is not None and top.key == 1)


class SciFact:
    """SciFact train with each query's top passages cached, scored as ``eval beir`` does."""

    def __init__(self, folder: Path, depth: int) -> None:
        self.dataset = load_beir(folder, "train")
        self.ranker = DocumentRanker(self.dataset.documents, RankingSettings(second_stage=None))
        self.queries: dict[str, tuple[np.ndarray, Query]] = {}
        texts = self.ranker._texts
        for query_id, text in self.dataset.queries.items():
            terms = tuple(self.ranker.index.known_terms(list(dict.fromkeys(tokenize(text)))))
            if not terms:
                continue
            scores = self.ranker.index.scores(terms)
            top = [int(p) for p in np.argsort(-scores, kind="stable")[:depth] if scores[p] > 0]
            candidates = tuple(
                Candidate(
                    p, float(scores[p]), texts[p], tuple(find_terms(texts[p], frozenset(terms)))
                )
                for p in top
            )
            idf = {t: self.ranker.index.idf(t) for t in terms}
            self.queries[query_id] = (scores, Query(terms, idf, candidates))

    def ndcg(self, stage: SecondStage | None) -> float:
        run = {}
        for query_id, (scores, query) in self.queries.items():
            adjusted = scores.copy()
            if stage:
                for candidate in query.candidates[: stage.depth]:
                    adjusted[int(candidate.key)] += bonus(stage, query, candidate)
            best = np.maximum.reduceat(adjusted, self.ranker._starts)
            matching = np.flatnonzero(best > 0)
            matching = matching[np.argsort(-best[matching], kind="stable")[:100]]
            run[query_id] = {self.ranker.document_ids[i]: float(best[i]) for i in matching}
        return evaluate(run, self.dataset.qrels).ndcg_at_10


def describe(stage: SecondStage | None) -> str:
    if stage is None:
        return "BM25 alone"
    return (
        f"top {stage.depth}, window {stage.window} terms × {stage.window_weight}, "
        f"phrase × {stage.phrase_weight}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("qa", type=Path)
    parser.add_argument("paragraphs", type=Path)
    parser.add_argument("distractors", type=Path)
    parser.add_argument("scifact", type=Path)
    parser.add_argument("--top", type=int, default=12, help="rows (best on A) to print")
    args = parser.parse_args()
    cases = load_qa(args.qa)
    depth = max(DEPTHS)
    plain = qa_queries(args.paragraphs, cases, depth)
    distract = qa_queries(args.distractors, cases, depth)
    halves = {h: [i for i, c in enumerate(cases) if c.half == h] for h in "AB"}
    sets = {
        f"{name} {half}": [queries[i] for i in halves[half]]
        for name, queries in (("paragraphs", plain), ("distractors", distract))
        for half in "AB"
    }
    scifact = SciFact(args.scifact, depth)
    grid = [
        SecondStage(d, c, w, p)
        for d, c, w, p in itertools.product(DEPTHS, WINDOWS, WINDOW_WEIGHTS, PHRASE_WEIGHTS)
        if (w or p) and (w or c == WINDOWS[0])
    ]

    def on_a(stage: SecondStage | None) -> int:
        return answered(stage, sets["paragraphs A"]) + answered(stage, sets["distractors A"])

    base_ndcg = scifact.ndcg(None)
    ordered = sorted(grid, key=lambda s: (-on_a(s), s.window_weight + s.phrase_weight, s.depth))
    print(f"{len(halves['A'])} questions in A, {len(halves['B'])} in B; {len(grid)} settings")
    print("| setting | A | B | A + distractors | B + distractors | all + distractors | SciFact |")
    print("|---|---|---|---|---|---|---|")
    chosen = None
    for rank, stage in enumerate([None, *ordered]):
        ndcg = scifact.ndcg(stage)
        if stage and chosen is None and ndcg >= base_ndcg:
            chosen = stage
        if rank <= args.top or stage == chosen:
            print(row(stage, sets, distract, ndcg, stage is not None and stage == chosen))
        if chosen is not None and rank >= args.top:
            break
    print(f"chosen on A: {describe(chosen)}")


def row(
    stage: SecondStage | None,
    sets: dict[str, list[Query]],
    distract: list[Query],
    ndcg: float,
    chosen: bool,
) -> str:
    shares = [answered(stage, queries) / len(queries) for queries in sets.values()]
    every = answered(stage, distract) / len(distract)
    cells = " | ".join(f"{share:.1%}" for share in shares)
    name = f"**{describe(stage)}** (chosen)" if chosen else describe(stage)
    return f"| {name} | {cells} | {every:.1%} | {ndcg:.4f} |"


if __name__ == "__main__":
    main()
