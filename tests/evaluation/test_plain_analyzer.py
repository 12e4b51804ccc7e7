"""The plain per-language analyzer that ``eval qa --baseline`` measures the bot against."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.corpus.documents import Document
from bot.evaluation.plain_analyzer import PlainAnalyzer, plain_first_paragraphs, stemmer_name
from bot.evaluation.qa import QaCase, load_qa


@pytest.mark.parametrize(
    ("language", "text", "terms"),
    [
        ("en", "The Runners were RUNNING", ["the", "runner", "were", "run"]),  # no stop words
        ("de", "Die Häuser", ["die", "haus"]),
        ("english", "ﬁles", ["file"]),  # a PyStemmer name works too; NFKC splits the ligature
        ("vi", "Những cầu thủ", ["những", "cầu", "thủ"]),  # no stemmer: words as they are
        (None, "Cities", ["cities"]),
        ("zh", "黑豹队 NFL", ["黑豹", "豹队", "nfl"]),  # Chinese runs as overlapping pairs
        ("en", "2015年的NFL", ["2015", "年的", "nfl"]),  # in any language, other runs whole
        ("zh", "队", ["队"]),  # a run of one character stays itself
        # Thai too, in \w runs, which end at a vowel sign (a mark): "ทีมชาติ" is "ท", "มชาต"
        ("th", "ทีมชาติ", ["ท", "มช", "ชา", "าต"]),
    ],
)
def test_plain_terms(language: str | None, text: str, terms: list[str]) -> None:
    assert PlainAnalyzer(language).tokenize(text) == terms


@pytest.mark.parametrize(
    ("language", "name"),
    [("ru", "russian"), ("RU", "russian"), ("romanian", "romanian"), ("vi", None), ("xx", None)],
)
def test_stemmer_names(language: str, name: str | None) -> None:
    assert stemmer_name(language) == name


PARAGRAPHS = [
    Document("a", "Lions", "Lions hunt zebras on the savanna at night.", "a"),
    Document("b", "Harbours", "The harbour pilots guide ships in 1742.", "b"),
    # Okapi's idf is 0 for a term in half the paragraphs: a few more keep it positive.
    *(Document(f"c{n}", "Weather", f"Rain fell {n} times.", f"c{n}") for n in range(3)),
]


def test_answer_in_the_first_paragraph() -> None:
    cases = [
        QaCase("Who guides the ships?", "harbour pilots"),  # first paragraph holds it
        QaCase("When do lions hunt?", "in 1742"),  # first paragraph lacks it
        QaCase("Quantum chromodynamics?", "lions"),  # no term matches: no first paragraph
    ]
    assert plain_first_paragraphs(PARAGRAPHS, cases, "en") == [True, False, False]


def test_eval_qa_baseline_and_lang(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = [{"id": d.id, "title": d.title, "text": d.text} for d in PARAGRAPHS]
    (corpus / "p.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    qa = tmp_path / "qa.jsonl"
    lines = [
        {"question": "Who guides the ships?", "answer": "harbour pilots"},
        {"question": "When do lions hunt?", "answer": "at night", "lang": "fr"},
    ]
    qa.write_text("".join(json.dumps(line) + "\n" for line in lines))
    report = tmp_path / "qa.json"
    args = ["eval", "qa", str(qa), "--corpus", str(corpus), "--lang", "en", "--baseline"]
    assert main([*args, "--json", str(report)]) == 0
    out = capsys.readouterr().out
    assert "plain analyzer (en: NFKC/casefold/\\w+/english Snowball/Chinese and Thai" in out
    assert "answer in top-1 paragraph: 100.0%" in out
    payload = json.loads(report.read_text())
    assert payload["lang"] == "en"
    assert payload["baseline"]["answer_in_top1_passage"] == 1.0
    assert [case["lang"] for case in payload["cases"]] == ["en", "fr"]  # a line's own lang wins
    assert [case["top_passage_id"] for case in payload["cases"]] == ["p/b#1", "p/a#1"]


@pytest.mark.parametrize("lang", ['""', "3", "null"])
def test_a_lang_that_is_not_a_code_is_refused(tmp_path: Path, lang: str) -> None:
    qa = tmp_path / "qa.jsonl"
    qa.write_text(f'{{"question": "q", "answer": "a", "lang": {lang}}}\n')
    if lang == "null":  # as good as no lang
        assert load_qa(qa, "de") == [QaCase("q", "a", "de")]
        return
    with pytest.raises(ValueError, match=r"qa.jsonl:1: lang must be a language code"):
        load_qa(qa)
