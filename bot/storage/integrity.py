"""Checks that saved arrays fit together, for stores and indexes opened from disk.

A snapshot is renamed into place only once written, but a crash or power loss soon after can
leave files of the right size holding zeros or garbage, and a disk can rot. Arrays whose values
index other arrays are checked once when they are opened, in a few vectorised passes, so a
damaged file is refused with its name (and the cache builds it again) rather than read out of
range on a member's question.
"""

from __future__ import annotations

from typing import Any

import numpy.typing as npt


class DamagedFile(ValueError):
    """A saved file whose contents do not fit the rest; the message names it."""


def require(holds: bool, name: str, what: str) -> None:
    """Raise :class:`DamagedFile` for file ``name`` unless ``holds``."""
    if not holds:
        raise DamagedFile(f"{name} is damaged: {what}")


def within(values: npt.NDArray[Any], low: int, end: int | None) -> bool:
    """Whether every value is at least ``low`` and below ``end`` (no bound when ``None``)."""
    if not values.size:
        return True
    if int(values.min()) < low:
        return False
    return end is None or int(values.max()) < end


def ascending(values: npt.NDArray[Any]) -> bool:
    """Whether ``values`` never decrease."""
    return values.size < 2 or bool((values[1:] >= values[:-1]).all())
