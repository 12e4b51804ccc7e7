"""The log's clock: times people type, and days ago, in the log's format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.querylog.clock import cutoff, iso, parse_since
from tests.querylog.rows import NOW


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", NOW - timedelta(days=7)),
        ("12h", NOW - timedelta(hours=12)),
        (" 30M ", NOW - timedelta(minutes=30)),
        ("2w", NOW - timedelta(weeks=2)),
        ("2025-01-31", datetime(2025, 1, 31, tzinfo=UTC)),
        ("2025-01-31T08:00:00+02:00", datetime(2025, 1, 31, 6, tzinfo=UTC)),
    ],
)
def test_parse_since(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == iso(expected)


@pytest.mark.parametrize("text", ["yesterday", "7 days", "-3d", "'; DROP TABLE queries; --", ""])
def test_parse_since_rejects_other_text(text: str) -> None:
    with pytest.raises(ValueError, match="since"):
        parse_since(text, NOW)


@pytest.mark.parametrize("text", ["9999-12-31T23:00-05:00", "0001-01-01T00:00+01:00"])
def test_parse_since_explains_dates_out_of_range(text: str) -> None:
    """Python raises OverflowError, not ValueError, for these; the member gets a sentence."""
    with pytest.raises(ValueError, match="`since` is too far"):
        parse_since(text, NOW)


def test_cutoff_before_year_one_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="before the first date"):
        cutoff(10**9, NOW)
