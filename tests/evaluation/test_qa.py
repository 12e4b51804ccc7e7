"""``eval qa`` separates "the answer was not found" from "found, but not quoted"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.corpus.documents import Document
from bot.evaluation.qa import QaCase, evaluate_qa
from bot.search.service import SearchService

# One long passage: the quoted sentences are the ones about the harbour, while the founding
# year sits sentences away from them, so the passage holds it and the snippet does not.
HARBOUR = " ".join(
    [
        "The harbour of Port Elmwood is deep and sheltered, and the harbour pilots guide ships in.",
        *(
            f"Filler sentence number {n} talks about weather and tides at length."
            for n in range(12)
        ),
        "The town was founded in 1742 by fishermen.",
    ]
)
CASES = [
    QaCase("Which pilots guide ships into the harbour?", "harbour pilots"),  # quoted
    QaCase("Who guides ships in the harbour of Port Elmwood?", "1742"),  # found, not quoted
    QaCase("What colour are the boats of the harbour pilots?", "bright red"),  # not found at all
]


@pytest.fixture(scope="module")
def harbour_service() -> SearchService:
    return SearchService([Document("harbour", "Port Elmwood", HARBOUR, "harbour.txt")])


def test_passage_and_snippet_rates_are_told_apart(harbour_service: SearchService) -> None:
    report = evaluate_qa(harbour_service, CASES)
    assert [(o.rank, o.passage_rank) for o in report.outcomes] == [(1, 1), (None, 1), (None, None)]
    assert report.top1_passage == report.top3_passage == pytest.approx(2 / 3)
    assert report.top1 == report.top3 == pytest.approx(1 / 3)
    assert [o.miss() for o in report.outcomes] == [
        None,
        "not quoted: in the first passage, not in its snippet",
        "not found: not in the first passage",
    ]


def test_json_report_has_passage_fields_overall_and_per_case(
    harbour_service: SearchService,
) -> None:
    payload = evaluate_qa(harbour_service, CASES).as_dict()
    assert payload["answer_in_top1_passage"] == payload["answer_in_top3_passage"] == 0.6667
    assert payload["answer_in_top1_snippet"] == 0.3333
    assert isinstance(payload["median_snippet_chars"], float | int)
    cases = payload["cases"]
    assert isinstance(cases, list)
    quoted, not_quoted, not_found = cases
    assert not_quoted["answer_in_top1_passage"] and not not_quoted["answer_in_top1_snippet"]
    assert not_quoted["passage_rank"] == 1 and not_quoted["rank"] is None
    assert not any(
        not_found[f"answer_in_top{k}_{what}"] for k in (1, 3) for what in ("snippet", "passage")
    )
    assert quoted["answer_in_top1_snippet"] and quoted["answer_in_top3_passage"]


def test_show_misses_marks_which_stage_failed(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "harbour.txt").write_text(HARBOUR, encoding="utf-8")
    qa = tmp_path / "qa.jsonl"
    qa.write_text(
        "".join(json.dumps({"question": c.question, "answer": c.answer}) + "\n" for c in CASES)
    )
    report = tmp_path / "qa.json"
    args = ["eval", "qa", str(qa), "--corpus", str(corpus), "--show-misses", "--json", str(report)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "answer in top-1 passage:  66.7%" in out and "answer in top-1 snippet:  33.3%" in out
    assert "[not quoted: in the first passage, not in its snippet] 'Who guides ships" in out
    assert "[not found: not in the first passage] 'What colour" in out
    assert "Which pilots" not in out
    assert json.loads(report.read_text())["answer_in_top3_passage"] == 0.6667


def test_an_answer_typed_composed_is_found_in_the_loaded_text(tmp_path: Path) -> None:
    # The loader stores text in NFC, where Hindi's "ड़" (U+095C) is "ड" + nukta (U+093C); XQuAD's
    # answers are typed with U+095C.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = "टीम के लिए ल\u095cने वाले खिला\u095cी ने 118 टैकल किए। " * 3
    (corpus / "hindi.txt").write_text(text, encoding="utf-8")
    service = SearchService.from_folder(corpus)
    assert "\u095c" not in service.documents[0].text  # the corpus is stored decomposed
    report = evaluate_qa(service, [QaCase("टैकल किए", "ल\u095cने वाले")])
    assert [(o.rank, o.passage_rank) for o in report.outcomes] == [(1, 1)]
