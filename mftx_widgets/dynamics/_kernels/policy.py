"""Thread and BLAS policy of the kernels: BLAS discovery, single-threaded BLAS tiles, the effective core count
(affinity and cgroup quota) and the once-per-process probe deciding whether threads pay.

Small problems stay single-threaded: a parallel call costs milliseconds of overhead here, and on a VM whose
two vCPUs behave as one core threads do not pay at all.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator

import numpy as np

from ...config import PARALLEL_MIN_N, PARALLEL_PROBE
from .backend import NUMBA

_BLAS: list = []


def _blas_lib():
    """ctypes handle of the OpenBLAS behind scipy.linalg.cython_blas (which numba's np.dot calls), or None."""
    if not _BLAS:
        lib = None
        try:
            import ctypes

            with open("/proc/self/maps") as fh:
                paths = {ln.split()[-1] for ln in fh if "scipy_openblas" in ln and "scipy.libs" in ln}
            for path in sorted(paths):
                cand = ctypes.CDLL(path)
                if hasattr(cand, "scipy_openblas_set_num_threads"):
                    lib = cand
                    lib.scipy_openblas_get_num_threads.restype = ctypes.c_int
                    break
        except (OSError, ValueError, AttributeError):  # pragma: no cover - other platforms / BLAS builds
            lib = None
        _BLAS.append(lib)
    return _BLAS[0]


class _SingleThreadBlas:
    """Context: BLAS calls inside the tile kernel run single-threaded (tiles are small; threads are numba's)."""

    def __enter__(self):
        lib = _blas_lib()
        self.old = lib.scipy_openblas_get_num_threads() if lib is not None else 1
        if self.old != 1:
            lib.scipy_openblas_set_num_threads(1)
        return self

    def __exit__(self, *exc):
        if self.old != 1:
            _blas_lib().scipy_openblas_set_num_threads(self.old)
        return False


def _blocks() -> int:
    """Row blocks of a parallel call: 4 per numba thread (load balance)."""
    import numba as nb

    return 4 * nb.get_num_threads()


# ---------------------------------------------------------------------------------------------------------
# thread policy
# ---------------------------------------------------------------------------------------------------------
_PROBE: dict[str, bool] = {}


def effective_cores() -> int:
    """Cores this process may use (affinity and cgroup CPU quota), at least 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    for path in ("/sys/fs/cgroup/cpu.max", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"):
        try:
            with open(path) as fh:
                parts = fh.read().split()
            if path.endswith("cpu.max"):
                quota, period = parts[0], parts[1]
            else:
                quota = parts[0]
                with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as fh:
                    period = fh.read().split()[0]
            if quota not in ("max", "-1"):
                cores = min(cores, max(1, int(float(quota) / float(period))))
        except (OSError, ValueError, IndexError):
            pass
    return max(1, cores)


def _threads_pay() -> bool:
    """Start-up probe (run once, on the first large problem): do two threads beat one on a real kernel?

    Runs the (GIL-free) serial d = 3 kernel on 2 x 1024 tokens, once as one call and once as two Python
    threads of half the rows each (best of 3; about 0.05 s, nothing extra to compile), and says yes only for
    a speed-up of at least 1.3x. On a VM whose two vCPUs share one physical core this is False.
    """
    if "pay" not in _PROBE:
        env = os.environ.get("MFTX_PARALLEL", "").strip().lower()
        if env in ("0", "1", "false", "true", "no", "yes"):
            _PROBE["pay"] = env in ("1", "true", "yes")
            return _PROBE["pay"]
        import threading

        from .dense import _self3_rows

        rng = np.random.default_rng(0)
        x = rng.standard_normal((2048, 3))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        xt = np.ascontiguousarray(x.T)
        out = np.empty_like(x)
        _self3_rows(xt, 1.0, False, True, out, 0, 2048)
        ts, tp = [], []
        for _ in range(3):
            t0 = time.perf_counter()
            _self3_rows(xt, 1.0, False, True, out, 0, 2048)
            ts.append(time.perf_counter() - t0)
            th = [threading.Thread(target=_self3_rows, args=(xt, 1.0, False, True, out, a, a + 1024))
                  for a in (0, 1024)]
            t0 = time.perf_counter()
            for t in th:
                t.start()
            for t in th:
                t.join()
            tp.append(time.perf_counter() - t0)
        _PROBE["pay"] = min(ts) >= 1.3 * min(tp)
    return _PROBE["pay"]


_SERIAL = threading.local()


@contextlib.contextmanager
def serial() -> Iterator[None]:
    """Context: every kernel called from THIS thread takes its serial path (use_parallel is False) while active.

    Reentrant; other threads are not affected. Sweeps run every run under it, so a result does not depend on
    what the thread probe says in one process or another: the prange drivers split the rows into blocks of
    a size set by the thread count, which changes the BLAS tile shapes and so the summation order (last-bit
    differences at n >= PARALLEL_MIN_N, d >= BLAS_MIN_D).
    """
    _SERIAL.depth = getattr(_SERIAL, "depth", 0) + 1
    try:
        yield
    finally:
        _SERIAL.depth -= 1


def use_parallel(n: int) -> bool:
    """Thread policy: the prange kernel only for n >= PARALLEL_MIN_N, more than one effective core and
    numba threads, and (if PARALLEL_PROBE) a once-per-process probe showing that threads pay here; never
    inside a ``serial()`` context of the calling thread.

    Set MFTX_PARALLEL=0 / 1 to skip the probe and force the answer (the n and core conditions still apply).
    Always False without numba (backend.NUMBA): the numpy path has no threads of its own.
    """
    if not NUMBA or getattr(_SERIAL, "depth", 0) or n < PARALLEL_MIN_N or effective_cores() < 2:
        return False
    import numba as nb

    if nb.config.NUMBA_NUM_THREADS < 2:
        return False
    return _threads_pay() if PARALLEL_PROBE else True

