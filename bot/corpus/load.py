"""The load driver: every file the walk lists, read, decoded and handed to its format's loader;
one bad file never stops the load."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from bot.corpus import decoding, html_page, jsonl, markdown, pdf, plain_text, word
from bot.corpus.decoding import SNIFF_BYTES, decode, decode_marked, decoded_stream, looks_binary
from bot.corpus.documents import CorpusLoad, Document, Refused
from bot.corpus.text import is_blank
from bot.corpus.walk import (
    CorpusFile,
    FileRules,
    list_corpus,
    read_corpus_blocks,
    read_corpus_file,
)

log = logging.getLogger(__name__)

DEFAULT_RULES = FileRules()
# Documents of one file dropped for an id an earlier one has that are named one by one: a JSONL
# export whose every record carries the same "id" is one warning and a count, not a million.
MAX_DUPLICATES_LISTED = 5
# A format's loader: the documents in one file's text, what it skips going into the load.
FormatLoader = Callable[[str, str, CorpusLoad], Iterator[Document]]


def load_corpus(root: Path, rules: FileRules = DEFAULT_RULES) -> CorpusLoad:
    """Load every supported file under ``root``; one bad file never stops the load."""
    result = CorpusLoad()
    if not root.is_dir():
        raise FileNotFoundError(f"corpus folder {root} does not exist or is not a folder")
    result.documents.extend(iter_documents(root, result, rules))
    return result


def iter_documents(
    root: Path, result: CorpusLoad, rules: FileRules = DEFAULT_RULES
) -> Iterator[Document]:
    """The documents :func:`load_corpus` loads, one at a time, as each file is read; what is
    skipped or repaired goes into ``result``."""
    listing = list_corpus(root, rules)
    for refused in listing.skipped:
        result.skip(refused.path, refused.reason)
    seen_ids: set[str] = set()
    for file in listing.files:
        yield from file_documents(file, result, rules, seen_ids)


def file_documents(
    file: CorpusFile, result: CorpusLoad, rules: FileRules, seen_ids: set[str]
) -> Iterator[Document]:
    """The documents of one file as its loader reads them, streamed (a JSONL file of a
    million records goes to a build's workers as it is parsed, not once it all is); a document
    whose id is in ``seen_ids`` is skipped, and each one yielded is added to them.

    A loader error ends the file there: the documents read before it stay, and the file is
    noted as skipped with the error's type (a loader bug costs that file, never the corpus).
    """
    loaded = duplicates = 0
    try:
        for document in _load_file(file, rules, result):
            document = _composed(document)
            if document.id in seen_ids:
                duplicates += 1
                if duplicates <= MAX_DUPLICATES_LISTED:
                    result.skip(file.relative, f"duplicate document id {document.id!r}")
                continue
            seen_ids.add(document.id)
            loaded += 1
            yield document
    except Exception as error:
        log.debug("loading %s failed", file.relative, exc_info=error)
        kept = f" past its first {loaded:,} documents" if loaded else ""
        result.skip(file.relative, f"could not be loaded{kept} ({type(error).__name__})")
    if duplicates > MAX_DUPLICATES_LISTED:
        unlisted = duplicates - MAX_DUPLICATES_LISTED
        result.skip(
            file.relative, f"duplicate document ids of {unlisted:,} more documents, not listed"
        )


def _composed(document: Document) -> Document:
    """The document in Unicode NFC, so "é" typed as e + accent is the same word everywhere
    (tokens, snippet matches, ids) as the one-character "é" a member types."""
    if unicodedata.is_normalized("NFC", document.text) and unicodedata.is_normalized(
        "NFC", document.title
    ):
        return document
    # Sections start where blocks start, so each start moves by what its prefix shrank.
    sections = tuple(
        replace(section, start=len(unicodedata.normalize("NFC", document.text[: section.start])))
        for section in document.sections
    )
    return replace(
        document,
        title=unicodedata.normalize("NFC", document.title),
        text=unicodedata.normalize("NFC", document.text),
        sections=sections,
    )


def _load_file(file: CorpusFile, rules: FileRules, result: CorpusLoad) -> Iterator[Document]:
    relative = file.relative
    suffix = Path(relative).suffix.lower()
    if suffix == ".jsonl":
        yield from _jsonl_documents(file, rules, result)
        return
    try:
        raw = read_corpus_file(file, rules.max_file_bytes)
    except Refused as refused:
        result.skip(relative, refused.reason)
        return
    if suffix in html_page.HTML_SUFFIXES or suffix in word.WORD_SUFFIXES | pdf.PDF_SUFFIXES:
        yield from _load_page(raw, suffix, relative, rules, result)
        return
    text = decode_marked(raw, relative, result)
    if text is None:
        if is_blank(raw):
            result.skip(relative, "empty")
            return
        if looks_binary(raw[:SNIFF_BYTES]):
            result.skip(relative, "binary")
            return
        text = decode(raw, relative, result)
    text = _newlines(text)
    if is_blank(text):
        result.skip(relative, "empty")
        return
    yield from _format_loader(suffix)(text, relative, result)


def _jsonl_documents(file: CorpusFile, rules: FileRules, result: CorpusLoad) -> Iterator[Document]:
    """A JSONL file's documents, read and decoded a block at a time as its lines are parsed (a
    large file's first records go to a build's workers before the rest is read, and it is never
    in memory whole); what a whole text gets, as :func:`_load_file` treats it, each block gets
    alone. It is judged line by line: a NUL in one record costs that record, not the file."""
    relative = file.relative
    blank = True

    def blocks() -> Iterator[str]:
        nonlocal blank
        try:
            chunks = read_corpus_blocks(file, rules.max_file_bytes, decoding.BLOCK_BYTES)
            for text in decoded_stream(chunks, relative, result):
                block = _newlines(text)  # each block ends after a "\n": no "\r\n" is cut
                blank = blank and is_blank(block)
                yield block
        except Refused as refused:  # as it was opened, or grown past the limit: what came stays
            blank = False
            result.skip(relative, refused.reason)

    yield from jsonl.documents_of_blocks(blocks(), relative, result)
    if blank:  # its lines, all blank, gave no document and no warning
        result.skip(relative, "empty")


def _newlines(text: str) -> str:
    """``text`` with each line ended by "\n" alone (Windows' "\r\n", old Macs' "\r")."""
    if "\r" not in text:  # a scan, where the replacements copy the whole text twice
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _load_page(
    raw: bytes, suffix: str, relative: str, rules: FileRules, result: CorpusLoad
) -> Iterator[Document]:
    """An HTML page, a Word document or a PDF: read from its bytes by a parser that finds their
    own encoding, never decoded to a second copy first."""
    if is_blank(raw):
        result.skip(relative, "empty")
        return
    is_page = suffix in html_page.HTML_SUFFIXES
    if is_page and not html_page.has_unicode_bom(raw) and looks_binary(raw[:SNIFF_BYTES]):
        result.skip(relative, "binary")
        return
    try:
        if suffix in word.WORD_SUFFIXES:
            documents = list(word.documents(raw, relative, result, rules.max_file_bytes))
        elif suffix in pdf.PDF_SUFFIXES:
            documents = list(pdf.documents(raw, relative, result, rules.max_pdf_pages))
        else:
            documents = list(html_page.documents(raw, relative, result))
    except Refused as refused:
        result.skip(relative, refused.reason)
        return
    yield from documents


def _format_loader(suffix: str) -> FormatLoader:
    """The loader for a file's suffix; anything the walk lists that is not JSONL or Markdown is
    plain text."""
    if suffix == ".jsonl":
        return jsonl.documents
    if suffix in {".md", ".markdown"}:
        return markdown.documents
    return plain_text.documents
