"""The analyzer shared by passages and queries."""

from __future__ import annotations

import pytest

from bot.analysis.analyzer import tokenize
from bot.analysis.matching import term_spans


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Satellites launched", ["satellit", "launch"]),
        ("North Korea's satellite", ["north", "korea", "satellit"]),
        ("the and of is", []),
        ("", []),
        ("!!! 🚀🛰️ ???", []),
        ("CAFÉ café Cafe", ["cafe", "cafe", "cafe"]),
        ("anti-satellite", ["anti", "satellit"]),
        ("launched in 2023", ["launch", "2023"]),
        ("Straße", ["strass"]),
        ("Москва спутник", ["москва", "спутник"]),
        ("don't worry", ["worri"]),
        # A symbol NFKD spells with letters is a word boundary, not letters glued on.
        ("Acme™ widgets", ["acm", "widget"]),
        ("ACME℠ at 37℃", ["acm", "37"]),
    ],
)
def test_tokenize(text: str, terms: list[str]) -> None:
    assert tokenize(text) == terms


@pytest.mark.parametrize(
    "text",
    [
        "Acme™ widgets cost 5㎏ of gold at 37℃ (№ 5) ⒜ first",
        "Café naïve Straße İstanbul ﬁnance ½way the⑴korea Korea's o'neil",
        "Москва спутник, U.S. 2023 1987's x1 _under_",
    ],
)
def test_passages_are_indexed_under_the_terms_their_highlighted_words_have(text: str) -> None:
    """What ranking counts (tokenize) and what snippets bold (term_spans) must agree, word for
    word, or a passage ranks for a term no word of its snippet shows."""
    assert tokenize(text) == [term for _, _, term in term_spans(text)]


def test_queries_and_passages_meet_through_stemming() -> None:
    assert set(tokenize("What did they launch?")) <= set(tokenize("North Korea launched a missile"))
