"""The compiled language decision answers only what py3langid itself answers, on real text of
many languages; otherwise it leaves the decision to py3langid."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bot.analysis import detection
from bot.analysis.languages import (
    detect_document_languages,
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
# Latin and Cyrillic letters), or finds nothing in, or finds one feature in hundreds of times.
HARD = [
    "Dobar dan, kako ste danas? Ovo je rečenica na srpskom jeziku.",
    "Добар дан, како сте данас? Ово је реченица на српском језику.",
    "Jeg har en hund og en katt hjemme i byen.",
    "Eu tenho um cão e um gato em casa na cidade.",
    "Ik heb een hond en een kat thuis in de stad.",
    "!!!! ???? 1234 5678 ---- ____ ~~~~ ===== +++++",
    "HELLO WORLD THIS IS SHOUTED TEXT",
    "Café crème brûlée naïve façade résumé",
    # Features that occur hundreds of times, past the kernel's table of logarithms.
    "the " * 300,
    "der " * 300 + "The quick brown fox jumps over the lazy dog and runs away.",
]


@pytest.fixture(autouse=True)
def compiled_loaded() -> None:
    """The kernel loaded, so every batch below goes through it whatever its size."""
    detection.load_compiled(LANGUAGES)


def model_best(text: str) -> str:
    """py3langid's own first language for ``text``."""
    return str(detection._identifier(LANGUAGES).rank(text)[0][0])


def test_the_compiled_decision_is_there() -> None:
    assert detection._compiled(LANGUAGES) is not None


@pytest.mark.parametrize("text", [*SAMPLES, *PARAGRAPHS, *HARD])
def test_the_compiled_decision_is_py3langids_or_none(text: str) -> None:
    compiled = detection._compiled(LANGUAGES)
    assert compiled is not None
    best = compiled.best_of([text])[0]
    assert best is None or best == model_best(text)


def test_the_compiled_decision_answers_almost_every_paragraph() -> None:
    compiled = detection._compiled(LANGUAGES)
    assert compiled is not None
    answered = [text for text in PARAGRAPHS if compiled.best_of([text])[0] is not None]
    assert len(PARAGRAPHS) >= 20
    assert len(answered) >= 0.9 * len(PARAGRAPHS)


@pytest.mark.parametrize("text", [*SAMPLES, *PARAGRAPHS, *HARD])
def test_a_documents_language_is_the_same_with_and_without_the_compiled_decision(
    text: str,
) -> None:
    assert detect_document_languages([text]) == [detect_language(text)]


# Hostile and mixed input for the batch: empty, control characters, a lone surrogate,
# mixed scripts, upper case (py3langid lowers it), combining marks (NFC), long texts cut at
# DETECTION_CHARS, bytes the automaton sees at the end of one text and the start of the next.
HOSTILE = [
    "",
    " ",
    "\x00\x01\x02\x1b[0m\x7f",
    "a",
    "ab" * 3000,
    "Ünïcödé ÜBER ALLES IN GROSSBUCHSTABEN",
    "Cafe\u0301 cre\u0300me bru\u0302le\u0301e na\u0131ve",
    "What does 北京 mean? It is the capital of China, 北京是中国的首都。",
    "Super Bowl 50 在哪里举行？",
    "東京は日本の首都です。カタカナ",
    "서울은 한국의 수도입니다",
    "Москва — столица России. Moscow is the capital of Russia.",
    "مرحبا بالعالم hello world שלום עולם",
    "😀🎉🔥 emoji only and a few words 🤖",
    "\ufeff\u200b\u200d zero width and byte order marks in front of English words",
    "Tab\tseparated\tvalues\nand\r\nnew lines\x0cform feed",
    "x" * 5000 + "ß",
    "Ελληνικά " * 500,
    "\U0001d400\U0001d401 mathematical letters outside the basic plane",
    "a lone surrogate \ud800 in English words",
]


def uncompiled(text: str) -> str:
    """The question path's answer: py3langid alone, no hint."""
    return detection.detect_with(text, None, LANGUAGES)


def test_the_batch_answers_as_one_text_at_a_time() -> None:
    texts = [*SAMPLES, *PARAGRAPHS, *HARD, *HOSTILE]
    assert detection.detect_documents(texts, LANGUAGES) == [uncompiled(t) for t in texts]


@pytest.mark.parametrize("size", [0, 1, 2, 7, 8, 9, 17])
def test_a_batch_of_any_size_answers_each_text(size: int) -> None:
    # Batches around the kernel's lanes: texts of different lengths walked side by side.
    texts = [PARAGRAPHS[i % len(PARAGRAPHS)][: 50 + 97 * i] for i in range(size)]
    assert detection.detect_documents(texts, LANGUAGES) == [uncompiled(t) for t in texts]


def test_a_few_documents_are_detected_without_loading_the_kernel() -> None:
    detection.unload_compiled()
    texts = [*SAMPLES, *HOSTILE]
    assert sum(map(len, texts)) < detection.COMPILED_FROM_CHARS
    assert detection.detect_documents(texts, LANGUAGES) == [uncompiled(t) for t in texts]
    assert not detection.is_compiled(LANGUAGES)


def test_enough_text_loads_the_kernel_and_later_batches_use_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    detection.unload_compiled()
    monkeypatch.setattr(detection, "COMPILED_FROM_CHARS", 1_000)
    assert detection.detect_documents(PARAGRAPHS, LANGUAGES) == [uncompiled(t) for t in PARAGRAPHS]
    assert detection.is_compiled(LANGUAGES)
    calls: list[int] = []
    model = detection._compiled(LANGUAGES)
    assert model is not None
    monkeypatch.setattr(
        model, "best_of", lambda texts: calls.append(len(texts)) or [None] * len(texts)
    )
    texts = SAMPLES[:3]
    assert detection.detect_documents(texts, LANGUAGES) == [uncompiled(t) for t in texts]
    assert calls == [3]


def test_the_batch_answers_the_same_without_numba(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detection, "_compiled", lambda languages: None)
    texts = [*HARD, *HOSTILE]
    assert detection.detect_documents(texts, LANGUAGES) == [uncompiled(t) for t in texts]


@pytest.mark.parametrize(
    "text",
    [
        "plain ASCII words",
        "Café naïve",
        "Ελληνικά και English",
        "北京 Beijing",
        "123",
        *HOSTILE,
        *PARAGRAPHS,
    ],
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


@pytest.mark.parametrize(
    ("found", "distinct"),
    [
        ([-1, 5, 3, -1, 5, 7, -1], [5, 3, 7]),
        ([4, 4, 2], [4, 2]),
        ([-1, -1], []),
        ([6, -1], [6]),
    ],
)
def test_counting_leaves_out_the_bytes_that_end_no_feature(
    found: list[int], distinct: list[int]
) -> None:
    """What the decision is summed from: each feature's count, the features in order of first
    occurrence, and the count of bytes that end none (the last) zeroed again for the next text.
    """
    from bot.analysis.detection_kernel import _count

    counts = np.zeros(9, dtype=np.int32)
    touched = np.full(len(found), -2, dtype=np.int64)
    size = _count(np.array(found, dtype=np.int32), counts, touched)
    assert touched[:size].tolist() == distinct
    expected = np.zeros(9, dtype=np.int32)
    for feature in found:
        if feature >= 0:
            expected[feature] += 1
    assert counts.tolist() == expected.tolist()
