"""Each document's language: declared, else CORPUS_LANGUAGE, else detected; indexed with its
language's analyzer, and kept through a saved snapshot."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.analysis import languages
from bot.search.service import SearchService
from bot.snapshot import PassageSettings
from bot.snapshot.build import DETECT_CHARS
from bot.snapshot.cache import corpus_key
from tests.conftest import DATA
from tests.fake_languages import detect_language, use_fake_languages

MULTILINGUAL = DATA / "multilingual"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(MULTILINGUAL, folder)
    (folder / "long.txt").write_text("The long one. " * 1000, encoding="utf-8")
    return folder


@pytest.fixture
def detected(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the detector was asked about."""
    use_fake_languages(monkeypatch)
    asked: list[str] = []

    def recording(texts: Sequence[str]) -> list[str]:
        asked.extend(texts)
        return [detect_language(text) for text in texts]

    monkeypatch.setattr(languages, "detect_document_languages", recording)
    return asked


def languages_of(service: SearchService) -> dict[str, str | None]:
    return {document.id: document.language for document in service.documents}


def test_declared_then_setting_then_detected(corpus: Path, detected: list[str]) -> None:
    declared = {"berlin-zh": "zh", "cities/hamburg": "de"}
    auto = SearchService.from_folder(corpus)
    assert languages_of(auto) == {
        **declared,
        "berlin-de": "de",
        "berlin-en": "en",
        "cities/munich": "en",
        "long": "en",
    }
    assert len(detected) == 4 and max(map(len, detected)) == DETECT_CHARS
    detected.clear()
    french = SearchService.from_folder(corpus, language="fr")
    assert languages_of(french) == {
        **declared,
        "berlin-de": "fr",
        "berlin-en": "fr",
        "cities/munich": "fr",
        "long": "fr",
    }
    assert detected == []  # a corpus language set: nothing is detected


@pytest.mark.usefixtures("detected")
def test_each_passage_is_indexed_with_its_languages_analyzer(corpus: Path) -> None:
    service = SearchService.from_folder(corpus)
    # "Häfen" in the German Hamburg record: German Snowball's stem, not English's.
    assert service.index.known_terms(["haf", "hafen"]) == ["haf"]
    # English text keeps English stems ("boroughs").
    assert service.index.known_terms(["borough"]) == ["borough"]


@pytest.mark.usefixtures("detected")
def test_languages_survive_the_saved_snapshot(corpus: Path, tmp_path: Path) -> None:
    built = SearchService.from_folder(corpus, cache_dir=tmp_path / "cache")
    cached = SearchService.from_folder(corpus, cache_dir=tmp_path / "cache")
    assert cached.snapshot.cached and not built.snapshot.cached
    assert languages_of(cached) == languages_of(built)
    assert set(languages_of(cached).values()) == {"de", "en", "zh"}
    store, saved = built.snapshot.store, cached.snapshot.store
    assert saved.languages == store.languages
    np.testing.assert_array_equal(saved.passage_languages, store.passage_languages)
    by_passage = [store.languages[n] for n in saved.passage_languages]
    assert by_passage == [passage.document.language for passage in cached.passages]


def test_the_corpus_language_setting_is_part_of_the_cache_key(corpus: Path) -> None:
    assert corpus_key(corpus, PassageSettings()) != corpus_key(
        corpus, PassageSettings(language="de")
    )
