"""``corpusbot run`` with every search slowed by ``SLOW_SEARCH_SECONDS`` (a huge corpus on a busy
machine), for the shutdown tests, and every id completion by ``SLOW_COMPLETE_SECONDS`` and
"closest ids" look-up by ``SLOW_CLOSEST_SECONDS`` (both scan the ids of many documents).
Otherwise the real bot process, unchanged."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from bot.search import SearchResponse, SearchService

_search = SearchService.search
_complete = SearchService.complete
_closest_ids = SearchService.closest_ids


def _slow_search(self: SearchService, *args: Any, **kwargs: Any) -> SearchResponse:
    time.sleep(float(os.environ.get("SLOW_SEARCH_SECONDS", "3")))
    return _search(self, *args, **kwargs)


def _slow_complete(self: SearchService, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
    time.sleep(float(os.environ.get("SLOW_COMPLETE_SECONDS", "0")))
    return _complete(self, *args, **kwargs)


def _slow_closest_ids(self: SearchService, *args: Any, **kwargs: Any) -> list[str]:
    time.sleep(float(os.environ.get("SLOW_CLOSEST_SECONDS", "0")))
    return _closest_ids(self, *args, **kwargs)


SearchService.search = _slow_search  # type: ignore[method-assign]
SearchService.complete = _slow_complete  # type: ignore[method-assign]
SearchService.closest_ids = _slow_closest_ids  # type: ignore[method-assign]

if __name__ == "__main__":
    from bot.cli import main

    sys.exit(main(["run"]))
