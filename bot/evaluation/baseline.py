"""The published rank-bm25 baseline, measured in the same run as the bot's ranking.

``BM25Okapi(k1=1.5, b=0.75)`` over whole documents (title + text), tokenised the way the bm25s
authors' benchmark tokenised for rank-bm25: lower-case, ``\\w\\w+``, English stop words,
Snowball stemming. Queries are scored as tokenised, repeats included, as in that benchmark.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import Stemmer
from rank_bm25 import BM25Okapi

from bot.analysis.analyzer import STOP_WORDS
from bot.corpus import Document

BASELINE_NAME = "rank-bm25 BM25Okapi k1=1.5 b=0.75, lower/\\w\\w+/stop/Snowball, whole docs"
_WORD = re.compile(r"\w\w+")
_stemmer = Stemmer.Stemmer("english")


def baseline_tokenize(text: str) -> list[str]:
    """Lower-case, ``\\w\\w+``, stop words out, Snowball-stemmed."""
    words = [word for word in _WORD.findall(text.lower()) if word not in STOP_WORDS]
    return [str(term) for term in _stemmer.stemWords(words)]


def baseline_run(
    documents: Sequence[Document],
    queries: Mapping[str, str],
    depth: int = 100,
    progress: Callable[[int], None] | None = None,
) -> dict[str, dict[str, float]]:
    """The baseline's top ``depth`` documents for every query."""
    model = BM25Okapi([baseline_tokenize(f"{d.title} {d.text}") for d in documents], k1=1.5, b=0.75)
    ids = [document.id for document in documents]
    run: dict[str, dict[str, float]] = {}
    for done, (query_id, text) in enumerate(queries.items(), start=1):
        scores = np.asarray(model.get_scores(baseline_tokenize(text)), dtype=np.float64)
        best = np.argsort(-scores, kind="stable")[:depth]
        run[query_id] = {ids[i]: float(scores[i]) for i in best.tolist() if scores[i] > 0}
        if progress:
            progress(done)
    return run
