"""Stand-ins for the analysis layer's language API (``bot.analysis.languages`` and matching's
``analyzer`` keyword), so the plumbing that carries languages is tested whatever that layer
knows: a detector that tells the test corpora's languages apart by a few words and script (and
falls back on the hint, as the real one does when a text is too short), a German analyzer that
stems German, and matching that finds terms with the analyzer it is given."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest

from bot.analysis import languages, matching
from bot.analysis.analyzer import ANALYZER, WORD, Analyzer

GERMAN = Analyzer(
    frozenset({"der", "die", "das", "und", "ist", "in", "wie", "viele", "hat"}), "german", "de"
)
_GERMAN_WORDS = frozenset({"der", "die", "das", "und", "ist", "wie", "viele", "hat", "einwohner"})
_ENGLISH_WORDS = frozenset({"the", "and", "is", "how", "many", "does", "what", "people"})
_FRENCH_WORDS = frozenset({"combien", "habitants", "compte", "quelle", "est"})
_HAN = re.compile(r"[\u4e00-\u9fff]")


def detect_language(text: str, hint: str | None = None) -> str:
    """ "zh" for Chinese characters, "de" or "en" by a few common words, else the hint's
    language ("en" without one)."""
    if _HAN.search(text):
        return "zh"
    words = {word.lower() for word in WORD.findall(text)}
    if words & _GERMAN_WORDS:
        return "de"
    if words & _ENGLISH_WORDS:
        return "en"
    if words & _FRENCH_WORDS:
        return "fr"
    return (hint or "en").replace("_", "-").split("-")[0].lower()


def detect_languages(texts: Sequence[str]) -> list[str]:
    """:func:`detect_language` of each text, with no hint."""
    return [detect_language(text) for text in texts]


def analyzer_for(language: str) -> Analyzer:
    """The German stand-in for German, today's analyzer for everything else."""
    return GERMAN if language == "de" else ANALYZER


# The analyzers :func:`find_terms` was given, in order.
matched_with: list[Analyzer] = []


def find_terms(
    text: str, terms: frozenset[str], analyzer: Analyzer = ANALYZER
) -> list[tuple[int, int, str]]:
    """Each word of ``text`` whose term under ``analyzer`` is one of ``terms``."""
    matched_with.append(analyzer)
    spans = ((m.start(), m.end(), analyzer.word_term(m.group())) for m in WORD.finditer(text))
    return [(start, end, term) for start, end, term in spans if term in terms]


def use_fake_detector(monkeypatch: pytest.MonkeyPatch) -> None:
    """Detect languages with :func:`detect_language` (the analyzers stay the real ones)."""
    monkeypatch.setattr(languages, "detect_language", detect_language)
    monkeypatch.setattr(languages, "detect_document_languages", detect_languages)


def use_fake_languages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Detect with :func:`detect_language`, analyze German with :data:`GERMAN`, and match
    terms with :func:`find_terms`."""
    use_fake_detector(monkeypatch)
    monkeypatch.setattr(languages, "analyzer_for", analyzer_for)
    monkeypatch.setattr(matching, "find_terms", find_terms)
    matched_with.clear()
