"""The query log's files on disk: private to the bot's user whatever the umask.

The log holds members' questions and ids, so the database, its ``-wal`` and ``-shm``, the side
file of unsaved rows and its ``.unreadable`` sibling are created 0600 and a folder made for them
0700. SQLite creates ``-wal`` and ``-shm`` with the database file's own mode, so creating that
file 0600 before SQLite opens it is enough for those two. A file found with group or other
access is tightened, with a warning.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

FILE_MODE = 0o600
FOLDER_MODE = 0o700
SQLITE_SUFFIXES = ("", "-wal", "-shm")
_warned_folders: set[Path] = set()


def private_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents) with the last level 0700; an existing folder is
    left as its owner set it (it may be shared, or the working directory), with a warning when
    others may list it."""
    if not folder.exists():
        folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
        with contextlib.suppress(OSError):  # mkdir's mode is cut by the umask; 0700 is not
            folder.chmod(FOLDER_MODE)
        return
    with contextlib.suppress(OSError):
        if folder.stat().st_mode & 0o077 and folder not in _warned_folders:
            _warned_folders.add(folder)  # once: moderator commands open the log again and again
            log.warning(
                "query log folder %s is open to other users (mode %o); the log's own files are "
                "kept 0600, but consider chmod 700 on the folder",
                folder,
                stat.S_IMODE(folder.stat().st_mode),
            )


def tighten(path: Path) -> None:
    """Take group and other access off an existing file, with a warning; no-op if absent."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            path.chmod(mode & 0o700)
            log.warning("query log: %s was readable by others (mode %o); now 0600", path, mode)
    except FileNotFoundError:
        return
    except OSError as error:
        log.warning("query log: could not make %s private: %s", path, error)


def private_database(path: Path) -> None:
    """Make the database's folder and file (and any ``-wal``/``-shm``) private before SQLite
    opens it. Raises ``OSError`` if the file cannot be created."""
    private_folder(path.parent)
    # Only a file that does not exist yet is opened here: closing a descriptor of the database
    # would drop every POSIX lock SQLite holds on it in this process (the writer's included),
    # letting another connection write under it.
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE))
    for suffix in SQLITE_SUFFIXES:
        tighten(path.with_name(path.name + suffix))


@contextlib.contextmanager
def open_private(path: Path, mode: str = "ab") -> Iterator[IO[bytes]]:
    """A file opened for appending (``ab``/``a+b``) and created 0600 if new."""
    private_folder(path.parent)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
    if "+" in mode:
        flags = (flags & ~os.O_WRONLY) | os.O_RDWR
    tighten(path)
    fd = os.open(path, flags, FILE_MODE)
    with os.fdopen(fd, mode) as file:
        yield file


@contextlib.contextmanager
def locked_side_file(path: Path) -> Iterator[IO[bytes]]:
    """``path`` opened to append (created 0600 if new) and held under an exclusive ``flock``.

    Several processes share one log's side file: each appends under the lock, and the one that
    imports it reads and removes it under the same lock. A process that opened the file just
    before it was imported and removed would append to a file no one reads again, so after the
    lock is taken the open file must still be the one at ``path``; if not, it is opened again.
    """
    while True:
        with open_private(path, "a+b") as file:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX)
            try:
                current = os.stat(path)
            except FileNotFoundError:
                continue
            opened = os.fstat(file.fileno())
            if (current.st_dev, current.st_ino) != (opened.st_dev, opened.st_ino):
                continue
            yield file
            return


@contextlib.contextmanager
def locked_existing(path: Path) -> Iterator[IO[bytes] | None]:
    """``path`` opened to read, under an exclusive ``flock``, or ``None`` if there is none."""
    tighten(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        yield None
        return
    with os.fdopen(fd, "rb") as file:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield file


class RunMarker:
    """``<database>.running.<pid>``: a file each process with the log open holds locked.

    A clean stop removes its marker. A marker nobody holds locked (the kernel drops a lock when
    its process dies, even by ``kill -9``) is one a run left behind when it did not stop
    cleanly. A lock, not the pid, says whether its owner runs: pids are reused (every container
    start is pid 1), and several processes may share one log.
    """

    def __init__(self, database: Path) -> None:
        self.folder = database.parent
        self.prefix = database.name + ".running."
        self._held: tuple[int, Path] | None = None

    def claim(self) -> int:
        """Hold this process's marker; how many markers earlier runs left behind (removed)."""
        private_folder(self.folder)
        left_behind = sum(self._remove_if_unheld(m) for m in self._markers())
        self._hold()
        return left_behind

    def release(self) -> None:
        """Remove this process's marker: the run stopped cleanly."""
        if self._held is None:
            return
        fd, marker = self._held
        self._held = None
        with contextlib.suppress(OSError):
            marker.unlink()
        os.close(fd)

    def _markers(self) -> list[Path]:
        return [p for p in self.folder.glob(glob.escape(self.prefix) + "*") if p.is_file()]

    def _hold(self) -> None:
        # Locked under a name no other start looks at, then renamed: a process starting at the
        # same moment never sees an unlocked marker of a run that is alive.
        starting = self.folder / f".{self.prefix}{os.getpid()}.starting"
        fd = os.open(starting, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            marker = self.folder / f"{self.prefix}{os.getpid()}"
            starting.rename(marker)
        except OSError:
            os.close(fd)
            raise
        self._held = (fd, marker)

    @staticmethod
    def _remove_if_unheld(marker: Path) -> bool:
        try:
            fd = os.open(marker, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return False  # its run stopped meanwhile
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a live process holds it
        else:
            marker.unlink(missing_ok=True)
            return True
        finally:
            os.close(fd)


def file_identity(path: Path) -> tuple[int, int]:
    """``(device, inode)``: which file a path names now."""
    info = os.stat(path)
    return info.st_dev, info.st_ino


def shm_size(database: Path) -> int | None:
    """The size of the database's ``-shm`` (SQLite's WAL index), ``None`` if there is none."""
    try:
        return os.stat(database.with_name(database.name + "-shm")).st_size
    except FileNotFoundError:
        return None


def restore_shm(database: Path, size: int) -> None:
    """Give a ``-shm`` cut short by another program its length back, all zero bytes (written,
    not a sparse hole a full disk could not back). SQLite keeps that file memory-mapped: a
    read past its new end kills the process with SIGBUS. The part left is zeroed too: a WAL
    index whose header survived but whose hash tables are gone would hide committed rows,
    while an all-zero one is rebuilt by SQLite from the ``-wal``. Raises ``OSError`` if the
    file cannot be written."""
    shm = database.with_name(database.name + "-shm")
    held = _descriptor_of(shm)
    if held is not None:
        os.pwrite(held, bytes(size), 0)
        return
    fd = os.open(shm, os.O_RDWR | os.O_CLOEXEC)
    try:
        os.pwrite(fd, bytes(size), 0)
    finally:
        os.close(fd)


def _descriptor_of(path: Path) -> int | None:
    """A descriptor this process (SQLite) already has open on ``path``, found in
    ``/proc/self/fd``. Writing through it, rather than opening and closing another, keeps
    SQLite's POSIX locks on the file: closing any descriptor of a file drops them all."""
    target = os.path.realpath(path)
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return None
    for name in names:
        with contextlib.suppress(OSError, ValueError):
            if os.readlink(f"/proc/self/fd/{name}") == target:
                return int(name)
    return None
