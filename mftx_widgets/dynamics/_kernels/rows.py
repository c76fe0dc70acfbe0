"""Row pieces shared by the dense and the neighbour kernels: the d = 3 weighted sum and the row finish."""

from __future__ import annotations

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

