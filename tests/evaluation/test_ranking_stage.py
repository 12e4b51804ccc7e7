"""``eval beir`` and ``eval qa`` rank as the bot does: with the second stage when RERANK is on."""

from __future__ import annotations

import argparse

import pytest

from bot.config import Settings
from bot.evaluation.cli import ranking_settings
from bot.evaluation.ranking import DocumentRanker, RankingSettings
from bot.search.rerank import SECOND_STAGE
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
