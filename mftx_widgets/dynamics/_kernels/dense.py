"""Dense numba attention kernels (every pair j for every row i) and their prange drivers.

Each kernel takes preallocated arrays and plain numbers and fills rows i0..i1 of `out`; dispatch.py picks one,
casts and allocates. Readable formula (docs/theory.md section 2), for token i:

    s_ij = beta <Q x_i, K x_j>,  w_ij = exp(s_ij - max_k s_ik)
    SA:  attn_i = sum_j w_ij V x_j / sum_j w_ij        USA: attn_i = exp(max_k s_ik) / n * sum_j w_ij V x_j
    velocity_i = attn_i - <attn_i, x_i> x_i / |x_i|^2  (projection P_{x_i}; skipped when project=False)

With Q = K = V = I and unit rows the row maximum is s_ii = beta |x_i|^2, so the shift is known without
a pass over j; general Q, K (and any row where rows unit only to NORM_TOL, or the rounding of the scores at
huge beta, could put a score more than 1 above s_ii: rows._shift_ok) use the true row maximum, found online
chunk by chunk, so every exp argument is <= ~1 and the largest weight is exp(0) = 1: no overflow, and the
softmax denominator is never 0. The sums stream over j: memory O(n d).

How the kernels are fast (docs/performance.md has the measured table):

* the points are stored transposed, xt = x.T of shape (d, n), so the inner loop over j reads d contiguous
  rows and LLVM vectorises it (AVX2 / AVX-512 lanes over j); the reductions over j are allowed to be
  reassociated (fastmath 'reassoc', exp.py);
* exp is the branch-free polynomial of exp.py, which vectorises without Intel SVML;
* float32 states are computed in float32 throughout (twice the SIMD lanes, a shorter polynomial);
* d = 3 (the sphere S^2 of the widgets) has its own fully unrolled loop (_self3_rows); other small d use
  chunks of CHUNK scores kept in L1 (_chunk_rows); d >= BLAS_MIN_D uses BLAS tiles (_tile_rows: scores =
  Q_tile K_tile^T, a fused in-place exp pass with an online softmax shift, then acc += W V_tile), never an
  n x n array;
* the *_parallel drivers split the rows into contiguous blocks over numba threads (policy.py decides when).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from .exp import _FM, _exp
from .rows import _finish, _shift_ok, _sum3, _sum3_exact

#: scores per chunk of the small-d kernel (kept in L1) and tile sizes of the BLAS kernel.
CHUNK = 1024
TILE_I = 128
TILE_J = 1024


# ---------------------------------------------------------------------------------------------------------
# Q = K = V = I, d = 3: one fused vectorised loop per row
# ---------------------------------------------------------------------------------------------------------
@nb.njit(cache=True, fastmath=_FM, nogil=True)
def _self3_rows(xt, beta, usa, project, out, i0, i1):
    n = xt.shape[1]
    x0 = xt[0]
    x1 = xt[1]
    x2 = xt[2]
    mx = _max_sq(xt)
    rnd = 10.0 * np.finfo(xt.dtype).eps
    buf = np.empty(0, dtype=xt.dtype)
    for i in range(i0, i1):
        a0, a1, a2 = x0[i], x1[i], x2[i]
        sii = a0 * a0 + a1 * a1 + a2 * a2
        b0, b1, b2 = beta * a0, beta * a1, beta * a2
        m = beta * sii
        if _shift_ok(m, sii, mx, rnd):
            den, s0, s1, s2 = _sum3(x0, x1, x2, b0, b1, b2, -m)
        else:
            if buf.shape[0] < n:
                buf = np.empty(n, dtype=xt.dtype)
            den, s0, s1, s2, m = _sum3_exact(x0, x1, x2, b0, b1, b2, buf)
        out[i, 0] = s0
        out[i, 1] = s1
        out[i, 2] = s2
        scale = math.exp(m) / n if usa else 1 / den
        _finish(xt, i, out, scale, project)


@nb.njit(fastmath=_FM, nogil=True)
def _max_sq(xt):
    """max_j |x_j|^2 of the points xt (d, n): one O(n d) pass per call (the per-row shift check needs it)."""
    d, n = xt.shape
    mx = xt[0, 0] - xt[0, 0]
    for j in range(n):
        s = mx - mx
        for a in range(d):
            s += xt[a, j] * xt[a, j]
        mx = max(mx, s)
    return mx


# ---------------------------------------------------------------------------------------------------------
# general small d (and general Q, K, V): chunks of CHUNK scores, one vectorised pass per coordinate
# ---------------------------------------------------------------------------------------------------------
@nb.njit(inline="always", fastmath=_FM, nogil=True)
def _scores(buf, qt, kt, d, i, j0, c, start):
    """buf[:c] = start + s_ij for j = j0..j0 + c: one vectorised pass over the chunk per coordinate a."""
    for jj in range(c):
        buf[jj] = start
    for a in range(d):
        qa = qt[a, i]
        row = kt[a]
        for jj in range(c):
            buf[jj] += qa * row[j0 + jj]


@nb.njit(cache=True, fastmath=_FM, nogil=True)
def _chunk_rows(xt, qt, kt, vt, shift_known, usa, project, out, i0, i1):
    """Rows i0..i1: qt = beta Q x^T, kt = K x^T, vt = V x^T, all (d, n). shift_known: max_j s_ij = s_ii
    (Q = K = V = I), used for the rows where _shift_ok; other rows find the maximum chunk by chunk (online
    softmax: earlier sums rescaled when it grows), so the maximal score gives exp(0) = 1 and den >= 1."""
    d, n = xt.shape
    buf = np.empty(CHUNK, dtype=xt.dtype)
    acc = np.empty(d, dtype=xt.dtype)
    zero = xt[0, 0] - xt[0, 0]
    mx = _max_sq(xt) if shift_known else zero
    rnd = 2.0 * (d + 2) * np.finfo(xt.dtype).eps
    for i in range(i0, i1):
        m = zero
        known = False
        if shift_known:
            sii = zero
            for a in range(d):
                m += qt[a, i] * kt[a, i]
                sii += xt[a, i] * xt[a, i]
            known = _shift_ok(m, sii, mx, rnd)
        for a in range(d):
            acc[a] = zero
        den = zero
        for j0 in range(0, n, CHUNK):
            c = min(CHUNK, n - j0)
            _scores(buf, qt, kt, d, i, j0, c, zero)
            if not known:
                mb = buf[0]
                for jj in range(c):
                    mb = max(mb, buf[jj])
                if j0 == 0:
                    m = mb
                elif mb > m:
                    f = math.exp(m - mb)
                    den *= f
                    for a in range(d):
                        acc[a] *= f
                    m = mb
            for jj in range(c):
                w = _exp(buf[jj] - m)
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
    """Rows i0..i1 with q = beta x Q^T, k = x K^T, val = x V^T, all (n, d) C-contiguous; xt = x^T (d, n).
    shift_known (Q = K = V = I): rows where _shift_ok use s_ii; the others take the online maximum of the tiles."""
    n, d = q.shape
    zero = xt[0, 0] - xt[0, 0]
    s = np.empty(TILE_I * TILE_J, dtype=q.dtype)
    wv = np.empty((TILE_I, d), dtype=q.dtype)
    acc = np.empty((TILE_I, d), dtype=q.dtype)
    m = np.empty(TILE_I, dtype=q.dtype)
    den = np.empty(TILE_I, dtype=q.dtype)
    known = np.empty(TILE_I, dtype=np.bool_)
    mx = _max_sq(xt) if shift_known else zero
    rnd = 2.0 * (d + 2) * np.finfo(xt.dtype).eps
    for ib in range(i0, i1, TILE_I):
        bi = min(TILE_I, i1 - ib)
        qb = q[ib:ib + bi]
        accb = acc[:bi]
        accb[:] = zero
        for r in range(bi):
            den[r] = zero
            known[r] = False
            if shift_known:
                mm = zero
                sii = zero
                for a in range(d):
                    mm += qb[r, a] * k[ib + r, a]
                    sii += xt[a, ib + r] * xt[a, ib + r]
                known[r] = _shift_ok(mm, sii, mx, rnd)
                m[r] = mm
            if not known[r]:
                m[r] = -np.inf
        for jb in range(0, n, TILE_J):
            bj = min(TILE_J, n - jb)
            sb = s[:bi * bj].reshape(bi, bj)
            np.dot(qb, k[jb:jb + bj].T, sb)
            for r in range(bi):
                row = sb[r]
                if not known[r]:
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
