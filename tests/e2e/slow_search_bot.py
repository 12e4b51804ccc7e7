"""``corpusbot run`` with every search slowed by ``SLOW_SEARCH_SECONDS`` (a huge corpus on a busy
machine), for the shutdown tests, every id completion by ``SLOW_COMPLETE_SECONDS`` and "closest
ids" look-up by ``SLOW_CLOSEST_SECONDS`` (both scan the ids of many documents), and every corpus
load after the first (a reload) by ``SLOW_RELOAD_SECONDS``. Otherwise the real bot process,
unchanged."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import bot.search.loading
from bot.config import Settings
from bot.search.service import SearchResponse, SearchService

_search = SearchService.search
_complete = SearchService.complete
_closest_ids = SearchService.closest_ids
_load_service = bot.search.loading.load_service
_loads = [0]


def _slow_search(self: SearchService, *args: Any, **kwargs: Any) -> SearchResponse:
    time.sleep(float(os.environ.get("SLOW_SEARCH_SECONDS", "3")))
    return _search(self, *args, **kwargs)


def _slow_complete(self: SearchService, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
    time.sleep(float(os.environ.get("SLOW_COMPLETE_SECONDS", "0")))
    return _complete(self, *args, **kwargs)


def _slow_closest_ids(self: SearchService, *args: Any, **kwargs: Any) -> list[str]:
    time.sleep(float(os.environ.get("SLOW_CLOSEST_SECONDS", "0")))
    return _closest_ids(self, *args, **kwargs)


def _slow_load_service(settings: Settings, **choices: Any) -> SearchService:
    _loads[0] += 1
    if _loads[0] > 1:
        time.sleep(float(os.environ.get("SLOW_RELOAD_SECONDS", "0")))
    return _load_service(settings, **choices)


# Before bot.cli imports the runner and client, which import the name.
bot.search.loading.load_service = _slow_load_service
SearchService.search = _slow_search  # type: ignore[method-assign]
SearchService.complete = _slow_complete  # type: ignore[method-assign]
SearchService.closest_ids = _slow_closest_ids  # type: ignore[method-assign]

if __name__ == "__main__":
    from bot.cli import main

    sys.exit(main(["run"]))
