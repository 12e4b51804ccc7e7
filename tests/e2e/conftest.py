"""End-to-end tests: the real ``corpusbot run`` process against the local fake Discord.

Every test in this folder is marked ``e2e``, so ``pytest -m "not e2e"`` runs the unit tests
alone (seconds) and ``pytest -m e2e`` these (most of the suite's time).
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)
