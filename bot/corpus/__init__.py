"""The corpus folder as documents: the walk and safe reading (``walk``), bytes to text
(``decoding``), one loader per format (``plain_text``, ``markdown``, ``jsonl``, ``html_page``,
``word``, ``pdf`` with ``pdf_text``), the document types (``documents``) and the sections of
one (``sections``), the load driver (``load``), and the passages documents are cut into."""

from bot.corpus.documents import CorpusLoad, Document, Section, SkippedFile
from bot.corpus.load import iter_documents, load_corpus
from bot.corpus.walk import (
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MAX_PDF_PAGES,
    SUPPORTED_SUFFIXES,
    FileRules,
    list_corpus,
)

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "DEFAULT_MAX_PDF_PAGES",
    "SUPPORTED_SUFFIXES",
    "CorpusLoad",
    "Document",
    "FileRules",
    "Section",
    "SkippedFile",
    "iter_documents",
    "list_corpus",
    "load_corpus",
]
