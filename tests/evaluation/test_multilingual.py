"""Answers in 12 languages: a fast guard on the XQuAD slice, and the table's script.

``tests/data/xquad-slice/`` is 10 paragraphs of XQuAD's dev half in 12 languages with their 58
questions (``scripts/make_xquad_slice.py``). docs/quality.md ("Answers in 12 languages") has the
full dev-half table, made by ``scripts/multilingual_eval.py``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from bot.corpus import load_corpus
from bot.evaluation.qa import evaluate_qa, load_qa
from bot.search.service import SearchService

ROOT = Path(__file__).parents[2]
SLICE = ROOT / "tests" / "data" / "xquad-slice"
SCRIPT = ROOT / "scripts" / "multilingual_eval.py"
LANGUAGES = ("en", "es", "de", "el", "ru", "tr", "ar", "vi", "th", "zh", "hi", "ro")

# Measured with the defaults on the English slice: the answer is in the first passage for 54 of
# the 58 questions (93.1 %) and in the first snippet for 49 (84.5 %); the plain analyzer finds
# it in the first paragraph for 55 (94.8 %). One question fewer fails either floor.
EN_PASSAGE_FLOOR = 0.93
EN_SNIPPET_FLOOR = 0.84


# Measured with the language-aware defaults: of the 58 questions, how many have their answer in
# the first passage when asked of their own language's 10 paragraphs.
PASSAGE_FLOORS = {
    **{"en": 54, "es": 50, "de": 53, "el": 57, "ru": 53, "tr": 56},
    **{"ar": 54, "vi": 51, "th": 57, "zh": 54, "hi": 53, "ro": 56},
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_language_finds_its_answers_in_its_own_paragraphs(lang: str) -> None:
    service = SearchService.from_folder(SLICE / lang / "corpus")
    report = evaluate_qa(service, load_qa(SLICE / lang / "qa.jsonl", lang))
    found = sum(o.passage_rank == 1 for o in report.outcomes)
    assert found >= PASSAGE_FLOORS[lang], [
        o.case.question for o in report.outcomes if o.passage_rank != 1
    ]


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("multilingual_eval", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_english_slice_stays_above_its_floor() -> None:
    service = SearchService.from_folder(SLICE / "en" / "corpus")
    report = evaluate_qa(service, load_qa(SLICE / "en" / "qa.jsonl", "en"))
    assert len(report.outcomes) == 58
    misses = [o.case.question for o in report.outcomes if o.passage_rank != 1]
    assert report.top1_passage >= EN_PASSAGE_FLOOR, misses
    assert report.top1 >= EN_SNIPPET_FLOOR, [
        o.case.question for o in report.outcomes if o.rank != 1
    ]


def test_every_language_of_the_slice_has_the_same_questions() -> None:
    counts = {lang: len(load_qa(SLICE / lang / "qa.jsonl")) for lang in LANGUAGES}
    assert set(counts.values()) == {58}, counts
    assert (SLICE / "LICENSE-CC-BY-SA-4.0.txt").is_file()


def test_the_script_measures_each_language_and_the_mixed_corpus(
    script: ModuleType, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the working tree; the index cache goes here
    work, report = tmp_path / "mixed", tmp_path / "report.json"
    languages = ("en", "de", "hi", "zh")  # four scripts, a quarter of the time of all twelve
    args = [str(SLICE), "--langs", ",".join(languages), "--work-dir", str(work)]
    assert script.main([*args, "--json", str(report)]) == 0
    table = capsys.readouterr().out
    rows = table.strip().splitlines()
    assert len(rows) == 2 + len(languages) + 2  # header, rule, a row a language, mean, mixed
    assert all(row.startswith("|") and row.endswith("|") for row in rows)
    payload = json.loads(report.read_text())
    assert list(payload["languages"]) == list(languages)
    english = payload["languages"]["en"]
    assert english["alone"]["questions"] == english["mixed"]["questions"] == 58
    assert english["alone"]["passage"] >= EN_PASSAGE_FLOOR
    assert english["plain_passage"] == pytest.approx(55 / 58)
    assert payload["mixed"]["all"]["questions"] == len(languages) * 58
    # Every language's paragraphs in one folder: the shared paragraph ids ("0-0") never collide.
    documents = load_corpus(work / "corpus").documents
    assert len({d.id for d in documents}) == len(documents) == len(languages) * 10
    mixed_questions = load_qa(work / "qa.jsonl")
    assert [c.lang for c in mixed_questions] == [lang for lang in languages for _ in range(58)]
    # A rerun rewrites nothing, so the mixed corpus's cached index stays valid.
    stamps = {path: path.stat().st_mtime_ns for path in work.rglob("*.jsonl")}
    script.write_mixed(SLICE, languages, work)
    assert {path: path.stat().st_mtime_ns for path in work.rglob("*.jsonl")} == stamps


@pytest.mark.parametrize(
    ("lang", "passage", "snippet", "plain", "verdict"),
    [
        ("en", 0.90, 0.85, 0.90, "pass"),  # at the bar, snippet within 5 points
        ("en", 0.95, 0.85, 0.90, "pass"),
        ("en", 0.89, 0.85, 0.90, "fail: passage -1.0"),
        ("en", 0.90, 0.84, 0.90, "fail: snippet -1.0"),
        ("zh", 0.10, 0.10, 0.92, "fail: passage -82.0, snippet -77.0"),
        ("hi", 0.80, 0.75, 0.70, "pass"),  # Hindi: the bar is the bot's own rate before, 79.7 %
        ("hi", 0.75, 0.75, 0.70, "fail: passage -4.7"),
    ],
)
def test_verdicts(
    script: ModuleType, lang: str, passage: float, snippet: float, plain: float, verdict: str
) -> None:
    result = script.LanguageResult(lang, script.Rates(612, passage, snippet), plain)
    assert result.verdict() == verdict
    assert result.passes == (verdict == "pass")


@pytest.mark.parametrize(
    ("passage", "snippet", "passes"),
    [(0.78, 0.58, True), (0.779, 0.6, False), (0.8, 0.579, False)],
)
def test_mixed_verdict(script: ModuleType, passage: float, snippet: float, passes: bool) -> None:
    mixed = script.MixedResult(script.Rates(7344, passage, snippet), 0.80, 0.60)
    assert mixed.passes == passes
