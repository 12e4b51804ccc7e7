"""Bytes to text: UTF-8, UTF-16/32 with a byte-order mark, or Windows-1252, repairing what can
be repaired and saying so."""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Iterable, Iterator

from bot.corpus.documents import CorpusLoad

SNIFF_BYTES = 8192
# Bytes read and decoded at a time from a JSONL file (see :func:`decoded_stream`): a large
# file's first lines are ready after one block rather than after the whole file (reading 56 MB
# into one buffer took 28-31 ms, decoding it 40), and it is never in memory all at once.
BLOCK_BYTES = 1 << 20
# A character UTF-8 encodes in two to four bytes; a file with none of these is not UTF-8 text
# with a few damaged bytes but text in a one-byte encoding.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
# Byte-order marks of the encodings Windows tools write besides UTF-8 (UTF-32 first: its
# little-endian mark starts with UTF-16's).
_UNICODE_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_LONGEST_MARK = 4


def looks_binary(head: bytes) -> bool:
    """NUL bytes, or mostly control characters, mean the file is not text."""
    if b"\x00" in head:
        return True
    controls = sum(1 for byte in head if byte < 32 and byte not in b"\t\n\r\f\v\x1b")
    return controls > max(8, len(head) // 10)


def decode_marked(raw: bytes, relative: str, result: CorpusLoad) -> str | None:
    """Text that starts with a UTF-16 or UTF-32 byte-order mark (Notepad's "Unicode",
    PowerShell's ``>``), decoded; ``None`` for anything else."""
    encoding = _marked_encoding(raw)
    return None if encoding is None else _decode_marked_as(raw, encoding, relative, result)


def _marked_encoding(head: bytes) -> str | None:
    """UTF-16 or UTF-32, when ``head`` (the first four bytes at least) starts with its mark."""
    for mark, encoding in _UNICODE_BOMS:
        if head.startswith(mark):
            return encoding
    return None


def _decode_marked_as(raw: bytes, encoding: str, relative: str, result: CorpusLoad) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        text = raw.decode(encoding, errors="replace")
        reason = (
            f"not valid {encoding.upper()} (first bad byte at {error.start}); "
            "undecodable bytes replaced with \ufffd"
        )
        result.repair(relative, reason)
        return text


def decode(raw: bytes, relative: str, result: CorpusLoad) -> str:
    """UTF-8; else, when no byte sequence in the file is UTF-8 at all, Windows-1252 (what
    older Windows tools and many web pages wrote: "café", “quotes”); else UTF-8 with the bad
    bytes replaced."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return _not_utf8(raw, error.start, relative, result)


def _not_utf8(
    rest: bytes,
    bad_at: int,
    relative: str,
    result: CorpusLoad,
    *,
    utf8_before: bool = False,
    replaced_before: int = 0,
) -> str:
    """:func:`decode`'s text of the end of a file that is not UTF-8, ``rest``, whose first bad
    byte is ``bad_at`` into the file: the part before ``rest`` decoded as UTF-8, holding a
    multibyte sequence (``utf8_before``) and ``replaced_before`` U+FFFD characters."""
    if not utf8_before and not _UTF8_MULTIBYTE.search(rest):
        text = rest.decode("cp1252", errors="replace")
        reason = f"not valid UTF-8 (first bad byte at {bad_at}); read as Windows-1252"
    else:
        text = rest.decode("utf-8", errors="replace")
        replaced = replaced_before + text.count(chr(0xFFFD))
        reason = (
            f"not valid UTF-8 (first bad byte at {bad_at}); "
            f"{replaced} undecodable bytes replaced with \ufffd"
        )
    result.repair(relative, reason)
    return text


def decoded_stream(chunks: Iterable[bytes], relative: str, result: CorpusLoad) -> Iterator[str]:
    """The text of the bytes ``chunks`` make end to end, as :func:`decode_marked` or else
    :func:`decode` reads them whole, a block at a time as they come: each block but the last
    ends with a newline, and together they are that text (with what it repairs noted).

    A block ends after a chunk's last newline byte, which no UTF-8 sequence holds, so each
    decodes alone as it does within the whole. From the first block that is not UTF-8 on, the
    rest of the chunks is read and decoded as :func:`decode` reads a whole file: every block
    before it was UTF-8, which is ASCII when no multibyte sequence was among them (and then
    Windows-1252 reads it alike). Bytes that start with a byte-order mark are decoded whole:
    ``utf-8-sig`` drops UTF-8's, which the other readings keep, and UTF-16 and UTF-32 have no
    newline byte to cut at.
    """
    chunks = iter(chunks)
    opening = b""
    for first in chunks:  # the longest mark's length (UTF-32's), before anything is cut
        opening += first
        if len(opening) >= _LONGEST_MARK:
            break
    encoding = _marked_encoding(opening)
    if encoding is not None:
        yield _decode_marked_as(b"".join([opening, *chunks]), encoding, relative, result)
        return
    if opening.startswith(codecs.BOM_UTF8):
        yield decode(b"".join([opening, *chunks]), relative, result)
        return
    pending: list[bytes] = []  # the bytes after the last newline so far
    decoded = replaced = 0  # bytes decoded, and U+FFFD characters among them
    utf8 = False  # whether a multibyte sequence was among them
    for chunk in itertools.chain((opening,), chunks, (None,)):  # None: the end
        if chunk is None:
            block, pending = b"".join(pending), []
        else:
            cut = chunk.rfind(b"\n") + 1
            if not cut:  # a line goes on: joined once it ends, not copied chunk by chunk
                pending.append(chunk)
                continue
            block, pending = b"".join([*pending, chunk[:cut]]), [chunk[cut:]]
        if not block:
            continue
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError as error:
            rest = b"".join([block, *pending, *chunks])
            yield _not_utf8(
                rest,
                decoded + error.start,
                relative,
                result,
                utf8_before=utf8,
                replaced_before=replaced,
            )
            return
        decoded += len(block)
        replaced += text.count(chr(0xFFFD))
        utf8 = utf8 or not block.isascii()
        yield text
