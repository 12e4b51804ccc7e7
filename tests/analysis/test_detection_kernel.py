"""The compiled language decision answers only what py3langid itself answers, on real text of
many languages; otherwise it leaves the decision to py3langid."""

from __future__ import annotations

import json

import pytest

from bot.analysis import detection
from bot.analysis.languages import (
    detect_document_language,
    detect_language,
    supported_languages,
)
from tests.conftest import DATA

pytest.importorskip("numba")

LANGUAGES = supported_languages()
SAMPLES = [
    json.loads(line)["text"]
    for line in DATA.joinpath("language_samples.jsonl").read_text(encoding="utf-8").splitlines()
]
PARAGRAPHS = [
    json.loads(line)["text"]
    for path in sorted(DATA.joinpath("xquad-slice").rglob("*.jsonl"))
    for line in path.read_text(encoding="utf-8").splitlines()
    if line.strip() and "text" in json.loads(line)
]
# Texts the model finds close between languages, or folds two columns of into one (Serbian in
# Latin and Cyrillic letters), or finds nothing in.
HARD = [
    "Dobar dan, kako ste danas? Ovo je rečenica na srpskom jeziku.",
    "Добар дан, како сте данас? Ово је реченица на српском језику.",
    "Jeg har en hund og en katt hjemme i byen.",
    "Eu tenho um cão e um gato em casa na cidade.",
    "Ik heb een hond en een kat thuis in de stad.",
    "!!!! ???? 1234 5678 ---- ____ ~~~~ ===== +++++",
    "HELLO WORLD THIS IS SHOUTED TEXT",
    "Café crème brûlée naïve façade résumé",
]


def model_best(text: str) -> str:
    """py3langid's own first language for ``text``."""
    return str(detection._identifier(LANGUAGES).rank(text)[0][0])


def test_the_compiled_decision_is_there() -> None:
    assert detection._compiled(LANGUAGES) is not None


@pytest.mark.parametrize("text", [*SAMPLES, *PARAGRAPHS, *HARD])
def test_the_compiled_decision_is_py3langids_or_none(text: str) -> None:
    compiled = detection._compiled(LANGUAGES)
    assert compiled is not None
    best = compiled.best(text)
    assert best is None or best == model_best(text)


def test_the_compiled_decision_answers_almost_every_paragraph() -> None:
    compiled = detection._compiled(LANGUAGES)
    assert compiled is not None
    answered = [text for text in PARAGRAPHS if compiled.best(text) is not None]
    assert len(PARAGRAPHS) >= 20
    assert len(answered) >= 0.9 * len(PARAGRAPHS)


@pytest.mark.parametrize("text", [*SAMPLES, *PARAGRAPHS, *HARD])
def test_a_documents_language_is_the_same_with_and_without_the_compiled_decision(
    text: str,
) -> None:
    assert detect_document_language(text) == detect_language(text)


@pytest.mark.parametrize(
    "text", ["plain ASCII words", "Café naïve", "Ελληνικά και English", "北京 Beijing", "", "123"]
)
def test_letters_are_counted_as_one_by_one(text: str) -> None:
    count, letters = detection._letter_counts(text)
    assert count == sum(char.isalpha() for char in text)
    expected: dict[str, int] = {}
    for char in text:
        if char.isalpha() and not char.isascii():
            expected[char] = expected.get(char, 0) + 1
    assert letters == expected
    assert list(letters) == list(expected)
