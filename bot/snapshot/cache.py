"""Keep snapshots on disk and memory-map them on the next start.

Saved snapshots live in ``<cache dir>/<key>/``, where the key hashes the corpus files (paths,
sizes, modification times), the settings and the code that shapes passages and terms; a restart
with an unchanged corpus maps the arrays instead of re-reading and re-tokenising anything.

Processes sharing the folder (several bot processes, the bot and ``corpusbot ask``) build under
one lock file: the first to need a snapshot builds it, the others wait and then map the same
files, so P processes cost one build and, through the page cache, about one copy in memory.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from bot.corpus import CorpusLoad, Document, FileRules, list_corpus, load_corpus
from bot.corpus.load import file_documents
from bot.corpus.walk import CorpusListing
from bot.index.backends import Backend
from bot.snapshot.build import build_snapshot
from bot.snapshot.layers import layer_changes
from bot.snapshot.manifest import Changes, FileEntry, Manifest, changes, notes
from bot.snapshot.snapshot import META_FILE, PassageSettings, Snapshot, as_saved, open_snapshot

log = logging.getLogger(__name__)

SNAPSHOT_FORMAT = 5  # 2: /source completion entries; 3: sections; 4: languages; 5: manifest
# Above this share of the corpus's bytes changed since the nearest saved snapshot, a load builds
# in full rather than laying the changed files over it.
MAX_LAYERED_SHARE = 0.1
KEEP_SNAPSHOTS = 2  # older cache entries are removed after a build
BUILD_LOCK = ".build.lock"  # hidden, so neither a snapshot nor a staging folder to the pruning
# A build still holding the lock after this (a huge corpus, or a file whose read never returns)
# no longer holds up the others: they build for themselves, as before the lock.
BUILD_LOCK_PATIENCE_SECONDS = 300.0
# Code that decides what a snapshot holds: a change to any of it invalidates it. Every module
# of the packages that read documents and make terms (the analysis layer has one module per
# concern, and languages may bring more), and these modules beside them.
_SHAPING_PACKAGES = ("bot.corpus", "bot.analysis")
_SHAPING_MODULES = (
    "bot.index.bm25",
    "bot.index.build",
    "bot.index.bounds",
    "bot.index.arrays",
    "bot.storage.string_table",
    "bot.storage.passage_store",
    "bot.snapshot.build",
    "bot.snapshot.layers",
    "bot.snapshot.manifest",
    "bot.index.layered",
    "bot.storage.layered_store",
)


def settings_key(root: Path, settings: PassageSettings) -> str:
    """A hash of what decides a snapshot's content besides the files: the format, the settings,
    the folder and the shaping code. Snapshots with the same one can be layered over."""
    digest = hashlib.sha256()
    digest.update(f"{SNAPSHOT_FORMAT}|{settings!r}|{root.resolve()}\n".encode())
    digest.update(_shaping_sources())
    return digest.hexdigest()[:24]


def corpus_key(root: Path, settings: PassageSettings, listing: CorpusListing | None = None) -> str:
    """A hash of :func:`settings_key` and the corpus files' paths, sizes, mtimes, ctimes and
    inodes. (A file rewritten at the same size with its mtime put back, as ``rsync -t`` or
    ``touch -r`` can leave it, still has a new ctime, which no user can set.)"""
    digest = hashlib.sha256(settings_key(root, settings).encode())
    if listing is None:
        listing = list_corpus(root, settings.files)  # the very files a build reads
    for file in listing.files:
        digest.update(f"{file.relative}|{file.version}\n".encode())
    for refused in listing.skipped:  # a folder that becomes readable changes the corpus
        digest.update(f"{refused.path}|{refused.reason}\n".encode())
    return digest.hexdigest()[:24]


@functools.cache
def _shaping_sources() -> bytes:
    """The shaping modules' sources, read once per process: the code this process runs, even
    when an upgrade replaces the files while it runs (and a load no longer reads 50 files)."""
    return b"".join(_source_of(name) for name in _shaping_modules())


def _shaping_modules() -> list[str]:
    """The modules whose source the key hashes, in a fixed order."""
    names: list[str] = []
    for package in _SHAPING_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ImportError(f"no package {package}")
        for folder in spec.submodule_search_locations:
            names += sorted(f"{package}.{path.stem}" for path in Path(folder).glob("*.py"))
    return names + list(_SHAPING_MODULES)


def _source_of(module_name: str) -> bytes:
    spec = importlib.util.find_spec(module_name)
    if spec is None or spec.origin is None:
        raise ImportError(f"no source for {module_name}")
    return Path(spec.origin).read_bytes()


def load_snapshot(
    root: Path,
    settings: PassageSettings,
    cache_dir: Path | None,
    *,
    progress: bool | None = None,
    backend: Backend = "auto",
    layered: bool = True,
    listing: CorpusListing | None = None,
) -> Snapshot:
    """The corpus under ``root``: from the cache when it is unchanged; else, with ``layered``,
    a cached snapshot with the files changed since laid over it, when few changed; else built
    (and saved). ``listing``, when given, is the corpus's files as listed a moment ago (by
    :func:`plan_load`)."""
    if cache_dir is None:
        load = load_corpus(root, settings.files)
        built = build_snapshot(load.documents, settings, None, progress=progress, backend=backend)
        return _with_load(built, load)
    if not root.is_dir():
        raise FileNotFoundError(f"corpus folder {root} does not exist or is not a folder")
    if listing is None:
        listing = list_corpus(root, settings.files)
    key = corpus_key(root, settings, listing)
    target = cache_dir / key
    if target.exists():
        with contextlib.suppress(OSError, ValueError, KeyError):
            return open_snapshot(target, backend)
    if layered:
        found = _layered(root, settings, cache_dir, listing, backend)
        if found is not None:
            return found
    with _build_lock(cache_dir):
        return _open_or_build(root, settings, cache_dir, key, progress, backend)


@dataclasses.dataclass(frozen=True, slots=True)
class LoadPlan:
    """What :func:`load_snapshot` would do with the corpus as it is now, found without doing
    it: the bot runs a full build in a child process rather than in its own."""

    full_build: bool  # neither a saved snapshot of it nor one a few files away to lay over
    corpus_bytes: int  # the listed files' size: about the text a build reads
    # The files the plan listed (``None``: no folder to list), which a load made at once may
    # take rather than list the corpus again (0.1-0.2 s at 10,000 files).
    listing: CorpusListing | None


def plan_load(root: Path, settings: PassageSettings, cache_dir: Path | None) -> LoadPlan:
    """Whether loading the corpus under ``root`` now builds it in full (with ``layered``), and
    its size; a folder that cannot be listed plans a build, whose load then says why."""
    if not root.is_dir():
        return LoadPlan(full_build=True, corpus_bytes=0, listing=None)
    listing = list_corpus(root, settings.files)
    size = _listed_bytes(listing)
    if cache_dir is None:
        return LoadPlan(full_build=True, corpus_bytes=size, listing=listing)
    saved = (cache_dir / corpus_key(root, settings, listing)).exists()
    nearest = saved or _nearest_base(root, settings, cache_dir, listing) is not None
    return LoadPlan(full_build=not nearest, corpus_bytes=size, listing=listing)


def _layered(
    root: Path,
    settings: PassageSettings,
    cache_dir: Path,
    listing: CorpusListing,
    backend: Backend,
) -> Snapshot | None:
    """The cached snapshot of this corpus that the fewest changed bytes separate from it, with
    those files laid over it; ``None`` when there is none, or too much changed."""
    nearest = _nearest_base(root, settings, cache_dir, listing)
    if nearest is None:
        return None
    entry, manifest, found = nearest
    try:
        base = _opened_base(entry)
        return layer_changes(base, manifest, listing, found, settings, backend)
    except (OSError, ValueError, KeyError) as error:
        log.warning("cannot lay the changes over %s (%s); building in full", entry, error)
        return None


def _nearest_base(
    root: Path, settings: PassageSettings, cache_dir: Path, listing: CorpusListing
) -> tuple[Path, Manifest, Changes] | None:
    """The cached snapshot of this corpus that the fewest changed bytes separate from it, its
    manifest and the changes; ``None`` when there is none, or too much changed."""
    wanted = settings_key(root, settings)
    best: tuple[int, Path, Manifest, Changes] | None = None
    for entry in _snapshots(cache_dir):
        try:
            if json.loads((entry / META_FILE).read_text()).get("settings") != wanted:
                continue
            manifest = Manifest.load(entry)
        except (OSError, ValueError, KeyError, TypeError):
            continue
        found = changes(manifest, listing.files)
        was = {e.relative: e.identity for e in manifest.files if e.relative in found.touched}
        # Both what is read again and what is taken out (re-tokenised) cost work.
        changed_bytes = sum(_size(f.version) for f in found.reread) + sum(map(_size, was.values()))
        if best is None or changed_bytes < best[0]:
            best = (changed_bytes, entry, manifest, found)
    if best is None:
        return None
    changed_bytes, entry, manifest, found = best
    total = _listed_bytes(listing)
    if changed_bytes > MAX_LAYERED_SHARE * total:
        return None
    return entry, manifest, found


_BASES: dict[Path, tuple[int, Snapshot]] = {}  # saved snapshots opened to lay changes over
_BASES_LOCK = threading.Lock()


def _opened_base(entry: Path) -> Snapshot:
    """The saved snapshot in ``entry``, opened once (a saved snapshot never changes; a folder
    of that name written again has a new metadata file), for every load that layers over it."""
    stamp = (entry / META_FILE).stat().st_mtime_ns
    with _BASES_LOCK:
        known = _BASES.get(entry)
        if known is not None and known[0] == stamp:
            return known[1]
    # Layers read the saved postings themselves: no compiled backend to load for the base.
    opened = open_snapshot(entry, "numpy")
    with _BASES_LOCK:
        _BASES.clear()  # only the newest base is laid over again
        _BASES[entry] = (stamp, opened)
    return opened


def _listed_bytes(listing: CorpusListing) -> int:
    """The size of the listed files when listed: about the text a build will read."""
    return sum(_size(file.version) for file in listing.files)


def _size(identity: str) -> int:
    """The size a file's version holds (``CorpusFile.version``)."""
    return int(identity.partition("|")[0] or 0)


def _snapshots(cache_dir: Path) -> list[Path]:
    """The saved snapshots in the folder (not builds in progress), newest first."""
    entries: list[tuple[float, Path]] = []
    try:
        listed = list(cache_dir.iterdir())
    except OSError:
        return []
    for entry in listed:
        if entry.name.startswith("."):
            continue  # a build still in progress (its own, or another process's)
        try:
            entries.append(((entry / META_FILE).stat().st_mtime, entry))
        except OSError:
            continue  # not a snapshot, or another process sharing the folder just removed it
    entries.sort(reverse=True)
    return [entry for _, entry in entries]


@contextlib.contextmanager
def _build_lock(cache_dir: Path) -> Iterator[None]:
    """Hold the folder's build lock (waiting for another process's build); without one when
    the folder cannot take a lock file, as the build then falls back to memory anyway."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(cache_dir / BUILD_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield
        return
    try:
        if not _lock_within(descriptor, BUILD_LOCK_PATIENCE_SECONDS, cache_dir):
            log.warning(
                "the index build in %s has held its lock for %.0f s; building without it",
                cache_dir,
                BUILD_LOCK_PATIENCE_SECONDS,
            )
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _lock_within(descriptor: int, patience: float, cache_dir: Path) -> bool:
    """Take the lock, waiting up to ``patience`` seconds; whether it was taken."""
    deadline = time.monotonic() + patience
    waiting = False
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            if not waiting:
                log.info("another process is building the index in %s; waiting for it", cache_dir)
                waiting = True
            time.sleep(0.1)


def _open_or_build(
    root: Path,
    settings: PassageSettings,
    cache_dir: Path,
    key: str,
    progress: bool | None,
    backend: Backend,
) -> Snapshot:
    """Under the build lock: the snapshot another process just built, else a new build."""
    target = cache_dir / key
    if target.exists():
        try:
            return open_snapshot(target, backend)
        except (OSError, ValueError, KeyError) as error:
            log.warning("index cache %s unreadable (%s); rebuilding", target, error)
            _set_aside(target)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        staging = cache_dir / f".{key}.{os.getpid()}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
    except OSError as error:
        why = f"index cache folder {cache_dir} is not writable ({error})"
        return _built_in_memory(root, settings, progress, backend, why)
    _remove_abandoned_builds(cache_dir)
    try:
        built = _build_into(staging, root, settings, progress, backend)
        placed = _place(staging, target)
    except OSError as error:
        # A full disk (or a quota, or a file system remounted read-only) stops the save, not
        # the answers: the half-written build gives its space back, and the corpus is built
        # in memory as when the folder is not writable at all. (The corpus's own files are
        # read with their errors noted, so what reaches here is the cache's; numpy's short
        # writes carry no errno.)
        shutil.rmtree(staging, ignore_errors=True)
        reason = error.strerror or f"a write came up short: {error}; is the disk full?"
        why = f"cannot save the index in {cache_dir} ({reason})"
        return _built_in_memory(root, settings, progress, backend, why)
    except BaseException:
        # A build stopped otherwise (a worker killed, Ctrl-C, a bad file's error) gives its
        # space back too: its folder bears this process's id, which the clean-up of abandoned
        # builds spares for as long as the process runs, and a bot runs for weeks.
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _prune(cache_dir, keep=target)
    if placed:
        # The build's own store and index: their maps of the files hold across the rename, and
        # opening and checking them again took 20-40 ms at 100k passages, 0.1 s at a million.
        return dataclasses.replace(as_saved(built, target), cached=False)
    return dataclasses.replace(open_snapshot(target, backend), cached=False)


def _built_in_memory(
    root: Path, settings: PassageSettings, progress: bool | None, backend: Backend, why: str
) -> Snapshot:
    """The corpus built in memory, said once with ``why`` the cache folder cannot keep it."""
    log.warning("%s; building in memory, so the next start builds again", why)
    return load_snapshot(root, settings, None, progress=progress, backend=backend)


def _build_into(
    staging: Path,
    root: Path,
    settings: PassageSettings,
    progress: bool | None,
    backend: Backend,
) -> Snapshot:
    """Build the corpus under ``root`` into the folder ``staging``, with its manifest and
    metadata: a whole snapshot, ready to be moved into place; its store and index."""
    load = CorpusLoad()
    listing = list_corpus(root, settings.files)
    entries: list[FileEntry] = []
    built = build_snapshot(
        _documents_noted(listing, load, settings.files, entries),
        settings,
        staging,
        progress=progress,
        expected_chars=_listed_bytes(listing),
        backend=backend,
    )
    Manifest(tuple(entries)).save(staging)
    meta = {
        "format": SNAPSHOT_FORMAT,
        "corpus": str(root),
        "settings": settings_key(root, settings),
        "skipped": [(s.path, s.reason) for s in load.skipped],
        "repaired": [(s.path, s.reason) for s in load.repaired],
    }
    (staging / META_FILE).write_text(json.dumps(meta))
    return built


def _place(staging: Path, target: Path) -> bool:
    """Move a finished build into place without touching one already there; whether it was
    this one that was placed.

    The bot and ``corpusbot ask`` (or two bots) may share a cache folder and build the same
    corpus at once. The same key means the same content, so whichever lands first stays: deleting
    it to put ours in its place could pull it from under the other process while it opens it.
    """
    try:
        os.rename(staging, target)  # refuses to replace a folder that has files in it
    except OSError:
        if not (target / META_FILE).is_file():
            raise
        shutil.rmtree(staging, ignore_errors=True)
        return False
    return True


def _set_aside(target: Path) -> None:
    """Remove an unreadable snapshot so a new build can take its name: renamed first (a
    staging name, so a crash mid-way leaves something the next build cleans up), then deleted."""
    aside = target.with_name(f".{target.name}-unreadable.{os.getpid()}.tmp")
    shutil.rmtree(aside, ignore_errors=True)
    try:
        os.rename(target, aside)
    except OSError:
        return  # already gone, or another process moved it first
    shutil.rmtree(aside, ignore_errors=True)


def _with_load(snapshot: Snapshot, load: CorpusLoad) -> Snapshot:
    """``snapshot`` carrying what ``load`` skipped and repaired on the way."""
    return dataclasses.replace(
        snapshot,
        skipped=tuple((s.path, s.reason) for s in load.skipped),
        repaired=tuple((s.path, s.reason) for s in load.repaired),
    )


def _remove_abandoned_builds(cache_dir: Path) -> None:
    """Delete staging folders (``.<key>.<pid>.tmp``) of builds whose process is gone: a build
    killed mid-way leaves one, with its spill files, that nothing else would ever remove."""
    for staging in cache_dir.glob(".*.*.tmp"):
        pid = staging.name.rsplit(".", 2)[-2]
        if pid.isdigit() and int(pid) != os.getpid() and not _process_alive(int(pid)):
            log.info("removing %s, left by a build that did not finish", staging)
            shutil.rmtree(staging, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _prune(cache_dir: Path, keep: Path) -> None:
    """Drop all but the newest snapshots (open memory maps of a removed one stay valid)."""
    for old in _snapshots(cache_dir)[KEEP_SNAPSHOTS:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


def _documents_noted(
    listing: CorpusListing, load: CorpusLoad, rules: FileRules, entries: list[FileEntry]
) -> Iterator[Document]:
    """The listing's documents, as :func:`~bot.corpus.iter_documents` yields them, noting each
    file in ``entries`` (its identity taken before it is read)."""
    for refused in listing.skipped:
        load.skip(refused.path, refused.reason)
    seen: set[str] = set()
    for file in listing.files:
        identity = file.version
        skipped, repaired = len(load.skipped), len(load.repaired)
        count = 0
        for document in file_documents(file, load, rules, seen):
            count += 1
            yield document
        entries.append(
            FileEntry(
                file.relative,
                identity,
                count,
                notes(load.skipped[skipped:]),
                notes(load.repaired[repaired:]),
            )
        )
