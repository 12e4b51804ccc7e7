"""The query log's one clock and time format: ISO 8601 UTC, milliseconds; it sorts as text."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta


def iso(moment: datetime) -> str:
    """The log's time format (ISO 8601 UTC, milliseconds), which sorts as text."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def now_utc() -> datetime:
    """The current time, UTC."""
    return datetime.now(UTC)


def timestamp() -> str:
    """The current time in the log's format."""
    return iso(now_utc())


_RELATIVE = re.compile(r"^\s*(\d{1,5})\s*([mhdw])\s*$", re.IGNORECASE)


_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime | None = None) -> str:
    """``7d``, ``12h``, ``30m``, ``2w``, a date or an ISO time -> the log's time format.

    Raises ``ValueError`` with a message fit to show the person who typed it.
    """
    now = now or now_utc()
    relative = _RELATIVE.match(text)
    try:
        if relative:
            amount, unit = int(relative[1]), _UNITS[relative[2].lower()]
            return iso(now - timedelta(**{unit: amount}))
        moment = datetime.fromisoformat(text.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return iso(moment)
    except OverflowError:  # "9999-12-31T23:00-05:00" is after year 9999 in UTC
        raise ValueError("`since` is too far in the past or the future for a date") from None
    except ValueError:
        raise ValueError(
            "`since` takes a span such as 7d, 12h, 30m or 2w, or a date such as 2025-01-31"
        ) from None


def cutoff(days: float, now: datetime | None = None) -> str:
    """The time ``days`` ago, in the log's format (``ValueError`` before year 1)."""
    try:
        return iso((now or now_utc()) - timedelta(days=days))
    except OverflowError:
        raise ValueError(f"{days} days ago is before the first date there is") from None
