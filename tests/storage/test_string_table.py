"""String tables: decoded on demand, looked up by binary search, memory-mapped when saved."""

from __future__ import annotations

from pathlib import Path

from bot.index import BM25Parameters, PassageIndex
from bot.storage.string_table import StringTable, write_strings

WORDS = sorted(["", "apple", "Äpfel", "apples", "banana", "naïve", "zebra", "日本", "🍎"])


def test_find_and_read_in_memory_and_mapped(tmp_path: Path) -> None:
    write_strings(tmp_path / "words", WORDS)
    for table in (StringTable.from_strings(WORDS), StringTable.open(tmp_path / "words")):
        assert list(table) == WORDS and len(table) == len(WORDS)
        assert table[-1] == WORDS[-1] and table[1:3] == WORDS[1:3]
        for position, word in enumerate(WORDS):
            assert table.find(word) == position
            assert table.encoded(position) == word.encode()
        for missing in ("appl", "applesauce", "Zebra", "日", "🍏"):
            assert table.find(missing) == -1


def test_empty_table_finds_nothing(tmp_path: Path) -> None:
    write_strings(tmp_path / "none", [])
    for table in (StringTable.from_strings([]), StringTable.open(tmp_path / "none")):
        assert len(table) == 0 and table.find("x") == -1


def test_index_finds_every_term_and_no_other(tmp_path: Path) -> None:
    """Term lookup by hash: every vocabulary word found at its own column, nothing else."""
    corpus = [[f"term{i}", f"other{i % 7}", "ü"] for i in range(500)]
    index = PassageIndex.build(corpus, BM25Parameters())
    index.save(tmp_path / "idx")
    for loaded in (index, PassageIndex.load(tmp_path / "idx")):
        vocabulary = [loaded._terms[i] for i in range(loaded.vocabulary_size)]
        assert sorted(vocabulary) == sorted({t for passage in corpus for t in passage})
        assert [loaded._find_term(term) for term in vocabulary] == list(range(len(vocabulary)))
        assert loaded.known_terms(["term3", "nope", "ü", "term500"]) == ["term3", "ü"]
