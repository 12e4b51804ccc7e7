"""Top-k within a subset of the passages (those of one language, say): the query's candidates
filtered before they are scored, each score still the exact sum ``rank-bm25`` computes over the
whole corpus.

The subset is a label per passage and the label wanted, so nothing a passage long is made per
query: the cost is the query's postings, as the numpy backend's exhaustive path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.index.backends.base import ExactScorer, ScoredPassage, TermQuery, best


@dataclass(frozen=True, slots=True)
class Subset:
    """The passages whose label (one byte each, in passage order) is ``label``."""

    labels: npt.NDArray[np.uint8]
    label: int

    def holds(self, positions: npt.NDArray[np.integer[Any]]) -> npt.NDArray[np.bool_]:
        """Which of these passages are in the subset."""
        return np.asarray(self.labels[positions] == self.label)


def top_within(
    scorer: ExactScorer, query: TermQuery, limit: int, subset: Subset
) -> tuple[list[ScoredPassage], int]:
    """The best ``limit`` passages of ``subset`` that match at least one term, and how many
    of the subset match."""
    postings = {}
    for term_id in query.distinct:
        docs, tfs = scorer.postings(term_id)
        kept = subset.holds(docs)
        postings[term_id] = (docs[kept], tfs[kept])
    candidates = np.unique(np.concatenate([docs for docs, _ in postings.values()]))
    if limit <= 0 or candidates.size == 0:
        return [], int(candidates.size)
    contributions = {
        term_id: (np.searchsorted(candidates, docs), scorer.impacts(term_id, docs, tfs))
        for term_id, (docs, tfs) in postings.items()
    }
    scores = np.zeros(candidates.size)
    for term_id in query.terms:  # in query order, repeats again: rank-bm25's sum
        slots, values = contributions[term_id]
        scores[slots] += values
    return best(candidates.astype(np.int64), scores, limit), int(candidates.size)
