"""Cut documents into passages: paragraph-aware windows of whole sentences.

A passage id is ``<document id>#<n>`` (n counted from 1 within its document), so it stays the same
across restarts and across edits to *other* documents. A document with sections is cut section by
section, so every passage lies within one section and knows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bot.corpus.documents import Document, DocumentText, Section
from bot.corpus.text import (
    WORD_UNIT,
    Span,
    sentence_spans,
    units_and_marks_exceed,
)

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")


@dataclass(frozen=True, slots=True)
class Passage:
    """A window of a document; ``start``/``end`` are character offsets into its text."""

    id: str
    document: Document
    ordinal: int
    start: int
    end: int
    text: str
    # Which of the document's sections holds the passage; -1 when it has none there.
    section_number: int = -1

    @property
    def title(self) -> str:
        """The title of the document this passage comes from."""
        return self.document.title

    @property
    def section(self) -> Section | None:
        """The section the passage lies in, if its document has sections."""
        if self.section_number < 0:
            return None
        return self.document.sections[self.section_number]

    @property
    def link(self) -> str | None:
        """The document's URL, at the passage's section when that has an anchor."""
        return self.document.link(self.section)


# Passage bounds, measured on SciFact (docs/quality.md): 80–250 words keeps most abstracts and
# news paragraphs whole, which ranks better than shorter windows (0.710 vs 0.695 nDCG@10).
MIN_WORDS = 80
MAX_WORDS = 250


def split_passages(
    document: Document, min_words: int = MIN_WORDS, max_words: int = MAX_WORDS
) -> list[Passage]:
    """Split ``document`` into passages of about ``min_words``–``max_words`` words.

    A window closes at a paragraph end once it has ``min_words``, and before a sentence that
    would take it past ``max_words``; a sentence longer than that is cut between words. Each
    section is cut on its own, so a passage never spans a section start.
    """
    return [
        Passage(
            id=f"{document.id}#{ordinal}",
            document=document,
            ordinal=ordinal,
            start=start,
            end=end,
            text=document.text[start:end],
            section_number=number,
        )
        for ordinal, (start, end, number) in enumerate(
            passage_spans(document, min_words, max_words), start=1
        )
    ]


def passage_spans(
    document: DocumentText, min_words: int = MIN_WORDS, max_words: int = MAX_WORDS
) -> list[tuple[int, int, int]]:
    """The ``(start, end, section number)`` of each of :func:`split_passages`' passages, in
    order, without making them: a build keeps only these."""
    return [
        (window[0].start, window[-1].end, number)
        for number, part in _section_parts(document)
        for window in _windows(document.text, part, min_words, max_words)
    ]


def _section_parts(document: DocumentText) -> Iterator[tuple[int, Span]]:
    """The document's text cut at its section starts: (section number, span); number -1 for
    text before the first section (or the whole text of a document without sections)."""
    text_end = len(document.text)
    starts = [min(max(section.start, 0), text_end) for section in document.sections]
    if not starts or starts[0] > 0:
        yield -1, Span(0, starts[0] if starts else text_end)
    for number, start in enumerate(starts):
        end = starts[number + 1] if number + 1 < len(starts) else text_end
        if end > start:
            yield number, Span(start, end)


def _windows(text: str, part: Span, min_words: int, max_words: int) -> list[list[Span]]:
    """The sentence windows of ``text[part.start:part.end]``, each a passage."""
    whole = _whole_window(text, part, max_words)
    if whole is not None:
        return [whole] if whole else []
    return _sentence_windows(text, part, min_words, max_words)


def _whole_window(text: str, part: Span, max_words: int) -> list[Span] | None:
    """The one window of a short part, found without cutting it into sentences: a part of one
    paragraph whose sentences together have at most ``max_words`` words is one passage from its
    first sentence to its last, which is its text with the whitespace around it trimmed
    (``[]`` when it is blank). ``None`` when the part may need cutting.

    Cutting into sentences can split a word unit in two at each sentence end ("a。b" is one
    unit, its two sentences two), and each end holds a sentence mark: the sentences have at most
    the part's units plus its marks.
    """
    if _PARAGRAPH_BREAK.search(text, part.start, part.end) is not None:
        return None
    chunk = text[part.start : part.end]
    if units_and_marks_exceed(chunk, max_words):
        return None
    stripped = chunk.lstrip()
    if not stripped:
        return []
    start = part.start + len(chunk) - len(stripped)
    return [Span(start, start + len(stripped.rstrip()))]


def _sentence_windows(text: str, part: Span, min_words: int, max_words: int) -> list[list[Span]]:
    """The sentence windows of ``text[part.start:part.end]``, sentence by sentence."""
    windows: list[list[Span]] = []
    current: list[Span] = []
    current_words = 0
    for paragraph in _paragraph_spans(text, part):
        for sentence in _bounded_sentences(text, paragraph, max_words):
            words = _count_words(text, sentence)
            if current and current_words + words > max_words:
                windows.append(current)
                current, current_words = [], 0
            current.append(sentence)
            current_words += words
        if current_words >= min_words:
            windows.append(current)
            current, current_words = [], 0
    if current:
        if windows and current_words < min_words:
            windows[-1:] = _rebalance(text, windows[-1] + current, max_words)
        else:
            windows.append(current)
    return windows


def split_corpus(
    documents: Iterable[Document], min_words: int = MIN_WORDS, max_words: int = MAX_WORDS
) -> list[Passage]:
    """Every document's passages, in corpus order."""
    return [
        passage
        for document in documents
        for passage in split_passages(document, min_words, max_words)
    ]


def _paragraph_spans(text: str, part: Span) -> Iterator[Span]:
    start = part.start
    for match in _PARAGRAPH_BREAK.finditer(text, part.start, part.end):
        if text[start : match.start()].strip():
            yield Span(start, match.start())
        start = match.end()
    if text[start : part.end].strip():
        yield Span(start, part.end)


def _bounded_sentences(text: str, paragraph: Span, max_words: int) -> Iterator[Span]:
    """Sentences of the paragraph; one over ``max_words`` is cut into word windows."""
    for sentence in sentence_spans(text[paragraph.start : paragraph.end], paragraph.start):
        words = list(WORD_UNIT.finditer(text, sentence.start, sentence.end))
        if len(words) <= max_words:
            yield sentence
            continue
        for first in range(0, len(words), max_words):
            chunk = words[first : first + max_words]
            yield Span(chunk[0].start(), chunk[-1].end())


def _count_words(text: str, span: Span) -> int:
    return sum(1 for _ in WORD_UNIT.finditer(text, span.start, span.end))


def _rebalance(text: str, sentences: list[Span], max_words: int) -> list[list[Span]]:
    """One window if it fits in ``max_words``, else two split as evenly as the sentences allow.

    Used for a short tail, so the last passage is neither a scrap nor over the bound.
    """
    counts = [_count_words(text, span) for span in sentences]
    total = sum(counts)
    if total <= max_words or len(sentences) == 1:
        return [sentences]
    best_cut, best_larger = 1, total
    running = 0
    for cut in range(1, len(sentences)):
        running += counts[cut - 1]
        larger = max(running, total - running)
        if larger < best_larger:
            best_cut, best_larger = cut, larger
    return [sentences[:best_cut], sentences[best_cut:]]
