"""The analyzer for every language but English: Unicode words with their combining marks,
NFKC and case folding, the language's Snowball stemmer and stop words where it has them, and
overlapping character bigrams for scripts written without spaces between words."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import lru_cache

import regex

from bot.analysis.analyzer import Analyzer

# Scripts written without spaces between words: a run of their characters is indexed as
# overlapping pairs ("北京大学" → 北京 京大 大学), which needs no dictionary and finds words of
# any length. "ー" (the katakana long vowel mark) is of the Common script but part of words.
_RUN_CHARS = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}ー"
# A run of those, or a word: letters, digits and combining marks ("हिन्दी" is one word, where
# Python's \w stops at each vowel sign), the run characters excepted.
_TOKEN = regex.compile(rf"(?P<run>[{_RUN_CHARS}]++)|[[\w\p{{M}}]--[{_RUN_CHARS}]]++", regex.V1)

Span = tuple[int, int, str]


class UnicodeAnalyzer(Analyzer):
    """Terms for text of any script: the same object for a language's passages and questions,
    so they always meet."""

    def __init__(
        self,
        language: str,
        stemmer: str | None = None,
        stop_words: frozenset[str] = frozenset(),
        strip_accents: bool = False,
    ) -> None:
        self._strip_accents = strip_accents
        super().__init__(frozenset(self._normalize(word) for word in stop_words), stemmer, language)
        self._spaced_term: Callable[[str], str | None] = lru_cache(maxsize=200_000)(
            self._spaced_word_term
        )

    def tokenize(self, text: str) -> list[str]:
        """Index terms of ``text``, in order (repeats kept: BM25 counts them)."""
        return [term for _, _, term in self.term_spans(text)]

    def term_spans(self, text: str) -> list[Span]:
        """``(start, end, term)`` for each term of ``text``, in :meth:`tokenize`'s order: a
        word's span for a word, a pair's two characters for a pair (so pairs overlap)."""
        spans: list[Span] = []
        for match in _TOKEN.finditer(text):
            start, end = match.span()
            if match.group("run") is None:
                term = self._spaced_term(match.group())
                if term is not None:
                    spans.append((start, end, term))
            elif end - start == 1:
                spans.append((start, end, self._normalize(match.group())))
            else:
                for at in range(start, end - 1):
                    spans.append((at, at + 2, self._normalize(text[at : at + 2])))
        return spans

    def _word_term(self, word: str) -> str | None:
        """The first term of ``word`` (``None`` if it has none)."""
        spans = self.term_spans(word)
        return spans[0][2] if spans else None

    def _spaced_word_term(self, word: str) -> str | None:
        """The term of one word of a spaced script (``None`` for a stop word)."""
        folded = self._normalize(word)
        if not folded or folded in self.stop_words:
            return None
        return self._stem(folded)

    def _normalize(self, text: str) -> str:
        """NFKC and case folding, so full-width, ligature and capital forms meet; combining
        accents dropped too where that is measured to help the language."""
        folded = unicodedata.normalize("NFKC", text).casefold()
        if not self._strip_accents or folded.isascii():
            return folded
        decomposed = unicodedata.normalize("NFD", folded)
        stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
        return unicodedata.normalize("NFC", stripped)
