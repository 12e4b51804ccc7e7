"""Documents' declared languages: JSONL ``lang``, Markdown front matter ``lang:``, and what a
bad value costs (one warning, never the document)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.corpus import load_corpus
from bot.corpus.languages import language_code


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("de", "de"),
        ("EN", "en"),
        (" zh ", "zh"),
        ("pt-BR", "pt"),
        ("zh_Hans_CN", "zh"),
        ("english", None),
        ("xx", None),
        ("d", None),
        ("de-", None),
        ("", None),
        (7, None),
        (None, None),
    ],
)
def test_language_codes_are_iso_639_1_or_a_locale_of_one(value: object, code: str | None) -> None:
    assert language_code(value) == code


def test_jsonl_lang_and_front_matter_lang_are_the_documents_languages(tmp_path: Path) -> None:
    records = [
        {"id": "a", "text": "Ein Satz.", "lang": "de"},
        {"id": "b", "text": "A sentence.", "lang": "en-GB"},
        {"id": "c", "text": "No language given."},
    ]
    (tmp_path / "r.jsonl").write_text("\n".join(map(json.dumps, records)), encoding="utf-8")
    (tmp_path / "m.md").write_text("---\ntitle: T\nlang: 'zh'\n---\n# H\n\n中文。", "utf-8")
    (tmp_path / "p.txt").write_text("Plain text declares nothing.", encoding="utf-8")
    load = load_corpus(tmp_path)
    languages = {d.id: d.language for d in load.documents}
    assert languages == {"r/a": "de", "r/b": "en", "r/c": None, "m": "zh", "p": None}
    assert load.repaired == [] and load.skipped == []


def test_a_bad_lang_is_one_warning_per_file_and_the_records_still_load(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    records = [{"id": str(n), "text": f"Text {n}.", "lang": "english" * 10} for n in range(1000)]
    records.append({"id": "good", "text": "Gut.", "lang": "de"})
    (tmp_path / "r.jsonl").write_text("\n".join(map(json.dumps, records)), encoding="utf-8")
    (tmp_path / "m.md").write_text("---\nlang: Deutsch\n---\nText.", encoding="utf-8")
    with caplog.at_level("WARNING"):
        load = load_corpus(tmp_path)
    assert len(load.documents) == 1002
    assert {d.id: d.language for d in load.documents}["r/good"] == "de"
    assert all(d.language is None for d in load.documents if d.id != "r/good")
    assert [r.path for r in load.repaired] == ["m.md", "r.jsonl"]
    jsonl = load.repaired[1].reason
    assert jsonl.startswith("r.jsonl:1: lang 'englishenglishengl…")
    assert jsonl.endswith("(and 999 more records)")
    assert "Deutsch" in load.repaired[0].reason
    assert len([r for r in caplog.records if "lang" in r.getMessage()]) == 2
