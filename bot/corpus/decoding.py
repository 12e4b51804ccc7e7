"""Bytes to text: UTF-8, UTF-16/32 with a byte-order mark, or Windows-1252, repairing what can
be repaired and saying so."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

from bot.corpus.documents import CorpusLoad

SNIFF_BYTES = 8192
# Bytes decoded at a time by :func:`decoded_blocks`: a large file's first lines are ready after
# one block rather than after the whole file (54 MB took 40 ms to decode, its fresh pages most
# of that), and its text is never in memory all at once.
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


def looks_binary(head: bytes) -> bool:
    """NUL bytes, or mostly control characters, mean the file is not text."""
    if b"\x00" in head:
        return True
    controls = sum(1 for byte in head if byte < 32 and byte not in b"\t\n\r\f\v\x1b")
    return controls > max(8, len(head) // 10)


def decode_marked(raw: bytes, relative: str, result: CorpusLoad) -> str | None:
    """Text that starts with a UTF-16 or UTF-32 byte-order mark (Notepad's "Unicode",
    PowerShell's ``>``), decoded; ``None`` for anything else."""
    for mark, encoding in _UNICODE_BOMS:
        if raw.startswith(mark):
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
    return None


def decode(raw: bytes, relative: str, result: CorpusLoad) -> str:
    """UTF-8; else, when no byte sequence in the file is UTF-8 at all, Windows-1252 (what
    older Windows tools and many web pages wrote: "café", “quotes”); else UTF-8 with the bad
    bytes replaced."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if not _UTF8_MULTIBYTE.search(raw):
            text = raw.decode("cp1252", errors="replace")
            reason = f"not valid UTF-8 (first bad byte at {error.start}); read as Windows-1252"
        else:
            text = raw.decode("utf-8", errors="replace")
            reason = (
                f"not valid UTF-8 (first bad byte at {error.start}); "
                f"{text.count(chr(0xFFFD))} undecodable bytes replaced with \ufffd"
            )
        result.repair(relative, reason)
        return text


def decoded_blocks(raw: bytes, relative: str, result: CorpusLoad) -> Iterator[str]:
    """:func:`decode`'s text of ``raw``, a block at a time: each block but the last ends with a
    newline, and together they are that text (with what it repairs noted).

    Blocks are cut after a newline byte, which no UTF-8 sequence holds, so each decodes alone
    as it does within the whole. At the first one that is not UTF-8, the rest comes from
    :func:`decode` of the whole file, which decides how it is read: every block before it is
    UTF-8, so the same either way, but for a byte-order mark, which ``utf-8-sig`` drops and
    the other readings keep; a file that starts with one is decoded whole.
    """
    if raw.startswith(codecs.BOM_UTF8):
        yield decode(raw, relative, result)
        return
    start = decoded = 0
    while start < len(raw):
        newline = raw.find(b"\n", start + BLOCK_BYTES - 1)
        end = len(raw) if newline < 0 else newline + 1
        try:
            block = raw[start:end].decode("utf-8")
        except UnicodeDecodeError:
            yield decode(raw, relative, result)[decoded:]
            return
        decoded += len(block)
        yield block
        start = end
