"""numba's ``njit``, as every compiled kernel here imports it (numba, the ``fast`` extra).

numba imports its implementations of numpy's functions as a process first compiles or loads a
kernel, and one of them probes for SciPy's BLAS by importing ``scipy.linalg``: 0.19 s where
SciPy is installed (as in a development or data-science environment), on the critical path of
every build's start, where one core waits for it. No kernel here does linear algebra, the only
thing the probe's answer changes (numba's ``np.dot`` and the like import SciPy themselves when
a kernel using them compiles), so the implementations are imported here, once, with
``scipy.linalg`` hidden unless something has imported it already.
"""

from __future__ import annotations

import sys

from numba import njit

__all__ = ["njit"]

# What the probe imports (``numba`` itself imports only ``scipy``, to check its version).
_LINEAR_ALGEBRA = "scipy.linalg"


def _implementations_without_scipy() -> None:
    if _LINEAR_ALGEBRA in sys.modules:  # already paid for, and never hidden from its users
        return
    sys.modules[_LINEAR_ALGEBRA] = None  # type: ignore[assignment]  # its import raises ImportError
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        if _LINEAR_ALGEBRA in sys.modules and sys.modules[_LINEAR_ALGEBRA] is None:
            del sys.modules[_LINEAR_ALGEBRA]


_implementations_without_scipy()
