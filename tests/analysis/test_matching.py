"""Where a query's terms occur in a text: every word the analyzer gives one of them."""

from __future__ import annotations

import gzip
import random

from bot.analysis.analyzer import WORD, tokenize, word_term
from bot.analysis.matching import find_terms, term_spans
from tests.conftest import DATA


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
