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
    """Compile the numba kernels into numba's on-disk cache once, before the tests that use
    them (the numba backend's, and any process with an index of COMPILED_FROM_PASSAGES or
    more): a fresh clone has no cache, and each process would compile them itself (about 15 s
    on a 2-core machine). Once cached, a process loads them in about half a second.
    """
    index = PassageIndex.build([["a", "b"], ["b", "c"]], BM25Parameters(), backend="numba")
    index.warm_up()


@pytest.fixture(scope="session")
def seed_service() -> SearchService:
    """The search service over the seed article (a copy, so editing seeds/ breaks no test)."""
    return SearchService.from_folder(SEED_DIR)
