"""A corpus of several languages loads the language detector's model with its index, so a
member's first question does not wait for it (about a second)."""

from __future__ import annotations

import json
from pathlib import Path

from bot.analysis import detection
from bot.search.service import SearchService

RECORDS = [
    {"id": "de", "title": "Berlin", "text": "Berlin ist die Hauptstadt.", "lang": "de"},
    {"id": "en", "title": "Berlin", "text": "Berlin is the capital.", "lang": "en"},
]


def corpus(tmp_path: Path, records: list[dict[str, str]]) -> Path:
    lines = "\n".join(json.dumps(record) for record in records)
    (tmp_path / "cities.jsonl").write_text(lines + "\n", encoding="utf-8")
    return tmp_path


def test_a_corpus_of_several_languages_loads_the_detector_with_the_index(tmp_path: Path) -> None:
    # Every document declares its language, so building the index detects none.
    detection._identifier.cache_clear()
    SearchService.from_folder(corpus(tmp_path, RECORDS))
    assert detection._identifier.cache_info().currsize == 1


def test_a_corpus_of_one_language_never_loads_it(tmp_path: Path) -> None:
    detection._identifier.cache_clear()
    SearchService.from_folder(corpus(tmp_path, RECORDS[:1]))
    assert detection._identifier.cache_info().currsize == 0
