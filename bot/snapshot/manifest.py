"""Which file each of a snapshot's documents came from, and how each file looked then: what lets
a later load re-read only the files that changed since.

A file is unchanged while its size, modification and change times and inode are (the change
time is the kernel's, which no user can set back). Files are listed in the walk's order, each
with how many documents it gave, so a file's documents are a range of document numbers.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.corpus import SkippedFile
from bot.corpus.walk import CorpusFile

MANIFEST_FILE = "manifest.json"

Notes = tuple[tuple[str, str], ...]  # (path, reason): what a load skipped or repaired


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One corpus file as a snapshot read it."""

    relative: str
    identity: str  # its CorpusFile.version, taken before it was read
    documents: int  # how many documents it gave, numbered after the previous file's
    skipped: Notes = ()  # what of it was skipped, and why
    repaired: Notes = ()

    @property
    def has_duplicates(self) -> bool:
        """Whether a document of it was dropped for an id an earlier file's document has."""
        return any(reason.startswith("duplicate document id") for _, reason in self.skipped)


def notes(found: Sequence[SkippedFile]) -> Notes:
    """Skipped or repaired entries as plain pairs."""
    return tuple((note.path, note.reason) for note in found)


@dataclass(frozen=True, slots=True)
class Manifest:
    """The files of a snapshot, in the walk's order."""

    files: tuple[FileEntry, ...]

    def ranges(self) -> dict[str, range]:
        """Each file's document numbers."""
        found: dict[str, range] = {}
        first = 0
        for entry in self.files:
            found[entry.relative] = range(first, first + entry.documents)
            first += entry.documents
        return found

    def save(self, directory: Path) -> None:
        """Write it beside the snapshot's arrays."""
        data = {
            "files": [
                [e.relative, e.identity, e.documents, e.skipped, e.repaired] for e in self.files
            ],
        }
        (directory / MANIFEST_FILE).write_text(json.dumps(data, ensure_ascii=False))

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        """Read one written by :meth:`save`; ``OSError`` or ``ValueError`` if it cannot be.
        A snapshot is never changed, so a manifest read before is not parsed again."""
        path = directory / MANIFEST_FILE
        status = path.stat()
        return _parsed(str(path), status.st_mtime_ns, status.st_ino)


@functools.lru_cache(maxsize=8)
def _parsed(path: str, modified: int, inode: int) -> Manifest:
    """The manifest in ``path`` as it was at that modification time and inode."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    files = tuple(
        FileEntry(relative, identity, int(documents), _pairs(skipped), _pairs(repaired))
        for relative, identity, documents, skipped, repaired in data["files"]
    )
    return Manifest(files)


def _pairs(stored: Iterable[Sequence[str]]) -> Notes:
    return tuple((str(path), str(reason)) for path, reason in stored)


@dataclass(frozen=True, slots=True)
class Changes:
    """How a listing of the corpus differs from a manifest."""

    reread: tuple[CorpusFile, ...]  # new or changed files, in the walk's order
    removed: tuple[str, ...]  # files the manifest has and the listing has not

    @property
    def touched(self) -> set[str]:
        """Every file whose documents the manifest's snapshot has wrong."""
        return {file.relative for file in self.reread} | set(self.removed)


def changes(manifest: Manifest, files: Iterable[CorpusFile]) -> Changes:
    """The files to read again (added or changed) and the ones gone, against ``manifest``."""
    known = {entry.relative: entry.identity for entry in manifest.files}
    reread: list[CorpusFile] = []
    listed: set[str] = set()
    for file in files:
        listed.add(file.relative)
        if not file.version or known.get(file.relative) != file.version:
            reread.append(file)
    removed = tuple(relative for relative in known if relative not in listed)
    return Changes(tuple(reread), removed)


def entries_in_order(
    relatives: Iterable[str], kept: dict[str, FileEntry], fresh: dict[str, FileEntry]
) -> Iterator[FileEntry]:
    """The entries of these files, in the order given, each from ``fresh`` when it was read
    again, else from ``kept``."""
    for relative in relatives:
        entry = fresh.get(relative) or kept.get(relative)
        if entry is not None:
            yield entry
