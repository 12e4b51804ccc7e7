"""The analyzer shared by passages and queries."""

from __future__ import annotations

import gzip
import hashlib
import json
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.analysis.analyzer import fold, tokenize
from bot.analysis.languages import analyzer_for
from bot.analysis.matching import term_spans
from tests.conftest import DATA


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


def test_english_terms_of_the_committed_corpora_are_unchanged() -> None:
    """Every term English text gets, over the seed article and the SciFact slice: the answers
    (tests/test_ask_golden.py) and SciFact's figures rest on them. A change here is a change of
    every English index; recompute the digest only for one meant to be made."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(DATA.joinpath("seed").glob("*"))]
    with gzip.open(DATA / "scifact-slice" / "corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            texts += [record["title"], record["text"]]
    digest = hashlib.sha256()
    count = 0
    for text in texts:
        terms = analyzer_for("en").tokenize(text)
        count += len(terms)
        digest.update(" ".join(terms).encode() + b"\n")
    assert (len(texts), count) == (785, 58369)
    assert digest.hexdigest() == "f58eab200082d5f31cce2c487d32477054819435cc6f481389dee0d11dc30a1d"


def test_folding_drops_what_a_character_by_character_fold_drops() -> None:
    """Every code point, among ASCII letters, folds as the plain reading of the rule does:
    case-folded, a symbol NFKD spells with letters made a space, NFKD, combining marks out."""

    def by_character(text: str) -> str:
        folded = text.casefold()
        spaced = "".join(
            " "
            if not char.isalnum()
            and unicodedata.category(char) not in ("Cs", "Cn")
            and ord(char) >= 0x80
            and ord(char) < 0x30000
            and any(part.isalnum() for part in unicodedata.normalize("NFKD", char))
            else char
            for char in folded
        )
        decomposed = unicodedata.normalize("NFKD", spaced)
        return "".join(char for char in decomposed if not unicodedata.combining(char))

    for first in range(0x80, 0x110000, 512):
        chars = "".join(
            chr(code)
            for code in range(first, min(first + 512, 0x110000))
            if not 0xD800 <= code <= 0xDFFF
        )
        text = "é" + " a".join(chars)
        assert fold(text) == by_character(text)


@given(
    st.text(
        st.sampled_from(
            [
                "a",
                "e",
                "ß",
                "İ",
                "Σ",
                "ǰ",
                "ﬁ",
                "한",
                "™",
                "㎏",
                " ",
                "\u0301",
                "\u0323",
                "\u0308",
                "\u0345",
                "\u05b0",
                "\u093c",
                "\u3099",
                "\U0001d17e",
            ]
        ),
        max_size=40,
    )
)
@settings(max_examples=400, deadline=None)
def test_folding_a_character_at_a_time_is_folding_the_whole_text(text: str) -> None:
    # Marks in any order, beside letters that decompose or fold into several: NFKD of the
    # whole text reorders marks, which folding drops, so character by character is the same.
    spaced = "".join(" " if char in "™㎏" else char for char in text.casefold())
    decomposed = unicodedata.normalize("NFKD", spaced)
    assert fold(text) == "".join(char for char in decomposed if not unicodedata.combining(char))


_TITLE_PIECES = [
    *("Word", "word", "Bob's", "rock'n'roll", "’s", "It’s", "3.5", "a", "the", "Café", "ß"),
    *("İstanbul", "e\u0301", "\u0301", "北京大学", "Ελλάδα", "हिन्दी", "_x", "™", "x2"),
    *(" ", " ", ". ", ", ", "!", "?", "-", "'", "’", "\n", "(", ")", ":", "…"),
]


@given(
    pieces=st.lists(st.sampled_from(_TITLE_PIECES), max_size=30),
    cut=st.integers(min_value=0, max_value=200),
    shortened=st.booleans(),
    language=st.sampled_from(["en", "de", "zh", "hi"]),
)
@settings(max_examples=500, deadline=None)
def test_a_title_the_text_opens_with_weighs_what_its_terms_say(
    pieces: list[str], cut: int, shortened: bool, language: str
) -> None:
    text = "".join(pieces)
    title = text[:cut] + ("…" if shortened else "")
    analyzer = analyzer_for(language)
    assert analyzer.title_weight(title, text) == analyzer._title_weight_by_terms(title, text)
