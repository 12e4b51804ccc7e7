"""A corpus snapshot (passage store and BM25 index, built together): the types (``snapshot``),
the build (``build``, ``progress``), and the cache on disk that maps it on the next start
(``cache``)."""

from bot.snapshot.build import build_snapshot
from bot.snapshot.cache import load_snapshot
from bot.snapshot.snapshot import PassageSettings, Snapshot, open_snapshot

__all__ = ["PassageSettings", "Snapshot", "build_snapshot", "load_snapshot", "open_snapshot"]
