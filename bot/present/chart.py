"""A small PNG of questions per day (bars) and answered share (line), without a plot library.

The stats embed already states every number, so the chart carries no text: it only has to show the
shape of the last days at a glance. Drawing bars and a line into a numpy array and writing the PNG
by hand (zlib + three chunks) costs ~60 lines and no dependency, where matplotlib would add
tens of megabytes and a second of import time to the bot.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

BACKGROUND = (43, 45, 49)  # Discord's dark embed background
GRID = (70, 72, 78)
BAR = (88, 101, 242)  # blurple: questions
LINE = (87, 242, 135)  # green: answered share
MARGIN = 8

Image = npt.NDArray[np.uint8]


def daily_chart(
    days: Sequence[tuple[int, float | None]], width: int = 600, height: int = 200
) -> bytes:
    """PNG bytes: one bar per ``(questions, answered share)`` day, scaled to the busiest day."""
    image = np.empty((height, width, 3), np.uint8)
    image[:, :] = BACKGROUND
    plot_height = height - 2 * MARGIN
    bottom = height - MARGIN
    for level in (0.0, 0.5, 1.0):  # gridlines at 0 %, 50 % and 100 % answered
        y = bottom - round(level * plot_height)
        image[max(0, y - 1) : y, MARGIN : width - MARGIN] = GRID
    if days:
        busiest = max(count for count, _ in days) or 1
        slot = (width - 2 * MARGIN) / len(days)
        bar = max(1, int(slot * 0.7))
        points: list[tuple[int, int] | None] = []
        for index, (count, share) in enumerate(days):
            left = int(MARGIN + index * slot + (slot - bar) / 2)
            top = bottom - round(count / busiest * plot_height)
            image[top:bottom, left : left + bar] = BAR
            centre = left + bar // 2
            points.append(None if share is None else (centre, bottom - round(share * plot_height)))
        _polyline(image, points)
    return encode_png(image)


def _polyline(image: Image, points: Sequence[tuple[int, int] | None]) -> None:
    """Join consecutive known points with a 3-pixel line; a lone point is a dot."""
    height, width, _ = image.shape
    for start, end in zip(points, [*points[1:], None], strict=True):
        if start is None:
            continue
        stop = end or start
        steps = max(abs(stop[0] - start[0]), abs(stop[1] - start[1]), 1)
        xs = np.linspace(start[0], stop[0], steps + 1).round().astype(int)
        ys = np.linspace(start[1], stop[1], steps + 1).round().astype(int)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                image[np.clip(ys + dy, 0, height - 1), np.clip(xs + dx, 0, width - 1)] = LINE


def encode_png(image: Image) -> bytes:
    """An 8-bit RGB PNG of an ``(height, width, 3)`` array."""
    height, width, _ = image.shape
    scanlines = np.zeros((height, width * 3 + 1), np.uint8)  # filter byte 0 per row
    scanlines[:, 1:] = image.reshape(height, width * 3)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(scanlines.tobytes(), 9))
        + chunk(b"IEND", b"")
    )
