"""Query backends: numpy, always there, and numba's compiled kernels, when installed.

Both give ``rank-bm25``'s exact scores, ties broken by position. ``"auto"`` takes numba for an
index of :data:`~bot.index.backends.base.COMPILED_FROM_PASSAGES` passages or more, when it can be
imported and ``CORPUSBOT_NO_NUMBA`` is not set; naming a backend takes that one.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from pathlib import Path
from typing import Literal

from bot.index.backends.base import (
    COMPILED_FROM_PASSAGES,
    ExactScorer,
    QueryBackend,
    QueryTuning,
)

log = logging.getLogger(__name__)

Backend = Literal["auto", "numpy", "numba"]


def use_kernel_cache(folder: Path | None) -> None:
    """Keep numba's compiled kernels in ``folder`` (numba's ``NUMBA_CACHE_DIR``); ``None``
    leaves numba's own choice: beside the code, else the user's cache folder. Takes effect
    when the kernels are first loaded."""
    if folder is None:
        return
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    if "numba" in sys.modules:  # numba read its settings when imported
        from numba.core import config

        config.reload_config()  # type: ignore[no-untyped-call]


@functools.cache
def numba_available() -> bool:
    """Whether the numba backend can run here: the ``fast`` extra is installed and loads."""
    try:
        from bot.index.backends import numba_kernels  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        return False
    except RuntimeError as error:
        # numba resolves where to cache each kernel as it is defined, and refuses when no
        # folder is writable (a service user without a home, the code read-only).
        log.warning(
            "compiled query kernels off: %s. Answers are the same from numpy, slower on large "
            "corpora; set KERNEL_CACHE_DIR to a writable folder to use them.",
            error,
        )
        return False
    return True


def resolve(backend: Backend, passages: int) -> Literal["numpy", "numba"]:
    """The backend ``"auto"`` stands for on this machine for an index of ``passages``; a named
    one as it is. (numba is not imported for a small index: that is what it saves.)"""
    if backend != "auto":
        return backend
    if passages < COMPILED_FROM_PASSAGES or os.environ.get("CORPUSBOT_NO_NUMBA"):
        return "numpy"
    return "numba" if numba_available() else "numpy"


def open_backend(backend: Backend, scorer: ExactScorer, tuning: QueryTuning) -> QueryBackend:
    """The chosen backend over the scorer's index."""
    chosen = resolve(backend, scorer.size)
    if chosen == "numba":
        if not numba_available():
            raise ImportError(
                "the numba index backend needs numba: pip install -e '.[fast]' (or use numpy)"
            )
        from bot.index.backends.numba_backend import NumbaBackend

        return NumbaBackend(scorer, tuning)
    if chosen == "numpy":
        from bot.index.backends.numpy_backend import NumpyBackend

        return NumpyBackend(scorer, tuning)
    raise ValueError(f"unknown index backend {backend!r}: auto, numpy or numba")
