"""Shared fixtures: the seed corpus copy under tests/data, and small corpora built per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.index import BM25Parameters, PassageIndex
from bot.search.service import SearchService

DATA = Path(__file__).parent / "data"
SEED_DIR = DATA / "seed"


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels() -> None:
    """Compile the numba kernels into numba's on-disk cache before any test starts a bot.

    A fresh clone has no cache: every bot process would compile them itself (about 15 s on a
    2-core machine) while its first /ask waits, longer than an end-to-end test waits for a
    reply. Once cached, a process loads them in about half a second.
    """
    index = PassageIndex.build([["a", "b"], ["b", "c"]], BM25Parameters(), backend="numba")
    index.warm_up()


@pytest.fixture(scope="session")
def seed_service() -> SearchService:
    """The search service over the seed article (a copy, so editing seeds/ breaks no test)."""
    return SearchService.from_folder(SEED_DIR)
