"""The BM25 index over passages: one formula (``bm25``), the arrays and their layout on disk
(``arrays``), building (``build``), range bounds (``bounds``), :class:`PassageIndex`
(``passage_index``), the numpy and numba query backends (``backends``), and top-k within a
subset of the passages (``subset``)."""

from bot.index.backends import Backend
from bot.index.bm25 import BM25Parameters, LuceneBM25
from bot.index.passage_index import PassageIndex
from bot.index.subset import Subset

__all__ = ["BM25Parameters", "Backend", "LuceneBM25", "PassageIndex", "Subset"]
