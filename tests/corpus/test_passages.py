"""Passage splitting: bounded windows of whole sentences, stable ids, true offsets."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.corpus import Document, load_corpus
from bot.corpus.passages import (
    MAX_WORDS,
    MIN_WORDS,
    _sentence_windows,
    _windows,
    split_corpus,
    split_passages,
)
from bot.corpus.text import MAX_UNIT_CHARS, Span, sentence_spans


def make_document(text: str, doc_id: str = "doc") -> Document:
    return Document(doc_id, "Title", text, f"{doc_id}.txt")


def sentence(n: int, words: int = 10) -> str:
    return " ".join(["Word"] + [f"w{n}x{i}" for i in range(words - 1)]) + "."


def test_offsets_point_at_the_passage_text_in_the_document() -> None:
    text = "\n\n".join(" ".join(sentence(p * 10 + s) for s in range(6)) for p in range(5))
    document = make_document(text)
    passages = split_passages(document, min_words=40, max_words=120)
    assert len(passages) > 1
    for passage in passages:
        assert document.text[passage.start : passage.end] == passage.text
        assert 40 <= len(passage.text.split()) <= 120
    assert [p.id for p in passages] == [f"doc#{i}" for i in range(1, len(passages) + 1)]


def test_every_sentence_lands_in_exactly_one_passage_in_order() -> None:
    text = " ".join(sentence(n, words=7 + n % 9) for n in range(80))
    passages = split_passages(make_document(text), min_words=40, max_words=120)
    rebuilt = " ".join(p.text for p in passages)
    assert rebuilt == text
    assert all(p.text.endswith(".") for p in passages)


def test_a_sentence_longer_than_the_window_is_cut_between_words() -> None:
    text = " ".join(f"w{i}" for i in range(300)) + "."
    passages = split_passages(make_document(text), min_words=40, max_words=120)
    assert [len(p.text.split()) for p in passages] == [120, 120, 60]


def test_a_text_with_no_space_at_all_is_cut_into_bounded_passages() -> None:
    # "word," a hundred thousand times over is one run of 500,000 characters: cut every
    # MAX_UNIT_CHARS into units, so passages stay within max_words of them.
    text = "word," * 100_000
    passages = split_passages(make_document(text), min_words=40, max_words=120)
    assert "".join(p.text for p in passages) == text
    assert max(len(p.text) for p in passages) <= 120 * MAX_UNIT_CHARS
    assert len(passages) == -(-len(text) // (120 * MAX_UNIT_CHARS))


def test_short_paragraphs_are_packed_and_a_short_tail_is_merged() -> None:
    paragraphs = [sentence(i, words=15) for i in range(7)]
    passages = split_passages(make_document("\n\n".join(paragraphs)), min_words=40, max_words=120)
    assert [len(p.text.split()) for p in passages] == [45, 60]


def test_a_short_tail_is_shared_with_the_window_before_it() -> None:
    # One 110-word paragraph then 30 words: merged would be 140, so split about evenly.
    text = " ".join(sentence(n) for n in range(11)) + " " + " ".join(sentence(n) for n in range(3))
    passages = split_passages(make_document(text), min_words=40, max_words=120)
    assert [len(p.text.split()) for p in passages] == [70, 70]


def test_abbreviations_and_initials_do_not_end_sentences() -> None:
    text = "Dr. Smith met J. Doe at 5 p.m. in the U.S. Then they left. Mr. Lee stayed."
    spans = [text[s.start : s.end] for s in sentence_spans(text)]
    assert spans == [
        "Dr. Smith met J. Doe at 5 p.m. in the U.S.",
        "Then they left.",
        "Mr. Lee stayed.",
    ]


def test_ids_survive_reloads_and_edits_to_other_documents(tmp_path: Path) -> None:
    body = "\n\n".join(" ".join(sentence(p * 10 + s) for s in range(5)) for p in range(4))
    (tmp_path / "a.txt").write_text(body)
    (tmp_path / "b.txt").write_text("Other document. " * 30)
    before = {p.id: p.text for p in split_corpus(load_corpus(tmp_path).documents)}
    assert before == {p.id: p.text for p in split_corpus(load_corpus(tmp_path).documents)}

    (tmp_path / "b.txt").write_text("Completely rewritten other document. " * 90)
    (tmp_path / "0-new.txt").write_text("A new document sorted first. " * 20)
    after = {p.id: p.text for p in split_corpus(load_corpus(tmp_path).documents)}
    kept = {pid: text for pid, text in before.items() if pid.startswith("a#")}
    assert kept and all(after[pid] == text for pid, text in kept.items())


def test_seed_article_passages(seed_service) -> None:  # type: ignore[no-untyped-def]
    passages = seed_service.passages
    assert [p.id for p in passages] == [f"000_fe06235f8a2d5290#{i}" for i in (1, 2, 3)]
    assert all(MIN_WORDS <= len(p.text.split()) <= MAX_WORDS for p in passages)
    assert not any("Comments" in p.text for p in passages)


def test_seed_article_in_shorter_passages(seed_service) -> None:  # type: ignore[no-untyped-def]
    shorter = split_corpus(seed_service.documents, min_words=40, max_words=120)
    assert [p.id for p in shorter] == [f"000_fe06235f8a2d5290#{i}" for i in (1, 2, 3, 4)]
    assert all(40 <= len(p.text.split()) <= 120 for p in shorter)
    # The same text, cut at sentence boundaries only.
    assert (
        " ".join(p.text for p in shorter).split()
        == " ".join(p.text for p in seed_service.passages).split()
    )


def test_a_chinese_chapter_is_cut_into_passages_of_about_a_words_worth_each() -> None:
    # No spaces: counted by whitespace the whole chapter is one "word" and one passage.
    sentence = "北京大学是中国最早的国立综合性大学之一，图书馆藏书很多。"
    text = sentence * 80  # 2,240 characters, 80 sentences
    passages = split_passages(Document("ch", "Chapter", text, "ch.txt"))
    assert len(passages) > 3
    assert "".join(p.text for p in passages) == text
    # Two characters count as a word, so a passage holds at most 2 × MAX_WORDS characters.
    assert all(len(p.text) <= 2 * MAX_WORDS for p in passages)


def test_a_thai_run_without_sentence_ends_is_cut_between_word_sized_units() -> None:
    text = "ภาษาไทยเขียนติดกันโดยไม่มีช่องว่างระหว่างคำ" * 60  # 2,580 characters, no sentence end
    passages = split_passages(Document("th", "Thai", text, "th.txt"))
    assert len(passages) > 1
    assert "".join(p.text for p in passages) == text
    assert all(len(p.text) <= 5 * MAX_WORDS for p in passages)


# Pieces of text where sentence and passage cuts are decided: sentence ends of every script,
# abbreviations, a unit running across a sentence end ("a。b"), paragraph breaks, runs of Chinese
# and Thai characters, and plain words.
_PIECES = [
    *(
        "word",
        "Word",
        "Mr.",
        "e.g.",
        "J.",
        "3.5",
        "end.",
        "end!",
        "end?",
        "end…",
        "\u201cQuote.\u201d",
    ),
    *("一。二", "北京大学", "。", "！", "ภาษาไทย", "؟", "।", "hi;", "Ελλάδα", "x.y"),
    *(" ", " ", " ", "  ", "\n", "\n\n", "\n \n", "\t"),
]


@given(
    pieces=st.lists(st.sampled_from(_PIECES), max_size=120),
    bounds=st.sampled_from([(1, 2), (2, 5), (3, 8), (5, 12), (10, 30), (80, 250)]),
)
@settings(max_examples=400, deadline=None)
def test_a_short_part_is_windowed_as_sentence_by_sentence_windowing_does(
    pieces: list[str], bounds: tuple[int, int]
) -> None:
    text = "".join(pieces)
    part = Span(0, len(text))
    expected = [(w[0].start, w[-1].end) for w in _sentence_windows(text, part, *bounds)]
    assert [(w[0].start, w[-1].end) for w in _windows(text, part, *bounds)] == expected
