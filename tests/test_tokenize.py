"""The tokenizer shared by passages and queries."""

from __future__ import annotations

import pytest

from bot.tokenize import term_set, term_spans, tokenize


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
    ],
)
def test_tokenize(text: str, terms: list[str]) -> None:
    assert tokenize(text) == terms


def test_queries_and_passages_meet_through_stemming() -> None:
    assert set(tokenize("What did they launch?")) <= set(tokenize("North Korea launched a missile"))


def test_term_spans_point_at_words() -> None:
    text = "Russia's satellites, launched."
    spans = term_spans(text)
    assert [(text[a:b], term) for a, b, term in spans] == [
        ("Russia's", "russia"),
        ("satellites", "satellit"),
        ("launched", "launch"),
    ]


@pytest.mark.parametrize(
    "text",
    ["North Korea's satellites, the U.S. and Café-owners' rules", "the of and", "", "🚀 !!"],
)
def test_term_set_is_the_terms_term_spans_finds(text: str) -> None:
    assert term_set(text) == {term for _, _, term in term_spans(text)}
