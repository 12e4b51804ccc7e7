"""Plain-text helpers shared by passage splitting and snippets."""

from __future__ import annotations

import gzip
import json
import re
import sys
import time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.corpus.text import (
    _ABBREVIATIONS,
    _SPACE_MARK_OR_UNSPACED_BYTES,
    _UNSPACED,
    _UNSPACED_LEADS,
    SENTENCE_MARK,
    WORD_UNIT,
    Span,
    collapse_whitespace,
    first_sentence,
    is_blank,
    sentence_spans,
    units_and_marks_exceed,
)
from tests.conftest import DATA


def test_collapse_whitespace_folds_exactly_what_the_regex_whitespace_class_matches() -> None:
    every_character = "".join(chr(code) for code in range(sys.maxunicode + 1) if code != 0xD800)
    spaced = "x".join(every_character[i : i + 3] for i in range(0, len(every_character), 3))
    assert collapse_whitespace(spaced) == re.sub(r"\s+", " ", spaced).strip()


# Every whitespace character of str and of bytes, beside a few that are not.
_SPACES = "".join(chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace())


@given(st.text(alphabet=_SPACES + "x\u200b\x00", max_size=8))
def test_is_blank_says_what_strip_says_for_text_and_bytes(text: str) -> None:
    assert is_blank(text) == (not text.strip())
    for encoded in (text.encode("utf-8", "surrogatepass"), text.encode("latin-1", "replace")):
        assert is_blank(encoded) == (not encoded.strip())


@given(st.text(alphabet=_SPACES + "ab.é北", max_size=12))
@example("North  Korea")
@example("North Korea ")
@example(" North Korea")
@example("North\u00a0Korea")
def test_collapse_whitespace_of_short_texts_folds_what_the_regex_class_matches(text: str) -> None:
    # Texts of letters and single spaces come back as they are; any other whitespace folds.
    assert collapse_whitespace(text) == re.sub(r"\s+", " ", text).strip()


def test_collapse_whitespace_trims_and_joins() -> None:
    spaced = "  North\n\tKorea\u00a0 and\u2003Russia  "
    assert collapse_whitespace(spaced) == "North Korea and Russia"
    assert collapse_whitespace(" \n ") == ""


# The sentence splitter as it was written first (a regex that retries every start inside a run
# of marks, and a search for the last word from the sentence's start): the meaning the faster
# one keeps.
_PLAIN_SENTENCE_END = re.compile(r"""[.!?…]+["'”’)\]]*(?=\s+["'“‘(\[]?[A-Z0-9\u00C0-\u024F])""")


def plain_sentence_spans(text: str) -> list[Span]:
    """The reference: each paragraph (blank lines between) split at the plain sentence ends."""
    spans: list[Span] = []
    start = 0
    for blank in re.finditer(r"\n[ \t]*\n", text):
        spans += plain_paragraph_spans(text[start : blank.start()], start)
        start = blank.end()
    return spans + plain_paragraph_spans(text[start:], start)


def plain_paragraph_spans(text: str, offset: int) -> list[Span]:
    spans: list[Span] = []
    start = 0

    def append(begin: int, end: int) -> None:
        chunk = text[begin:end]
        if chunk.strip():
            lead = len(chunk) - len(chunk.lstrip())
            first = offset + begin + lead
            spans.append(Span(first, first + len(chunk.strip())))

    for match in _PLAIN_SENTENCE_END.finditer(text):
        word = text[start : match.start() + 1].rsplit(maxsplit=1)[-1:] or [""]
        token = word[0].lower().strip("\"'“‘(").rstrip(".")
        initial = len(token) == 1 and token.isalpha()
        if match.group().startswith(".") and (token in _ABBREVIATIONS or initial):
            continue
        append(start, match.end())
        start = match.end()
    append(start, len(text))
    return spans


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from([*".!?…\"'”)( \n", "A", "b", "Mr", "e.g", "J", "7"]),
        max_size=60,
    ).map("".join)
)
def test_sentence_spans_split_where_the_plain_splitter_does(text: str) -> None:
    assert sentence_spans(text) == plain_sentence_spans(text)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "hostile",
    [
        "." * 20_000 + " a",  # every dot was a start that scanned the rest of the run
        "?!…" * 7_000 + "'" * 20_000 + " a",
        "Mr. A " * 150_000,  # one sentence: each "Mr." searched it from its start
        "x" * 200_000 + ". A",
        "。！？" * 30_000 + "」" * 20_000 + "؟।" * 20_000 + " a",
        ";" * 100_000 + " Α",
    ],
    ids=["dots", "marks-and-quotes", "abbreviations", "long-word", "other-scripts", "greek"],
)
def test_sentence_spans_take_linear_time_on_hostile_text(hostile: str) -> None:
    """As long as ordinary prose of the same length, within a factor: these were quadratic,
    hundreds of times slower. The best of three runs each, so a loaded machine slows both."""
    prose = "The ferry leaves at nine. Tickets cost four euros, e.g. at the kiosk! Is it late? "
    ordinary = (prose * (len(hostile) // len(prose) + 1))[: len(hostile)]
    # Below 20 ms a scheduler's pause would decide the ratio.
    baseline = max(_best_seconds(ordinary), 0.02)
    assert _best_seconds(hostile) < 10 * baseline


def _best_seconds(text: str) -> float:
    """The shortest of three timings of ``sentence_spans(text)``."""
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        sentence_spans(text)
        timings.append(time.perf_counter() - started)
    return min(timings)


def test_a_heading_above_its_paragraph_is_a_sentence_of_its_own() -> None:
    text = "Ports\n\nThe web interface listens on port 8080. Change it here\n  \nNext part"
    assert _sentences(text) == [
        "Ports",
        "The web interface listens on port 8080.",
        "Change it here",
        "Next part",
    ]


def _sentences(text: str) -> list[str]:
    return [text[span.start : span.end] for span in sentence_spans(text)]


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        # Chinese and Japanese: 。！？ end a sentence with no space after, closing quotes kept.
        (
            "他来了。她走了！真的吗？「好。」结束",
            ["他来了。", "她走了！", "真的吗？", "「好。」", "结束"],
        ),
        ("東京は大きい。大阪も大きい", ["東京は大きい。", "大阪も大きい"]),
        # Arabic's question mark, right to left.
        ("هل هذا صحيح؟ نعم. هذا صحيح", ["هل هذا صحيح؟", "نعم.", "هذا صحيح"]),
        # Devanagari's danda and double danda.
        ("यह हिन्दी है। दूसरा वाक्य॥ तीसरा", ["यह हिन्दी है।", "दूसरा वाक्य॥", "तीसरा"]),
        # Capitals of every script start a sentence; Greek asks with ";" (its question mark).
        ("Москва большая. Спутник летит", ["Москва большая.", "Спутник летит"]),
        ("Ποιος κέρδισε; Ο Μάνινγκ. Το 2016", ["Ποιος κέρδισε;", "Ο Μάνινγκ.", "Το 2016"]),
        # Vietnamese capitals outside Latin Extended-B.
        ("Tôi đi học. Ở đây có trường", ["Tôi đi học.", "Ở đây có trường"]),
        # Not sentence ends: a Latin semicolon, a lower-case word after a full stop.
        ("One; Two. three", ["One; Two. three"]),
    ],
)
def test_sentence_spans_end_sentences_of_every_script(text: str, sentences: list[str]) -> None:
    assert _sentences(text) == sentences


def test_sentence_spans_of_english_text_are_the_plain_splitters() -> None:
    texts = [path.read_text(encoding="utf-8") for path in DATA.joinpath("seed").glob("*")]
    with gzip.open(DATA / "scifact-slice" / "corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        texts += [json.loads(line)["text"] for line in lines]
    assert len(texts) > 300
    for text in texts:
        assert sentence_spans(text) == plain_sentence_spans(text)


@given(
    st.lists(
        st.sampled_from(
            [
                "Word",
                "Mr.",
                "J.",
                "end.",
                "end?",
                "一。二",
                "。",
                "hi;",
                "Ελλάδα",
                " ",
                "\n\n",
                "\n",
            ]
        ),
        max_size=40,
    )
)
@settings(max_examples=300, deadline=None)
def test_the_first_sentence_is_the_first_of_all_sentences(pieces: list[str]) -> None:
    text = "".join(pieces)
    spans = sentence_spans(text)
    assert first_sentence(text) == (spans[0] if spans else None)


def _reference_units_and_marks(text: str) -> int:
    """What the build counted before its short cuts: every unit and every mark, found by regex."""
    return len(WORD_UNIT.findall(text)) + len(SENTENCE_MARK.findall(text))


def test_every_whitespace_mark_and_unspaced_character_has_a_counted_byte() -> None:
    every_character = "".join(map(chr, range(sys.maxunicode + 1)))
    unspaced = "".join(_UNSPACED.findall(every_character)).encode()
    continuation = set(range(0x80, 0xC0))
    assert set(unspaced) - continuation <= set(_UNSPACED_LEADS)
    counted = re.findall(r"\s", every_character) + SENTENCE_MARK.findall(every_character)
    assert len(counted) == 29 + 11
    for character in counted:
        assert set(character.encode()) & set(_SPACE_MARK_OR_UNSPACED_BYTES), hex(ord(character))
    assert set(_UNSPACED_LEADS) <= set(_SPACE_MARK_OR_UNSPACED_BYTES)


# Texts where a count can go wrong: every ASCII whitespace, unspaced scripts beside spaced ones,
# marks inside and between words, Unicode-only whitespace, control characters, lone surrogates.
_COUNT_PIECES = [
    *("word", "x", "Mr.", "3.5", "end!", "why?", "a;b", "…", "。", "！", "？", "؟", "।", "॥"),
    *("北京", "大学生", "ภาษาไทย", "ខ្មែរ", "Ελλάδα", "кот", "é", "\ufffd", "\ud800", "\x00"),
    *(" ", "\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1f", "\x85", "\xa0", "\u2003", "\u3000"),
    *("\u1680", "\u2028", "\u202f", "\u205f", "عربي", "हिन्दी", "việt", "𠀀𠀁", "豈", "ｱ", "©"),
    # Runs that reach MAX_UNIT_CHARS once joined, where a run is cut into several units.
    *("q" * 700, "é" * 999, "w," * 1200),
]


@given(
    pieces=st.lists(st.sampled_from(_COUNT_PIECES), max_size=60),
    limit=st.integers(min_value=-1, max_value=40),
)
@settings(max_examples=300, deadline=None)
def test_units_and_marks_exceed_agrees_with_counting_every_match(
    pieces: list[str], limit: int
) -> None:
    text = "".join(pieces)
    assert units_and_marks_exceed(text, limit) == (_reference_units_and_marks(text) > limit)


@pytest.mark.parametrize(
    "text",
    [
        *("", " ", "word " * 300, "a." * 200, "x" * 5000, "北京" * 200, "a\u3000b " * 130),
        *("!?;" * 90, "w," * 1200, "x" * 2500 + " y", "é" * 3001 + " 北京"),
    ],
)
def test_units_and_marks_exceed_on_long_and_empty_texts(text: str) -> None:
    for limit in (0, 1, 2, 3, 4, 249, 250, 251, 600):
        assert units_and_marks_exceed(text, limit) == (_reference_units_and_marks(text) > limit)
