"""Plain-text files: the whole file is one document, titled by its first sentence."""

from __future__ import annotations

from collections.abc import Iterator

from bot.corpus.documents import (
    CorpusLoad,
    Document,
    document_id,
    strip_boilerplate,
    title_from_text,
)


def documents(text: str, relative: str, result: CorpusLoad) -> Iterator[Document]:
    """The one document of a plain-text file."""
    yield from document_from_body(relative, None, text, result)


def document_from_body(
    relative: str, title: str | None, body: str, result: CorpusLoad, language: str | None = None
) -> Iterator[Document]:
    """The file's document, page furniture removed; none when no text is left."""
    body = strip_boilerplate(body)
    if not body.strip():
        result.skip(relative, "no text left after removing page boilerplate")
        return
    title = title or title_from_text(body, relative)
    yield Document(document_id(relative), title, body, relative, language=language)
