"""The analysis's compiled kernels (numba, the ``fast`` extra), or ``None`` where they cannot
run: one place decides, for language detection and for cutting text into words alike."""

from __future__ import annotations

import importlib
import logging
import os
from types import ModuleType

log = logging.getLogger(__name__)


def compiled_module(name: str) -> ModuleType | None:
    """``bot.analysis.<name>``, a module of numba kernels, when numba is installed and not
    switched off with ``CORPUSBOT_NO_NUMBA``; ``None`` otherwise (the caller's plain path gives
    the same answers)."""
    if os.environ.get("CORPUSBOT_NO_NUMBA"):
        return None
    try:
        return importlib.import_module(f"bot.analysis.{name}")
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    except RuntimeError as error:  # numba finds no folder to cache in
        # The query kernels' warning names the cause and its fix (KERNEL_CACHE_DIR) once.
        log.debug("compiled %s off: %s", name, error)
        return None
