"""Which part of a passage to show for a query: its best sentence, with the sentence that best
adds to it, the matched words marked. Plain text only; ``bot.present`` turns a snippet into
Markdown."""

from __future__ import annotations

import functools
import itertools
import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass

from bot.analysis import matching
from bot.analysis.analyzer import ANALYZER, Analyzer
from bot.corpus.text import WORD_UNIT, Span, collapse_whitespace, sentence_spans

# The most a snippet holds: its best sentence and a second one. Most are far shorter (median
# about 280 characters on XQuAD), and a best sentence quoted with no second stays within
# NEIGHBOUR_CHARS. Measured on XQuAD English in docs/quality.md ("Choosing the sentence").
SNIPPET_CHARS = 450
NEIGHBOUR_CHARS = 300
LOCAL_IDF_POWER = 0.5
PROXIMITY_SHARE = 0.5
PROXIMITY_CHARS = 60
# A second sentence is quoted when it scores at least this share of the best one's score; the
# sentence right after the best gains CONTINUATION_SHARE of the best's score, because it often
# finishes what the best one starts ("… his last statement. The statement was in Latin, …").
SECOND_SHARE = 0.5
CONTINUATION_SHARE = 0.3
ELLIPSIS = "…"
# Between two quoted sentences that are not neighbours in the passage.
GAP = " " + ELLIPSIS + " "
# A web address in text: never cut by highlighting, and kept clickable when escaped.
URL = re.compile(r"https?://[^\s<>\"'`|]+[^\s<>\"'`|.,;:!?)\]]")


@dataclass(frozen=True, slots=True)
class Snippet:
    """The chosen part of a passage: plain text pieces, each marked as a matched term or not."""

    pieces: tuple[tuple[str, bool], ...]
    cut_before: bool
    cut_after: bool

    @property
    def plain(self) -> str:
        """The snippet as plain text, ellipses included."""
        return self.with_ellipses("".join(text for text, _ in self.pieces))

    def with_ellipses(self, body: str) -> str:
        """``body`` (the pieces, in any form) with "…" where the passage's text was cut."""
        before = ELLIPSIS + " " if self.cut_before else ""
        after = " " + ELLIPSIS if self.cut_after else ""
        return before + body + after


def select_snippet(
    text: str,
    terms: Mapping[str, float],
    max_chars: int = SNIPPET_CHARS,
    *,
    analyzer: Analyzer = ANALYZER,
) -> Snippet:
    """The best sentence of ``text`` for the query terms (term → weight), with the sentence
    that best adds to it; its words read by ``analyzer`` (that of the passage's language,
    which made ``terms``).

    Sentences are scored by the summed weight of the distinct query terms they contain, each
    weight scaled by how few of the passage's sentences hold the term (:func:`_local_weights`),
    plus a share of the weight found close together (:func:`_densest_weights`). A second
    sentence scoring at least :data:`SECOND_SHARE` of the best is quoted too, after a "…" when
    it is not the best one's neighbour (:func:`_second`); otherwise the best is extended by a
    neighbour when that fits in :data:`NEIGHBOUR_CHARS`. A sentence that is too long on its own
    is cut around its matches.
    """
    # Room for the "… " and " …" that mark text cut before and after, so the plain snippet a
    # member reads stays within ``max_chars`` too.
    room = 2 * len(ELLIPSIS + " ")
    max_chars -= room
    wanted = frozenset(terms)
    sentences = sentence_spans(text) or [Span(0, len(text))]
    found = matching.find_terms(text, wanted, analyzer=analyzer)
    matched = _terms_by_sentence(sentences, found)
    local = _local_weights(terms, matched)
    densest = _densest_weights(sentences, found, local)
    scores = [
        math.fsum(local[t] for t in found_here) + PROXIMITY_SHARE * close
        for found_here, close in zip(matched, densest, strict=True)
    ]
    best = max(range(len(sentences)), key=lambda i: (scores[i], -i))
    if _length(text, sentences[best]) > max_chars:
        spans = [_window_around_matches(text, sentences[best], found, terms, max_chars)]
    else:
        spans = _second(text, sentences, scores, best, max_chars) or [
            _extend(text, sentences, matched, local, best, min(max_chars, NEIGHBOUR_CHARS - room))
        ]
    pieces: list[tuple[str, bool]] = []
    for span in spans:
        if pieces:
            pieces.append((GAP, False))
        body = collapse_whitespace(text[span.start : span.end])
        pieces.extend(_highlight(body, wanted, analyzer))
    return Snippet(
        pieces=tuple(pieces),
        cut_before=bool(text[: spans[0].start].strip()),
        cut_after=bool(text[spans[-1].end :].strip()),
    )


def _second(
    text: str, sentences: list[Span], scores: list[float], best: int, max_chars: int
) -> list[Span] | None:
    """The best sentence and the one that scores next best, in the passage's order (one span
    when they are neighbours), if that one scores at least :data:`SECOND_SHARE` of the best and
    both fit in ``max_chars``; else ``None``."""
    bonus = CONTINUATION_SHARE * scores[best]
    candidates = {
        i: scores[i] + (bonus if i == best + 1 else 0.0)
        for i in range(len(sentences))
        if i != best and scores[i] > 0
    }
    if not candidates:
        return None
    second = max(candidates, key=lambda i: (candidates[i], -i))
    if candidates[second] < SECOND_SHARE * scores[best]:
        return None
    first, last = sorted((best, second))
    if last == first + 1:
        spans = [Span(sentences[first].start, sentences[last].end)]
    else:
        spans = [sentences[first], sentences[last]]
    length = sum(_length(text, span) for span in spans) + len(GAP) * (len(spans) - 1)
    return spans if length <= max_chars else None


def _terms_by_sentence(sentences: list[Span], found: list[tuple[int, int, str]]) -> list[set[str]]:
    """The query terms each sentence holds (sentence spans never split a word)."""
    matched: list[set[str]] = [set() for _ in sentences]
    starts = [sentence.start for sentence in sentences]
    for start, _, term in found:
        number = bisect_right(starts, start) - 1
        if number >= 0 and start < sentences[number].end:
            matched[number].add(term)
    return matched


def _local_weights(terms: Mapping[str, float], matched: list[set[str]]) -> dict[str, float]:
    """Query-term weights for choosing among one passage's sentences.

    A term in most of the passage's sentences (its topic: "Panthers" in a paragraph about the
    Panthers) says little about which sentence answers; one in a single sentence says much.
    So each weight is scaled by (sentences / sentences holding the term) ** ``LOCAL_IDF_POWER``.
    """
    holding = {term: sum(1 for found_here in matched if term in found_here) for term in terms}
    return {
        term: weight * (len(matched) / max(holding[term], 1)) ** LOCAL_IDF_POWER
        for term, weight in terms.items()
    }


def _densest_weights(
    sentences: list[Span], found: list[tuple[int, int, str]], weights: Mapping[str, float]
) -> list[float]:
    """For each sentence, the most weight of distinct query terms within ``PROXIMITY_CHARS``
    of one another in it: a question's words close together are more likely its answer's
    phrase.

    One window slides over each sentence's matches, so the cost grows with the matches and
    not with their square: a file of one word repeated a million times over (no space, so one
    "sentence") must not hold up the question that matches it.
    """
    ordered = sorted(found)
    starts = [start for start, _, _ in ordered]
    densest = []
    for sentence in sentences:
        first = bisect_left(starts, sentence.start)
        end = bisect_left(starts, sentence.end, lo=first)
        densest.append(_densest_in(starts, ordered, first, end, weights))
    return densest


def _densest_in(
    starts: list[int],
    ordered: list[tuple[int, int, str]],
    first: int,
    end: int,
    weights: Mapping[str, float],
) -> float:
    """The most weight of distinct terms among matches ``first:end`` (in order of start) that
    start within ``PROXIMITY_CHARS`` of the first one of them: each window opens at a match and
    holds every match starting from there until ``PROXIMITY_CHARS`` later."""
    best = 0.0
    window: dict[str, int] = {}  # term → its matches in the window
    left = right = first
    for at in range(first, end):
        if at > first and starts[at] == starts[at - 1]:
            continue  # the same window as the match before
        while left < at:  # matches starting before this one leave
            term = ordered[left][2]
            window[term] -= 1
            if not window[term]:
                del window[term]
            left += 1
        while right < end and starts[right] < starts[at] + PROXIMITY_CHARS:
            term = ordered[right][2]
            window[term] = window.get(term, 0) + 1
            right += 1
        best = max(best, math.fsum(weights[term] for term in window))
    return best


def _length(text: str, span: Span) -> int:
    return len(collapse_whitespace(text[span.start : span.end]))


def _extend(
    text: str,
    sentences: list[Span],
    matched: list[set[str]],
    terms: Mapping[str, float],
    best: int,
    max_chars: int,
) -> Span:
    """Add the neighbour sentence that adds most matched weight (else the next one) if it fits."""
    candidates: list[tuple[float, int, Span]] = []
    for neighbour, order in ((best + 1, 1), (best - 1, 0)):
        if 0 <= neighbour < len(sentences):
            gained = math.fsum(terms[t] for t in matched[neighbour] - matched[best])
            span = Span(
                min(sentences[best].start, sentences[neighbour].start),
                max(sentences[best].end, sentences[neighbour].end),
            )
            if _length(text, span) <= max_chars:
                candidates.append((gained, order, span))
    if not candidates:
        return sentences[best]
    return max(candidates, key=lambda c: (c[0], c[1]))[2]


def _window_around_matches(
    text: str,
    span: Span,
    found: list[tuple[int, int, str]],
    terms: Mapping[str, float],
    max_chars: int,
) -> Span:
    """The run of whole words within ``max_chars`` holding the most matched weight, matches
    as central as possible so the reader sees context on both sides. (``max_chars`` already
    leaves room for the ellipses: :func:`select_snippet` takes it off once.) A word too long to
    quote whole (a run of text with no space, "word,word,…") is taken in pieces that fit."""
    words = [
        piece
        for unit in WORD_UNIT.finditer(text, span.start, span.end)
        for piece in _fitting_pieces(text, Span(unit.start(), unit.end()), max_chars)
    ]
    weight_at = [0.0] * len(words)
    starts = [word.start for word in words]
    for start, _, term in found:
        if span.start <= start < span.end:
            weight_at[bisect_right(starts, start) - 1] += terms[term]
    weighted = [i for i, weight in enumerate(weight_at) if weight > 0]
    # The weight of words first..last is a difference of these: the same for every window
    # holding the same matches, so ties are settled by the centring alone.
    running = [0.0, *itertools.accumulate(weight_at)]
    best: tuple[float, float] = (-1.0, 0.0)
    best_span = words[0]
    last = 0
    for first in range(len(words)):
        last = max(last, first)
        while last + 1 < len(words) and words[last + 1].end - words[first].start <= max_chars:
            last += 1
        low, high = bisect_left(weighted, first), bisect_right(weighted, last)
        weight = running[last + 1] - running[first] if high > low else 0.0
        centre = (first + last) / 2
        off_centre = abs((weighted[low] + weighted[high - 1]) / 2 - centre) if high > low else 0.0
        if (weight, -off_centre) > best:
            best, best_span = (weight, -off_centre), Span(words[first].start, words[last].end)
    return best_span


def _fitting_pieces(text: str, unit: Span, max_chars: int) -> list[Span]:
    """``unit`` whole when it fits in ``max_chars``, else in pieces of at most a quarter of
    that, each ending where a run of word characters meets a run of others ("word" | ",") when
    it can: a window of pieces then fits, and a hostile "word,word,…" of 250,000 characters is
    a few thousand pieces rather than one per comma."""
    if unit.end - unit.start <= max_chars:
        return [unit]
    return [
        Span(piece.start(), piece.end())
        for piece in _piece_pattern(max(max_chars // 4, 1)).finditer(text, unit.start, unit.end)
    ]


@functools.cache
def _piece_pattern(longest: int) -> re.Pattern[str]:
    """Up to ``longest`` characters, ending at a word boundary if one is within reach."""
    return re.compile(rf"(?s:.{{1,{longest}}}\b|.{{1,{longest}}})")


def _highlight(
    body: str, terms: frozenset[str], analyzer: Analyzer = ANALYZER
) -> tuple[tuple[str, bool], ...]:
    pieces: list[tuple[str, bool]] = []
    last = 0
    # A word inside a link is not bolded: "**" would cut the URL and break the link.
    links = [(url.start(), url.end()) for url in URL.finditer(body)]
    for start, end, _ in matching.find_terms(body, terms, analyzer=analyzer):
        if any(first <= start < stop for first, stop in links):
            continue
        start = max(start, last)  # a CJK pair may overlap the pair matched before it
        if start >= end:
            continue
        if pieces and pieces[-1][1] and not body[last:start].strip():
            # "**North Korea**" rather than "**North** **Korea**", and "**北京大学**" rather
            # than "**北京****大学**", which Discord would not read as bold.
            pieces[-1] = (pieces[-1][0] + body[last:end], True)
            last = end
            continue
        if start > last:
            pieces.append((body[last:start], False))
        pieces.append((body[start:end], True))
        last = end
    if last < len(body):
        pieces.append((body[last:], False))
    return tuple(pieces)
