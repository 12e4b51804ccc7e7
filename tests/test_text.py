"""Plain-text helpers shared by passage splitting and snippets."""

from __future__ import annotations

import re
import sys

from bot.text import collapse_whitespace


def test_collapse_whitespace_folds_exactly_what_the_regex_whitespace_class_matches() -> None:
    every_character = "".join(chr(code) for code in range(sys.maxunicode + 1) if code != 0xD800)
    spaced = "x".join(every_character[i : i + 3] for i in range(0, len(every_character), 3))
    assert collapse_whitespace(spaced) == re.sub(r"\s+", " ", spaced).strip()


def test_collapse_whitespace_trims_and_joins() -> None:
    spaced = "  North\n\tKorea\u00a0 and\u2003Russia  "
    assert collapse_whitespace(spaced) == "North Korea and Russia"
    assert collapse_whitespace(" \n ") == ""
