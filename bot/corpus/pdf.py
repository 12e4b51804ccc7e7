"""PDF files (``.pdf``): the text of each page, through pypdf, a section per page ("p. 12") so
no passage crosses a page; running headers and footers dropped, broken words mended.

pypdf parses the file lazily, from its cross-reference table: a page's objects are read when
its text is asked for, so pages are taken one at a time and only their lines are kept (its
content streams are let go once read). A file
with more pages than ``PDF_MAX_PAGES`` is refused before any page is read; pypdf's own limits
(a stream that inflates past its cap, objects nested too deeply) refuse a bomb."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from bot.corpus.documents import (
    CorpusLoad,
    Document,
    Refused,
    collapse_title,
    document_id,
    title_from_text,
)
from bot.corpus.pdf_text import (
    paragraphs,
    running_line_keys,
    vocabulary,
    without_running_lines,
)
from bot.corpus.sections import SectionedText
from bot.corpus.text import collapse_whitespace

if TYPE_CHECKING:
    from pypdf import PageObject, PdfReader
    from pypdf.generic import PdfObject

log = logging.getLogger(__name__)

PDF_SUFFIXES = frozenset({".pdf"})
# A page's text takes pypdf about 10 s a megabyte of drawing operators to follow, and a page of
# text has some tens of kilobytes: a page with more (a deflate bomb inflates a few kilobytes
# to pypdf's cap, 75 MB) is left out rather than followed for minutes.
MAX_PAGE_CONTENT_BYTES = 512 * 1024
NO_TEXT = "no text: scanned? (its pages are images; only a PDF with a text layer can be quoted)"


def documents(raw: bytes, relative: str, result: CorpusLoad, max_pages: int) -> Iterator[Document]:
    """The one document of a ``.pdf`` file."""
    with _pypdf_notes(relative):
        document = _document(raw, relative, result, max_pages)
    yield document


@contextmanager
def _pypdf_notes(relative: str) -> Iterator[None]:
    """pypdf warns of each repair it makes ("EOF marker not found") without naming the file:
    while it reads one, its warnings are debug notes naming the file, and the file's one
    warning (skipped, or pages left out) is the loader's."""
    pypdf_log = logging.getLogger("pypdf")
    handler = _NoteHandler(relative)
    pypdf_log.addHandler(handler)
    propagated, pypdf_log.propagate = pypdf_log.propagate, False
    try:
        yield
    finally:
        pypdf_log.removeHandler(handler)
        pypdf_log.propagate = propagated


class _NoteHandler(logging.Handler):
    def __init__(self, relative: str) -> None:
        super().__init__()
        self.relative = relative

    def emit(self, record: logging.LogRecord) -> None:
        log.debug("%s: pypdf: %s", self.relative, record.getMessage())


def _document(raw: bytes, relative: str, result: CorpusLoad, max_pages: int) -> Document:
    reader = _open(raw)
    try:
        # The count the page tree declares first: listing the pages walks the whole tree.
        tree = reader.root_object["/Pages"].get_object()
        declared = tree.get("/Count") if isinstance(tree, dict) else None
        if isinstance(declared, int) and declared > max_pages:
            raise Refused(f"{declared:,} pages, over PDF_MAX_PAGES={max_pages:,}")
        page_count = len(reader.pages)
    except Refused:
        raise
    except Exception as error:  # a damaged page tree: pypdf raises many kinds
        raise _damaged(error) from None
    if page_count > max_pages:
        raise Refused(f"{page_count:,} pages, over PDF_MAX_PAGES={max_pages:,}")
    pages, unreadable = _page_texts(reader, page_count)
    if not any(pages):
        if unreadable:
            raise Refused(
                f"not a valid PDF (none of its {page_count:,} pages could be read: damaged, "
                f"or over {MAX_PAGE_CONTENT_BYTES // 1024} KiB of drawing operators)"
            )
        raise Refused(NO_TEXT)
    if unreadable:
        result.repair(
            relative,
            f"{unreadable:,} of {page_count:,} pages could not be read "
            f"(damaged, or over {MAX_PAGE_CONTENT_BYTES // 1024} KiB of drawing operators)",
        )
    labels = _page_labels(reader, page_count)
    running = running_line_keys(_lines(page) for page in pages)
    words = vocabulary(_lines(page) for page in pages)
    text = SectionedText()
    for number, page in enumerate(pages):
        kept = without_running_lines(_lines(page), running)
        if not kept:
            continue
        text.section(f"p. {labels[number]}", None)
        for paragraph in paragraphs(kept, words):
            text.paragraph(paragraph)
        pages[number] = ""  # the page is in ``text`` now
    body, sections = text.finish()
    if not body.strip():
        raise Refused("no text besides the headers and footers on its pages")
    return Document(
        document_id(relative),
        _title(reader) or title_from_text(body, relative),
        body,
        relative,
        None,
        sections,
    )


def _open(raw: bytes) -> PdfReader:
    """A reader of the file, decrypted when it opens without a password."""
    # Imported here: a corpus without PDFs never pays for pypdf.
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(io.BytesIO(raw), strict=False)  # shares ``raw``'s buffer
    except Exception as error:
        raise _damaged(error) from None
    if reader.is_encrypted:
        # An owner password only restricts printing or copying: any reader opens such a file.
        try:
            opened = bool(reader.decrypt(""))
        except DependencyError:
            raise Refused("encrypted with AES: reading it needs the cryptography package") from None
        except Exception:  # a damaged encryption dictionary
            opened = False
        if not opened:
            raise Refused("encrypted: it needs a password to read")
    return reader


def _page_texts(reader: PdfReader, page_count: int) -> tuple[list[str], int]:
    """Each page's non-empty lines (one string a page: a list of lines costs several times
    their text), and how many pages could not be read."""
    pages: list[str] = []
    unreadable = 0
    for number in range(page_count):
        try:
            page = reader.pages[number]
            drawing = _content_bytes(page)
            extracted = page.extract_text() if drawing <= MAX_PAGE_CONTENT_BYTES else ""
            _forget_contents(reader, page)
        except Exception as error:  # a damaged page costs that page, not the file
            log.debug("page %d could not be read", number + 1, exc_info=error)
            drawing = 0
            extracted = ""
            unreadable += 1
        if drawing > MAX_PAGE_CONTENT_BYTES:
            log.debug("page %d: %d bytes of drawing operators", number + 1, drawing)
            unreadable += 1
        lines = (collapse_whitespace(line) for line in extracted.splitlines())
        pages.append("\n".join(line for line in lines if line))
    return pages, unreadable


def _lines(page: str) -> list[str]:
    return page.split("\n") if page else []


def _content_bytes(page: PageObject) -> int:
    """The size of the page's drawing operators, inflated (pypdf caps each stream's)."""
    from pypdf.generic import StreamObject

    total = 0
    for reference in _content_references(page):
        stream = reference.get_object()
        if isinstance(stream, StreamObject):
            total += len(stream.get_data())
    return total


def _content_references(page: PageObject) -> list[PdfObject]:
    from pypdf.generic import ArrayObject

    contents = page.raw_get("/Contents") if "/Contents" in page else None
    if contents is None:
        return []
    return list(contents) if isinstance(contents, ArrayObject) else [contents]


def _forget_contents(reader: PdfReader, page: PageObject) -> None:
    """Drop the page's content streams from the reader's cache of parsed objects: they are
    read once, and kept they would hold every page's decoded drawing operators to the end."""
    from pypdf.generic import IndirectObject

    for reference in _content_references(page):
        if isinstance(reference, IndirectObject):
            reader.resolved_objects.pop((reference.generation, reference.idnum), None)


def _page_labels(reader: PdfReader, page_count: int) -> list[str]:
    """The number printed on each page ("iv", "12") when the PDF names them, else 1, 2, 3…"""
    numbers = [str(number + 1) for number in range(page_count)]
    try:
        labels = [collapse_whitespace(label) for label in reader.page_labels]
    except Exception:  # damaged page labels: the pages' own order is still right
        return numbers
    if len(labels) != page_count:
        return numbers
    return [label or number for label, number in zip(labels, numbers, strict=True)]


def _title(reader: PdfReader) -> str | None:
    try:
        metadata = reader.metadata
        title = metadata.title if metadata is not None else None
    except Exception:  # a damaged information dictionary: the text gives a title
        return None
    if not title:
        return None
    return collapse_title(str(title)) or None


def _damaged(error: BaseException) -> Refused:
    """The warning for a file pypdf cannot read: what it said, if it said something short."""
    if isinstance(error, RecursionError) or isinstance(error.__cause__, RecursionError):
        return Refused("not a valid PDF (objects nested too deeply: a PDF bomb?)")
    detail = collapse_whitespace(str(error))[:120] or type(error).__name__
    return Refused(f"not a valid PDF ({detail})")
