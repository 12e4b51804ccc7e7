"""Shared fixtures: the seed corpus copy under tests/data, and small corpora built per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.search import SearchService

DATA = Path(__file__).parent / "data"
SEED_DIR = DATA / "seed"


@pytest.fixture(scope="session")
def seed_service() -> SearchService:
    """The search service over the seed article (a copy, so editing seeds/ breaks no test)."""
    return SearchService.from_folder(SEED_DIR)
