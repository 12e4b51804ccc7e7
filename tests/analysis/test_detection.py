"""The language of a question: from its text, the member's locale deciding when the text cannot.

``tests/data/language_samples.jsonl`` holds five questions in each of XQuAD's 12 languages
(XQuAD, Artetxe et al. 2020, CC BY-SA 4.0).
"""

from __future__ import annotations

import errno
import json
from pathlib import Path

import numpy as np
import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from bot.analysis import model_file
from bot.analysis.detection import identifier_of
from bot.analysis.languages import detect_language, supported_languages
from bot.analysis.model_file import ARRAYS, model_arrays
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


def test_the_model_read_unpacked_is_the_one_py3langid_loads(tmp_path: Path) -> None:
    through_py3langid = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    unpacking = identifier_of(model_arrays(tmp_path))  # writes the unpacked file
    (written,) = tmp_path.glob("py3langid-model-*.npz")
    reading = identifier_of(model_arrays(tmp_path))
    assert list(tmp_path.iterdir()) == [written]
    for sample in SAMPLES:
        expected = through_py3langid.rank(sample["text"])
        assert unpacking.rank(sample["text"]) == expected
        assert reading.rank(sample["text"]) == expected


def test_a_damaged_unpacked_model_is_written_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model_arrays(tmp_path)
    (written,) = tmp_path.glob("py3langid-model-*.npz")
    whole = written.read_bytes()
    written.write_bytes(whole[: len(whole) // 2])  # a disk that filled up, say
    arrays = model_arrays(tmp_path)
    assert written.read_bytes() == whole
    assert "damaged" in caplog.text
    assert sorted(arrays) == sorted(ARRAYS)


def test_a_folder_that_cannot_be_written_unpacks_the_model_in_memory(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    arrays = model_arrays(blocked / "cache")
    assert sorted(arrays) == sorted(ARRAYS)
    assert blocked.read_text() == "not a folder"


def test_an_unpacked_model_of_another_version_is_removed(tmp_path: Path) -> None:
    older = tmp_path / "py3langid-model-0.3.0-1-1.npz"
    older.write_bytes(b"an older model")
    model_arrays(tmp_path)
    assert not older.exists()
    assert len(list(tmp_path.glob("py3langid-model-*.npz"))) == 1


def test_an_unpacked_model_this_user_may_not_read_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_arrays(tmp_path)
    (written,) = tmp_path.glob("py3langid-model-*.npz")
    load = np.load

    def refused(source: object, **options: object) -> object:
        if isinstance(source, Path):  # another user's file, which root alone can read here
            raise PermissionError(13, "Permission denied", str(source))
        return load(source, **options)  # type: ignore[call-overload]

    monkeypatch.setattr(model_file.np, "load", refused)
    assert sorted(model_arrays(tmp_path)) == sorted(ARRAYS)
    assert written.exists()


def test_a_disk_that_fills_while_unpacking_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_: object, **__: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(model_file.shutil, "copyfileobj", full)
    assert sorted(model_arrays(tmp_path)) == sorted(ARRAYS)
    assert list(tmp_path.iterdir()) == []
