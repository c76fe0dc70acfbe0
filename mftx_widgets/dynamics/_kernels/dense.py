"""Numba velocity kernels (private) and the public velocity() wrapper.

Each kernel takes preallocated arrays and plain numbers; the wrapper validates, casts and allocates.
Readable formula (THEORY.md section 2), for token i:

    s_ij = beta <Q x_i, K x_j>,  w_ij = exp(s_ij - max_k s_ik)
    SA:  attn_i = sum_j w_ij V x_j / sum_j w_ij        USA: attn_i = exp(max_k s_ik) / n * sum_j w_ij V x_j
    velocity_i = attn_i - <attn_i, x_i> x_i / |x_i|^2  (projection P_{x_i}; skipped when project=False)

With Q = K = V = I and unit rows the row maximum is s_ii = beta |x_i|^2, so the shift is known without
a pass over j; general Q, K take one extra pass to find the maximum. The sums stream over j: memory O(n d).

How the kernels are fast (docs/performance.md has the measured table):

* the points are stored transposed, xt = x.T of shape (d, n), so the inner loop over j reads d contiguous
  rows and LLVM vectorises it (AVX2 / AVX-512 lanes over j); the reductions over j are allowed to be
  reassociated (fastmath 'reassoc'), nothing else of fastmath is used (no 'nnan' / 'ninf');
* exp is a branch-free polynomial (reduction x = k ln2 + r, |r| <= ln2 / 2, Taylor polynomial of exp(r), 2^k
  built from the exponent bits) that vectorises without Intel SVML. Relative error <= 4e-16 + 3.5e-17 |x|
  (float64, degree 12) and <= 2e-7 + 2e-8 |x| (float32, degree 7); the |x| term is the rounding of ln2 times k,
  harmless because every weight is compared with the row's largest, exp(0) = 1. Arguments below -708
  (float64) / -87 (float32) give exactly 0;
* float32 states are computed in float32 throughout (twice the SIMD lanes, a shorter polynomial);
* d = 3 (the sphere S^2 of the widgets) has its own fully unrolled loop; other small d use chunks of
  CHUNK scores kept in L1; d >= BLAS_MIN_D uses BLAS tiles (scores = Q_tile K_tile^T, a fused in-place exp
  pass with an online softmax shift, then acc += W V_tile), never an n x n array;
* the thread policy (use_parallel) keeps small problems single-threaded: a parallel call costs milliseconds
  of overhead here, and on a VM whose two vCPUs behave as one core threads do not pay at all.
"""

from __future__ import annotations

import math
import os
import time

import numba as nb
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

from ...config import BLAS_MIN_D, NEIGHBOR_MIN_BETA, NEIGHBOR_MIN_N, PARALLEL_MIN_N, PARALLEL_PROBE
from ..models import Attention

#: fastmath flags: reassociation lets LLVM vectorise the sums over j; contraction gives FMAs.
_FM = {"reassoc", "contract", "nsz"}
#: scores per chunk of the small-d kernel (kept in L1) and tile sizes of the BLAS kernel.
CHUNK = 1024
TILE_I = 128
TILE_J = 1024


# ---------------------------------------------------------------------------------------------------------
# exp(x) for x <= ~0: vectorisable, branch-free
# ---------------------------------------------------------------------------------------------------------
@intrinsic
def _bits_f64(typingctx, i):
    """Reinterpret an int64 as the float64 with the same bits."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@intrinsic
def _bits_f32(typingctx, i):
    """Reinterpret an int32 as the float32 with the same bits."""
    sig = types.float32(types.int32)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return sig, codegen


def _exp(x):  # pragma: no cover - replaced by the overload inside jitted code
    return math.exp(x)


_L2E64, _LN2_64 = 1.4426950408889634, 0.6931471805599453
_L2E32, _LN2_32 = np.float32(1.4426950408889634), np.float32(0.6931471805599453)
_C64 = tuple(1.0 / math.factorial(k) for k in range(13))
_C32 = tuple(np.float32(1.0 / math.factorial(k)) for k in range(8))
_HALF32, _LO32, _ZERO32 = np.float32(0.5), np.float32(-87.0), np.float32(0.0)


@overload(_exp, inline="always")
def _exp_impl(x):
    if isinstance(x, types.Float) and x.bitwidth == 32:
        c0, c1, c2, c3, c4, c5, c6, c7 = _C32

        def exp32(x):
            k = np.floor(x * _L2E32 + _HALF32)
            r = x - k * _LN2_32
            p = c7
            p = p * r + c6
            p = p * r + c5
            p = p * r + c4
            p = p * r + c3
            p = p * r + c2
            p = p * r + c1
            p = p * r + c0
            e = _bits_f32(np.int32((np.int32(k) + np.int32(127)) << np.int32(23)))
            return p * e if x > _LO32 else _ZERO32

        return exp32
    if isinstance(x, types.Float):
        c = _C64

        def exp64(x):
            k = np.floor(x * _L2E64 + 0.5)
            r = x - k * _LN2_64
            p = c[12]
            p = p * r + c[11]
            p = p * r + c[10]
            p = p * r + c[9]
            p = p * r + c[8]
            p = p * r + c[7]
            p = p * r + c[6]
            p = p * r + c[5]
            p = p * r + c[4]
            p = p * r + c[3]
            p = p * r + c[2]
            p = p * r + c[1]
            p = p * r + c[0]
            e = _bits_f64((np.int64(k) + np.int64(1023)) << np.int64(52))
            return p * e if x > -708.0 else 0.0

        return exp64
    return None


@nb.njit(cache=True, fastmath=_FM, nogil=True)
def _exp_array(a, out):
    """out[:] = exp(a[:]) with the kernels' polynomial exp (used by the tests to bound its error)."""
    for i in range(a.shape[0]):
        out[i] = _exp(a[i])


# ---------------------------------------------------------------------------------------------------------
# finishing a row: scale, project
# ---------------------------------------------------------------------------------------------------------
@nb.njit(inline="always", fastmath=_FM, nogil=True)
def _finish(xt, i, out, scale, project):
    d = xt.shape[0]
    c = out[i, 0] - out[i, 0]
    xx = c
    for a in range(d):
        out[i, a] *= scale
        c += out[i, a] * xt[a, i]
        xx += xt[a, i] * xt[a, i]
    if project:
        c = c / xx
        for a in range(d):
            out[i, a] -= c * xt[a, i]


# ---------------------------------------------------------------------------------------------------------
# Q = K = V = I, d = 3: one fused vectorised loop per row
# ---------------------------------------------------------------------------------------------------------
@nb.njit(fastmath=_FM, nogil=True)
def _sum3(x0, x1, x2, b0, b1, b2, off):
    """sum over j of w_j (1, x_j) with w_j = exp(<b, x_j> + off): (den, s0, s1, s2). The loop starts at 0:
    a range with a start loaded from memory stops LLVM from vectorising it (3x slower), slices do not."""
    den = off - off
    s0 = den
    s1 = den
    s2 = den
    for j in range(x0.shape[0]):
        w = _exp(b0 * x0[j] + b1 * x1[j] + b2 * x2[j] + off)
        den += w
        s0 += w * x0[j]
        s1 += w * x1[j]
        s2 += w * x2[j]
    return den, s0, s1, s2


@nb.njit(cache=True, fastmath=_FM, nogil=True)
def _self3_rows(xt, beta, usa, project, out, i0, i1):
    n = xt.shape[1]
    x0 = xt[0]
    x1 = xt[1]
    x2 = xt[2]
    for i in range(i0, i1):
        a0, a1, a2 = x0[i], x1[i], x2[i]
        sii = a0 * a0 + a1 * a1 + a2 * a2
        b0, b1, b2 = beta * a0, beta * a1, beta * a2
        den, s0, s1, s2 = _sum3(x0, x1, x2, b0, b1, b2, -beta * sii)
        out[i, 0] = s0
        out[i, 1] = s1
        out[i, 2] = s2
        scale = math.exp(beta * sii) / n if usa else 1 / den
        _finish(xt, i, out, scale, project)


# ---------------------------------------------------------------------------------------------------------
# general small d (and general Q, K, V): chunks of CHUNK scores, one vectorised pass per coordinate
# ---------------------------------------------------------------------------------------------------------
@nb.njit(cache=True, fastmath=_FM, nogil=True)
def _chunk_rows(xt, qt, kt, vt, shift_known, usa, project, out, i0, i1):
    """Rows i0..i1: qt = beta Q x^T, kt = K x^T, vt = V x^T, all (d, n). shift_known: max_j s_ij = s_ii."""
    d, n = xt.shape
    buf = np.empty(CHUNK, dtype=xt.dtype)
    acc = np.empty(d, dtype=xt.dtype)
    zero = xt[0, 0] - xt[0, 0]
    for i in range(i0, i1):
        if shift_known:
            m = zero
            for a in range(d):
                m += qt[a, i] * kt[a, i]
        else:
            m = -np.inf
            for j0 in range(0, n, CHUNK):
                c = min(CHUNK, n - j0)
                for jj in range(c):
                    buf[jj] = zero
                for a in range(d):
                    qa = qt[a, i]
                    row = kt[a]
                    for jj in range(c):
                        buf[jj] += qa * row[j0 + jj]
                for jj in range(c):
                    m = max(m, buf[jj])
        for a in range(d):
            acc[a] = zero
        den = zero
        for j0 in range(0, n, CHUNK):
            c = min(CHUNK, n - j0)
            for jj in range(c):
                buf[jj] = -m
            for a in range(d):
                qa = qt[a, i]
                row = kt[a]
                for jj in range(c):
                    buf[jj] += qa * row[j0 + jj]
            for jj in range(c):
                w = _exp(buf[jj])
                buf[jj] = w
                den += w
            for a in range(d):
                row = vt[a]
                sa = zero
                for jj in range(c):
                    sa += buf[jj] * row[j0 + jj]
                acc[a] += sa
        for a in range(d):
            out[i, a] = acc[a]
        scale = math.exp(m) / n if usa else 1 / den
        _finish(xt, i, out, scale, project)


# ---------------------------------------------------------------------------------------------------------
# large d: BLAS tiles + fused exp pass (online softmax shift for general Q, K)
# ---------------------------------------------------------------------------------------------------------
@nb.njit(cache=True, fastmath=_FM, nogil=True)
def _tile_rows(xt, q, k, val, shift_known, usa, project, out, i0, i1):
    """Rows i0..i1 with q = beta x Q^T, k = x K^T, val = x V^T, all (n, d) C-contiguous; xt = x^T (d, n)."""
    n, d = q.shape
    zero = xt[0, 0] - xt[0, 0]
    s = np.empty(TILE_I * TILE_J, dtype=q.dtype)
    wv = np.empty((TILE_I, d), dtype=q.dtype)
    acc = np.empty((TILE_I, d), dtype=q.dtype)
    m = np.empty(TILE_I, dtype=q.dtype)
    den = np.empty(TILE_I, dtype=q.dtype)
    for ib in range(i0, i1, TILE_I):
        bi = min(TILE_I, i1 - ib)
        qb = q[ib:ib + bi]
        accb = acc[:bi]
        accb[:] = zero
        for r in range(bi):
            den[r] = zero
            if shift_known:
                mm = zero
                for a in range(d):
                    mm += qb[r, a] * k[ib + r, a]
                m[r] = mm
            else:
                m[r] = -np.inf
        for jb in range(0, n, TILE_J):
            bj = min(TILE_J, n - jb)
            sb = s[:bi * bj].reshape(bi, bj)
            np.dot(qb, k[jb:jb + bj].T, sb)
            for r in range(bi):
                row = sb[r]
                if not shift_known:
                    mb = m[r]
                    for jj in range(bj):
                        mb = max(mb, row[jj])
                    if mb > m[r]:
                        f = math.exp(m[r] - mb)
                        den[r] *= f
                        for a in range(d):
                            accb[r, a] *= f
                        m[r] = mb
                mr = m[r]
                dr = zero
                for jj in range(bj):
                    w = _exp(row[jj] - mr)
                    row[jj] = w
                    dr += w
                den[r] += dr
            wvb = wv[:bi]
            np.dot(sb, val[jb:jb + bj], wvb)
            accb += wvb
        for r in range(bi):
            i = ib + r
            for a in range(d):
                out[i, a] = accb[r, a]
            scale = math.exp(m[r]) / n if usa else 1 / den[r]
            _finish(xt, i, out, scale, project)


# ---------------------------------------------------------------------------------------------------------
# drivers: serial = the row kernel on (0, n); parallel = rows split into contiguous blocks, one dispatcher per
# kernel so that a first call compiles only what it uses
# ---------------------------------------------------------------------------------------------------------
@nb.njit(cache=True, nogil=True, parallel=True)
def _self3_parallel(xt, beta, usa, project, out, nblk):
    n = xt.shape[1]
    step = (n + nblk - 1) // nblk
    for b in nb.prange(nblk):
        _self3_rows(xt, beta, usa, project, out, min(n, b * step), min(n, (b + 1) * step))


@nb.njit(cache=True, nogil=True, parallel=True)
def _chunk_parallel(xt, qt, kt, vt, shift_known, usa, project, out, nblk):
    n = xt.shape[1]
    step = (n + nblk - 1) // nblk
    for b in nb.prange(nblk):
        _chunk_rows(xt, qt, kt, vt, shift_known, usa, project, out, min(n, b * step), min(n, (b + 1) * step))


@nb.njit(cache=True, nogil=True, parallel=True)
def _tile_parallel(xt, q, k, val, shift_known, usa, project, out, nblk):
    n = xt.shape[1]
    step = (n + nblk - 1) // nblk
    for b in nb.prange(nblk):
        _tile_rows(xt, q, k, val, shift_known, usa, project, out, min(n, b * step), min(n, (b + 1) * step))


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


def use_parallel(n: int) -> bool:
    """Thread policy: the prange kernel only for n >= PARALLEL_MIN_N, more than one effective core and
    numba threads, and (if PARALLEL_PROBE) a once-per-process probe showing that threads pay here.

    Set MFTX_PARALLEL=0 / 1 to skip the probe and force the answer (the n and core conditions still apply).
    """
    if n < PARALLEL_MIN_N or effective_cores() < 2 or nb.config.NUMBA_NUM_THREADS < 2:
        return False
    return _threads_pay() if PARALLEL_PROBE else True


# ---------------------------------------------------------------------------------------------------------
# public wrappers
# ---------------------------------------------------------------------------------------------------------
def _mode(model: Attention, d: int) -> int:
    if d >= BLAS_MIN_D:
        return 2
    return 0 if (d == 3 and model.identity) else 1


def attention_into(model: Attention, x: np.ndarray, out: np.ndarray, project: bool,
                   parallel: bool | None = None, cutoff: bool | None = None) -> np.ndarray:
    """Fill out (n, d) with P_x attn (project=True) or attn; x, out C-contiguous of model.dtype. No checks.

    parallel=None applies the thread policy use_parallel(n); True / False force a path (tests, benchmarks).
    cutoff=None uses the neighbour kernel (neighbors.py: drops pairs with relative weight < e^-37, error
    <= 2 n e^-37 per unit velocity scale) for d = 3, Q = K = V = I, n >= NEIGHBOR_MIN_N and
    beta >= NEIGHBOR_MIN_BETA; False forces the dense kernels, True the neighbour kernel (d = 3, identity).
    """
    n, d = x.shape
    if model.beta == 0.0 and model.identity and parallel is None and cutoff is None:   # forced paths stay kernels
        # beta = 0: every weight is 1/n (SA and USA alike), so attn_i = m = mean_j x_j for all i: O(n d)
        out[...] = x.mean(axis=0)
        if project:
            out -= (np.einsum("ij,ij->i", out, x) / np.einsum("ij,ij->i", x, x))[:, None] * x
        return out
    if cutoff is None:
        cutoff = d == 3 and model.identity and n >= NEIGHBOR_MIN_N and model.beta >= NEIGHBOR_MIN_BETA
    if cutoff:
        from .neighbors import attention_cutoff_into

        attention_cutoff_into(model, x, out, project)
        return out
    dt = x.dtype
    usa = model.kind == "USA"
    par = use_parallel(n) if parallel is None else bool(parallel)
    beta = dt.type(model.beta)
    xt = np.ascontiguousarray(x.T)
    mode = _mode(model, d)
    if mode == 0:
        if par:
            _self3_parallel(xt, beta, usa, project, out, _blocks())
        else:
            _self3_rows(xt, beta, usa, project, out, 0, n)
        return out
    if model.identity:
        pq, pk, pv = x * beta, x, x
    else:
        eye = np.eye(d)
        pq = x @ (eye if model.Q is None else model.Q).T.astype(dt) * beta
        pk = x @ (eye if model.K is None else model.K).T.astype(dt)
        pv = x @ (eye if model.V is None else model.V).T.astype(dt)
    shift_known = model.identity
    if mode == 2:
        q, k, val = (np.ascontiguousarray(a, dtype=dt) for a in (pq, pk, pv))
        import scipy.linalg.cython_blas  # noqa: F401  (loaded anyway by numba's np.dot; needed for _blas_lib)

        with _SingleThreadBlas():
            if par:
                _tile_parallel(xt, q, k, val, shift_known, usa, project, out, _blocks())
            else:
                _tile_rows(xt, q, k, val, shift_known, usa, project, out, 0, n)
    else:
        qt, kt, vt = (np.ascontiguousarray(a.T, dtype=dt) for a in (pq, pk, pv))
        if par:
            _chunk_parallel(xt, qt, kt, vt, shift_known, usa, project, out, _blocks())
        else:
            _chunk_rows(xt, qt, kt, vt, shift_known, usa, project, out, 0, n)
    return out
