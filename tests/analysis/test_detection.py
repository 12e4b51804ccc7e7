"""The language of a question: from its text, the member's locale deciding when the text cannot.

``tests/data/language_samples.jsonl`` holds five questions in each of XQuAD's 12 languages
(XQuAD, Artetxe et al. 2020, CC BY-SA 4.0).
"""

from __future__ import annotations

import json

import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from bot.analysis.detection import _identifier_unpacked_in_memory
from bot.analysis.languages import detect_language, supported_languages
from tests.conftest import DATA

SAMPLES = [
    json.loads(line)
    for line in DATA.joinpath("language_samples.jsonl").read_text(encoding="utf-8").splitlines()
]
XQUAD_LANGUAGES = ["ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh"]


def test_the_samples_cover_every_xquad_language() -> None:
    assert sorted({sample["language"] for sample in SAMPLES}) == XQUAD_LANGUAGES
    assert set(XQUAD_LANGUAGES) <= supported_languages()


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda sample: sample["language"])
def test_a_question_tells_its_language(sample: dict[str, str]) -> None:
    assert detect_language(sample["text"]) == sample["language"]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda sample: sample["language"])
def test_a_question_long_enough_to_tell_overrides_a_wrong_locale(sample: dict[str, str]) -> None:
    wrong = "de" if sample["language"] == "en" else "en"
    assert detect_language(sample["text"], hint=wrong) == sample["language"]


@pytest.mark.parametrize(
    ("text", "hint", "language"),
    [
        # Too short to tell: the member's locale decides, by its language part.
        ("Hola", "es-ES", "es"),
        ("Danke", "de", "de"),
        ("ok", "pt-BR", "pt"),
        ("Wer gewann?", "en-US", "en"),
        # Nothing tells: English.
        ("Hola", None, "en"),
        ("", None, "en"),
        ("?? 42", None, "en"),
        ("", "fr", "fr"),
        # A script only one language writes decides, whatever the locale says.
        ("서울", "en-US", "ko"),
        ("ภาษาไทย", "en-US", "th"),
        ("Αθήνα", "en-US", "el"),
        ("東京タワー", None, "ja"),
        # Chinese characters alone: Chinese, or Japanese for a Japanese member.
        ("東京", None, "zh"),
        ("東京", "ja", "ja"),
        ("Super Bowl 50 在哪里举行？", None, "zh"),
        ("What does 北京 mean in English?", None, "en"),
        # A locale the text cannot be in does not decide: Hindi stays Hindi.
        ("दिल्ली कहाँ है", "en-GB", "hi"),
        # A locale we have no analysis for does not decide either.
        ("Где находится Москва?", "uk", "ru"),
    ],
)
def test_the_locale_decides_only_what_the_text_leaves_open(
    text: str, hint: str | None, language: str
) -> None:
    assert detect_language(text, hint) == language


def test_the_model_unpacked_in_memory_is_the_one_py3langid_unpacks_through_a_file() -> None:
    # The fallback for a full or read-only temporary folder must answer exactly as before.
    through_file = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    in_memory = _identifier_unpacked_in_memory()
    for sample in SAMPLES:
        assert in_memory.rank(sample["text"]) == through_file.rank(sample["text"])
