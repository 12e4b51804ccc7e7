"""py3langid's model, read unpacked.

The model ships packed with LZMA (68 MB unpacked), and unpacking it is most of the 0.4 s a
process takes to load it: a build's parent, before its workers can start, and every bot and
``corpusbot ask``. The first process to load it leaves the unpacked file in the folder numba
keeps the compiled kernels in (``KERNEL_CACHE_DIR``, else beside this code: files the code
makes for itself, trusted as the code is), and the others read it in a fiftieth of the time.
Where that folder cannot be written, each process unpacks the model in memory, as before.
"""

from __future__ import annotations

import contextlib
import io
import logging
import lzma
import os
import shutil
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from py3langid.langid import MODEL_DIR, MODEL_FILE

log = logging.getLogger(__name__)

PACKED = MODEL_DIR / MODEL_FILE
# The arrays py3langid's model file holds, all of which loading it needs.
ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")
_PREFIX = "py3langid-model-"


def model_arrays(folder: Path | None = None) -> dict[str, Any]:
    """The model's :data:`ARRAYS`, read from the unpacked file in ``folder`` (by default the
    kernel cache folder), which is written first if it is missing or damaged."""
    folder = folder or _cache_folder()
    for _ in range(2):  # a damaged file is removed, then written again once
        unpacked = _unpacked(folder)
        if unpacked is None:
            break
        arrays = _read(unpacked)
        if arrays is not None:
            return arrays
    with lzma.open(PACKED) as packed:
        arrays = _read(io.BytesIO(packed.read()))
    if arrays is None:  # pragma: no cover - py3langid's own file
        raise ValueError(f"py3langid's model {PACKED} lacks one of {', '.join(ARRAYS)}")
    return arrays


def _cache_folder() -> Path:
    """Where numba keeps the compiled kernels: ``NUMBA_CACHE_DIR`` (``KERNEL_CACHE_DIR``), else
    the ``__pycache__`` beside this code."""
    configured = os.environ.get("NUMBA_CACHE_DIR")
    return Path(configured) if configured else Path(__file__).parent / "__pycache__"


def _unpacked(folder: Path) -> Path | None:
    """The unpacked model file in ``folder``, written (and older versions' removed) if it is
    not there yet; ``None`` where the folder cannot take it."""
    written: Path | None = None
    try:
        stat = PACKED.stat()
        name = f"{_PREFIX}{metadata.version('py3langid')}-{stat.st_size}-{stat.st_mtime_ns}.npz"
        path = folder / name
        if path.is_file():
            return path
        folder.mkdir(parents=True, exist_ok=True)
        # Written whole under another name and renamed: a process reading it never sees half
        # of it, and two writing at once each rename a whole file.
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".unpacking-", delete=False) as out:
            written = Path(out.name)
            with lzma.open(PACKED) as packed:
                shutil.copyfileobj(packed, out, length=1 << 20)
            # py3langid's public model, for every user the code serves (a service user reading
            # what an administrator's first run wrote), as numba's own cache files are.
            os.fchmod(out.fileno(), 0o644)
        os.replace(written, path)
    except (OSError, metadata.PackageNotFoundError) as error:
        if written is not None:  # a full disk, say: no half-written file stays behind
            written.unlink(missing_ok=True)
        log.debug("py3langid's model unpacked in memory: cannot write it in %s (%s)", folder, error)
        return None
    for older in folder.glob(f"{_PREFIX}*.npz"):
        if older != path:
            with contextlib.suppress(OSError):  # another user's, say: it costs only room
                older.unlink()
    return path


def _read(source: Path | io.BytesIO) -> dict[str, Any] | None:
    """The :data:`ARRAYS` of an ``.npz`` file; ``None`` where it cannot be read whole, and a
    damaged file removed (one this user may not read is left as it is)."""
    try:
        with np.load(source, allow_pickle=False) as data:
            return {name: np.asarray(data[name]) for name in ARRAYS}
    except PermissionError as error:
        log.debug("py3langid's model unpacked in memory: cannot read %s (%s)", source, error)
        return None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        if isinstance(source, Path):
            log.warning(
                "py3langid's unpacked model %s is damaged (%s); unpacking it again", source, error
            )
            with contextlib.suppress(OSError):
                source.unlink()
        return None
