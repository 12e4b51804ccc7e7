"""Measure a second ranking stage, BM25TP proximity over BM25's top hits (not part of the bot).

BM25 (the bot's index, ``rank-bm25``'s exact scores) picks and scores the candidates; the top
``depth`` of them gain ``weight`` × BM25TP's proximity (Rasolofo & Savoy 2003): every pair of
distinct query terms within ``window`` index terms adds ``1 / distance²``, saturated like a term
frequency and weighted by the pair's smaller idf. No setting passed the checks (docs/quality.md),
so the stage lives here and not in ``bot/search/``.

XQuAD: the share of questions whose answer is in the first passage, on fixed halves A/B (first
byte of the question's SHA-1 even / odd) of the paragraphs-only corpus and on all questions with
the Wikipedia distractors. SciFact: nDCG@10 on the train split, with the rerank applied to the
top passages before they are aggregated to documents (``DocumentRanker``'s max).

    .venv/bin/python scripts/rerank_sweep.py ../shared/eval-data/xquad-dev/en/qa.jsonl \\
        ../shared/eval-data/xquad-dev/en/corpus /tmp/xq-distract ../shared/eval-data/scifact
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from bot.analysis.analyzer import tokenize
from bot.corpus.passages import split_corpus
from bot.evaluation.beir import load_beir
from bot.evaluation.metrics import evaluate
from bot.evaluation.qa import QaCase, load_qa
from bot.evaluation.ranking import DocumentRanker, RankingSettings
from bot.search.service import SearchService

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ProximityRerank:
    """Reorder the top ``depth`` BM25 hits by ``bm25 + weight × proximity``."""

    depth: int = 30
    weight: float = 1.0
    window: int = 5
    k1: float = 1.2


def proximity_score(
    terms: Sequence[str], weights: Mapping[str, float], window: int, k1: float = 1.2
) -> float:
    """BM25TP's proximity of a passage's index ``terms`` for query terms weighted by ``weights``.

    Each pair of distinct query terms gets ``Σ 1/d²`` over occurrences at most ``window`` apart,
    saturated as ``(k1 + 1) · x / (k1 + x)`` and weighted by the pair's smaller weight.
    """
    positions = [(at, term) for at, term in enumerate(terms) if term in weights]
    closeness: dict[tuple[str, str], float] = {}
    for index, (at, term) in enumerate(positions):
        for later_at, later in positions[index + 1 :]:
            distance = later_at - at
            if distance > window:
                break
            if later == term:
                continue
            pair = (term, later) if term < later else (later, term)
            closeness[pair] = closeness.get(pair, 0.0) + 1.0 / (distance * distance)
    return sum(
        min(weights[a], weights[b]) * (k1 + 1) * x / (k1 + x) for (a, b), x in closeness.items()
    )


def rerank(
    hits: Sequence[tuple[T, float]],
    weights: Mapping[str, float],
    terms_of: Callable[[T], Sequence[str]],
    settings: ProximityRerank,
) -> list[tuple[T, float]]:
    """The first ``settings.depth`` hits reordered by BM25 plus the proximity bonus, then the
    rest as they came; ties keep BM25's order (the sort is stable). ``terms_of`` gives a hit's
    index terms in text order (``tokenize`` of its text, without the title)."""
    head = [
        (item, score + settings.weight * _proximity(terms_of(item), weights, settings))
        for item, score in hits[: settings.depth]
    ]
    head.sort(key=lambda pair: -pair[1])
    return head + list(hits[settings.depth :])


def _proximity(
    terms: Sequence[str], weights: Mapping[str, float], settings: ProximityRerank
) -> float:
    if len(weights) < 2:
        return 0.0
    return proximity_score(terms, weights, settings.window, settings.k1)


DEPTHS = (20, 30, 50)
WEIGHTS = (0.1, 0.25, 0.5, 1.0, 2.0)
WINDOWS = (3, 5, 10, 20, 40)
Candidates = list[tuple[str, float]]  # passage text, BM25 score


@functools.lru_cache(maxsize=200_000)
def terms_of(text: str) -> tuple[str, ...]:
    """A passage's index terms in text order, tokenised once for the whole grid."""
    return tuple(tokenize(text))


def qa_candidates(
    corpus: Path, cases: Sequence[QaCase], depth: int
) -> list[tuple[Candidates, dict[str, float]]]:
    """Each question's top ``depth`` passages (text, BM25) and its query-term idfs."""
    cache = os.environ.get("INDEX_CACHE_DIR")
    service = SearchService.from_folder(
        corpus, cache_dir=Path(cache) if cache else None, progress=False
    )
    out = []
    for case in cases:
        known = service.index.known_terms(list(dict.fromkeys(tokenize(case.question))))
        ranked, _ = service.index.top(known, depth)
        hits = [(service.passages[s.position].text, s.score) for s in ranked]
        out.append((hits, {t: service.index.idf(t) for t in known}))
    return out


def first_passage_share(
    cases: Sequence[QaCase],
    candidates: list[tuple[Candidates, dict[str, float]]],
    setting: ProximityRerank | None,
) -> float:
    """Share of ``cases`` whose answer is in the first passage after the (optional) rerank."""
    found = 0
    for case, (hits, weights) in zip(cases, candidates, strict=True):
        order = rerank(hits, weights, terms_of, setting) if setting else hits
        if (
            order
            and " ".join(case.answer.split()).casefold() in " ".join(order[0][0].split()).casefold()
        ):
            found += 1
    return found / len(cases) if cases else 0.0


def scifact_ndcg(folder: Path, settings: Sequence[ProximityRerank | None]) -> list[float]:
    """SciFact train nDCG@10 for each setting (``None``: BM25 alone, as ``eval beir``)."""
    dataset = load_beir(folder, "train")
    ranker = DocumentRanker(dataset.documents, RankingSettings())
    passages = split_corpus(
        dataset.documents, RankingSettings().min_words, RankingSettings().max_words
    )
    deepest = max((s.depth for s in settings if s), default=0)
    runs: list[dict[str, dict[str, float]]] = [{} for _ in settings]
    for query_id, query in dataset.queries.items():
        terms = ranker.index.known_terms(list(dict.fromkeys(tokenize(query))))
        if not terms:
            continue
        scores = ranker.index.scores(terms)
        top = [
            int(p) for p in np.argsort(-scores, kind="stable")[: max(deepest, 1)] if scores[p] > 0
        ]
        weights = {t: ranker.index.idf(t) for t in terms}
        for run, setting in zip(runs, settings, strict=True):
            adjusted = scores.copy()
            if setting:
                for position, score in rerank(
                    [(p, float(scores[p])) for p in top],
                    weights,
                    lambda p: terms_of(passages[p].text),
                    setting,
                ):
                    adjusted[position] = score
            best = np.maximum.reduceat(adjusted, ranker._starts)
            matching = np.flatnonzero(best > 0)
            matching = matching[np.argsort(-best[matching], kind="stable")[:100]]
            run[query_id] = {ranker.document_ids[i]: float(best[i]) for i in matching.tolist()}
    return [evaluate(run, dataset.qrels).ndcg_at_10 for run in runs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("qa", type=Path)
    parser.add_argument("paragraphs", type=Path)
    parser.add_argument("distractors", type=Path)
    parser.add_argument("scifact", type=Path)
    parser.add_argument("--top", type=int, default=8, help="settings (best on A) to check further")
    args = parser.parse_args()
    cases = load_qa(args.qa)
    halves = {name: [i for i, c in enumerate(cases) if c.half == name] for name in "AB"}
    grid: list[ProximityRerank | None] = [None] + [
        ProximityRerank(d, w, n) for d, w, n in itertools.product(DEPTHS, WEIGHTS, WINDOWS)
    ]
    plain = qa_candidates(args.paragraphs, cases, max(DEPTHS))

    def on(
        indexes: list[int],
        candidates: list[tuple[Candidates, dict[str, float]]],
        setting: ProximityRerank | None,
    ) -> float:
        return first_passage_share(
            [cases[i] for i in indexes], [candidates[i] for i in indexes], setting
        )

    rows = [(s, on(halves["A"], plain, s), on(halves["B"], plain, s)) for s in grid]
    base = rows[0]
    best = sorted(rows[1:], key=lambda row: -row[1])[: args.top]
    print(f"{len(halves['A'])} questions in A, {len(halves['B'])} in B")
    for s, a, b in rows:
        print(f"{describe(s):28} A {a:6.1%}  B {b:6.1%}")
    distract = qa_candidates(args.distractors, cases, max(DEPTHS))
    every = list(range(len(cases)))
    checked = [base, *best]
    ndcg = scifact_ndcg(args.scifact, [s for s, _, _ in checked])
    print("\n| setting | half A | half B | + distractors | SciFact nDCG@10 |")
    for (s, a, b), n in zip(checked, ndcg, strict=True):
        print(f"| {describe(s)} | {a:.1%} | {b:.1%} | {on(every, distract, s):.1%} | {n:.4f} |")


def describe(setting: ProximityRerank | None) -> str:
    if setting is None:
        return "BM25 alone"
    return f"top {setting.depth}, weight {setting.weight}, window {setting.window}"


if __name__ == "__main__":
    main()
