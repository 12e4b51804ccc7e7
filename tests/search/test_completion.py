"""`/source` id completion gives exactly what walking every passage id gives, however typed."""

from __future__ import annotations

import json

import pytest

from bench.completion import walk_completion
from bot.corpus import Document
from bot.search.service import SearchService
from bot.snapshot import PassageSettings, load_snapshot


def words(count: int) -> str:
    """Text that splits into about ``count`` / 100 passages."""
    sentences = [
        f"Sentence {i} talks about orchards and cider presses here." for i in range(count // 9)
    ]
    return " ".join(sentences)


def doc(document_id: str, title: str, text: str) -> Document:
    return Document(id=document_id, title=title, text=text, source=f"{document_id}.txt")


DOCUMENTS = [
    doc("a", "Apples", words(300)),
    doc("abc", "C# guide", words(120)),
    doc("x1", "Release 2024", words(2000)),
    doc("news/2024-01", "Straße news", words(90)),
    doc("café", "İstanbul café", words(800)),
    doc("long", "Many passages", words(26_000)),  # passage 103 and more
    doc("b10", "", words(1300)),
    doc("Z", "zebra#2 Title", words(60)),
    doc("plain", "Nothing special", "Short text."),
    doc("other", "Notes on x1", words(500)),  # a title ending as an id does: not a passage id
]

TYPED = [
    "",
    " ",
    "#",
    "##",
    "#1",
    "#0",
    "#03",
    "#10",
    "#2",
    "#103",
    "#a",
    "1",
    "3",
    "03",
    "0",
    "10",
    "2024",
    "a",
    "A",
    "ss",
    "STRASSE",
    "ß",
    "c#",
    "C# G",
    "x1#",
    "x1#1",
    "b#2",
    "0#1",
    "1#1",
    "news/",
    "é",
    "İ",
    "i̇",
    "zebra#2",
    "zebra#",
    "a#1",
    "#1x",
    "zzz",
    "a\0",
    "\ud800",
    "abc#",
    "plain#1",
    "lain#",
    "z#1",
]


@pytest.fixture(scope="module", params=["in memory", "memory-mapped"])
def service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> SearchService:
    if request.param == "in memory":
        return SearchService(DOCUMENTS)
    folder = tmp_path_factory.mktemp("corpus")
    records = [{"id": d.id, "title": d.title, "text": d.text} for d in DOCUMENTS]
    (folder / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    snapshot = load_snapshot(folder, PassageSettings(), tmp_path_factory.mktemp("cache"))
    return SearchService([], snapshot=snapshot)


@pytest.mark.parametrize("limit", [1, 3, 25, 1000])
def test_completion_equals_the_walk_over_every_passage_id(
    service: SearchService, limit: int
) -> None:
    store = service.snapshot.store
    counts = [
        store.document_span(n).end - store.document_span(n).first
        for n in range(store.document_count)
    ]
    assert max(counts) >= 103 and 1 in counts  # passage numbers of one to three digits
    for typed in TYPED:
        assert service.complete(typed, limit=limit) == walk_completion(store, typed, limit), typed


def test_completion_finds_by_title_and_by_passage_number(service: SearchService) -> None:
    found = service.complete("STRASSE")
    assert found and all(label.endswith("— Straße news") for label, _ in found)
    assert all(c[1].endswith("#103") for c in service.complete("#103"))
    assert service.complete("zzz") == []


def test_no_document_walk_for_a_keystroke() -> None:
    """The choices come from the search text, not from reading each document's id in turn."""
    service = SearchService(DOCUMENTS)
    store = service.snapshot.store
    reads = 0
    original = store.document_id

    def counted(number: int) -> str:
        nonlocal reads
        reads += 1
        return original(number)

    store.document_id = counted  # type: ignore[method-assign]
    assert service.complete("zzz") == [] and service.complete("#999") == []
    assert reads == 0
    service.complete("x1#1", limit=3)
    assert reads == 1  # only the document listed
