"""Which backend computes the velocity field and the clusters: the numba kernels or the vectorised numpy paths.

    NUMBA   True when numba imports and the environment variable MFTX_NUMBA is not "0" (read once, at import)
    REASON  why the numpy path is used ("" when NUMBA is True)

Without numba every numerical function runs on numpy_paths.py (the same results to the reference tolerances,
slower); notice() prints a one-line notice of that to stderr, once per process, at the first numpy-path call.
With NUMBA False no numba module is ever imported: the kernel modules (dense, exp, rows, cells, fourier,
harmonics, links) import numba at top level and are imported only when NUMBA is True.
"""

from __future__ import annotations

import os
import sys


def _decide() -> tuple[bool, str]:
    if os.environ.get("MFTX_NUMBA", "").strip() == "0":
        return False, "MFTX_NUMBA=0"
    try:
        import numba  # noqa: F401
    except ImportError as exc:   # not installed, or no build for this Python / numpy
        return False, f"numba is not importable ({exc.__class__.__name__}: {exc})"
    return True, ""


NUMBA, REASON = _decide()
_SHOWN: list[bool] = []


def notice() -> None:
    """Print the one-line notice of the slower numpy path to stderr (once per process; nothing with numba)."""
    if NUMBA or _SHOWN:
        return
    _SHOWN.append(True)
    print(f"mftx_widgets: {REASON}: using the vectorised numpy path (same results, about 20x slower than numba "
          f"at n = 2000; pip install numba for the compiled kernels)", file=sys.stderr, flush=True)
