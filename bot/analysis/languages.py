"""Which analyzer a text gets, by its language, and what language a text is in.

Languages are named by their ISO 639-1 code ("en", "de", "zh"). Every document is indexed with
the analyzer of its own language and every question is analyzed with the analyzer of its own, so
a German question meets German documents' terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache

import Stemmer
from stop_words import StopWordError, get_stop_words

from bot.analysis.analyzer import ANALYZER, Analyzer
from bot.analysis.detection import (
    DEFAULT_LANGUAGE,
    base_language,
    detect_documents,
    detect_with,
    load_compiled,
    load_model,
    unload_compiled,
)
from bot.analysis.multilingual import UnicodeAnalyzer
from bot.analysis.numbering import forget_pieces

# The Snowball stemmers PyStemmer has, by the language's code.
_STEMMERS = {
    **{"ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech"},
    **{"da": "danish", "nl": "dutch", "eo": "esperanto", "et": "estonian", "fi": "finnish"},
    **{"fr": "french", "de": "german", "el": "greek", "hi": "hindi", "hu": "hungarian"},
    **{"id": "indonesian", "ga": "irish", "it": "italian", "lt": "lithuanian", "ne": "nepali"},
    **{"no": "norwegian", "nb": "norwegian", "nn": "norwegian", "fa": "persian"},
    **{"pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian"},
    **{"st": "sesotho", "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish"},
    **{"yi": "yiddish"},
}
# The code of the language-neutral analyzer ("undetermined" in ISO 639-2).
NEUTRAL_LANGUAGE = "und"
# Languages with no stemmer but an analysis of their own: written without spaces (character
# pairs) or with words that take no endings (Vietnamese).
_UNSTEMMED = frozenset({"zh", "ja", "ko", "th", "lo", "km", "my", "vi"})
# Languages whose stop word list (the `stop-words` package) helps. Answer in the first of
# XQuAD's 120 paragraphs (dev half, 612 questions), the bot's BM25 (k1 1.2), without → with the
# list: ar 87.9 → 89.4%, es 91.0 → 91.7%, tr 86.9 → 87.3%, ru 90.4 → 90.5% (90.5 → 90.8% at
# k1 1.5); it did nothing or hurt for de 87.9 → 87.7%, el 89.4 → 89.4%, hi 91.2 → 90.8%, ro 93.3
# → 92.8%, vi 92.6 → 90.8%, so the others, measured or not, go without (the plain analysis of
# issue 17 reaches good figures without).
_STOP_WORD_LANGUAGES = frozenset({"ar", "es", "ru", "tr"})
# Dropping accents ("Cafe" meeting "Café") hurt or did nothing on every XQuAD language (vi 92.6
# → 89.4%, ru 90.4 → 89.1%, th 90.4 → 87.9%), so no language has it yet.
_ACCENT_FREE_LANGUAGES: frozenset[str] = frozenset()


def supported_languages() -> frozenset[str]:
    """The languages with an analyzer of their own (any other gets the neutral one)."""
    return _stemmed_languages() | _UNSTEMMED | {"en"}


# Cached by the code as given: a build asks once per document (0.9 µs uncached, a second of a
# million-passage build); the bound keeps any stream of made-up codes from growing it.
@lru_cache(maxsize=1024)
def analyzer_for(language: str) -> Analyzer:
    """The analyzer for ``language`` (an ISO 639-1 code, or a locale such as "pt-BR"); a
    language without an analyzer of its own gets a language-neutral one."""
    code = base_language(language)
    return _analyzer(code if code in supported_languages() else NEUTRAL_LANGUAGE)


def detect_language(text: str, hint: str | None = None) -> str:
    """The language ``text`` is written in; ``hint`` (for example a member's Discord locale,
    "pt-BR") decides when the text is too short to tell."""
    return detect_with(text, hint, supported_languages())


def detect_document_languages(texts: Sequence[str]) -> list[str]:
    """:func:`detect_language` of each document's text, with no hint: the same answers, in
    one call of the compiled kernel where numba is installed (see
    :func:`detection.detect_documents`)."""
    return detect_documents(texts, supported_languages())


def load_document_detector() -> None:
    """Load what :func:`detect_document_languages` uses now, before forking workers."""
    load_model(supported_languages())
    load_compiled(supported_languages())


def release_build_memory() -> None:
    """Free what a build loaded beyond what questions need: the compiled detector's tables and
    the words the analyzers remember from tokenising passages (see :mod:`numbering`)."""
    unload_compiled()
    forget_pieces()


def load_detector() -> None:
    """Load the detector's model now (about a second) rather than on the first question."""
    load_model(supported_languages())


@cache
def _analyzer(language: str) -> Analyzer:
    """One analyzer per supported language and one neutral one: their word caches are kept."""
    if language == "en":
        return ANALYZER
    return build_analyzer(
        language,
        stop_words=language in _STOP_WORD_LANGUAGES,
        strip_accents=language in _ACCENT_FREE_LANGUAGES,
    )


def build_analyzer(language: str, *, stop_words: bool, strip_accents: bool) -> UnicodeAnalyzer:
    """A new analyzer for ``language`` with the given choices (for measuring them)."""
    words = _stop_words(language) if stop_words else frozenset()
    stemmer = _STEMMERS.get(language) if language in _stemmed_languages() else None
    return UnicodeAnalyzer(language, stemmer, words, strip_accents)


def _stop_words(language: str) -> frozenset[str]:
    try:
        return frozenset(get_stop_words(language))
    except StopWordError:
        return frozenset()


@lru_cache(maxsize=1)
def _stemmed_languages() -> frozenset[str]:
    """The codes of :data:`_STEMMERS` whose stemmer this PyStemmer has."""
    available = set(Stemmer.algorithms())
    return frozenset(code for code, name in _STEMMERS.items() if name in available)


__all__ = [
    "DEFAULT_LANGUAGE",
    "NEUTRAL_LANGUAGE",
    "analyzer_for",
    "build_analyzer",
    "detect_document_languages",
    "detect_language",
    "load_detector",
    "load_document_detector",
    "release_build_memory",
    "supported_languages",
]
