"""Which sentence a snippet quotes: the one that answers, not the one naming the topic."""

from __future__ import annotations

from bot.analysis.analyzer import tokenize
from bot.search.snippets import select_snippet

# Each filler is long enough that no two sentences fit in one snippet together.
FILLER = (
    "and the text then goes on for a good while about matters of no interest to anyone here, "
    "page after page, line after line, until the reader gives up"
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
