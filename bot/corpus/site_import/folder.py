"""Writing pages into the import folder: atomically, and never outside it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class OutsideFolder(ValueError):
    """A page path that would land outside the import folder (through a link in it)."""


def target_path(folder: Path, relative: str) -> Path:
    """Where ``relative`` is in ``folder``, its parent folders made; raises
    :class:`OutsideFolder` if a link inside ``folder`` would take it elsewhere."""
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    root = folder.resolve()
    if not path.parent.resolve().is_relative_to(root) or path.is_symlink():
        raise OutsideFolder(f"{relative} would be written outside {folder}")
    return path


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a hidden temporary file beside ``path`` and rename it over ``path``,
    so a reader (the hot reload) sees the old file or the new one, never half of one."""
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remove_page(folder: Path, relative: str) -> None:
    """Delete a page's file and any folders that leaves empty, up to ``folder``."""
    path = folder / relative
    path.unlink(missing_ok=True)
    parent = path.parent
    root = folder.resolve()
    while parent.resolve() != root and parent.resolve().is_relative_to(root):
        try:
            parent.rmdir()
        except OSError:  # not empty (or already gone): stop
            break
        parent = parent.parent


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
