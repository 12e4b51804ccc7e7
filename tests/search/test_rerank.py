"""The second ranking stage: where query terms stand, the two bonuses, and the reordering the
search service applies when ``RERANK`` is on."""

from __future__ import annotations

import pytest

from bot.analysis.analyzer import tokenize
from bot.analysis.matching import find_terms
from bot.config import Settings
from bot.corpus import Document
from bot.evaluation.qa import evaluate_qa, load_qa
from bot.search.loading import second_stage
from bot.search.rerank import (
    SECOND_STAGE,
    SecondStage,
    phrase_score,
    place_terms,
    reorder,
    window_score,
)
from bot.search.service import SearchService
from tests.conftest import DATA, SEED_DIR


def placed(text: str, query: str, window: int = 12) -> list[tuple[int, str]]:
    terms = frozenset(tokenize(query))
    return place_terms(text, find_terms(text, terms), window)


def test_terms_are_placed_among_the_texts_index_terms_stop_words_skipped() -> None:
    text = "The Broncos beat the Steelers in the divisional round of the playoffs."
    # index terms: bronco beat steeler division round playoff
    assert placed(text, "Broncos divisional round") == [
        (0, "bronco"),
        (3, "division"),
        (4, "round"),
    ]


def test_a_gap_longer_than_the_window_counts_as_the_window() -> None:
    text = "Broncos " + "one two three four five six seven eight nine ten " * 3 + "round"
    assert placed(text, "Broncos round", window=12) == [(0, "bronco"), (13, "round")]


@pytest.mark.parametrize(
    ("text", "query"),
    [
        (
            "Lady Gaga sang the national anthem before the game; Beyoncé sang at halftime.",
            "Who sang the national anthem?",
        ),
        (
            "Café culture — it's Korea's “best” export, don't you think? Yes: the café.",
            "Korea's café export",
        ),
        (
            "Doctor Who (1963) was played by William Hartnell; the Doctor's first play came later.",
            "Doctor Who play",
        ),
    ],
)
def test_places_agree_with_the_analyzers_own_positions(text: str, query: str) -> None:
    terms = tokenize(text)
    wanted = set(tokenize(query))
    expected = [(at, term) for at, term in enumerate(terms) if term in wanted]
    got = placed(text, query, window=len(terms) + 1)
    assert [(at - got[0][0], term) for at, term in got] == [
        (at - expected[0][0], term) for at, term in expected
    ]


IDF = {"bronco": 7.0, "division": 6.0, "round": 3.0, "lost": 3.0}


@pytest.mark.parametrize(
    ("places", "window", "expected"),
    [
        ([(0, "bronco"), (3, "division"), (4, "round")], 12, 16.0),
        ([(0, "bronco"), (3, "division"), (4, "round")], 3, 9.0),  # the pair 3 apart
        ([(0, "bronco"), (20, "bronco"), (40, "round")], 12, 7.0),  # a repeat counts once
        ([], 12, 0.0),
    ],
)
def test_window_score_is_the_most_idf_of_distinct_terms_close_together(
    places: list[tuple[int, str]], window: int, expected: float
) -> None:
    assert window_score(places, IDF, window) == expected


@pytest.mark.parametrize(
    ("places", "query", "expected"),
    [
        ([(3, "division"), (4, "round")], ["lost", "bronco", "division", "round"], 3.0),
        ([(3, "round"), (4, "division")], ["division", "round"], 3.0),  # either order
        ([(3, "division"), (5, "round")], ["division", "round"], 0.0),  # a term between
        (
            [(0, "bronco"), (1, "round")],
            ["bronco", "division", "round"],
            0.0,
        ),  # not neighbours in the query
    ],
)
def test_phrase_score_counts_query_neighbours_that_are_text_neighbours(
    places: list[tuple[int, str]], query: list[str], expected: float
) -> None:
    assert phrase_score(places, query, IDF) == expected


def test_reorder_sorts_the_head_keeps_ties_and_the_tail() -> None:
    ranked = [("a", 10.0), ("b", 9.0), ("c", 8.0), ("d", 7.0)]
    bonus = {"a": 0.0, "b": 1.0, "c": 3.0, "d": 100.0}
    assert reorder(ranked, bonus.__getitem__, depth=3) == [
        ("c", 11.0),
        ("a", 10.0),  # tied with b: BM25's order
        ("b", 10.0),
        ("d", 7.0),  # beyond the depth: untouched
    ]


# BM25 puts first the short passage that has "lost" too, its words far apart; the answer, in a
# longer passage, holds the question's words together, as the question does.
FILLER = "snow wind cold winter ice hills pines river valley mountain lake village"
ABOUT = Document(
    "about", "Boise State", f"Broncos lost. {FILLER} division {FILLER} round.", "about.txt"
)
ANSWER = Document(
    "answer",
    "Playoffs",
    "The Broncos beat the Pittsburgh Steelers in the divisional round of the playoffs. "
    + " ".join([FILLER] * 3),
    "answer.txt",
)
OTHERS = [
    Document(f"other{n}", "Weather", f"Rain fell on day {n} and the rivers rose slowly.", "o.txt")
    for n in range(6)
]
QUESTION = "Who lost to the Broncos in the divisional round?"


def test_the_service_reorders_only_when_given_a_second_stage() -> None:
    plain = SearchService([ABOUT, ANSWER, *OTHERS])
    staged = SearchService([ABOUT, ANSWER, *OTHERS], second_stage=SECOND_STAGE)
    assert [h.passage.id for h in plain.search(QUESTION).hits] == ["about#1", "answer#1"]
    hits = staged.search(QUESTION).hits
    assert [h.passage.id for h in hits] == ["answer#1", "about#1"]
    assert hits[0].score > hits[1].score  # the scores shown are the ones ranked by
    assert [h.rank for h in hits] == [1, 2]


def test_pages_of_a_reordered_ranking_join_into_the_whole_ranking() -> None:
    service = SearchService.from_folder(SEED_DIR, second_stage=SecondStage(depth=3))
    question = "What does Russia plan to give North Korea?"
    whole = [h.passage.id for h in service.search(question, limit=6).hits]
    pages = [h.passage.id for o in range(0, 6, 2) for h in service.search(question, 2, o).hits]
    assert pages == whole and len(whole) == 3


def test_every_seed_question_is_answered_in_the_top_three_with_the_stage() -> None:
    service = SearchService.from_folder(SEED_DIR, second_stage=SECOND_STAGE)
    report = evaluate_qa(service, load_qa(DATA / "seed_qa.jsonl"))
    assert report.top3 == 1.0
    assert report.top1 >= 0.9


def test_rerank_setting_switches_the_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RERANK", raising=False)
    assert second_stage(Settings(_env_file=None)) is None  # type: ignore[call-arg]
    monkeypatch.setenv("RERANK", "true")
    assert second_stage(Settings(_env_file=None)) is SECOND_STAGE  # type: ignore[call-arg]
