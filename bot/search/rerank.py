"""The second ranking stage: reorder BM25's best passages by where the query's words meet.

BM25 (``rank-bm25``'s exact scores, ``bot/index/``) chooses and scores the candidates; only its
top :attr:`SecondStage.depth` passages are reordered, by their BM25 score plus two bonuses that
BM25 cannot see, because it counts words but not where they stand:

- **window**: the most idf of distinct query terms found within any :attr:`SecondStage.window`
  consecutive index terms of the passage. A question restates the sentence that answers it, so
  the answering passage holds most of the question's terms close together, while a passage that
  is *about* one query word repeats it far from the others.
- **phrase**: for each pair of terms next to each other in the query, the smaller idf of the two
  when they are next to each other among the passage's index terms too, in either order (stop
  words between do not count): "divisional round", "Doctor Who".

Both read only where the query's terms stand (``find_terms``, as snippets do, and the words
between two of them, up to a window's worth), so the stage costs far less than tokenising the
passages it looks at. Sizes and weights were chosen on half A of the XQuAD dev questions and
checked on half B, with Wikipedia distractors and on SciFact (``docs/quality.md``, "Where the
query's words meet").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TypeVar

from bot.analysis.analyzer import WORD, word_term
from bot.analysis.matching import find_terms

T = TypeVar("T")
Match = tuple[int, int, str]  # start, end, term: as find_terms gives them
Placed = tuple[int, str]  # a query term and its place among the text's index terms


@dataclass(frozen=True, slots=True)
class SecondStage:
    """Reorder BM25's top ``depth`` passages by BM25 + ``window_weight`` × window +
    ``phrase_weight`` × phrase (see the module docstring)."""

    depth: int = 50
    window: int = 12
    window_weight: float = 0.5
    phrase_weight: float = 0.25

    def bonus(self, text: str, query: Sequence[str], idf: Mapping[str, float]) -> float:
        """What a passage with this ``text`` gains for the ``query``'s distinct terms (in query
        order), each weighted by its ``idf``."""
        placed = place_terms(text, find_terms(text, frozenset(query)), self.window)
        return self.window_weight * window_score(
            placed, idf, self.window
        ) + self.phrase_weight * phrase_score(placed, query, idf)


# The measured setting: what ``RERANK=true`` turns on for search, ``eval qa`` and ``eval beir``.
SECOND_STAGE = SecondStage()


def place_terms(text: str, matches: Sequence[Match], window: int) -> list[Placed]:
    """Each match's place among ``text``'s index terms, counted from the first match. A gap of
    ``window`` index terms or more counts as ``window``: no window reaches across it."""
    placed: list[Placed] = []
    at = 0
    for number, (start, _, term) in enumerate(matches):
        if number:
            at += 1 + _terms_between(text, matches[number - 1][1], start, window)
        placed.append((at, term))
    return placed


def _terms_between(text: str, start: int, end: int, most: int) -> int:
    """How many index terms the words of ``text[start:end]`` have, counting up to ``most``."""
    count = 0
    for word in WORD.finditer(text, start, end):
        if word_term(word.group()) is not None:
            count += 1
            if count >= most:
                break
    return count


def window_score(placed: Sequence[Placed], idf: Mapping[str, float], window: int) -> float:
    """The most idf of distinct query terms within ``window`` consecutive index terms."""
    best = 0.0
    for first, (start, _) in enumerate(placed):
        inside: set[str] = set()
        for at, term in placed[first:]:
            if at - start >= window:
                break
            inside.add(term)
        best = max(best, sum(idf[term] for term in inside))
    return best


def phrase_score(placed: Sequence[Placed], query: Sequence[str], idf: Mapping[str, float]) -> float:
    """Σ over neighbouring query terms that are neighbouring index terms in the text too (in
    either order) of the pair's smaller idf."""
    neighbours = {
        (left, right) for (at, left), (next_at, right) in pairwise(placed) if next_at == at + 1
    }
    return sum(
        min(idf[a], idf[b])
        for a, b in pairwise(query)
        if (a, b) in neighbours or (b, a) in neighbours
    )


def reorder(
    ranked: Sequence[tuple[T, float]], bonus: Callable[[T], float], depth: int
) -> list[tuple[T, float]]:
    """The first ``depth`` of BM25's ``ranked`` hits sorted by score + ``bonus`` (ties keep
    BM25's order), then the rest as they came, each with the score it is ranked by."""
    head = [(item, score + bonus(item)) for item, score in ranked[:depth]]
    head.sort(key=lambda pair: -pair[1])  # stable: equal scores keep BM25's order
    return head + list(ranked[depth:])
