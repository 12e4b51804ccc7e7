"""bot/export_files.py: an export fits the upload limit as is, gzipped, or in gzipped parts."""

from __future__ import annotations

import csv
import gzip
import io
import random
from pathlib import Path

import pytest

from bot.present.export_files import TooLargeError, fit_to_limit

HEADER = b"id,query\n"


def write(tmp_path: Path, lines: int, *, noisy: bool = False) -> Path:
    source = tmp_path / "querylog.csv"
    rng = random.Random(4)
    with source.open("wb") as out:
        out.write(HEADER)
        for n in range(lines):
            text = rng.randbytes(40).hex() if noisy else "the same question again"
            out.write(f"{n},{text}\n".encode())
    return source


def test_small_export_is_sent_as_is(tmp_path: Path) -> None:
    source = write(tmp_path, 10)
    assert fit_to_limit(source, 10_000, header=True) == [source]


def test_compressible_export_is_gzipped(tmp_path: Path) -> None:
    source = write(tmp_path, 5000)
    [packed] = fit_to_limit(source, source.stat().st_size // 4, header=True)
    assert packed.name == "querylog.csv.gz"
    assert gzip.decompress(packed.read_bytes()) == source.read_bytes()


def test_large_export_is_split_on_lines_with_the_header_repeated(tmp_path: Path) -> None:
    source = write(tmp_path, 3000, noisy=True)
    limit = 60_000
    parts = fit_to_limit(source, limit, header=True)
    assert 2 < len(parts) <= 20
    assert all(part.stat().st_size <= limit for part in parts)
    texts = [gzip.decompress(part.read_bytes()) for part in parts]
    assert all(text.startswith(HEADER) for text in texts)
    assert HEADER + b"".join(text[len(HEADER) :] for text in texts) == source.read_bytes()


def test_hopelessly_large_export_is_refused(tmp_path: Path) -> None:
    source = write(tmp_path, 3000, noisy=True)
    with pytest.raises(TooLargeError):
        fit_to_limit(source, 2_000, header=True)


def test_a_split_csv_keeps_each_question_with_a_line_break_whole(tmp_path: Path) -> None:
    """A question holding a line break is one CSV record over two lines, in quotes: a part must
    not end inside it, or both parts (each opened on its own) are broken."""
    source = tmp_path / "querylog.csv"
    rng = random.Random(5)
    rows = [
        [str(n), f'{rng.randbytes(30).hex()}\n"{rng.randbytes(30).hex()}"'] for n in range(3000)
    ]
    with source.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "query"])
        writer.writerows(rows)
    parts = fit_to_limit(source, 60_000, header=True)
    assert len(parts) > 2
    found = []
    for part in parts:
        text = gzip.decompress(part.read_bytes()).decode("utf-8")
        [header, *records] = list(csv.reader(io.StringIO(text, newline="")))
        assert header == ["id", "query"]
        found += records
    assert found == rows
