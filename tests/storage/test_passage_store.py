"""The passage store builder: what is added is what the store gives back, batch after batch."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.corpus import Document
from bot.corpus.documents import Section
from bot.storage import passage_store
from bot.storage.passage_store import (
    PassageSpans,
    PassageStore,
    PassageStoreBuilder,
    search_entry,
)


def _documents() -> list[Document]:
    """Documents with and without URLs, sections and languages, in hostile scripts."""
    texts = ["Plain text. Two sentences.", "東京 と 大阪", "", "e\u0301\x00\ud800 x", "a" * 3000]
    return [
        Document(
            f"doc{number}",
            f"Title {number} \u2028 Ünïcode",
            texts[number % len(texts)],
            f"doc{number}.txt",
            url=f"https://example.com/{number}" if number % 2 else None,
            sections=(Section(0, "Intro", "intro"),) if number % 3 == 0 else (),
            language="fr" if number % 4 == 0 else None,
        )
        for number in range(11)
    ]


def _built(directory: Path | None, documents: list[Document]) -> PassageStore:
    builder = PassageStoreBuilder(directory)
    # Added a few at a time, as a build's chunks are.
    for first in range(0, len(documents), 4):
        numbers = range(first, min(first + 4, len(documents)))
        spans = [[(0, len(documents[n].text), -1)] * (n % 3) for n in numbers]
        languages = ["de" if n % 5 == 0 else None for n in numbers]
        builder.add([documents[n] for n in numbers], PassageSpans.of(spans), languages)
    return builder.finish()


@pytest.mark.parametrize("on_disk", [False, True])
def test_documents_come_back_as_added_across_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, on_disk: bool
) -> None:
    monkeypatch.setattr(passage_store, "_BATCH_DOCUMENTS", 3)
    monkeypatch.setattr(passage_store, "_BATCH_CHARS", 2000)
    documents = _documents()
    store = _built(tmp_path / "store" if on_disk else None, documents)
    assert store.document_count == len(documents)
    for number, document in enumerate(documents):
        expected_language = "de" if number % 5 == 0 else document.language or "und"
        stored = store.document(number)
        assert stored.id == document.id
        assert stored.title == document.title
        assert stored.source == document.source
        assert stored.url == document.url
        assert stored.sections == document.sections
        assert stored.language == expected_language
        assert stored.text == document.text.encode("utf-8", "surrogatepass").decode(
            "utf-8", "surrogatepass"
        )
        span = store.document_span(number)
        assert span.end - span.first == number % 3
    blob, ends = store.search_text()
    assert bytes(blob[ends[0] : ends[len(ends) - 1]]) == "".join(
        search_entry(d.id, d.title) for d in documents
    ).encode("utf-8", "surrogatepass")
    assert len(store) == sum(number % 3 for number in range(len(documents)))


def test_passage_spans_keep_each_documents_passages_and_must_match_the_documents() -> None:
    spans = PassageSpans.of([[(0, 5, -1), (6, 9, 0)], [], [(2, 4, 1)]])
    assert spans.counts.tolist() == [2, 0, 1]
    assert spans.spans.tolist() == [[0, 5, -1], [6, 9, 0], [2, 4, 1]]
    builder = PassageStoreBuilder()
    with pytest.raises(ValueError, match="passage count"):
        builder.add(_documents()[:2], spans, [None, None])
