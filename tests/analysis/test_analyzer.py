"""The tokenizer shared by passages and queries."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest

from bot.analysis.analyzer import WORD, tokenize, word_term
from bot.analysis.matching import find_terms, term_spans

DATA = Path(__file__).parent.parent / "data"


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


def test_term_spans_point_at_words() -> None:
    text = "Russia's satellites, launched."
    spans = term_spans(text)
    assert [(text[a:b], term) for a, b, term in spans] == [
        ("Russia's", "russia"),
        ("satellites", "satellit"),
        ("launched", "launch"),
    ]


# Words whose term does not open with their first two letters, lower-cased, and words folded
# before they are stemmed: find_terms must still find each of them.
AWKWARD_WORDS = """
    dying Lying TYING vying aed IEDs OED o'neil O’Neil d'Arcy l'amour Zürich naïve CAFÉ İstanbul
    Straße Москва the⑴korea ﬁnance ½way skies news ugly early only gently idly y'all yelling
    Yvonne U.S. 2023 1987's x1 _under_ Korea's Koreas’ a'b'c Acme™ 37℃ №5
"""


def _vocabulary() -> list[str]:
    """Every word of the committed test corpora, and the awkward ones."""
    texts = [path.read_text(encoding="utf-8") for path in DATA.joinpath("seed").glob("*")]
    with gzip.open(DATA / "scifact-slice" / "corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        texts += list(lines)
    words = {word for text in texts for word in WORD.findall(text)}
    return sorted(words) + AWKWARD_WORDS.split()


def test_find_terms_finds_every_word_of_a_vocabulary_by_its_term() -> None:
    vocabulary = _vocabulary()
    assert len(vocabulary) > 5000
    for word in vocabulary:
        term = word_term(word)
        if term is None:
            continue
        for text in (f"{word}", f"x {word}, y", f"({word})"):
            expected = [span for span in term_spans(text) if span[2] == term]
            assert find_terms(text, frozenset({term})) == expected, (word, text)


def test_find_terms_is_term_spans_kept_to_the_query_terms() -> None:
    rng = random.Random(5)
    vocabulary = _vocabulary()
    separators = [" ", " ", " ", ", ", ". ", "\n", " (", ") ", "'", "’", "-", " — "]
    for _ in range(3000):
        words = rng.sample(vocabulary, rng.randint(1, 40))
        text = "".join(word + rng.choice(separators) for word in words)
        spans = term_spans(text)
        picked = {term for _, _, term in spans if rng.random() < 0.3}
        picked |= {tokenize(word)[0] for word in rng.sample(vocabulary, 2) if tokenize(word)}
        terms = frozenset(picked)
        assert find_terms(text, terms) == [s for s in spans if s[2] in terms], text


def test_find_terms_without_terms_finds_nothing() -> None:
    assert find_terms("North Korea", frozenset()) == []
