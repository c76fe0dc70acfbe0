"""Row pieces shared by the dense and the neighbour kernels: the d = 3 weighted sums (known shift and true row
maximum), the check whether the known shift is safe, and the row finish."""

from __future__ import annotations

import math

import numba as nb

from .exp import _FM, _exp


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



@nb.njit(fastmath=_FM, nogil=True)
def _sum3_exact(x0, x1, x2, b0, b1, b2, buf):
    """Like _sum3 with the true row maximum as shift: buf[j] = <b, x_j> (buf has room for n scores), m = max_j,
    w_j = exp(buf[j] - m). The maximal score gives exp(0) = 1 exactly, so den >= 1 whatever the rounding of
    the scores (used for rows where the known shift beta |x_i|^2 may not bound them). Returns (den, s0, s1, s2, m)."""
    n = x0.shape[0]
    m = b0 * x0[0] + b1 * x1[0] + b2 * x2[0]
    for j in range(n):
        s = b0 * x0[j] + b1 * x1[j] + b2 * x2[j]
        buf[j] = s
        m = max(m, s)
    den = m - m
    s0 = den
    s1 = den
    s2 = den
    for j in range(n):
        w = _exp(buf[j] - m)
        den += w
        s0 += w * x0[j]
        s1 += w * x1[j]
        s2 += w * x2[j]
    return den, s0, s1, s2, m


@nb.njit(inline="always", nogil=True)
def _shift_ok(beta_sii, sii, mx, rnd):
    """True when the known shift beta |x_i|^2 (= beta_sii) bounds every score of row i to within 1:
    beta <x_i, x_j> - beta |x_i|^2 <= beta |x_i| (max_j |x_j| - |x_i|) plus the rounding of the scores,
    beta * rnd * max_j |x_j|^2 (rnd = 2 (d + 2) eps). Unit rows within NORM_TOL at huge beta (or float32 at
    beta > ~1e6) fail it; those rows take the true row maximum instead."""
    ni = math.sqrt(sii)
    return beta_sii * ((math.sqrt(mx) / ni - 1.0) + rnd * mx / sii) <= 1.0
