"""The corpus folder's files and safe reading: which files a load may read, and their bytes.

Everything that reads the corpus folder (the load, the cache key, the size estimate) lists it
with :func:`list_corpus`, and reads a file only through :func:`read_corpus_file` (or
:func:`read_corpus_blocks`, a block at a time).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bot.corpus.documents import Refused, SkippedFile

SUPPORTED_SUFFIXES = frozenset(
    {".txt", ".md", ".markdown", ".jsonl", ".html", ".htm", ".docx", ".pdf"}
)
# A file is read whole and decoded (two to five times its size in memory while it loads), so one
# file may hold no more than this. A JSONL file, read a block at a time, is held to it too, so
# one that keeps growing (a log, say) stops somewhere. The default fits a JSONL import of 100k
# records.
DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024
# A PDF with more pages is refused before any is read: a book is a few hundred, and a page
# count in the millions is a bomb.
DEFAULT_MAX_PDF_PAGES = 2000


@dataclass(frozen=True, slots=True)
class FileRules:
    """Which files under the corpus folder may be read, and how much of each."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    # Off: a link is followed only when its target stays inside the corpus folder, so nobody
    # who can add a file to the corpus can make the bot quote its .env, /etc or a device.
    follow_external_links: bool = False
    max_pdf_pages: int = DEFAULT_MAX_PDF_PAGES


@dataclass(frozen=True, slots=True)
class CorpusFile:
    """A file the walk accepted: ``location`` as reached from the corpus folder, ``identity`` the
    (device, inode) it had then, which the opened file must still have, and the bounds the
    opened file must be within (the real corpus folder, and whether links may leave it)."""

    location: str  # a string: a Path a file cost a third of listing 10,000 files
    relative: str
    identity: tuple[int, int]
    real_root: str
    follow_external_links: bool
    # Size, modification and change times and inode when listed: a file whose version is the
    # same has not been written since (no user can set a change time back).
    version: str = ""

    @property
    def path(self) -> Path:
        """Where the file is, as a path."""
        return Path(self.location)


@dataclass(slots=True)
class CorpusListing:
    """The files a load reads, in a stable order, and the entries the walk refused."""

    files: list[CorpusFile] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


def list_corpus(root: Path, rules: FileRules = FileRules()) -> CorpusListing:
    """The supported files under ``root`` and what was refused: the one walk every reader of
    the corpus folder uses (the load, the cache key, the size estimate).

    Hidden files and folders are left out. A link is followed only to a target inside the
    corpus folder (or anywhere with ``rules.follow_external_links``), never to a hidden one, and
    each real file or folder is taken once: the folders themselves first, then the links, so a
    link to a folder already in the corpus (or back up, a loop) adds nothing.
    """
    return _CorpusWalk(root, rules).run()


class _CorpusWalk:
    """State of one :func:`list_corpus` walk."""

    def __init__(self, root: Path, rules: FileRules) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.rules = rules
        self.listing = CorpusListing()
        self.taken: set[tuple[int, int]] = set()
        self.folders: list[tuple[str, str]] = []
        self.links: list[tuple[str, str]] = []

    def run(self) -> CorpusListing:
        try:
            self._take(str(self.root), "", os.stat(self.root))
        except OSError as error:
            self._refuse(".", _unreadable(error))
        while self.folders or self.links:
            while self.folders:
                self._list_folder(*self.folders.pop())
            if self.links:
                self._follow_link(*self.links.pop(0))
        # In the order of their paths' parts, as sorting Paths would put them.
        self.listing.files.sort(key=lambda file: file.location.split(os.sep))
        return self.listing

    def _refuse(self, relative: str, reason: str) -> None:
        self.listing.skipped.append(SkippedFile(relative, reason))

    def _list_folder(self, folder: str, relative: str) -> None:
        try:
            with os.scandir(folder) as entries:
                found = sorted(entries, key=lambda entry: entry.name)
        except OSError as error:
            self._refuse(relative or ".", f"folder {_unreadable(error)}")
            return
        for entry in found:
            if entry.name.startswith("."):
                continue
            entry_relative = f"{relative}/{entry.name}" if relative else entry.name
            if entry.is_symlink():
                self.links.append((entry.path, entry_relative))
                continue
            try:
                status = entry.stat(follow_symlinks=False)
            except OSError as error:
                self._refuse(entry_relative, _unreadable(error))
                continue
            self._take(entry.path, entry_relative, status)

    def _follow_link(self, link: str, relative: str) -> None:
        try:
            status = os.stat(link)
        except OSError as error:  # broken, or a loop of links
            if _is_supported(relative):
                self._refuse(relative, _unreadable(error))
            return
        if not stat.S_ISDIR(status.st_mode) and not _is_supported(relative):
            return
        target = os.path.realpath(link)
        refusal = _refusal(target, self.real_root, self.rules.follow_external_links)
        if refusal:
            self._refuse(relative, refusal)
        else:
            self._take(link, relative, status)

    def _take(self, path: str, relative: str, status: os.stat_result) -> None:
        identity = (status.st_dev, status.st_ino)
        if stat.S_ISDIR(status.st_mode):
            if identity not in self.taken:
                self.taken.add(identity)
                self.folders.append((path, relative))
        elif _is_supported(relative) and identity not in self.taken:
            self.taken.add(identity)
            if not stat.S_ISREG(status.st_mode):  # a socket cannot even be opened to tell
                self._refuse(relative, f"not a regular file ({_file_kind(status.st_mode)})")
                return
            external = self.rules.follow_external_links
            version = f"{status.st_size}|{status.st_mtime_ns}|{status.st_ctime_ns}|{status.st_ino}"
            self.listing.files.append(
                CorpusFile(path, relative, identity, self.real_root, external, version)
            )


def _refusal(target: str, real_root: str, follow_external_links: bool) -> str | None:
    """Why the real path ``target`` may not be read from the corpus at ``real_root``, if so."""
    inside = os.path.commonpath([real_root, target]) == real_root
    shown = os.path.relpath(target, real_root) if inside else target
    if any(part.startswith(".") and part not in {".", ".."} for part in Path(shown).parts):
        return "links to a hidden file or folder"
    if not inside and not follow_external_links:
        return "links outside the corpus folder (CORPUS_FOLLOW_EXTERNAL_LINKS is off)"
    return None


def _opened_location(descriptor: int) -> str | None:
    """Where an opened file really is (Linux's /proc), or ``None`` where that cannot be told.

    Links and folders can be switched between any check on a path and the open that follows,
    so the path the kernel actually opened is what is checked last."""
    try:
        location = os.readlink(f"/proc/self/fd/{descriptor}")
    except OSError:
        return None
    return location if location.startswith("/") else None  # "pipe:[…]" and the like


def _is_supported(relative: str) -> bool:
    name = relative.rpartition("/")[2]
    return os.path.splitext(name)[1].lower() in SUPPORTED_SUFFIXES


def _unreadable(error: OSError) -> str:
    return f"unreadable ({error.strerror or error})"


def read_corpus_file(file: CorpusFile, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``, checked on the opened file itself
    (a FIFO, a device or a file swapped since the walk is refused, never read)."""
    with _opened(file, max_bytes) as (stream, size):
        raw = _read_at_most(stream, size, max_bytes + 1)
    if len(raw) > max_bytes:  # it grew while being read
        raise Refused(_too_large(len(raw), max_bytes, grew=True))
    return raw


def read_corpus_blocks(file: CorpusFile, max_bytes: int, block_bytes: int) -> Iterator[bytes]:
    """:func:`read_corpus_file`'s bytes, ``block_bytes`` at a time as they are asked for: the
    file stays open until its last block. :class:`Refused` before the first block, or after the
    bytes within ``max_bytes`` of a file that grows past them as it is read."""
    with _opened(file, max_bytes) as (stream, _):
        total = 0
        while block := stream.read(block_bytes):
            total += len(block)
            if total > max_bytes:  # it grew while being read: what is within the limit counts
                yield block[: len(block) - (total - max_bytes)]
                raise Refused(_too_large(total, max_bytes, grew=True))
            yield block


@contextmanager
def _opened(file: CorpusFile, max_bytes: int) -> Iterator[tuple[IO[bytes], int]]:
    """``file`` opened for reading, and its size, once it is found to be the regular file the
    walk listed, where the walk may read, of at most ``max_bytes``; an error opening or reading
    it is :class:`Refused` too."""
    # O_NONBLOCK: opening a FIFO with no writer would otherwise wait for one forever.
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        descriptor = os.open(file.location, flags)
    except OSError as error:
        raise Refused(_unreadable(error)) from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise Refused(f"not a regular file ({_file_kind(status.st_mode)})")
        if (status.st_dev, status.st_ino) != file.identity:
            raise Refused("replaced while the corpus was loading; the next reload reads it")
        location = _opened_location(descriptor)
        refusal = location and _refusal(location, file.real_root, file.follow_external_links)
        if refusal:
            raise Refused(refusal)
        if status.st_size > max_bytes:
            raise Refused(_too_large(status.st_size, max_bytes))
        with open(descriptor, "rb", closefd=False) as stream:
            yield stream, status.st_size
    except OSError as error:
        raise Refused(_unreadable(error)) from None
    finally:
        os.close(descriptor)


def _read_at_most(stream: IO[bytes], expected: int, limit: int) -> bytes:
    """Up to ``limit`` bytes: the ``expected`` size (plus one byte, to notice growth) in one
    buffer, and more only when the file is longer than it said (it grew, or it is a kernel
    file that reports size 0)."""
    first = stream.read(min(expected + 1, limit))
    if len(first) <= expected:
        return first
    parts, total = [first], len(first)
    while total < limit:
        more = stream.read(min(1 << 20, limit - total))
        if not more:
            break
        parts.append(more)
        total += len(more)
    return b"".join(parts)


def _too_large(size: int, max_bytes: int, grew: bool = False) -> str:
    now = "grew past" if grew else f"{size:,} bytes, over"
    return f"too large ({now} MAX_FILE_BYTES={max_bytes:,})"


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a file"
