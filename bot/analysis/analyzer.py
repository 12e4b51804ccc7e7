"""The analyzer for passages and queries: Unicode words, case-folded, accents stripped, stop
words out, Snowball-stemmed. Tokenisation decides ranking quality more than BM25's parameters
do."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import Stemmer

from bot.analysis.numbering import (
    NumberedTerms,
    PieceNumbering,
    ascii_cutting_table,
    compiled,
    joined,
    piece_classes,
)

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


# How many times a document's own title is added to each of its passages' terms. A title says
# what the whole document is about, so every passage should match it, more than once: on BEIR
# SciFact (train) two repeats beat one and none (docs/quality.md).
TITLE_WEIGHT = 2

# A word as members see one: letters or digits, with inner apostrophes ("Korea's").
WORD = re.compile(r"\w+(?:['’]\w+)*")

# Texts this long in all are cut by the compiled kernel, when numba is installed: below it the
# kernels' loading (0.7 s and 80 MB in a new process) costs more than they save (a build's chunk
# is 4 million characters; the seed corpus, a changed file, a test's corpus are far less).
COMPILED_FROM_CHARS = 500_000
# Runs of word characters and apostrophes, which hold all that the apostrophe rules and
# :data:`_TOKEN` look at, and the separator.
_RUN_OR_SEPARATOR = re.compile(r"[\w'’]+|\x00")
_RUN_CHAR = re.compile(r"[\w'’]+")


class Analyzer:
    """Turns text into index terms: one object, so passages and queries share the stop words
    and the stemmer and always meet."""

    def __init__(
        self,
        stop_words: frozenset[str] = STOP_WORDS,
        stemmer: str | None = "english",
        language: str = "en",
    ) -> None:
        self.language = language
        self.stop_words = stop_words
        # PyStemmer's own cache (on by default) costs more than it saves under ``_stem``'s.
        self._stemmer = Stemmer.Stemmer(stemmer, 0) if stemmer else None
        self._stem: Callable[[str], str] = lru_cache(maxsize=200_000)(self._stem_word)
        # Cached: snippet highlighting asks for every word of every shown passage.
        self.word_term: Callable[[str], str | None] = lru_cache(maxsize=200_000)(self._word_term)
        self._numbering = PieceNumbering(self._terms_of_pieces)

    def tokenize(self, text: str) -> list[str]:
        """Index terms of ``text``, in order (repeats kept: BM25 counts them)."""
        folded = _unapostrophised(fold(text))
        stem, stop_words = self._stem, self.stop_words
        return [stem(word) for word in _TOKEN.findall(folded) if word not in stop_words]

    def number_terms(self, texts: Sequence[str]) -> NumberedTerms:
        """What :meth:`tokenize` gives each of ``texts``, numbered, in one pass over them all.

        The ASCII texts and the others are each joined and cut into pieces together (see
        :mod:`numbering`): by the compiled kernel where numba is installed and the texts are
        many (:data:`COMPILED_FROM_CHARS`), else ASCII by a translation table and a split and
        the rest by :meth:`_pieces`.
        """
        large = sum(map(len, texts)) >= COMPILED_FROM_CHARS
        return self._number_terms(texts, kernel=large and compiled())

    def _number_terms(self, texts: Sequence[str], *, kernel: bool) -> NumberedTerms:
        """:meth:`number_terms`, cut by the compiled kernel or not."""
        numbers: list[npt.NDArray[np.int64]] = [np.zeros(0, np.int64)]
        owners: list[npt.NDArray[np.int64]] = [np.zeros(0, np.int64)]
        plain = [number for number, text in enumerate(texts) if text.isascii()]
        other = [number for number, text in enumerate(texts) if not text.isascii()]
        numbering = self._numbering
        with numbering.lock:
            for chosen, ascii_only in ((plain, True), (other, False)):
                if not chosen:
                    continue
                together = joined([texts[number] for number in chosen])
                if kernel:
                    text = self._prepared(together, ascii_only=ascii_only)
                    found, owner = numbering.number_text(text, self._piece_classes())
                elif ascii_only:
                    found, owner = numbering.number(self._ascii_pieces(together))
                else:
                    found, owner = numbering.number(self._pieces(together))
                numbers.append(found)
                owners.append(np.asarray(chosen, dtype=np.int64)[owner])
            found_numbers, found_owners = np.concatenate(numbers), np.concatenate(owners)
            return numbering.numbered(found_numbers, found_owners, kernel=kernel)

    def prepare(self) -> None:
        """Build now what :meth:`number_terms` builds once per process (the compiled kernels
        and their table of characters): before forking workers, say."""
        self._number_terms(["prepared", "é"], kernel=compiled())

    def _prepared(self, text: str, *, ascii_only: bool) -> str:
        """``text`` as the compiled kernel cuts it: folded (lower-cased, for ASCII)."""
        return text.lower() if ascii_only else fold(text)

    def _piece_classes(self) -> npt.NDArray[np.uint8]:
        """The pieces the compiled kernel cuts: :meth:`_pieces`'s runs."""
        return piece_classes(_RUN_CHAR)

    # ASCII as :meth:`_ascii_pieces` cuts it: "_" and "'" kept beside letters and digits (the
    # characters of :data:`_TOKEN`'s words and of the apostrophe rules).
    _ascii_table = ascii_cutting_table("_'")

    def _ascii_pieces(self, joined: str) -> list[str]:
        """:meth:`_pieces` of ASCII text: runs of word characters and apostrophes, which hold
        all that the apostrophe rules and :data:`_TOKEN` look at."""
        return joined.translate(self._ascii_table).split()

    def _terms_of_pieces(self, pieces: list[str]) -> list[tuple[str, ...]]:
        """:meth:`_piece_terms` of each of ``pieces``, the plain words' stems in one call."""
        stop = self.stop_words
        plain = [
            piece
            for piece in pieces
            if len(piece) > 1 and "'" not in piece and "’" not in piece and piece not in stop
        ]
        stems = self._stem_words(plain)
        terms: dict[str, tuple[str, ...]] = dict(zip(plain, map(_one, stems), strict=True))
        return [terms.get(piece) or self._piece_terms(piece) for piece in pieces]

    def _stem_words(self, words: list[str]) -> list[str]:
        """The stems of ``words``, in one call to the stemmer."""
        if self._stemmer is None:
            return words
        return [str(stem) for stem in self._stemmer.stemWords(words)]

    def _pieces(self, joined: str) -> list[str]:
        """``joined``'s pieces that :meth:`_piece_terms` turns into terms, in order, with a
        :data:`SEPARATOR` where each text ends."""
        return _RUN_OR_SEPARATOR.findall(fold(joined))

    def _piece_terms(self, piece: str) -> tuple[str, ...]:
        """The terms of a piece: the stems of its words, stop words left out."""
        stop_words = self.stop_words
        if "'" not in piece and "’" not in piece:
            if len(piece) < 2 or piece in stop_words:
                return ()
            return (self._stem(piece),)
        words = _TOKEN.findall(_unapostrophised(piece))
        return tuple(self._stem(word) for word in words if word not in stop_words)

    def passage_terms(self, title: str, text: str, title_weight: int = 0) -> list[str]:
        """The terms a passage is indexed under: its title's ``title_weight`` times, then its
        text.

        Pass :meth:`title_weight` of the passage's document, so a title that is only the text's
        first words is not weighted.
        """
        if title_weight <= 0:
            return self.tokenize(text)
        return self.tokenize(title) * title_weight + self.tokenize(text)

    def title_weight(self, title: str, text: str) -> int:
        """:data:`TITLE_WEIGHT` for a title of its own; 0 when ``text`` opens with ``title``.

        Plain-text documents take their title from their first sentence and Markdown ones often
        from a heading that stays in the text: repeating such a title into every passage would
        make every passage look like the opening one (on the seed article "What does Russia plan
        to give North Korea?" then quotes the third passage instead of the first).
        """
        if _opens_with(text, title.removesuffix("…")):
            return 0
        return self._title_weight_by_terms(title, text)

    def _title_weight_by_terms(self, title: str, text: str) -> int:
        """:meth:`title_weight` from the title's terms and the opening's."""
        terms = self.tokenize(title.removesuffix("…"))
        if title.endswith("…"):
            terms = terms[:-1]  # the shortened title's last word may be cut
        if not terms:
            return 0
        opening = self.tokenize(text[: 2 * len(title) + 40])
        return 0 if opening[: len(terms)] == terms else TITLE_WEIGHT

    def _word_term(self, word: str) -> str | None:
        """The term one word is indexed under (``None`` for a stop word)."""
        terms = self.tokenize(word)
        return terms[0] if terms else None

    def term_spans(self, text: str) -> list[tuple[int, int, str]]:
        """``(start, end, term)`` for each word of ``text`` that has a term, in order: the
        terms are :meth:`tokenize`'s, each with the characters it came from."""
        spans: list[tuple[int, int, str]] = []
        for match in WORD.finditer(text):
            term = self.word_term(match.group())
            if term is not None:
                spans.append((match.start(), match.end(), term))
        return spans

    def _stem_word(self, word: str) -> str:
        return word if self._stemmer is None else str(self._stemmer.stemWord(word))


def _one(term: str) -> tuple[str]:
    return (term,)


def _unapostrophised(folded: str) -> str:
    """``folded`` with possessives dropped and inner apostrophes closed up ("korea's" →
    "korea", "don't" → "dont")."""
    if "'" in folded or "’" in folded:  # most texts have none: two scans saved
        # Functions, not templates such as r"\1": ``re`` expands a template in Python.
        folded = _POSSESSIVE.sub(_owner, folded)
        folded = _APOSTROPHE.sub(_closed_up, folded)
    return folded


def _owner(possessive: re.Match[str]) -> str:
    return possessive.group(1)


def _closed_up(apostrophe: re.Match[str]) -> str:
    return apostrophe.group(1) + apostrophe.group(2)


def _opens_with(text: str, prefix: str) -> bool:
    """Whether ``text`` is ``prefix``, or ``prefix`` and then an ASCII character that no term
    holds or joins across (a space, a full stop; not a letter, digit, ``_`` or apostrophe).

    Then ``prefix``'s terms are the first of ``text``'s: every step of tokenising (folding,
    the apostrophe rules, words, stems) works within the words on either side of that
    character, so :meth:`Analyzer.title_weight` is 0 without tokenising either.
    """
    if not prefix or not text.startswith(prefix):
        return False
    if len(text) == len(prefix):
        return True
    follower = text[len(prefix)]
    return follower.isascii() and not follower.isalnum() and follower not in "_'"


# The analyzer of the index and of every query.
ANALYZER = Analyzer()
tokenize = ANALYZER.tokenize
passage_terms = ANALYZER.passage_terms
title_weight = ANALYZER.title_weight
word_term = ANALYZER.word_term


def fold(text: str) -> str:
    """Case-fold and strip accents so "Café" and "cafe" meet."""
    if text.isascii():
        return text.lower()  # what case folding does to ASCII
    # Case folding and :data:`_FOLDED` work a character at a time, and leave ASCII as it is but
    # for its capitals: ASCII is lower-cased as bytes (which touch nothing else, and which
    # ``str.casefold`` of a long text took twice as long over), and each run of other
    # characters folded by itself, which skips the table lookup ``str.translate`` makes for
    # every ASCII character once it meets another.
    lowered = text.encode("utf-8", "surrogatepass").lower().decode("utf-8", "surrogatepass")
    return _NON_ASCII.sub(_folded_run, lowered)


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _folded_run(run: re.Match[str]) -> str:
    return run.group().casefold().translate(_FOLDED)


class _Folding(dict[int, str]):
    """What each character outside ASCII folds to, worked out on its first sight: its NFKD
    decomposition without the combining marks, or a space for a symbol that NFKD spells with
    letters or digits.

    Character by character, this is what NFKD of the whole text and then dropping every
    character of a nonzero combining class gives: decomposition works per character, and the
    reordering NFKD adds moves only such characters. One pass over a text's runs, where a
    pass for the symbols, NFKD and a pass for the marks took twice the time.
    """

    def __missing__(self, code: int) -> str:
        folded = _fold_character(chr(code))
        if len(self) < _FOLDINGS_KEPT:
            self[code] = folded
        return folded


# Characters whose folding :class:`_Folding` keeps: far more than any corpus's alphabet, and a
# text of every code point cannot grow it past a few megabytes.
_FOLDINGS_KEPT = 50_000
_FOLDED = _Folding()


def _fold_character(char: str) -> str:
    """:class:`_Folding`'s answer for ``char``. A symbol that NFKD spells with letters or
    digits ("™" → "TM", "℃" → "°C", "㎏" → "kg") becomes a space: decomposed in place it would
    glue onto the word before it ("Acme™" indexed as "acmetm", which no member types) where a
    word boundary stands (:data:`WORD` and the highlighting stop there)."""
    decomposed = unicodedata.normalize("NFKD", char)
    if (
        not char.isalnum()
        and unicodedata.category(char) not in ("Cs", "Cn")
        and any(part.isalnum() for part in decomposed)
    ):
        return " "
    return "".join(part for part in decomposed if not unicodedata.combining(part))
