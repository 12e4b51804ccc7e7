"""Sections: a document's parts with a label and an anchor; passages never cross a section
start and each knows its section."""

from __future__ import annotations

from bot.corpus import Document, Section
from bot.corpus.load import _composed
from bot.corpus.passages import split_passages
from bot.corpus.sections import SectionedText


def sentence(n: int, words: int = 10) -> str:
    return " ".join(["Word"] + [f"w{n}x{i}" for i in range(words - 1)]) + "."


def sectioned_document() -> Document:
    text = SectionedText()
    text.paragraph(" ".join(sentence(n) for n in range(3)))  # before any heading: 30 words
    text.heading(1, "Installation", "installation")
    text.paragraph(" ".join(sentence(n) for n in range(3, 6)))
    text.heading(2, "Linux", "linux")
    text.paragraph(" ".join(sentence(n) for n in range(6, 9)))
    text.paragraph(" ".join(sentence(n) for n in range(9, 12)))
    text.heading(2, "Windows")  # no anchor of its own: links to its parent's
    text.paragraph(sentence(12))
    body, sections = text.finish()
    return Document("guide", "Guide", body, "guide.html", "https://example.org/guide", sections)


def test_passages_never_cross_a_section_start_and_know_their_section() -> None:
    document = sectioned_document()
    # 80 words minimum would merge everything into one or two passages without sections.
    passages = split_passages(document, min_words=80, max_words=250)
    starts = [section.start for section in document.sections]
    for passage in passages:
        assert not any(passage.start < start < passage.end for start in starts), passage.id
        assert document.text[passage.start : passage.end] == passage.text
    labels = [p.section.label if p.section else None for p in passages]
    assert labels == [
        None,
        "Installation",
        "Installation › Linux",
        "Installation › Windows",
    ]
    assert passages[2].text.startswith("Linux\n\nWord w6x0")
    assert [p.link for p in passages] == [
        "https://example.org/guide",
        "https://example.org/guide#installation",
        "https://example.org/guide#linux",
        "https://example.org/guide#installation",
    ]
    assert [p.id for p in passages] == [f"guide#{n}" for n in range(1, 5)]


def test_a_heading_with_nothing_under_it_folds_into_the_next_section() -> None:
    text = SectionedText()
    text.heading(1, "Installation ¶", "installation")
    text.heading(2, "Linux", "linux")
    text.paragraph("Use apt.")
    text.heading(2, "Share this")  # a heading is kept even if it reads like furniture
    text.paragraph("Share this")  # a furniture line alone is dropped
    text.paragraph("Tell a friend.")
    body, sections = text.finish()
    assert body == "Installation\n\nLinux\n\nUse apt.\n\nShare this\n\nTell a friend."
    assert sections == (
        Section(0, "Installation › Linux", "linux"),
        Section(body.index("Share this"), "Installation › Share this", "installation"),
    )


def test_composing_the_text_moves_section_starts_with_it() -> None:
    decomposed = "Cafe\u0301 cre\u0300me\n\nSecond part here."
    second = decomposed.index("Second")
    document = Document(
        "d", "T", decomposed, "d.html", None, (Section(0, "A"), Section(second, "B"))
    )
    composed = _composed(document)
    assert composed.text == "Café crème\n\nSecond part here."
    assert [composed.text[s.start :] for s in composed.sections][1] == "Second part here."
