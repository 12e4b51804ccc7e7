"""py3langid's model kept to our languages, read unpacked.

The model ships packed with LZMA (68 MB unpacked, 142 columns of languages), and unpacking it
and keeping its columns to ours is most of the half second a process took to load it: a
build's parent, before its workers can start, and every bot and ``corpusbot ask``. The first
process to load it keeps the result (see :mod:`kept_arrays`), and the others map it.
"""

from __future__ import annotations

import hashlib
import io
import lzma
from importlib import metadata
from pathlib import Path

import numpy as np
from py3langid.langid import MODEL_DIR, MODEL_FILE

from bot.analysis.kept_arrays import Arrays, code_stamp, kept_arrays

PACKED = MODEL_DIR / MODEL_FILE
# The arrays py3langid's model file holds, all of which loading it needs.
ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")


def model_arrays(languages: frozenset[str], folder: Path | None = None) -> Arrays:
    """The model's :data:`ARRAYS`, its naive Bayes columns (``ptc``, ``pc``, ``classes``) only
    those of ``languages`` it knows, in its own order, as ``set_languages`` keeps them; kept in
    ``folder`` (by default :func:`kept_arrays.cache_folder`)."""
    key = model_key(languages)
    if key is None:  # pragma: no cover - py3langid's install
        return _kept_to(languages)
    return kept_arrays("py3langid-model", key, ARRAYS, lambda: _kept_to(languages), folder)


def model_key(languages: frozenset[str]) -> str | None:
    """What the model kept to ``languages`` is derived from: py3langid's version and file, the
    languages, this code; ``None`` where py3langid's install does not say."""
    try:
        stat = PACKED.stat()
        version = metadata.version("py3langid")
    except (OSError, metadata.PackageNotFoundError):  # pragma: no cover - py3langid's install
        return None
    chosen = hashlib.sha256(" ".join(sorted(languages)).encode()).hexdigest()[:12]
    return f"{version}-{stat.st_size}-{stat.st_mtime_ns}-{chosen}-{code_stamp(__file__)}"


def _kept_to(languages: frozenset[str]) -> Arrays:
    """The packed model unpacked, its columns kept to ``languages``."""
    with lzma.open(PACKED) as packed, np.load(io.BytesIO(packed.read())) as data:
        arrays = {name: np.asarray(data[name]) for name in ARRAYS}
    chosen = np.flatnonzero(np.isin(arrays["classes"], sorted(languages)))
    for name in ("ptc", "pc", "classes"):
        arrays[name] = np.ascontiguousarray(np.take(arrays[name], chosen, axis=-1))
    return arrays
