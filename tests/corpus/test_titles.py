"""Titles cut from a text's first sentence: the short cut through its opening gives the title
the sentence splitter gives."""

from __future__ import annotations

import gzip
import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.corpus.documents import TITLE_CHARS, _title_of_first_sentence, title_from_text
from bot.corpus.text import (
    _SENTENCE_END,
    _SENTENCE_END_CANDIDATE,
    collapse_whitespace,
    first_sentence,
    first_sentence_opening,
    sentence_spans,
)
from tests.conftest import DATA

# Words, spaces, every kind of sentence mark and closer, abbreviations, paragraph breaks: runs of
# them straddle the opening's end in every way.
_PIECES = [
    "word",
    "Capital",
    "extraordinarily",
    " ",
    "   ",
    "\t",
    "\u00a0",
    ".",
    "...",
    "!",
    "?",
    "…",
    ";",
    '"',
    ")",
    "’",
    "Mr.",
    "U.S.",
    "4.5",
    "J.",
    "一。二",
    "。",
    "؟",
    "।",
    "Ελλάδα",
    "\n",
    "\n\n",
    "\n \n",
]
_OPENING = TITLE_CHARS + 8


def _texts() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(_PIECES), max_size=80).map("".join)


@given(_texts())
@settings(max_examples=2000, deadline=None)
@example("A" * 85 + ".")
@example("word " * 17 + "    ...")
@example("word " * 20 + ". Next")
@example(" " * 10 + "word " * 20)
def test_a_title_through_the_opening_is_the_first_sentences(text: str) -> None:
    assert title_from_text(text, "fallback") == _title_of_first_sentence(text, "fallback")


@given(_texts(), st.integers(min_value=1, max_value=120))
@settings(max_examples=2000, deadline=None)
def test_the_first_sentence_opens_with_the_openings_words(text: str, size: int) -> None:
    opening = first_sentence_opening(text, size)
    if opening is None:
        return
    span = first_sentence(text)
    assert span is not None
    sentence = collapse_whitespace(text[span.start : span.end].rstrip(".!?"))
    assert sentence.startswith(collapse_whitespace(opening))


@given(_texts())
@settings(max_examples=1000, deadline=None)
def test_every_sentence_end_starts_where_a_candidate_does(text: str) -> None:
    for end in _SENTENCE_END.finditer(text):
        assert _SENTENCE_END_CANDIDATE.match(text, end.start()) is not None, end


def test_most_openings_are_settled_without_the_sentence_splitter() -> None:
    long_sentence = "The quick brown fox jumps over the lazy dog " * 3 + "and runs. Then it rests."
    assert first_sentence_opening(long_sentence, _OPENING) == long_sentence[:_OPENING]
    # What may end a sentence, or a paragraph, inside the opening leaves it to the splitter.
    assert first_sentence_opening("Short. " + long_sentence, _OPENING) is None
    assert first_sentence_opening("Short\n" + long_sentence, _OPENING) is None
    assert first_sentence_opening("Short 一。" + long_sentence, _OPENING) is None
    # So does a text that ends, or ends in nothing but full stops, within it.
    assert first_sentence_opening(long_sentence[:_OPENING], _OPENING) is None
    assert first_sentence_opening(long_sentence[:_OPENING] + "...", _OPENING) is None
    # Full stops inside words and numbers end nothing.
    dotted = "Shares of Siemens <SIEG.F> rose 4.5 pct to 612.50 marks in Frankfurt " * 2
    assert first_sentence_opening(dotted, _OPENING) == dotted[:_OPENING]


def test_real_texts_titles_are_their_first_sentences() -> None:
    lines = [
        *(path.read_text(encoding="utf-8") for path in sorted(DATA.glob("xquad-slice/*/corpus/*"))),
        gzip.decompress((DATA / "scifact-slice" / "corpus.jsonl.gz").read_bytes()).decode(),
    ]
    documents = [json.loads(line)["text"] for text in lines for line in text.splitlines() if line]
    # Each document from each of its sentences on: openings of every shape real text has.
    texts = [document[span.start :] for document in documents for span in sentence_spans(document)]
    assert len(texts) > 2000
    cut = sum(first_sentence_opening(text, _OPENING) is not None for text in texts)
    assert cut > len(texts) // 4  # the short cut is taken, and checked, on real text
    for text in texts:
        assert title_from_text(text, "x") == _title_of_first_sentence(text, "x")
