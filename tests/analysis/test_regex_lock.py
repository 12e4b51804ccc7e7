"""The ``regex`` patterns on the build's and the answers' paths keep the interpreter lock while
they match: by default ``regex`` lets go of it for every match on a str and then waits for it
behind any busy thread (a build's pool thread unpickling a result, the bot's event loop), which
made a build's parent spend seconds waiting rather than reading."""

from __future__ import annotations

from typing import Any

import pytest

from bot.analysis import multilingual
from bot.analysis.languages import analyzer_for
from bot.corpus import text as corpus_text


class _Recording:
    """A compiled pattern that refuses any match call not made with ``concurrent=False``."""

    def __init__(self, pattern: Any) -> None:
        self._pattern = pattern
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._pattern, name)

        def checked(*args: Any, **kwargs: Any) -> Any:
            assert kwargs.get("concurrent") is False, f"{name} called without concurrent=False"
            self.calls += 1
            return method(*args, **kwargs)

        return checked


def test_sentence_splitting_keeps_the_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    recording = _Recording(corpus_text._SENTENCE_END)
    monkeypatch.setattr(corpus_text, "_SENTENCE_END", recording)
    spans = corpus_text.sentence_spans("Dr. Smith came. He left! Did he? 北京很大。上海也是。")
    assert len(spans) == 5
    assert recording.calls > 0


def test_the_multilingual_analyzer_keeps_the_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    patterns = {
        name: _Recording(getattr(multilingual, name)) for name in ("_TOKEN", "_PIECE", "_RUN_CHAR")
    }
    for name, recording in patterns.items():
        monkeypatch.setattr(multilingual, name, recording)
    analyzer = analyzer_for("de")
    assert analyzer.tokenize("Die Häuser stehen am Fluss") == analyzer.tokenize(
        "die häuser stehen am fluss"
    )
    zh = multilingual.UnicodeAnalyzer("zh")
    numbered = zh._number_terms(["北京大学 und Häuser", "上海"], kernel=False)
    assert numbered.terms
    assert all(recording.calls > 0 for recording in patterns.values())
