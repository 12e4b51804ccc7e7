"""Word documents (``.docx``): paragraphs and headings in order, tables a line a row, titled
from the document's properties or its first heading; a section per heading.

A ``.docx`` is a zip of XML parts. The zip is checked before anything is unpacked: what it
would expand to must fit ``MAX_FILE_BYTES`` (a zip bomb is refused, never inflated), and
python-docx parses the XML with entity resolution off, and libxml2 refuses an entity
bomb at its amplification limit (malformed XML: a warning, no expansion)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import TYPE_CHECKING

from lxml import etree

from bot.corpus.documents import (
    CorpusLoad,
    Document,
    Refused,
    collapse_title,
    document_id,
    title_from_text,
)
from bot.corpus.sections import SectionedText
from bot.corpus.text import collapse_whitespace

if TYPE_CHECKING:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

WORD_SUFFIXES = frozenset({".docx"})
_HEADING_STYLE = re.compile(r"heading\s*([1-9])", re.IGNORECASE)
# A zip may hold this many parts at most: a real document has a few dozen.
MAX_ZIP_MEMBERS = 10_000


def documents(
    raw: bytes, relative: str, result: CorpusLoad, max_expanded_bytes: int
) -> Iterator[Document]:
    """The one document of a ``.docx`` file."""
    # Imported here: a corpus without Word documents never pays for python-docx.
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    package = io.BytesIO(raw)  # shares ``raw``'s buffer: the file is not copied
    _check_zip(package, max_expanded_bytes)
    try:
        word = docx.Document(package)
    except zipfile.BadZipFile as error:
        raise Refused(f"not a valid Word document (damaged zip: {error})") from None
    except (PackageNotFoundError, KeyError):
        raise Refused("not a valid Word document (a zip, but no Word document in it)") from None
    except etree.XMLSyntaxError:
        raise Refused("not a valid Word document (malformed XML)") from None
    # Style names by id, read once: python-docx looks a paragraph's style up in the whole
    # styles part each time, which was half the load time of a document.
    style_names = {style.style_id: (style.name or "").strip().lower() for style in word.styles}
    text = SectionedText()
    first_heading: str | None = None
    for block in word.iter_inner_content():
        if isinstance(block, Table):
            text.paragraph("\n".join(_table_rows(block)))
            continue
        style = style_names.get(_style_id(block), "")
        level = _heading_level(style)
        if level is not None:
            text.heading(level, block.text)
        else:
            text.paragraph(collapse_whitespace(block.text))
        if level is not None or style == "title":
            first_heading = first_heading or collapse_whitespace(block.text)
    body, sections = text.finish()
    if not body.strip():
        raise Refused("no text in the Word document")
    title = collapse_title(word.core_properties.title or "") or (
        collapse_title(first_heading) if first_heading else None
    )
    yield Document(
        document_id(relative),
        title or title_from_text(body, relative),
        body,
        relative,
        None,
        sections,
    )


def _check_zip(package: io.BytesIO, max_expanded_bytes: int) -> None:
    """Refuse a damaged zip, or one that would expand past ``max_expanded_bytes``: the sizes
    are the zip's own, and reading stops at them (a part that claims less fails its CRC)."""
    try:
        with zipfile.ZipFile(package) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise Refused(f"not a valid Word document (damaged zip: {error})") from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise Refused(f"not a valid Word document ({len(members):,} parts in its zip)")
    expanded = sum(member.file_size for member in members)
    if expanded > max_expanded_bytes:
        raise Refused(
            f"expands to {expanded:,} bytes, over MAX_FILE_BYTES={max_expanded_bytes:,} "
            "(a zip bomb, or a document too large)"
        )
    package.seek(0)


def _style_id(paragraph: Paragraph) -> str:
    """The id of the paragraph's own style ("Heading1"), ``""`` for the default."""
    return paragraph._p.style or ""


def _heading_level(style: str) -> int | None:
    """1–9 for a "Heading n" paragraph, ``None`` for anything else (the "Title" paragraph is
    the document's title, not a section of it)."""
    match = _HEADING_STYLE.fullmatch(style)
    return int(match.group(1)) if match else None


def _table_rows(table: Table) -> Iterator[str]:
    """Each row's cells joined with " | "; a merged cell once."""
    for row in table.rows:
        cells: list[str] = []
        seen: list[object] = []
        for cell in row.cells:
            if any(cell._tc is earlier for earlier in seen):
                continue
            seen.append(cell._tc)
            value = collapse_whitespace(cell.text)
            if value:
                cells.append(value)
        if cells:
            yield " | ".join(cells)
