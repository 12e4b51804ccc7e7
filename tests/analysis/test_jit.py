"""numba's kernels load without importing SciPy's linear algebra, which they never use."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("numba")

# A SciPy whose linear algebra leaves a mark when imported: the real one may be missing here.
_FAKE_SCIPY = {
    "scipy/__init__.py": '__version__ = "1.17.0"\n',
    "scipy/linalg/__init__.py": (
        "import os\n"
        "open(os.environ['LINALG_MARK'], 'w').close()\n"
        "raise ImportError('this test stops here: numba would go on to check its BLAS')\n"
    ),
}

_KERNEL_THEN_SCIPY = textwrap.dedent(
    """
    import os

    import numpy as np

    from bot.analysis.jit import njit

    @njit(cache=False)
    def total(values):
        result = 0
        for value in values:
            result += value
        return result

    assert total(np.arange(5)) == 10  # numba loads its implementations to compile this
    print("linalg imported by numba:", os.path.exists(os.environ["LINALG_MARK"]))
    try:
        import scipy.linalg  # noqa: F401
    except ImportError as error:
        print("then imported:", "this test stops here" in str(error))
    """
)


def test_a_kernel_compiles_without_importing_scipy_linear_algebra(tmp_path: Path) -> None:
    for name, text in _FAKE_SCIPY.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    mark = tmp_path / "linalg-imported"
    run = subprocess.run(
        [sys.executable, "-c", _KERNEL_THEN_SCIPY],
        env={**os.environ, "PYTHONPATH": str(tmp_path), "LINALG_MARK": str(mark)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["linalg imported by numba: False", "then imported: True"]
    assert mark.exists()


def test_a_scipy_imported_before_stays_imported(tmp_path: Path) -> None:
    (tmp_path / "scipy/linalg").mkdir(parents=True)
    (tmp_path / "scipy/__init__.py").write_text('__version__ = "1.17.0"\n')
    (tmp_path / "scipy/linalg/__init__.py").write_text("")
    check = (
        "import sys, scipy.linalg\n"
        "import bot.analysis.jit\n"
        "print(sys.modules['scipy.linalg'] is scipy.linalg)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", check],
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (run.returncode, run.stdout) == (0, "True\n"), run.stderr
