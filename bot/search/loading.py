"""Build the search service the settings describe: the one place the CLI and the bot load it."""

from __future__ import annotations

from bot.config import Settings
from bot.corpus.walk import CorpusListing
from bot.index.backends import use_kernel_cache
from bot.search.rerank import SECOND_STAGE, SecondStage
from bot.search.service import SearchService
from bot.snapshot.cache import LoadPlan, plan_load
from bot.snapshot.snapshot import PassageSettings

# The exit status of ``corpusbot index --full`` when it built the corpus but could not save the
# build in INDEX_CACHE_DIR (a read-only folder, a full disk): nothing is left for a bot to map.
BUILD_NOT_SAVED = 3


def load_service(
    settings: Settings, *, layered: bool = True, listing: CorpusListing | None = None
) -> SearchService:
    """Load and index the corpus named by the settings; ``layered=False`` builds it in full
    rather than laying the files changed since the saved index over it. ``listing``: the
    corpus's files as :func:`plan_service` listed them a moment ago."""
    use_kernel_cache(settings.kernel_cache_dir)
    passages = passage_settings(settings)
    return SearchService.from_folder(
        settings.corpus_dir,
        params=passages.params,
        min_words=passages.min_words,
        max_words=passages.max_words,
        cache_dir=settings.index_cache_dir,
        files=passages.files,
        second_stage=second_stage(settings),
        language=passages.language,
        layered=layered,
        listing=listing,
    )


def plan_service(settings: Settings) -> LoadPlan:
    """What :func:`load_service` would do now: map, lay changes over, or build in full."""
    return plan_load(settings.corpus_dir, passage_settings(settings), settings.index_cache_dir)


def passage_settings(settings: Settings) -> PassageSettings:
    """What of the settings decides a snapshot's content: one mapping for loading and planning,
    so a plan never looks for a snapshot the load would not make."""
    return PassageSettings(
        settings.bm25,
        settings.passage_min_words,
        settings.passage_max_words,
        settings.file_rules,
        settings.corpus_language,
    )


def second_stage(settings: Settings) -> SecondStage | None:
    """The second ranking stage the settings ask for (``RERANK``), or ``None`` for BM25 alone."""
    return SECOND_STAGE if settings.rerank else None
