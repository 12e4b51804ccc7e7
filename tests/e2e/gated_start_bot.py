"""``corpusbot run`` whose first corpus load waits until the file ``LOAD_GATE_FILE`` exists, so a
test sees the process before its index is loaded for as long as it likes (a huge corpus).
Otherwise the real bot process, unchanged."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import bot.search.loading
from bot.config import Settings
from bot.search.service import SearchService

_load_service = bot.search.loading.load_service
_loads = [0]


def _gated_load_service(settings: Settings, **choices: Any) -> SearchService:
    _loads[0] += 1
    gate = Path(os.environ["LOAD_GATE_FILE"])
    while _loads[0] == 1 and not gate.exists():
        time.sleep(0.05)
    return _load_service(settings, **choices)


# Before bot.cli imports the runner and client, which import the name.
bot.search.loading.load_service = _gated_load_service

if __name__ == "__main__":
    from bot.cli import main

    sys.exit(main(["run"]))
