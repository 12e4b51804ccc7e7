"""The language of a question: from its text, the member's locale deciding when the text cannot.

``tests/data/language_samples.jsonl`` holds five questions in each of XQuAD's 12 languages
(XQuAD, Artetxe et al. 2020, CC BY-SA 4.0).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from bot.analysis.detection import TABLES, identifier_of, kernel_tables
from bot.analysis.kept_arrays import kept_arrays
from bot.analysis.languages import detect_language, supported_languages
from bot.analysis.model_file import model_arrays
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
        # Letters count wherever they are, past a long run of other characters too.
        ("-" * 70 + " Where is the orchestra playing tonight?", "de", "en"),
        ("a" + "1" * 70 + " Where is the orchestra playing tonight?", "de", "en"),
    ],
)
def test_the_locale_decides_only_what_the_text_leaves_open(
    text: str, hint: str | None, language: str
) -> None:
    assert detect_language(text, hint) == language


def test_the_model_kept_to_our_languages_is_the_one_py3langid_keeps(tmp_path: Path) -> None:
    through_py3langid = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    through_py3langid.set_languages(sorted(supported_languages() & set(through_py3langid.labels)))
    derived = identifier_of(model_arrays(supported_languages(), tmp_path))  # and kept
    (kept,) = tmp_path.iterdir()
    assert kept.name.startswith("py3langid-model-")
    read = identifier_of(model_arrays(supported_languages(), tmp_path))
    assert list(tmp_path.iterdir()) == [kept]
    assert read.nb_classes == through_py3langid.nb_classes
    for sample in SAMPLES:
        expected = through_py3langid.rank(sample["text"])
        assert derived.rank(sample["text"]) == expected
        assert read.rank(sample["text"]) == expected


def test_the_model_kept_by_an_older_version_is_removed(tmp_path: Path) -> None:
    # What versions before the kept sets left: py3langid's whole model unpacked.
    older = tmp_path / "py3langid-model-0.3.0-1-1.npz"
    older.write_bytes(b"an older model")
    model_arrays(supported_languages(), tmp_path)
    assert not older.exists()
    assert len(list(tmp_path.iterdir())) == 1


def test_the_detector_s_tables_are_kept_as_derived(tmp_path: Path) -> None:
    arrays = model_arrays(supported_languages(), tmp_path)
    derived = kernel_tables(arrays)
    kept = kept_arrays("langid-tables", "test", TABLES, lambda: derived, tmp_path)
    read = kept_arrays("langid-tables", "test", TABLES, lambda: {}, tmp_path)
    for name in TABLES:
        assert read[name].dtype == derived[name].dtype, name
        assert np.array_equal(read[name], derived[name]), name
        assert read[name].flags.c_contiguous and read[name].flags.writeable, name
    assert kept is not read
