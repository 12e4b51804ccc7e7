"""Changed files laid over a saved snapshot: exactly rank-bm25's scores on the corpus as it now
is after every kind of change and after merges, lookups over both layers, and the cases that
build in full instead."""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import numpy as np
import pytest

from bot.analysis.languages import analyzer_for
from bot.corpus.passages import split_passages
from bot.index import LuceneBM25
from bot.index.layered import LayeredIndex
from bot.index.subset import Subset
from bot.search.service import SearchService
from bot.snapshot import PassageSettings, Snapshot, load_snapshot
from bot.snapshot.cache import corpus_key

WORDS = [f"w{n}" for n in range(300)]
QUERIES = [["w0"], ["w1", "w7", "w1"], ["w3", "w50", "w120", "w299"], ["quokka"], ["w2", "zebra"]]
SETTINGS = PassageSettings(language="en")


def zipf_text(rng: random.Random, words: int) -> str:
    """Words with natural (Zipf) frequencies, so idf and lengths vary."""
    weights = [1 / (rank + 1) for rank in range(len(WORDS))]
    return " ".join(rng.choices(WORDS, weights, k=words))


def write_file(path: Path, rng: random.Random, extra: str = "") -> None:
    sections = [zipf_text(rng, rng.randint(30, 140)) for _ in range(rng.randint(1, 3))]
    path.write_text(f"# {path.stem}\n\n{extra} " + "\n\n".join(sections))
    # A rewrite within the clock's tick still changes size or ctime, but make it certain.
    later = time.time() + rng.random()
    os.utime(path, (later, later))


def make_corpus(folder: Path, files: int = 40) -> random.Random:
    rng = random.Random(7)
    folder.mkdir()
    for number in range(files):
        write_file(folder / f"doc{number:02d}.md", rng)
    return rng


def reference_scores(snapshot: Snapshot, query: list[str]) -> dict[str, float]:
    """rank-bm25 built from scratch on the snapshot's passages, by passage id."""
    ids, tokens = [], []
    for document in snapshot.store.documents:
        # Passage by passage, as a reader would: not the build's path.
        analyzer = analyzer_for(document.language or "")
        weight = analyzer.title_weight(document.title, document.text)
        for passage in split_passages(document, SETTINGS.min_words, SETTINGS.max_words):
            ids.append(passage.id)
            tokens.append(analyzer.passage_terms(passage.title, passage.text, weight))
    reference = LuceneBM25(tokens, k1=SETTINGS.params.k1, b=SETTINGS.params.b)
    return dict(zip(ids, reference.get_scores(query).tolist(), strict=True))


def assert_exact(snapshot: Snapshot, corpus: Path) -> None:
    """Every passage's score equals rank-bm25's on a fresh build of the corpus, bit for bit,
    and top-k and match counts agree with a full in-memory build."""
    fresh = load_snapshot(corpus, SETTINGS, None)
    ids = [passage.id for passage in snapshot.store]
    assert sorted(ids) == sorted(p.id for p in fresh.store)
    for query in QUERIES:
        expected = reference_scores(fresh, query)
        got = dict(zip(ids, snapshot.index.scores(query).tolist(), strict=True))
        assert got == expected, query
        top, total = snapshot.index.top(query, 7)
        full_top, full_total = fresh.index.top(query, 7)
        assert total == full_total == sum(score > 0 for score in expected.values())
        assert [s.score for s in top] == [s.score for s in full_top]
        assert all(expected[ids[s.position]] == s.score for s in top)
        assert snapshot.index.known_terms(query) == fresh.index.known_terms(query)
        assert [snapshot.index.idf(t) for t in query] == [fresh.index.idf(t) for t in query]
    assert snapshot.index.vocabulary_size == fresh.index.vocabulary_size


def test_every_kind_of_change_scores_exactly_as_rank_bm25_on_the_edited_corpus(
    tmp_path: Path,
) -> None:
    corpus, cache = tmp_path / "corpus", tmp_path / "cache"
    rng = make_corpus(corpus, files=80)  # so all six changes stay a small part of it
    assert not isinstance(load_snapshot(corpus, SETTINGS, cache).index, LayeredIndex)
    changes = [
        lambda: write_file(corpus / "doc03.md", rng, "zebra"),  # edit
        lambda: write_file(corpus / "new.md", rng, "quokka zebra"),  # add
        lambda: (corpus / "doc10.md").unlink(),  # delete
        lambda: write_file(corpus / "new.md", rng, "w0 w0 w0"),  # edit an added file
        lambda: (corpus / "doc03.md").unlink(),  # delete an edited file
        lambda: write_file(corpus / "doc10.md", rng, "quokka"),  # a deleted file back
    ]
    for change in changes:
        change()
        layered = load_snapshot(corpus, SETTINGS, cache)
        assert isinstance(layered.index, LayeredIndex)
        assert_exact(layered, corpus)
    merged = load_snapshot(corpus, SETTINGS, cache, layered=False)  # what a merge builds
    assert not isinstance(merged.index, LayeredIndex)
    assert_exact(merged, corpus)
    assert load_snapshot(corpus, SETTINGS, cache).directory == merged.directory
    write_file(corpus / "doc20.md", rng, "zebra")  # and a change after the merge
    after_merge = load_snapshot(corpus, SETTINGS, cache)
    assert isinstance(after_merge.index, LayeredIndex)
    assert after_merge.directory == merged.directory  # laid over the merged build
    assert_exact(after_merge, corpus)


def test_a_layered_load_reads_only_the_changed_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus, cache = tmp_path / "corpus", tmp_path / "cache"
    rng = make_corpus(corpus)
    load_snapshot(corpus, SETTINGS, cache)
    write_file(corpus / "doc05.md", rng, "zebra")
    (corpus / "doc06.md").unlink()
    read: list[str] = []
    from bot.corpus import load as load_module

    original = load_module._load_file

    def counting(file, rules, result):  # type: ignore[no-untyped-def]
        read.append(file.relative)
        return original(file, rules, result)

    monkeypatch.setattr(load_module, "_load_file", counting)
    layered = load_snapshot(corpus, SETTINGS, cache)
    assert read == ["doc05.md"]
    assert isinstance(layered.index, LayeredIndex)
    entries = [p for p in cache.iterdir() if not p.name.startswith(".")]
    assert len(entries) == 1  # nothing new built, nothing written
    assert corpus_key(corpus, SETTINGS) != entries[0].name


def test_lookups_see_the_corpus_as_it_now_is(tmp_path: Path) -> None:
    corpus, cache = tmp_path / "corpus", tmp_path / "cache"
    rng = make_corpus(corpus, files=30)
    load_snapshot(corpus, SETTINGS, cache)
    (corpus / "doc04.md").unlink()
    write_file(corpus / "doc07.md", rng, "zebra")
    write_file(corpus / "added.md", rng, "quokka")
    service = SearchService((), snapshot=load_snapshot(corpus, SETTINGS, cache))
    fresh = SearchService((), snapshot=load_snapshot(corpus, SETTINGS, None))
    assert service.layered and not fresh.layered
    assert service.summary.documents == fresh.summary.documents == 30
    assert service.summary.passages == fresh.summary.passages
    assert service.summary.vocabulary == fresh.summary.vocabulary
    assert sorted(d.id for d in service.documents) == sorted(d.id for d in fresh.documents)
    for question in ("quokka", "zebra w1", "w0 w2 w3", "w250 w251"):
        ours, theirs = service.search(question, 5), fresh.search(question, 5)
        assert ours.total_matches == theirs.total_matches
        assert [(h.score, h.snippet) for h in ours.hits] == [
            (h.score, h.snippet) for h in theirs.hits
        ]
    assert service.passage("doc04#1") is None
    assert service.open("doc04") is None
    added = service.open("added")
    assert added is not None and "quokka" in added.passage.text
    edited = service.passage("doc07#1")
    assert edited is not None and "zebra" in edited.text
    kept = service.open("doc12#1")
    assert kept is not None and kept.passage.text == fresh.passage("doc12#1").text  # type: ignore[union-attr]
    assert kept.count == fresh.open("doc12#1").count  # type: ignore[union-attr]
    assert "doc04#1" not in [choice for _, choice in service.complete("doc04")]
    assert [c for _, c in service.complete("added")] == [c for _, c in fresh.complete("added")]
    assert service.complete("doc1", 40) == fresh.complete("doc1", 40)
    assert "doc04#1" not in service.closest_ids("doc04#1")
    assert "added#1" in service.closest_ids("addde#1")


def test_a_language_subset_counts_the_whole_corpus(tmp_path: Path) -> None:
    corpus, cache = tmp_path / "corpus", tmp_path / "cache"
    rng = make_corpus(corpus)
    (corpus / "fr.md").write_text("---\nlang: fr\n---\n# fr\n\nw0 w1 zebra quokka w2\n")
    settings = SETTINGS
    load_snapshot(corpus, settings, cache)
    write_file(corpus / "doc02.md", rng, "zebra")
    layered = load_snapshot(corpus, settings, cache)
    fresh = load_snapshot(corpus, settings, None)
    assert isinstance(layered.index, LayeredIndex)
    for code in ("en", "fr"):
        ours = Subset(layered.store.passage_languages, layered.store.languages.index(code))
        theirs = Subset(fresh.store.passage_languages, fresh.store.languages.index(code))
        for query in QUERIES:
            top, total = layered.index.top(query, 5, ours)
            full_top, full_total = fresh.index.top(query, 5, theirs)
            assert total == full_total
            assert [s.score for s in top] == [s.score for s in full_top]


def test_an_id_another_file_has_means_a_full_build(tmp_path: Path) -> None:
    corpus, cache = tmp_path / "corpus", tmp_path / "cache"
    rng = make_corpus(corpus)
    load_snapshot(corpus, SETTINGS, cache)
    # doc01.txt's document has doc01.md's id: which one a full build keeps is the walk's call.
    (corpus / "doc01.txt").write_text("w0 quokka")
    clash = load_snapshot(corpus, SETTINGS, cache)
    assert not isinstance(clash.index, LayeredIndex)
    assert_exact(clash, corpus)
    # While a document is shadowed, removing the file that shadows it must bring it back.
    (corpus / "doc01.md").unlink()
    write_file(corpus / "doc05.md", rng, "zebra")
    after = load_snapshot(corpus, SETTINGS, cache)
    assert not isinstance(after.index, LayeredIndex)
    assert "quokka" in after.store[after.store.find_passage("doc01#1")].text
    assert_exact(after, corpus)


def test_much_changed_or_a_damaged_manifest_means_a_full_build(tmp_path: Path) -> None:
    corpus, cache = tmp_path / "corpus", tmp_path / "cache"
    rng = make_corpus(corpus)
    first = load_snapshot(corpus, SETTINGS, cache)
    for number in range(5):  # an eighth of the files, each read again and taken out
        write_file(corpus / f"doc{number:02d}.md", rng, "zebra")
    rebuilt = load_snapshot(corpus, SETTINGS, cache)
    assert not isinstance(rebuilt.index, LayeredIndex) and rebuilt.directory != first.directory
    assert rebuilt.directory is not None
    (rebuilt.directory / "manifest.json").write_text("{not json")
    write_file(corpus / "doc09.md", rng, "quokka")
    # The one snapshot with a readable manifest is six files away: too far.
    again = load_snapshot(corpus, SETTINGS, cache)
    assert not isinstance(again.index, LayeredIndex)
    assert_exact(again, corpus)
    write_file(corpus / "doc11.md", rng, "quokka")
    layered = load_snapshot(corpus, SETTINGS, cache)
    assert isinstance(layered.index, LayeredIndex) and layered.directory == again.directory
    assert_exact(layered, corpus)


def test_queries_in_flight_keep_the_snapshot_they_started_with(tmp_path: Path) -> None:
    corpus, cache = tmp_path / "corpus", tmp_path / "cache"
    rng = make_corpus(corpus)
    old = SearchService((), snapshot=load_snapshot(corpus, SETTINGS, cache))
    before = old.search("w3 w4", 3)
    write_file(corpus / "doc01.md", rng, "zebra")
    new = SearchService((), snapshot=load_snapshot(corpus, SETTINGS, cache))
    assert new.search("zebra").hits and not old.search("zebra").hits
    assert [h.passage.id for h in old.search("w3 w4", 3).hits] == [
        h.passage.id for h in before.hits
    ]
    assert np.isfinite([h.score for h in new.search("w3 w4", 3).hits]).all()


def test_a_manifest_that_does_not_match_its_snapshot_means_a_full_build(tmp_path: Path) -> None:
    corpus, cache = tmp_path / "corpus", tmp_path / "cache"
    rng = make_corpus(corpus)
    saved = load_snapshot(corpus, SETTINGS, cache)
    assert saved.directory is not None
    manifest = saved.directory / "manifest.json"
    data = json.loads(manifest.read_text())
    data["files"][0][2] += 5  # five documents more than the store has
    manifest.write_text(json.dumps(data))
    write_file(corpus / "doc30.md", rng, "zebra")
    rebuilt = load_snapshot(corpus, SETTINGS, cache)
    assert not isinstance(rebuilt.index, LayeredIndex)
    assert_exact(rebuilt, corpus)
