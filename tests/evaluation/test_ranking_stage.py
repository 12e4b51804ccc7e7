"""``eval beir`` and ``eval qa`` rank as the bot does: with the second stage when RERANK is on."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import pytest

from bot.analysis.analyzer import tokenize
from bot.analysis.matching import find_terms
from bot.config import Settings
from bot.evaluation.cli import ranking_settings
from bot.evaluation.ranking import DocumentRanker, RankingSettings
from bot.search.rerank import SECOND_STAGE, SecondStage
from tests.search.test_rerank import ABOUT, ANSWER, OTHERS, QUESTION

NO_FLAGS = argparse.Namespace(
    k1=None, b=None, min_words=None, max_words=None, title_weight=2, rest_weight=0.0, rm3=None
)


def test_document_ranking_applies_the_second_stage_it_is_given() -> None:
    documents = [ABOUT, ANSWER, *OTHERS]
    plain = DocumentRanker(documents, RankingSettings()).rank(QUESTION)
    staged = DocumentRanker(documents, RankingSettings(second_stage=SECOND_STAGE)).rank(QUESTION)
    assert max(plain, key=plain.__getitem__) == "about"
    assert max(staged, key=staged.__getitem__) == "answer"


def test_eval_beir_follows_the_rerank_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RERANK", raising=False)
    assert ranking_settings(NO_FLAGS, Settings(_env_file=None)).second_stage is None  # type: ignore[call-arg]
    monkeypatch.setenv("RERANK", "true")
    chosen = ranking_settings(NO_FLAGS, Settings(_env_file=None))  # type: ignore[call-arg]
    assert chosen.second_stage is SECOND_STAGE
    assert "rerank top 50" in chosen.describe()


def test_the_sweep_script_scores_as_the_stage_does() -> None:
    """docs/quality.md's table of the kept family comes from scripts/second_stage_sweep.py,
    which caches matches: its bonus must be the bot's."""
    script = Path(__file__).parents[2] / "scripts" / "second_stage_sweep.py"
    spec = importlib.util.spec_from_file_location("second_stage_sweep", script)
    assert spec and spec.loader
    sweep = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = sweep  # dataclasses look their module up by name
    spec.loader.exec_module(sweep)
    terms = tuple(dict.fromkeys(tokenize(QUESTION)))
    idf = dict.fromkeys(terms, 2.0) | {"bronco": 5.0}
    query = sweep.Query(terms, idf, ())
    for document in (ABOUT, ANSWER):
        matches = tuple(find_terms(document.text, frozenset(terms)))
        candidate = sweep.Candidate(0, 1.0, document.text, matches)
        for stage in (SECOND_STAGE, SecondStage(window=8, window_weight=1.0, phrase_weight=0.1)):
            assert sweep.bonus(stage, query, candidate) == stage.bonus(document.text, terms, idf)
