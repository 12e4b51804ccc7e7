"""Ranking-quality guards that run in seconds: a SciFact slice and the seed QA set.

The floors sit just under what the defaults measure (docs/quality.md), so a change that makes
ranking worse fails here rather than in a Discord channel.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.analysis.analyzer import TITLE_WEIGHT, passage_terms, title_weight, tokenize
from bot.cli import main
from bot.config import Settings
from bot.evaluation.beir import load_beir
from bot.evaluation.metrics import evaluate
from bot.evaluation.qa import evaluate_qa, load_qa
from bot.evaluation.ranking import DocumentRanker, RankingSettings
from bot.search.service import SearchService

DATA = Path(__file__).parents[1] / "data"
SLICE = DATA / "scifact-slice"
SEED_QA = DATA / "seed_qa.jsonl"

# Measured with the defaults: 0.7742 nDCG@10, 0.9650 Recall@100, 0.7245 MRR@10 (the rank-bm25
# baseline: 0.7662 / 0.9650 / 0.7158), by `corpusbot eval beir tests/data/scifact-slice --baseline`.
NDCG_FLOOR = 0.77
RECALL_FLOOR = 0.95


@pytest.fixture(scope="module")
def scifact_slice():  # type: ignore[no-untyped-def]
    return load_beir(SLICE, "train")


def test_ranking_defaults_are_the_bots_defaults() -> None:
    fields = Settings.model_fields
    defaults = RankingSettings()
    assert defaults.k1 == fields["bm25_k1"].default and defaults.b == fields["bm25_b"].default
    assert defaults.min_words == fields["passage_min_words"].default
    assert defaults.max_words == fields["passage_max_words"].default
    assert defaults.title_weight == TITLE_WEIGHT


def test_scifact_slice_stays_above_its_floor(scifact_slice) -> None:
    ranker = DocumentRanker(scifact_slice.documents, RankingSettings())
    run = {qid: ranker.rank(text) for qid, text in scifact_slice.queries.items()}
    scores = evaluate(run, scifact_slice.qrels)
    assert scores.queries == 100
    assert scores.ndcg_at_10 >= NDCG_FLOOR, scores
    assert scores.recall_at_100 >= RECALL_FLOOR, scores


def test_title_weighting_helps_on_the_slice(scifact_slice) -> None:
    def ndcg(weight: int) -> float:
        ranker = DocumentRanker(scifact_slice.documents, RankingSettings(title_weight=weight))
        run = {qid: ranker.rank(text) for qid, text in scifact_slice.queries.items()}
        return evaluate(run, scifact_slice.qrels).ndcg_at_10

    assert ndcg(TITLE_WEIGHT) > ndcg(0)


def test_seed_answers_are_in_the_top_snippet(seed_service: SearchService) -> None:
    cases = load_qa(SEED_QA)
    report = evaluate_qa(seed_service, cases)
    assert len(cases) >= 15
    assert report.top1 >= 0.9, [o.case.question for o in report.outcomes if o.rank != 1]
    assert report.top3 == 1.0


@pytest.mark.parametrize(
    ("title", "text", "weight"),
    [
        ("Heart disease in mice", "Alterations of the heart were measured.", TITLE_WEIGHT),
        ("Blinken warns Russia", "Blinken warns Russia. More text follows.", 0),
        ("Secretary of State Antony Blinken has…", "Secretary of State Antony Blinken has said", 0),
        ("", "Some text.", 0),
    ],
)
def test_only_a_title_of_its_own_is_weighted(title: str, text: str, weight: int) -> None:
    assert title_weight(title, text) == weight


def test_passage_terms_repeat_the_title() -> None:
    assert passage_terms("Mice", "hearts", 2) == tokenize("mice mice hearts")
    assert passage_terms("Mice", "hearts") == tokenize("hearts")


def test_eval_commands_print_tables_and_write_json(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    report = tmp_path / "beir.json"
    assert main(["eval", "beir", str(SLICE), "--split", "train", "--json", str(report)]) == 0
    assert "nDCG@10" in capsys.readouterr().out
    payload = json.loads(report.read_text())
    assert payload["queries"] == 100 and payload["settings"]["title_weight"] == TITLE_WEIGHT
    [scores] = payload["results"].values()
    assert scores["ndcg@10"] >= NDCG_FLOOR and scores["queries_per_second"] > 0

    qa = tmp_path / "qa.json"
    corpus = ["--corpus", str(DATA / "seed")]
    assert main(["eval", "qa", str(SEED_QA), *corpus, "--json", str(qa)]) == 0
    assert "answer in top-1 snippet" in capsys.readouterr().out
    assert json.loads(qa.read_text())["answer_in_top1_snippet"] >= 0.9
