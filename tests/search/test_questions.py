"""The question part of a long message: what "Find in the docs" and help forums search for."""

from __future__ import annotations

import pytest

from bot.search.questions import question_part, sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How do I reset my password?", "How do I reset my password?"),
        (
            "Hi all! I updated yesterday. Now the bot crashes. Why does it crash on start? Thanks",
            "Why does it crash on start?",
        ),
        (
            "Hello. Where are the logs? And how do I read them?",
            "Where are the logs? And how do I read them?",
        ),
        ("The sync fails. I tried twice. No idea.", "The sync fails. I tried twice. No idea."),
        (
            "My setup:\n```\nTraceback (most recent call last)?\n```\nwhy is it failing?",
            "why is it failing?",
        ),
        ("  lots   of\n\nspace here  ", "lots of space here"),
    ],
)
def test_the_question_is_what_the_message_asks(text: str, expected: str) -> None:
    assert question_part(text) == expected


def test_long_questions_are_bounded_on_a_word() -> None:
    text = "word " * 200 + "?"
    part = question_part(text, limit=50)
    assert len(part) <= 50
    assert part.endswith("word") and "  " not in part


def test_questions_beyond_the_limit_are_left_out_whole() -> None:
    first = "Is the first question answered here?"
    text = f"{first} " + "And what about this much longer second question " * 5 + "?"
    assert question_part(text, limit=60) == first


def test_a_message_of_only_code_still_gives_text() -> None:
    assert question_part("```\nkeyerror\n```") != ""


def test_sentences_cut_on_marks_and_lines() -> None:
    assert sentences("One. Two?! Three\nFour") == ["One.", "Two?!", "Three", "Four"]


def test_the_question_fits_an_answers_author_line() -> None:
    """ "Post publicly" reads the question back from the private answer's author line (256
    characters, "Q: " first): a longer question would be searched cut."""
    part = question_part("Why " + "does this word repeat " * 40 + "?")
    assert len("Q: " + part) <= 256
