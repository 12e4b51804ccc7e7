"""Where a query's terms occur in a text, word by word, for snippet choice and highlighting.

A word matches when the analyzer gives it one of the terms, exactly as the index saw it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.analysis.analyzer import ANALYZER, WORD, Analyzer, word_term

Span = tuple[int, int, str]


def term_spans(text: str, *, analyzer: Analyzer = ANALYZER) -> list[Span]:
    """``(start, end, term)`` for each term of ``text``, for highlighting: a word's span, or a
    character pair's (in scripts written without spaces, whose pairs overlap)."""
    return analyzer.term_spans(text)


def scan_terms(text: str, terms: frozenset[str], *, analyzer: Analyzer = ANALYZER) -> list[Span]:
    """:func:`term_spans` kept to ``terms``, every word stemmed: what :func:`find_terms`
    answers, the slow way (its fallback, and the baseline ``bench.snippets`` times).

    Spans never overlap: where two matched character pairs share a character ("北京" and
    "京大" in "北京大学"), the second starts after the first, so together they cover the
    matched characters once each."""
    found = [span for span in analyzer.term_spans(text) if span[2] in terms]
    if analyzer is ANALYZER:
        return found  # words never overlap
    return _without_overlaps(found)


def find_terms(text: str, terms: frozenset[str], *, analyzer: Analyzer = ANALYZER) -> list[Span]:
    """What :func:`term_spans` finds of ``terms`` in ``text`` (as :func:`scan_terms` gives
    them), looking only at words that can have one of them: snippets ask this of every shown
    passage, and a query's few English terms rule out most words by their first two letters
    before any word is stemmed."""
    if not terms:
        return []
    if analyzer is not ANALYZER:
        return scan_terms(text, terms, analyzer=analyzer)
    lowered = text.lower()
    if len(lowered) != len(text):  # "İ" lower-cases to two characters: offsets would move
        return scan_terms(text, terms)
    plain, apostrophed = _openings(terms)
    starts = _word_starts(text, lowered, plain)
    if "'" in text or "’" in text:
        starts |= _word_starts(text, lowered, apostrophed)
    if not text.isascii():
        starts |= _words_with_non_ascii_letters(text)
    found: list[tuple[int, int, str]] = []
    for start in sorted(starts):
        word = WORD.match(text, start)
        term = word_term(word.group()) if word else None  # (no character lower-cases into \w)
        if word and term is not None and term in terms:
            found.append((start, word.end(), term))
    return found


def _without_overlaps(spans: list[Span]) -> list[Span]:
    """``spans`` (in order of their starts), each cut to begin where the one before ended."""
    kept: list[Span] = []
    end = 0
    for start, stop, term in spans:
        start = max(start, end)
        if start < stop:
            kept.append((start, stop, term))
            end = stop
    return kept


# Snowball rewrites only a word's ending, so a word's term starts with the word's first two
# letters, lower-cased, unless the word is folded first (an apostrophe, a non-ASCII letter) or
# too short to keep two letters: "dying" → "die" (also lying, tying, vying), "aed" → "a".
# tests/analysis/test_matching.py checks find_terms against term_spans over a whole vocabulary.
_NON_ASCII_LETTER = re.compile(r"[^\W\x00-\x7f]")


@lru_cache(maxsize=512)
def _openings(terms: frozenset[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The lower-case openings a word with one of ``terms`` may have: a term's first two
    letters ("dy" too for "die"), and those with an apostrophe between them ("o'neil")."""
    prefixes = {term[:2] for term in terms}
    prefixes |= {term[0] + "y" for term in terms if len(term) == 3 and term.endswith("ie")}
    apostrophed = {
        prefix[0] + apostrophe + prefix[1]
        for prefix in prefixes
        if len(prefix) == 2
        for apostrophe in "'’"
    }
    return tuple(sorted(prefixes)), tuple(sorted(apostrophed))


def _word_starts(text: str, lowered: str, openings: tuple[str, ...]) -> set[int]:
    """Offsets where a word of ``text`` opens with one of ``openings`` (found in ``lowered``,
    which has the same offsets). ``str.find`` skips the rest of the text in C."""
    starts: set[int] = set()
    for opening in openings:
        at = lowered.find(opening)
        while at >= 0:
            before = text[at - 1] if at else " "
            if _is_word_char(before):
                pass  # inside a word, as most openings found are
            elif before not in "'’" or _word_start(text, at) == at:  # not "Korea's" "s…"
                starts.add(at)
            at = lowered.find(opening, at + 1)
    return starts


def _words_with_non_ascii_letters(text: str) -> set[int]:
    """Offsets of the words holding a non-ASCII letter or digit (folded before stemming, so
    their terms may open with anything)."""
    starts: set[int] = set()
    word_end = 0
    for letter in _NON_ASCII_LETTER.finditer(text):
        if letter.start() < word_end:
            continue  # in the word just found
        start = _word_start(text, letter.start())
        starts.add(start)
        word = WORD.match(text, start)
        word_end = word.end() if word else letter.end()
    return starts


def _word_start(text: str, at: int) -> int:
    """The start of the :data:`WORD` match holding the word character at ``at``."""
    while at > 0:
        if _is_word_char(text[at - 1]):
            at -= 1
        elif text[at - 1] in "'’" and at >= 2 and _is_word_char(text[at - 2]):
            at -= 2
        else:
            break
    return at


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"  # exactly what \w matches
