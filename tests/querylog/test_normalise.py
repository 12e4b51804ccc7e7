"""Questions grouped however they were typed."""

from __future__ import annotations

import pytest

from bot.querylog.normalise import normalise_query


@pytest.mark.parametrize(
    ("query", "normalised"),
    [
        ("Where is the  Satellite?", "where is the satellite"),
        ("  “where is the satellite” ", "where is the satellite"),
        ("¿QUÉ?", "qué"),
    ],
)
def test_normalise_query(query: str, normalised: str) -> None:
    assert normalise_query(query) == normalised


@pytest.mark.parametrize(
    ("typed", "plain"), [("㎒ band", "mhz band"), ("ℌello", "hello"), ("ᵂiki", "wiki")]
)
def test_a_question_is_grouped_case_folded_after_nfkc(typed: str, plain: str) -> None:
    """NFKC can turn one character into capitals (㎒ is MHz): they are folded too."""
    assert normalise_query(typed) == normalise_query(plain) == plain
