"""The search service over the seed article: answers, no-answers, paging and opening sources."""

from __future__ import annotations

import difflib
import itertools
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

import bot.search.service as search_module
from bot.present.answers import no_results_message, render_response
from bot.search.service import QueryTooLongError, SearchService
from tests.conftest import DATA

SEED_QA = [json.loads(line) for line in (DATA / "seed_qa.jsonl").read_text().splitlines()]
# BM25 cannot bridge vocabulary: "provided" stems to "provid", the article says "provision".
KNOWN_MISSES = {"What has North Korea provided to Russia?"}


@pytest.mark.parametrize("case", SEED_QA, ids=[c["question"] for c in SEED_QA])
def test_seed_answer_is_in_the_top_snippet(
    seed_service: SearchService, case: dict[str, str]
) -> None:
    if case["question"] in KNOWN_MISSES:
        pytest.xfail("vocabulary mismatch BM25 cannot bridge")
    response = seed_service.search(case["question"], limit=3)
    assert response.hits, case
    assert case["answer"].lower() in response.hits[0].snippet.plain.lower()


def test_seed_qa_answer_rate_is_at_least_90_percent(seed_service: SearchService) -> None:
    found = sum(
        case["answer"].lower()
        in seed_service.search(case["question"], 1).hits[0].snippet.plain.lower()
        for case in SEED_QA
    )
    assert len(SEED_QA) >= 15
    assert found / len(SEED_QA) >= 0.9


@pytest.mark.parametrize("query", ["", "   ", "the of and is?", "!!! ???", "🚀🛰️🔥", "\x00\x01"])
def test_queries_without_usable_terms_get_no_matches_not_errors(
    seed_service: SearchService, query: str
) -> None:
    response = seed_service.search(query)
    assert response.hits == () and response.total_matches == 0
    assert "no searchable words" in render_response(response)


def test_unknown_words_are_named_in_the_no_result_reply(seed_service: SearchService) -> None:
    response = seed_service.search("What about quokkas and *zebras*?")
    assert response.hits == ()
    assert response.unknown_words == ("quokkas", "zebras")
    message = no_results_message(response)
    assert "“quokkas”" in message and "“zebras”" in message and "rephras" in message


def test_a_passage_without_any_query_term_is_never_a_result(seed_service: SearchService) -> None:
    response = seed_service.search("Iranian zebras", limit=10)
    assert response.total_matches == len(response.hits) == 1
    assert "Iranian" in response.hits[0].passage.text


def test_paging_continues_the_same_ranking(seed_service: SearchService) -> None:
    everything = seed_service.search("North Korea", limit=10)
    assert everything.total_matches == 3 and not everything.has_more
    first = seed_service.search("North Korea", limit=2)
    second = seed_service.search("North Korea", limit=2, offset=2)
    assert first.has_more and not second.has_more
    assert [h.passage.id for h in first.hits + second.hits] == [
        h.passage.id for h in everything.hits
    ]
    assert [h.rank for h in second.hits] == [3]


def test_huge_query_is_a_friendly_error(seed_service: SearchService) -> None:
    with pytest.raises(QueryTooLongError, match="please keep it under 1,000"):
        seed_service.search("satellite " * 500)
    assert seed_service.search("satellite " * 99).hits  # long but allowed


def test_open_passage_and_document_with_neighbours(seed_service: SearchService) -> None:
    view = seed_service.open("000_fe06235f8a2d5290#2")
    assert view is not None
    assert (view.position, view.count) == (2, 3)
    assert view.previous and view.previous.id.endswith("#1")
    assert view.next and view.next.id.endswith("#3")
    document = seed_service.open("000_fe06235f8a2d5290")
    assert document is not None and document.position == 1 and document.previous is None


@pytest.mark.parametrize("ordinal", ["9", "0", "02", "-1", "+1", " 1", "²", "①", "１", "1" * 400])
def test_an_id_with_no_such_passage_number_opens_nothing(
    seed_service: SearchService, ordinal: str
) -> None:
    """Only ASCII digits without a leading zero name a passage ("²".isdigit() is true)."""
    assert seed_service.open(f"000_fe06235f8a2d5290#{ordinal}") is None


def test_unknown_id_suggests_the_closest(seed_service: SearchService) -> None:
    assert seed_service.open("000_fe06235f8a2d5290#9") is None
    assert seed_service.closest_ids("000_fe06235f8a2d5290#9")[0].startswith("000_fe06235f8a2d5290#")
    assert seed_service.closest_ids("000_fe06") == [f"000_fe06235f8a2d5290#{i}" for i in (1, 2, 3)]
    assert seed_service.closest_ids("zzzz") == []


@pytest.fixture(scope="module")
def records_service(tmp_path_factory: pytest.TempPathFactory) -> SearchService:
    """3,000 one-passage records, ids records/r0000 … records/r2999 in a shuffled order."""
    folder = tmp_path_factory.mktemp("records")
    numbers = sorted(range(3000), key=lambda n: (n * 7919) % 3000)
    lines = [json.dumps({"id": f"r{n:04d}", "text": f"Record {n} text."}) for n in numbers]
    (folder / "records.jsonl").write_text("\n".join(lines) + "\n")
    return SearchService.from_folder(folder)


def test_closest_ids_with_time_to_spare_are_difflibs(records_service: SearchService) -> None:
    """With time to compare every id: the prefix matches, then difflib's closest."""
    ids = [passage.id for passage in records_service.passages]
    for typed in ("records/r1234#2", "records/r12x4#1", "recrds/r0099#1", "records/r123", "zz"):
        prefixed = [pid for pid in ids if pid.startswith(typed)]
        fuzzy = difflib.get_close_matches(typed, ids, n=5, cutoff=0.5)
        expected = list(dict.fromkeys(prefixed[:5] + fuzzy))[:5]
        assert records_service.closest_ids(typed, budget=60) == expected, typed


def test_closest_ids_out_of_time_offer_what_they_found(
    records_service: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Comparing stops at the budget; the ids that sort nearest the typed one come first."""
    assert records_service.closest_ids("records/r12x4#1", budget=0) == []
    prefixed = records_service.closest_ids("records/r123", budget=0)  # found without comparing
    assert len(prefixed) == 5 and all(pid.startswith("records/r123") for pid in prefixed)
    ticks = itertools.count()  # a clock that moves a second each time it is read
    monkeypatch.setattr(search_module.time, "perf_counter", lambda: float(next(ticks)))
    near = records_service.closest_ids("records/r2000x#1", budget=1.5)  # one batch of ids
    assert near and all(1800 <= int(pid[9:13]) <= 2200 for pid in near), near


def test_closest_ids_beyond_the_full_pass_compare_each_near_id_once(
    records_service: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past :data:`FUZZY_ALL_IDS` only the near documents' ids are candidates, each compared
    once, and the answer is difflib's over them."""
    monkeypatch.setattr(search_module, "FUZZY_ALL_IDS", 100)
    compared: list[str] = []
    close_matches = search_module._close_matches

    def noted(candidates: Iterable[str]) -> Iterator[str]:
        for candidate in candidates:
            compared.append(candidate)
            yield candidate

    def recording(word: str, candidates: Iterable[str], limit: int, deadline: float) -> list[str]:
        return close_matches(word, noted(candidates), limit, deadline)

    monkeypatch.setattr(search_module, "_close_matches", recording)
    typed = "records/r12x4#1"
    found = records_service.closest_ids(typed, budget=60)
    assert len(compared) == len(set(compared)) == 2 * search_module.FUZZY_NEAR_DOCUMENTS
    assert found == difflib.get_close_matches(typed, compared, n=5, cutoff=0.5)


def test_complete_matches_ids_and_titles(seed_service: SearchService) -> None:
    assert len(seed_service.complete("")) == 3
    assert [c[1] for c in seed_service.complete("#3")] == ["000_fe06235f8a2d5290#3"]
    assert len(seed_service.complete("blinken")) == 3  # in the title
    assert seed_service.complete("nothing-like-this") == []
    assert len(seed_service.complete("", limit=2)) == 2


def test_hostile_corpus_text_arrives_inert(tmp_path: Path) -> None:
    (tmp_path / "evil.md").write_text(
        "# Server @everyone rules\n\nPing @here and <@123456789012345678> about the giveaway. "
        "Claim at [free nitro](https://evil.example) `now` **today** ||spoiler||.\n"
    )
    (tmp_path / "raw.txt").write_text("Raw giveaway: [free nitro](https://evil.example) <@&456>.")
    service = SearchService.from_folder(tmp_path)
    text = render_response(service.search("giveaway nitro", limit=5))
    assert "raw#1" in text and "evil#1" in text
    assert "@everyone" not in text and "@here" not in text
    assert not re.search(r"(?<!\\)<@", text)
    assert "\\<@123456789012345678>" in text and "\\<@&456>" in text
    assert not re.search(r"(?<!\\)\[free nitro(?<!\\)\]\(", text)
    assert "\\[free nitro\\](https://evil.example)" in text


def test_summary_describes_skipped_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Apples are red. " * 10)
    (tmp_path / "notes.txt").write_bytes(b"\x00\x01binary")
    summary = SearchService.from_folder(tmp_path).summary
    assert summary.describe().endswith("; skipped 1: notes.txt is binary")
    assert summary.documents == 1 and summary.passages == 1
