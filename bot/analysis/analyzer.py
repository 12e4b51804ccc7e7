"""The one tokenizer for passages and queries: Unicode words, case-folded, stop words out,
Snowball-stemmed. Tokenisation decides ranking quality more than BM25's parameters do."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

# Words of two or more letters or digits; apostrophes inside words are folded below.
_TOKEN = re.compile(r"\w\w+")
_POSSESSIVE = re.compile(r"(\w)['’]s\b")
_APOSTROPHE = re.compile(r"(\w)['’](\w)")

# English stop words (the classic Snowball list, lower-cased).
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each few for from further had hadn't has hasn't have haven't
    having he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll
    i'm i've if in into is isn't it it's its itself let's me more most mustn't my myself no nor
    not of off on once only or other ought our ours ourselves out over own same shan't she she'd
    she'll she's should shouldn't so some such than that that's the their theirs them themselves
    then there there's these they they'd they'll they're they've this those through to too under
    until up very was wasn't we we'd we'll we're we've were weren't what what's when when's where
    where's which while who who's whom why why's will with won't would wouldn't you you'd you'll
    you're you've your yours yourself yourselves""".replace("'", "").split()
)

_stemmer = Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Index terms of ``text``, in order (repeats kept: BM25 counts them)."""
    folded = _fold(text)
    folded = _POSSESSIVE.sub(r"\1", folded)
    folded = _APOSTROPHE.sub(r"\1\2", folded)
    words = [word for word in _TOKEN.findall(folded) if word not in STOP_WORDS]
    return [_stem(word) for word in words]


# How many times a document's own title is added to each of its passages' terms. A title says
# what the whole document is about, so every passage should match it, more than once: on BEIR
# SciFact (train) two repeats beat one and none (docs/quality.md).
TITLE_WEIGHT = 2


def passage_terms(title: str, text: str, title_weight: int = 0) -> list[str]:
    """The terms a passage is indexed under: its title's ``title_weight`` times, then its text.

    Pass :func:`title_weight` of the passage's document, so a title that is only the text's
    first words is not weighted.
    """
    return tokenize(title) * max(0, title_weight) + tokenize(text)


def title_weight(title: str, text: str) -> int:
    """:data:`TITLE_WEIGHT` for a title of its own; 0 when ``text`` opens with ``title``.

    Plain-text documents take their title from their first sentence and Markdown ones often from
    a heading that stays in the text: repeating such a title into every passage would make every
    passage look like the opening one (on the seed article "What does Russia plan to give North
    Korea?" then quotes the third passage instead of the first).
    """
    terms = tokenize(title.removesuffix("…"))
    if title.endswith("…"):
        terms = terms[:-1]  # the shortened title's last word may be cut
    if not terms:
        return 0
    opening = tokenize(text[: 2 * len(title) + 40])
    return 0 if opening[: len(terms)] == terms else TITLE_WEIGHT


def _fold(text: str) -> str:
    """Case-fold and strip accents so "Café" and "cafe" meet."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    folded = _symbols_with_letters().sub(" ", folded)
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=1)
def _symbols_with_letters() -> re.Pattern[str]:
    """Characters that are not word characters but that NFKD spells with letters or digits
    ("™" → "TM", "℃" → "°C", "㎏" → "kg"): they become spaces. Decomposed in place they would
    glue onto the word before them ("Acme™" indexed as "acmetm", which no member types) where a
    word boundary stands (:data:`WORD` and the highlighting stop there). Built once, on the
    first text that is not ASCII (a tenth of a second)."""
    ranges: list[list[int]] = []  # as ranges: a class of 894 single characters scans slowly
    for code in range(0x80, 0x30000):
        char = chr(code)
        if char.isalnum() or unicodedata.category(char) in ("Cs", "Cn"):
            continue
        if any(part.isalnum() for part in unicodedata.normalize("NFKD", char)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    parts = (re.escape(chr(first)) + "-" + re.escape(chr(last)) for first, last in ranges)
    return re.compile("[" + "".join(parts) + "]")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return str(_stemmer.stemWord(word))


# A word as members see one: letters or digits, with inner apostrophes ("Korea's").
WORD = re.compile(r"\w+(?:['’]\w+)*")


def term_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, term)`` for each word of ``text`` that has a term, for highlighting."""
    spans: list[tuple[int, int, str]] = []
    for match in WORD.finditer(text):
        term = word_term(match.group())
        if term is not None:
            spans.append((match.start(), match.end(), term))
    return spans


def scan_terms(text: str, terms: frozenset[str]) -> list[tuple[int, int, str]]:
    """:func:`term_spans` kept to ``terms``, every word stemmed: what :func:`find_terms`
    answers, the slow way (its fallback, and the baseline ``bench.snippets`` times)."""
    return [span for span in term_spans(text) if span[2] in terms]


def find_terms(text: str, terms: frozenset[str]) -> list[tuple[int, int, str]]:
    """What :func:`term_spans` finds of ``terms`` in ``text``, looking only at words that can
    have one of them: snippets ask this of every shown passage, and a query's few terms rule
    out most words by their first two letters before any word is stemmed."""
    if not terms:
        return []
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


# Snowball rewrites only a word's ending, so a word's term starts with the word's first two
# letters, lower-cased, unless the word is folded first (an apostrophe, a non-ASCII letter) or
# too short to keep two letters: "dying" → "die" (also lying, tying, vying), "aed" → "a".
# tests/test_tokenize.py checks find_terms against term_spans over a whole vocabulary.
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


@lru_cache(maxsize=200_000)
def word_term(word: str) -> str | None:
    """The term one word is indexed under (``None`` for a stop word); cached, since snippet
    highlighting asks for every word of every shown passage."""
    terms = tokenize(word)
    return terms[0] if terms else None
