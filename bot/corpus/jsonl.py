"""JSONL files: one ``{"id", "title", "text", "url"?, "lang"?}`` record a line, each bad line
its own warning while the rest load."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from json.scanner import make_scanner
from typing import Any

from bot.corpus.documents import (
    CorpusLoad,
    Document,
    Refused,
    SkippedFile,
    collapse_title,
    document_id,
    slug,
    strip_boilerplate,
    title_from_text,
)
from bot.corpus.languages import language_code, not_a_language

# Bad JSONL lines listed one by one; past this a file's further bad lines are only counted, so
# a hostile file cannot flood the log or the skipped list.
MAX_BAD_LINES_LISTED = 5
# A JSON string may hold half of a surrogate pair (written "\ud800"), which UTF-8 cannot encode.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def documents(text: str, relative: str, result: CorpusLoad) -> Iterator[Document]:
    """One document per good line; each bad line is its own warning, the rest load."""
    return documents_of_blocks((text,), relative, result)


def documents_of_blocks(
    blocks: Iterable[str], relative: str, result: CorpusLoad
) -> Iterator[Document]:
    """:func:`documents` of the text ``blocks`` make together, read as they come."""
    stem = document_id(relative)
    bad_lines = 0
    first_ignored: SkippedFile | None = None  # a record whose "lang" is ignored; others counted
    ignored_count = 0
    for number, line in enumerate(_lines(blocks), start=1):
        if not line.strip():
            continue
        where = f"{relative}:{number}"
        try:
            document, bad_language = _record(line, number, stem, where)
        except Refused as bad:
            bad_lines += 1
            if bad_lines <= MAX_BAD_LINES_LISTED:
                result.skip(where, bad.reason)
            continue
        if bad_language is not None:
            ignored_count += 1
            first_ignored = first_ignored or SkippedFile(where, bad_language)
        yield document
    if first_ignored is not None:
        result.repair(*_languages_ignored(relative, first_ignored, ignored_count))
    if bad_lines > MAX_BAD_LINES_LISTED:
        unlisted = bad_lines - MAX_BAD_LINES_LISTED
        result.skip(relative, f"{unlisted:,} more bad lines, not listed one by one")


def _lines(blocks: Iterable[str]) -> Iterator[str]:
    """``"".join(blocks).split("\n")`` one line at a time: a large file's first records are
    read (and sent to a build's workers) before the rest is split, or even decoded, and its
    lines are never all in memory. Only "\n" ends a record: JSON strings may hold U+2028 and
    the like raw, which ``str.splitlines`` would also split on."""
    carried = ""  # the start of a line that a block's end cut
    for text in blocks:
        start = 0
        while (end := text.find("\n", start)) >= 0:
            yield carried + text[start:end] if carried else text[start:end]
            carried = ""
            start = end + 1
        carried += text[start:]
    yield carried


def _languages_ignored(relative: str, first: SkippedFile, count: int) -> tuple[str, str]:
    """One warning for a file's records whose ``lang`` is ignored: the first named, the rest
    counted, so a file of a million such records is one line of the log."""
    if count == 1:
        return first.path, first.reason
    return relative, f"{first.path}: {first.reason} (and {count - 1:,} more records)"


def _record(line: str, number: int, stem: str, where: str) -> tuple[Document, str | None]:
    """The document one JSONL line holds, and why its ``lang`` is ignored if it is;
    :class:`Refused` says why a line holds no document."""
    record = _parsed(line)
    if record is _NOT_PARSED:
        record = _loaded(line)
    if not isinstance(record, dict):
        raise Refused("not a JSON object")
    body = record.get("text")
    if not isinstance(body, str) or not body.strip():
        raise Refused('no "text"')
    record_id = record.get("id", record.get("_id"))
    if record_id is None or (isinstance(record_id, str) and not record_id.strip()):
        record_id = number
    if isinstance(record_id, bool) or not isinstance(record_id, str | int | float):
        raise Refused('"id" is not a string or a number')
    body = strip_boilerplate(_valid_unicode(body))
    title = record.get("title")
    title = collapse_title(_valid_unicode(title)) if isinstance(title, str) else None
    url = record.get("url")
    url = _valid_unicode(url) if isinstance(url, str) else None
    declared = record.get("lang")
    language = language_code(declared)
    ignored = None if declared in (None, "") or language else not_a_language(declared)
    doc_id = slug(f"{stem}/{_valid_unicode(str(record_id))}")
    title = title or title_from_text(body, where)
    return Document(doc_id, title, body, where, url, language=language), ignored


# What a line holds when it is one JSON value with nothing around it: ``json.loads`` without its
# Python steps (looking for whitespace, wrapping errors), 0.6 µs a record against 1.6.
# (typeshed types the context as a scanner; it is read for a decoder's settings, as json does)
_SCAN = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
_NOT_PARSED = object()


def _parsed(line: str) -> Any:
    """The JSON value ``line`` is, when it is one with nothing around it; else
    :data:`_NOT_PARSED`, and :func:`_loaded` says what it holds or why it holds nothing."""
    try:
        value, end = _SCAN(line, 0)
    except (StopIteration, ValueError, RecursionError):
        return _NOT_PARSED
    return value if end == len(line) else _NOT_PARSED


def _loaded(line: str) -> Any:
    """The JSON value ``line`` holds, whitespace around it allowed; :class:`Refused` says why
    it holds none."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as error:
        raise Refused(f"not valid JSON ({error.msg})") from None
    except ValueError:  # an integer of more digits than Python converts
        raise Refused("not valid JSON (a number too long)") from None
    except RecursionError:
        raise Refused("not valid JSON (nested too deeply)") from None


def _valid_unicode(value: str) -> str:
    """``value`` with any lone surrogate replaced by U+FFFD, so it can be stored as UTF-8."""
    if value.isascii():  # known without a scan, and most values are
        return value
    try:
        value.encode("utf-8")  # fails on a lone surrogate only; a third of the regex's time
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub("\ufffd", value)
    return value
