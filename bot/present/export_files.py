"""Make an export fit an upload limit: as is, gzipped, or split into gzipped parts.

The export is first written to disk (rows streamed from SQLite, never all in memory). If it is
larger than the limit it is gzipped; if even that is too large it is cut between rows into parts
that are each gzipped and each under the limit. A CSV part repeats the header line, and a question
quoted over two lines stays in one part, so every part opens on its own.
"""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO

MAX_PARTS = 20


class TooLargeError(ValueError):
    """Even split into ``MAX_PARTS`` gzipped parts, the export does not fit."""


def fit_to_limit(source: Path, limit: int, *, header: bool) -> list[Path]:
    """Files next to ``source``, each at most ``limit`` bytes, that together hold it."""
    if source.stat().st_size <= limit:
        return [source]
    packed = source.with_name(source.name + ".gz")
    with source.open("rb") as plain, gzip.open(packed, "wb") as out:
        shutil.copyfileobj(plain, out)
    if packed.stat().st_size <= limit:
        return [packed]
    ratio = packed.stat().st_size / source.stat().st_size
    budget = int(limit / ratio * 0.8)
    while budget > 0:
        parts = _split(source, budget, header=header)
        if len(parts) > MAX_PARTS:
            break
        if all(part.stat().st_size <= limit for part in parts):
            return parts
        for part in parts:
            part.unlink()
        budget //= 2
    raise TooLargeError(f"the export does not fit in {MAX_PARTS} files of {limit} bytes")


def _split(source: Path, budget: int, *, header: bool) -> list[Path]:
    """Gzipped parts holding about ``budget`` uncompressed bytes of whole records each."""
    parts: list[Path] = []
    with source.open("rb") as plain:
        first = plain.readline() if header else b""
        records = _csv_records(plain) if header else iter(plain)
        line = next(records, b"")
        while line:
            part = source.with_name(f"{source.stem}.part{len(parts) + 1}{source.suffix}.gz")
            parts.append(part)
            with gzip.open(part, "wb") as out:
                written = out.write(first)
                while line and (written == len(first) or written + len(line) <= budget):
                    written += out.write(line)
                    line = next(records, b"")
            if len(parts) > MAX_PARTS:
                break
    return parts


def _csv_records(plain: IO[bytes]) -> Iterator[bytes]:
    """CSV records, each one or more whole lines: a question with a line break is quoted over
    two lines, and a part cut between them would break both parts. A record is complete when it
    holds an even number of ``"`` (quotes inside a field are doubled)."""
    record = b""
    for line in plain:
        record += line
        if record.count(b'"') % 2 == 0:
            yield record
            record = b""
    if record:
        yield record
