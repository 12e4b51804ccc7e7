"""``corpusbot`` (``python -m tests.fake_languages_main ARGS…``) with the language stand-ins
of ``tests/fake_languages.py``: a real process, for the command-line and end-to-end tests of
how a question's language hint travels. Run it without an index cache (``INDEX_CACHE_DIR=``):
a snapshot built with the stand-ins must not be found by a process without them."""

from __future__ import annotations

import sys

import pytest

from tests.fake_languages import use_fake_languages

if __name__ == "__main__":
    use_fake_languages(pytest.MonkeyPatch())
    from bot.cli import main

    sys.exit(main(sys.argv[1:]))
