"""Which sentence a snippet quotes: the one that answers, not the one naming the topic."""

from __future__ import annotations

import pytest

from bot.analysis.analyzer import tokenize
from bot.analysis.languages import analyzer_for
from bot.search.snippets import GAP, SNIPPET_CHARS, select_snippet

# Each filler is long enough that no two sentences fit in one snippet together.
FILLER = (
    "and the text then goes on for a good while about matters of no interest to anyone here, "
    "page after page, line after line, until the reader gives up and turns to something else, "
    "a book, a walk by the water, a long talk with an old friend about nothing in particular"
)


def weights(**by_word: float) -> dict[str, float]:
    return {term: weight for word, weight in by_word.items() for term in tokenize(word)}


def test_a_term_in_every_sentence_weighs_less_than_one_in_a_single_sentence() -> None:
    # "Quokka" is the passage's topic: in three sentences of four it points at none of them.
    # The question's other words, rarer overall, sit together in one sentence, the answer.
    text = " ".join(
        [
            f"The quokka lives on Rottnest and its lagoon, {FILLER}.",
            f"Quokka numbers are counted each spring by rangers, {FILLER}.",
            f"The burrows are dug beneath saltbush in sandy ground, {FILLER}.",
            f"Another quokka fact concerns the weather, {FILLER}.",
        ]
    )
    terms = weights(quokka=4.0, lagoon=1.0, burrows=2.4, saltbush=2.4)
    assert "burrows are dug beneath saltbush" in select_snippet(text, terms).plain


def test_question_words_close_together_beat_the_same_words_far_apart() -> None:
    text = " ".join(
        [
            f"The harbour was busy that year, {FILLER}, and pilots were paid well.",
            f"The harbour pilots guided every ship in safely, {FILLER}.",
        ]
    )
    terms = weights(harbour=3.0, pilots=3.0)
    assert select_snippet(text, terms).plain.startswith("… The harbour pilots guided")


def test_a_second_sentence_that_also_answers_is_quoted_after_a_gap() -> None:
    text = " ".join(
        [
            "The lighthouse keeper logged every storm.",
            "Gulls nested on the rocks below.",
            "Fishing boats left at dawn.",
            "The keeper's storm log survives in the museum archive.",
        ]
    )
    snippet = select_snippet(text, weights(keeper=2.0, storm=2.0, log=2.0))
    assert (GAP, False) in snippet.pieces
    assert snippet.plain == (
        "The lighthouse keeper logged every storm. … "
        "The keeper's storm log survives in the museum archive."
    )


def test_the_sentence_after_the_best_is_preferred_as_the_second() -> None:
    # Both other sentences hold "statement"; the one right after the best continues it.
    text = " ".join(
        [
            "A statement was printed in the paper.",
            "Luther had written his last statement on a piece of paper.",
            "The statement was in Latin, apart from one line in German.",
        ]
    )
    snippet = select_snippet(text, weights(luther=3.0, last=1.0, statement=1.0))
    assert snippet.plain == (
        "… Luther had written his last statement on a piece of paper. "
        "The statement was in Latin, apart from one line in German."
    )


def test_a_weak_second_sentence_is_not_quoted_and_snippets_stay_within_the_limit() -> None:
    text = " ".join(
        [
            f"The quokka burrows are dug beneath saltbush, {FILLER}.",
            f"A quokka was seen once, {FILLER}.",
        ]
    )
    snippet = select_snippet(text, weights(quokka=0.5, burrows=3.0, saltbush=3.0))
    assert GAP not in snippet.plain
    assert snippet.plain.startswith("The quokka burrows")
    assert len(snippet.plain) <= SNIPPET_CHARS


def test_a_long_chinese_sentence_is_cut_around_its_match() -> None:
    chinese = analyzer_for("zh")
    filler = "这是一段很长的文字没有任何标点" * 40
    text = filler + "北京大学的图书馆" + filler
    terms = {term: 2.0 for term in chinese.tokenize("北京大学")}
    snippet = select_snippet(text, terms, analyzer=chinese)
    assert len(snippet.plain) <= SNIPPET_CHARS
    assert "北京大学" in snippet.plain
    # The pairs 北京 京大 大学 overlap: they are bolded as one run, never "**北京****大学**".
    assert ("北京大学", True) in snippet.pieces


@pytest.mark.timeout(60)  # quadratic in the matches, this took minutes: a hang fails, not waits
def test_a_passage_of_one_word_repeated_with_no_space_is_cut_to_a_snippet() -> None:
    # A hostile corpus file: "word," over and over, with no space and no sentence end, every
    # piece a match. The snippet still fits, cut between a word and its comma, never inside.
    text = "word," * 50_000
    snippet = select_snippet(text, weights(word=1.0))
    assert len(snippet.plain) <= SNIPPET_CHARS
    assert snippet.cut_before or snippet.cut_after
    body = "".join(piece for piece, _ in snippet.pieces)
    assert body.strip(",").split(",") == ["word"] * len(body.strip(",").split(","))
    assert ("word", True) in snippet.pieces
