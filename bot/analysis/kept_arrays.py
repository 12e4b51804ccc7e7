"""Arrays the analysis derives once per install and keeps on disk: py3langid's model unpacked and
kept to our languages, the compiled detector's tables, the compiled cutter's table of
characters.

Deriving them took a build's parent a second before its workers could start, and every bot a
part of that on its first question. Kept, they are mapped copy-on-write (and never written):
loading costs nothing, the pages are read as they are used, and forked workers share them. Each
set is a folder of ``.npy`` files in the folder numba keeps the compiled kernels in
(``KERNEL_CACHE_DIR``, else the ``__pycache__`` beside this code: files the code makes for
itself, trusted as the code is), named for what it is derived from, so a new py3langid or a
changed derivation makes a new set and the older ones are removed. Where that folder cannot be
written, or a set cannot be read, the arrays are derived in memory.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

Arrays = dict[str, Any]


def kept_arrays(
    name: str,
    key: str,
    names: Collection[str],
    derive: Callable[[], Mapping[str, Any]],
    folder: Path | None = None,
) -> Arrays:
    """The arrays ``names`` of the set ``name`` derived as ``key`` says, read from ``folder``
    (by default :func:`cache_folder`), or derived by ``derive`` and kept there first; another
    key's set of the same name is removed once this one is written."""
    folder = folder or cache_folder()
    kept = folder / f"{name}-{key}"
    if kept.is_dir():
        arrays = _read(kept, names)
        if arrays is not None:
            return arrays
    arrays = dict(derive())
    _keep(arrays, kept, name)
    return arrays


def cache_folder() -> Path:
    """Where numba keeps the compiled kernels: ``NUMBA_CACHE_DIR`` (``KERNEL_CACHE_DIR``), else
    the ``__pycache__`` beside this code."""
    configured = os.environ.get("NUMBA_CACHE_DIR")
    return Path(configured) if configured else Path(__file__).parent / "__pycache__"


def code_stamp(path: str) -> str:
    """The size and modification time of a module's file, as numba keys its own cache: a set
    derived by code that has changed since is not the one to read."""
    stat = Path(path).stat()
    return f"{stat.st_size}-{stat.st_mtime_ns}"


def _read(kept: Path, names: Collection[str]) -> Arrays | None:
    """The arrays of a kept set, mapped; ``None`` where the set cannot be read whole, and a
    damaged set removed (one this user may not read is left as it is)."""
    try:
        # np.asarray: the mapped memory as a plain array, as numba's kernels type it.
        return {
            array: np.asarray(np.load(kept / f"{array}.npy", mmap_mode="c", allow_pickle=False))
            for array in names
        }
    except PermissionError as error:
        log.debug("%s derived in memory: cannot read it (%s)", kept.name, error)
        return None
    except (OSError, ValueError, EOFError) as error:
        log.warning("%s is damaged (%s); deriving it again", kept, error)
        shutil.rmtree(kept, ignore_errors=True)
        return None


def _keep(arrays: Arrays, kept: Path, name: str) -> None:
    """Write ``arrays`` as the set ``kept``, whole or not at all, and remove the older sets of
    ``name``; a folder that cannot take it is only noted."""
    written: Path | None = None
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under another name and renamed: a process reading it never sees half
        # of it, and of two writing at once the second's rename fails and it keeps the first.
        written = Path(tempfile.mkdtemp(dir=kept.parent, prefix=f".writing-{name}-"))
        for array, values in arrays.items():
            np.save(written / f"{array}.npy", values, allow_pickle=False)
            # Derived from public data, for every user the code serves (a service user reading
            # what an administrator's first run wrote), as numba's own cache files are.
            (written / f"{array}.npy").chmod(0o644)
        written.chmod(0o755)
        written.rename(kept)
    except OSError as error:
        if written is not None:  # a full disk, say: no half-written set stays behind
            shutil.rmtree(written, ignore_errors=True)
        log.debug("%s derived in memory: cannot keep it in %s (%s)", name, kept.parent, error)
        return
    for older in kept.parent.glob(f"{name}-*"):
        if older != kept:
            # Another user's, say: it costs only room.
            with contextlib.suppress(OSError):
                if older.is_dir():
                    shutil.rmtree(older)
                else:
                    older.unlink()
