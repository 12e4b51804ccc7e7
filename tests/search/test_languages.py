"""A corpus of several languages: a question is answered from the documents in its own language,
one in a language the corpus lacks from the best of all of them, and every score is still
rank-bm25's over the terms each passage's analyzer produced.

The corpus (``tests/data/multilingual``, sentences written for these tests) holds German,
English and Chinese documents about the same cities. Language detection and the German
analyzer are the stand-ins of ``tests/fake_languages.py``.
"""

from __future__ import annotations

import pytest

from bot.analysis import languages
from bot.analysis.analyzer import ANALYZER
from bot.index import LuceneBM25
from bot.search.service import SearchResponse, SearchService
from tests import fake_languages
from tests.conftest import DATA, SEED_DIR
from tests.fake_languages import GERMAN, use_fake_detector, use_fake_languages

MULTILINGUAL = DATA / "multilingual"


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> SearchService:
    use_fake_languages(monkeypatch)
    return SearchService.from_folder(MULTILINGUAL)


def documents(response: SearchResponse) -> list[str]:
    return [hit.passage.document.id for hit in response.hits]


def hit_languages(response: SearchResponse) -> set[str | None]:
    return {hit.passage.document.language for hit in response.hits}


@pytest.mark.parametrize(
    ("question", "language", "first", "answered_from"),
    [
        ("Wie viele Einwohner hat Berlin?", "de", "berlin-de", {"berlin-de", "cities/hamburg"}),
        ("How many people live in Berlin?", "en", "berlin-en", {"berlin-en", "cities/munich"}),
        ("Berlin 有多少人口？", "zh", "berlin-zh", {"berlin-zh"}),
    ],
)
def test_a_question_is_answered_from_documents_in_its_own_language(
    service: SearchService, question: str, language: str, first: str, answered_from: set[str]
) -> None:
    response = service.search(question, limit=5)
    assert response.language == language
    assert documents(response)[0] == first
    assert set(documents(response)) == answered_from
    assert response.total_matches == len(answered_from)


def test_a_language_the_corpus_lacks_is_answered_from_all_of_its_languages(
    service: SearchService,
) -> None:
    response = service.search("Combien d'habitants compte Berlin ?", limit=5)
    assert response.language == "fr"
    # "Berlin" is in every document: each language's reading finds its own documents, and
    # one list by score holds them all.
    assert set(documents(response)) == {d.id for d in service.documents}
    assert hit_languages(response) == {"de", "en", "zh"}
    assert response.total_matches == 5
    scores = [hit.score for hit in response.hits]
    assert scores == sorted(scores, reverse=True)
    assert response.unknown_words == ("Combien", "d'habitants", "compte")


def test_the_locale_decides_a_question_too_short_to_tell(service: SearchService) -> None:
    for locale, document in (("de", "berlin-de"), ("en-US", "berlin-en"), ("zh-CN", "berlin-zh")):
        response = service.search("Berlin", limit=1, locale=locale)
        assert documents(response) == [document], locale
    assert documents(service.search("Berlin", limit=1)) == ["berlin-en"]  # no hint: "en"


def test_no_match_in_the_questions_language_falls_back_to_the_others(
    service: SearchService,
) -> None:
    # Detected as German, but only the English Munich record mentions the Oktoberfest.
    response = service.search("Wann ist das Oktoberfest?")
    assert response.language == "de"
    assert documents(response) == ["cities/munich"]


def test_words_the_corpus_never_mentions_are_read_in_the_questions_language(
    service: SearchService,
) -> None:
    response = service.search("Wie viele Zebras hat Berlin?")
    assert response.unknown_words == ("Zebras",)
    assert hit_languages(response) == {"de"}


def test_snippets_are_matched_with_the_passages_analyzer(service: SearchService) -> None:
    german = service.search("Wie groß ist der Hafen von Hamburg?", limit=1)
    assert documents(german) == ["cities/hamburg"]
    assert fake_languages.matched_with and set(fake_languages.matched_with) == {GERMAN}
    marked = [text for text, matched in german.hits[0].snippet.pieces if matched]
    assert "Häfen" in marked  # one German term with "Hafen"
    fake_languages.matched_with.clear()
    service.search("Where is the Oktoberfest held?", limit=1)
    assert set(fake_languages.matched_with) == {ANALYZER}


@pytest.mark.parametrize(
    "question",
    ["Wie viele Einwohner hat Berlin?", "How many people live in Berlin?", "Quelle ville? Berlin"],
)
def test_scores_are_rank_bm25s_over_the_terms_each_passage_was_indexed_with(
    service: SearchService, question: str
) -> None:
    corpus = []
    for passage in service.passages:
        document = passage.document
        analyzer = languages.analyzer_for(document.language or "")
        weight = analyzer.title_weight(document.title, document.text)
        corpus.append(analyzer.passage_terms(passage.title, passage.text, weight))
    reference = LuceneBM25(corpus, k1=1.2, b=0.75)
    response = service.search(question, limit=10)
    expected: list[tuple[float, int]] = []
    readable = {response.language} & {p.document.language for p in service.passages}
    for language in readable or {p.document.language for p in service.passages}:
        query = list(dict.fromkeys(languages.analyzer_for(language or "").tokenize(question)))
        scores = reference.get_scores(query)
        expected += [
            (float(scores[i]), i)
            for i, passage in enumerate(service.passages)
            if passage.document.language == language and scores[i] > 0
        ]
    expected.sort(key=lambda pair: (-pair[0], pair[1]))
    positions = {passage.id: i for i, passage in enumerate(service.passages)}
    got = [(hit.score, positions[hit.passage.id]) for hit in response.hits]
    assert got == expected and response.total_matches == len(expected)


def test_a_corpus_in_one_language_detects_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fake_detector(monkeypatch)
    english = SearchService.from_folder(SEED_DIR)
    asked: list[str] = []
    monkeypatch.setattr(languages, "detect_language", lambda text, hint=None: asked.append(text))
    response = english.search("Wie viele Satelliten hat North Korea?", locale="de")
    assert asked == [] and response.language == "en" and response.hits
