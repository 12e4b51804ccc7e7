"""The plain per-language analyzer that multilingual answers are measured against.

A few lines any search library would start with, kept apart from the bot's own analysis so the
two can be compared: NFKC and case folding, ``\\w+`` words, the language's Snowball stemmer from
PyStemmer where one exists, Chinese and Thai runs as overlapping character bigrams, no stop
words, and ``rank-bm25``'s ``BM25Okapi`` (k1=1.5, b=0.75) over whole paragraphs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

import numpy as np
import Stemmer
from rank_bm25 import BM25Okapi

from bot.analysis.analyzer import title_weight
from bot.corpus import Document
from bot.evaluation.qa import QaCase, answer_in

# ISO 639-1 codes of the languages PyStemmer has a Snowball stemmer for, by its names.
STEMMERS = {
    "ar": "arabic",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "eo": "esperanto",
    "es": "spanish",
    "et": "estonian",
    "eu": "basque",
    "fa": "persian",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "st": "sesotho",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
_WORD = re.compile(r"\w+")
# Chinese and Thai are written without spaces between words: a run of their characters within a
# word becomes its overlapping character pairs, whatever the language ("2015年" is "2015", "年").
_BIGRAM_RUN = re.compile(
    r"([\u0e00-\u0e7f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]+)"
)


def plain_name(language: str | None) -> str:
    """How a report names the plain analyzer for ``language``."""
    stemmer = stemmer_name(language)
    words = f"{stemmer} Snowball" if stemmer else "no stemmer"
    return (
        f"plain analyzer ({language or 'no language'}: NFKC/casefold/\\w+/{words}/"
        "Chinese and Thai bigrams), BM25Okapi"
    )


def stemmer_name(language: str | None) -> str | None:
    """PyStemmer's name for ``language`` (an ISO 639-1 code, or already one of its names), or
    None when it has no stemmer for it."""
    if language is None:
        return None
    code = language.strip().lower()
    if code in STEMMERS:
        return STEMMERS[code]
    return code if code in Stemmer.algorithms() else None


class PlainAnalyzer:
    """Text to terms for one language, the plain way."""

    def __init__(self, language: str | None) -> None:
        name = stemmer_name(language)
        self._stemmer = Stemmer.Stemmer(name) if name else None

    def tokenize(self, text: str) -> list[str]:
        """Terms of ``text`` in order, repeats kept."""
        words = [
            term
            for word in _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
            for term in _split_runs(word)
        ]
        if self._stemmer is None:
            return words
        return [str(term) for term in self._stemmer.stemWords(words)]


def _split_runs(word: str) -> list[str]:
    """``word`` itself, or with its Chinese and Thai runs cut into overlapping pairs (a run of
    one character stays itself)."""
    if not _BIGRAM_RUN.search(word):
        return [word]
    terms = []
    for number, part in enumerate(_BIGRAM_RUN.split(word)):
        if number % 2 == 0:  # between the runs
            terms.extend([part] if part else [])
        elif len(part) < 2:
            terms.append(part)
        else:
            terms.extend(part[i : i + 2] for i in range(len(part) - 1))
    return terms


def plain_first_paragraphs(
    documents: Sequence[Document],
    cases: Sequence[QaCase],
    language: str | None,
    progress: Callable[[int], None] | None = None,
) -> list[bool]:
    """For each case, whether its answer is in the paragraph the plain analyzer ranks first.

    Each document is one paragraph, indexed with its title when it has one of its own (the
    bot's rule, so both see the same words); a question matching no term has no first paragraph.
    """
    analyzer = PlainAnalyzer(language)
    texts = [_indexed_text(document) for document in documents]
    model = BM25Okapi([analyzer.tokenize(text) for text in texts], k1=1.5, b=0.75)
    found = []
    for done, case in enumerate(cases, start=1):
        scores = np.asarray(model.get_scores(analyzer.tokenize(case.question)), dtype=np.float64)
        best = int(np.argmax(scores)) if len(scores) else -1
        found.append(
            best >= 0 and bool(scores[best] > 0) and answer_in(case.answer, documents[best].text)
        )
        if progress:
            progress(done)
    return found


def _indexed_text(document: Document) -> str:
    if title_weight(document.title, document.text):
        return f"{document.title} {document.text}"
    return document.text
