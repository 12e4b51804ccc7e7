"""Many texts tokenised at once (a build's path) give each text exactly :meth:`tokenize`'s terms,
compiled or not, whatever was tokenised before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.analysis import analyzer as analyzer_module
from bot.analysis import numbering
from bot.analysis.analyzer import Analyzer
from bot.analysis.languages import build_analyzer, release_build_memory
from bot.analysis.multilingual import _RUN, _WORD, UnicodeAnalyzer
from bot.analysis.numbering import NumberedTerms, PieceNumbering
from bot.index.build import count_numbered, count_terms

# Characters that exercise every step: apostrophes of both kinds next to words, the
# separator itself, accents precomposed and combining, ligatures and symbols NFKD spells with
# letters, a final sigma, unspaced scripts, digits of other scripts, a lone surrogate.
_CHARACTERS = st.sampled_from(
    [
        *"abcdeSTs xyz09_''’’ \x00\n.-",
        *["é", "e\u0301", "ﬁ", "™", "℃", "Σ", "ς", "ß", "İ", "北京", "大学", "のは", "ภาษา"],
        *["हिन्दी", "١٢", "Москва", "\ud800", "Ⅻ", "²"],
    ]
)
_TEXT = st.lists(_CHARACTERS, max_size=30).map("".join)
_TEXTS = st.lists(_TEXT, max_size=8)


def _analyzers() -> list[Analyzer]:
    return [
        Analyzer(),
        build_analyzer("de", stop_words=False, strip_accents=False),
        build_analyzer("es", stop_words=True, strip_accents=True),
        UnicodeAnalyzer("zh"),
    ]


ANALYZERS = _analyzers()


@pytest.fixture(params=["compiled", "plain"])
def kernels(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each test runs with numba's kernels (on texts of any length) and without them."""
    if request.param == "plain":
        monkeypatch.setenv("CORPUSBOT_NO_NUMBA", "1")
    else:
        monkeypatch.setattr(analyzer_module, "COMPILED_FROM_CHARS", 0)
    numbering._cutter.cache_clear()
    if request.param == "compiled" and not numbering.compiled():
        pytest.skip("numba is not installed")
    yield request.param
    numbering._cutter.cache_clear()


def _terms_by_text(numbered: NumberedTerms, count: int) -> list[list[str]]:
    """Each text's terms, in order, from the numbers."""
    by_text: list[list[str]] = [[] for _ in range(count)]
    order = np.argsort(numbered.owners, kind="stable")
    for owner, number in zip(numbered.owners[order], numbered.numbers[order], strict=True):
        by_text[owner].append(numbered.terms[number])
    return by_text


# The fixture only chooses the kernels: the same for every example.
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=_TEXTS)
def test_each_text_gets_the_terms_tokenize_gives_it(kernels: str, texts: list[str]) -> None:
    for analyzer in ANALYZERS:
        numbered = analyzer.number_terms(texts)
        assert _terms_by_text(numbered, len(texts)) == [analyzer.tokenize(t) for t in texts]
        # Numbers count from 0 in order of first use, each used.
        assert sorted(set(numbered.numbers.tolist())) == list(range(len(numbered.terms)))


@pytest.mark.parametrize(
    "texts",
    [
        [],
        [""],
        ["", "", ""],
        ["\x00", "a\x00b", "\x00\x00"],
        ["North Korea's satellite", "don't ''ab''cd rock'n'roll O’Neil's", "It's 1987's"],
        ["Café CAFÉ naïve", "plain ascii text here", "Straße ﬁnance Acme™"],
        ["北京大学 is in 北京", "のは", "x"],
    ],
)
def test_edge_texts(kernels: str, texts: list[str]) -> None:
    for analyzer in ANALYZERS:
        numbered = analyzer.number_terms(texts)
        assert _terms_by_text(numbered, len(texts)) == [analyzer.tokenize(t) for t in texts]


def test_a_term_keeps_its_lasting_number_until_the_numbering_forgets(kernels: str) -> None:
    """What a build's worker relies on to send each term's string once (bot.snapshot.transfer):
    a term's lasting number is the same from call to call of one generation, and after the
    numbering forgets, the generation is one no numbering has had."""
    analyzer = Analyzer()
    analyzer._numbering._remembered = 10_000
    first = analyzer.number_terms(["satellite launch orbit", "launch"])
    second = analyzer.number_terms(["orbit again", "satellite"])
    assert first.generation == second.generation
    lasting = dict(zip(first.terms, first.lasting.tolist(), strict=True))
    for term, number in zip(second.terms, second.lasting.tolist(), strict=True):
        assert lasting.setdefault(term, number) == number
    assert len(set(lasting.values())) == len(lasting)
    # The numbering's table holds every term of the generation, by its lasting number.
    assert all(second.numbered[term] == number for term, number in lasting.items())
    analyzer._numbering._remembered = 0  # forgets once this call is numbered
    third = analyzer.number_terms(["orbit"])
    assert third.generation == second.generation
    fourth = analyzer.number_terms(["orbit"])
    others = {first.generation, Analyzer().number_terms(["x"]).generation}
    assert fourth.generation not in others and len(others) == 2


def test_terms_are_numbered_the_same_whatever_came_before(kernels: str) -> None:
    texts = ["the satellites launched", "North Korea's launch", "Café launch"]
    warmed = Analyzer()
    warmed.number_terms(["zebra quagga launched", "Café"] * 3)
    fresh = Analyzer().number_terms(texts)
    again = warmed.number_terms(texts)
    assert (fresh.terms, fresh.numbers.tolist(), fresh.owners.tolist()) == (
        again.terms,
        again.numbers.tolist(),
        again.owners.tolist(),
    )


def test_a_full_memory_starts_afresh_and_stays_right(kernels: str) -> None:
    analyzer = Analyzer()
    analyzer._numbering = PieceNumbering(analyzer._terms_of_pieces, remembered=3)
    batches = (
        ["alpha beta gamma delta"],
        ["epsilon beta zeta", "Café naïve ﬁnance", "iota kappa"],  # ASCII and not: two cuts
        ["alpha eta's theta", "Straße lambda"],
    )
    for texts in batches:
        numbered = analyzer.number_terms(texts)
        assert _terms_by_text(numbered, len(texts)) == [analyzer.tokenize(t) for t in texts]


class _OneGroup:
    """The kernels, but every piece hashed alike: as if all their hashes collided."""

    def __init__(self, kernels: Any) -> None:
        self._kernels = kernels

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kernels, name)

    def group_pieces(self, hashes: Any) -> tuple[Any, Any]:
        return np.zeros(hashes.size, dtype=np.int64), np.zeros(min(hashes.size, 1), np.int64)


def test_pieces_that_share_a_hash_are_told_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled path checks each group of equal hashes holds one piece; when not, each
    piece is looked up by itself."""
    kernels = numbering._cutter()
    if kernels is None:
        pytest.skip("numba is not installed")
    monkeypatch.setattr(numbering, "_cutter", lambda: _OneGroup(kernels))
    monkeypatch.setattr(analyzer_module, "COMPILED_FROM_CHARS", 0)
    texts = ["satellites launched", "Korea's launch", "x"]
    analyzer = Analyzer()
    numbered = analyzer.number_terms(texts)
    assert _terms_by_text(numbered, 3) == [analyzer.tokenize(t) for t in texts]


class _OneHash:
    """The kernels, but every piece hashed alike, within a text and across texts."""

    def __init__(self, kernels: Any) -> None:
        self._kernels = kernels

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kernels, name)

    def cut_pieces(self, *args: Any) -> tuple[Any, Any, Any, Any]:
        starts, ends, hashes, owners = self._kernels.cut_pieces(*args)
        return starts, ends, np.full_like(hashes, 12345), owners


def test_remembered_pieces_are_known_by_their_characters_not_their_hash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pieces remembered from earlier texts with the hash of a new one are not taken for it."""
    kernels = numbering._cutter()
    if kernels is None:
        pytest.skip("numba is not installed")
    monkeypatch.setattr(numbering, "_cutter", lambda: _OneHash(kernels))
    monkeypatch.setattr(analyzer_module, "COMPILED_FROM_CHARS", 0)
    analyzer = Analyzer()
    # One distinct word a call, so each call's pieces are one group and go to the table.
    for text in ["alpha alpha", "gamma", "gamma gamma", "alpha", "delta"]:
        numbered = analyzer.number_terms([text])
        assert _terms_by_text(numbered, 1) == [analyzer.tokenize(text)]
    assert analyzer._numbering._known.count == 3


def test_many_remembered_pieces_stay_right_as_the_table_grows(kernels: str) -> None:
    """Thousands of distinct words over many calls: the table of known pieces grows and is
    laid out afresh, and every call still gets tokenize's terms."""
    rng = np.random.default_rng(3)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyzéü"))
    words = ["".join(rng.choice(letters, size=int(rng.integers(2, 12)))) for _ in range(6000)]
    analyzer = Analyzer()
    for _ in range(12):
        texts = [" ".join(rng.choice(words, size=40)) for _ in range(30)]
        numbered = analyzer.number_terms(texts)
        assert _terms_by_text(numbered, len(texts)) == [analyzer.tokenize(t) for t in texts]
    if kernels == "compiled":
        assert analyzer._numbering._known.count > 2048  # past the first table's room


@settings(max_examples=40, deadline=None)
@given(
    lists=st.lists(st.lists(st.sampled_from("abcdef"), max_size=6), min_size=1, max_size=6),
    weights=st.lists(st.integers(1, 3), min_size=6, max_size=6),
)
def test_weighted_counts_are_the_counts_of_repeated_terms(
    lists: list[list[str]], weights: list[int]
) -> None:
    """A segment counted ``w`` times counts as its terms written ``w`` times."""
    terms = sorted({t for tokens in lists for t in tokens})
    number = {t: n for n, t in enumerate(terms)}
    numbers = np.array([number[t] for tokens in lists for t in tokens], dtype=np.int64)
    owners = np.repeat(np.arange(len(lists)), [len(tokens) for tokens in lists])
    weight = np.asarray(weights[: len(lists)], dtype=np.int64)[owners]
    counted = count_numbered(terms, numbers, owners, weight, len(lists))
    expected = count_terms([tokens * w for tokens, w in zip(lists, weights, strict=False)])
    assert counted.lengths.tolist() == expected.lengths.tolist()
    postings = {
        (int(p), counted.terms[t], int(f))
        for p, t, f in zip(counted.passage, counted.term, counted.tf, strict=True)
    }
    assert postings == {
        (int(p), expected.terms[t], int(f))
        for p, t, f in zip(expected.passage, expected.term, expected.tf, strict=True)
    }
    keys = counted.term.astype(np.int64) * len(lists) + counted.passage
    assert (np.diff(keys) > 0).all()  # sorted by term, then passage


def test_a_process_that_keeps_running_lets_the_pieces_go(kernels: str) -> None:
    """The bot keeps running after a build: what its analyzers remember of the corpus goes."""
    analyzer = Analyzer()
    analyzer.number_terms(["satellites launched over Korea"])
    assert len(analyzer._numbering._codes_of) > 1
    release_build_memory()
    assert len(analyzer._numbering._codes_of) == 1  # the separator's code alone
    texts = ["satellites launched", "Café"]
    assert _terms_by_text(analyzer.number_terms(texts), 2) == [analyzer.tokenize(t) for t in texts]


def test_only_many_texts_load_the_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    """A small corpus, a changed file or a question's process is cut without numba's kernels,
    whose loading costs more than they save there."""
    calls: list[str] = []
    original = numbering.PieceNumbering.number_text

    def counted(self: numbering.PieceNumbering, text: str, classes: Any) -> Any:
        calls.append(text)
        return original(self, text, classes)

    monkeypatch.setattr(numbering.PieceNumbering, "number_text", counted)
    analyzer = Analyzer()
    analyzer.number_terms(["a few words"])
    assert calls == []
    if numbering.compiled():
        long = "word " * (analyzer_module.COMPILED_FROM_CHARS // 5)
        analyzer.number_terms([long])
        assert len(calls) == 1


@pytest.mark.parametrize("analyzer", [Analyzer(), UnicodeAnalyzer("zh")], ids=type)
def test_the_kept_table_of_characters_is_the_one_the_patterns_make(analyzer: Analyzer) -> None:
    kept = analyzer._piece_classes()  # read from the kernel cache folder, or made and kept
    patterns = {Analyzer: (analyzer_module._RUN_CHAR,), UnicodeAnalyzer: (_WORD, _RUN)}
    made = numbering._classes_of(patterns[type(analyzer)])
    assert kept.dtype == made.dtype
    assert np.array_equal(kept, made)
    assert kept.max() == len(patterns[type(analyzer)])
