"""Build the search service the settings describe: the one place the CLI and the bot load it."""

from __future__ import annotations

from bot.config import Settings
from bot.index.backends import use_kernel_cache
from bot.search.rerank import SECOND_STAGE, SecondStage
from bot.search.service import SearchService


def load_service(settings: Settings, *, layered: bool = True) -> SearchService:
    """Load and index the corpus named by the settings; ``layered=False`` builds it in full
    rather than laying the files changed since the saved index over it."""
    use_kernel_cache(settings.kernel_cache_dir)
    return SearchService.from_folder(
        settings.corpus_dir,
        params=settings.bm25,
        min_words=settings.passage_min_words,
        max_words=settings.passage_max_words,
        cache_dir=settings.index_cache_dir,
        files=settings.file_rules,
        second_stage=second_stage(settings),
        language=settings.corpus_language,
        layered=layered,
    )


def second_stage(settings: Settings) -> SecondStage | None:
    """The second ranking stage the settings ask for (``RERANK``), or ``None`` for BM25 alone."""
    return SECOND_STAGE if settings.rerank else None
