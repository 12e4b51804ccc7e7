"""A saved snapshot brought up to date by reading only the files that changed since it was built:
their old documents taken out, their new ones indexed on their own (the delta) and laid over it.

The result answers exactly as a full build of the corpus as it now is would (same passages, same
``rank-bm25`` scores); only ties between equal scores may fall in another order, as the changed
files' passages come last. When that cannot be promised (an id that a kept file's document also
has, where the walk's order decides which one a full build keeps), :func:`layer_changes`
returns ``None`` and the caller builds in full.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from bot.corpus import CorpusLoad, Document
from bot.corpus.load import iter_file_documents
from bot.corpus.walk import CorpusListing
from bot.index.layered import LayeredIndex
from bot.index.passage_index import PassageIndex
from bot.snapshot.build import build_snapshot, passage_terms
from bot.snapshot.manifest import Changes, FileEntry, Manifest, entries_in_order, notes
from bot.snapshot.snapshot import PassageSettings, Snapshot
from bot.storage.layered_store import LayeredStore
from bot.storage.passage_store import PassageStore

log = logging.getLogger(__name__)


def layer_changes(
    base: Snapshot,
    manifest: Manifest,
    listing: CorpusListing,
    changes: Changes,
    settings: PassageSettings,
) -> Snapshot | None:
    """``base`` with the changed files read again; ``None`` when only a full build is sure to
    give the right corpus."""
    if not isinstance(base.store, PassageStore) or not isinstance(base.index, PassageIndex):
        raise TypeError("only a saved snapshot takes layers")
    if any(entry.has_duplicates for entry in manifest.files):
        return None  # a file's removal may bring back a document it shadowed
    ranges = manifest.ranges()
    kept_documents = np.ones(base.store.document_count, dtype=np.bool_)
    for relative in changes.touched:
        if relative in ranges:
            found = ranges[relative]
            kept_documents[found.start : found.stop] = False
    load = CorpusLoad()
    fresh: dict[str, FileEntry] = {}
    documents: list[Document] = []
    seen: set[str] = set()
    for file in changes.reread:
        skipped, repaired = len(load.skipped), len(load.repaired)
        for _, loaded in iter_file_documents([file], load, settings.files, seen):
            documents += loaded
            fresh[file.relative] = FileEntry(
                file.relative,
                changes.identities[file.relative],
                len(loaded),
                notes(load.skipped[skipped:]),
                notes(load.repaired[repaired:]),
            )
    for document in documents:
        number = base.store.find_document(document.id)
        if number >= 0 and kept_documents[number]:
            log.info("%s: an id another file has too; building in full", document.id)
            return None
    removed = _removed_terms(base.store, np.flatnonzero(~kept_documents), settings)
    if removed is None:
        return None
    delta = build_snapshot(documents, settings, None, progress=False, backend="numpy")
    if not isinstance(delta.store, PassageStore) or not isinstance(delta.index, PassageIndex):
        raise TypeError("a delta is a plain snapshot")
    kept_passages = np.repeat(kept_documents, base.store.passage_counts())
    try:
        index = LayeredIndex(base.index, kept_passages, delta.index, removed)
    except ValueError as error:  # the saved index does not hold what its documents make
        log.warning("cannot lay changes over %s (%s); building in full", base.directory, error)
        return None
    store = LayeredStore(base.store, kept_documents, delta.store)
    kept = {e.relative: e for e in manifest.files if e.relative not in changes.touched}
    order = (file.relative for file in listing.files)
    entries = list(entries_in_order(order, kept, fresh))
    return Snapshot(
        store=store,
        index=index,
        skipped=(*notes(listing.skipped), *(n for e in entries for n in e.skipped)),
        repaired=tuple(n for e in entries for n in e.repaired),
        cached=True,
        directory=base.directory,
        files=_file_documents(manifest, kept_documents, kept, fresh, documents),
    )


def _removed_terms(
    store: PassageStore, numbers: npt.NDArray[np.intp], settings: PassageSettings
) -> Counter[str] | None:
    """In how many of these documents' passages each term occurs, as the build counted them
    (their text, language and passages are the saved ones); ``None`` if a document no longer
    cuts into the passages it had (the saved snapshot is not this code's)."""
    removed: Counter[str] = Counter()
    for number in numbers:
        document = store.document(int(number))
        cut, terms = passage_terms(document, document.language or "", settings)
        span = store.document_span(int(number))
        if len(cut) != span.end - span.first:
            return None
        for passage in terms:
            removed.update(set(passage))
    return removed


def _file_documents(
    manifest: Manifest,
    kept_documents: npt.NDArray[np.bool_],
    kept: dict[str, FileEntry],
    fresh: dict[str, FileEntry],
    documents: Sequence[Document],
) -> dict[str, tuple[str, range]]:
    """Each file's identity and its documents' numbers in the layered store."""
    ranges = manifest.ranges()
    rank = np.cumsum(kept_documents) - 1
    found: dict[str, tuple[str, range]] = {}
    for relative, entry in kept.items():
        numbers = ranges[relative]
        first = int(rank[numbers.start]) if numbers else 0
        found[relative] = (entry.identity, range(first, first + len(numbers)))
    first = int(np.count_nonzero(kept_documents))
    for relative, entry in fresh.items():
        found[relative] = (entry.identity, range(first, first + entry.documents))
        first += entry.documents
    if first != int(np.count_nonzero(kept_documents)) + len(documents):
        raise AssertionError("the delta's documents do not add up")
    return found
