"""The numba cell-list kernel of neighbors.py (imported only when backend.NUMBA is True; the cell layout,
the cutoff and its error bound are described in neighbors.py)."""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from .rows import _finish, _sum3


@nb.njit(cache=True, nogil=True)
def _cell_rows(xt, beta, usa, project, out, starts, ends, coords, table, g, reach, h, r):
    """Rows of the sorted points xt (3, n): cell c holds xt[:, starts[c]:ends[c]], integer coords[c] (box
    [-1 - 1e-5 + coords h, ... + h]^3), table[(ix * g + iy) * g + iz] = occupied cell index or -1.
    Candidate cells of cell c: box-to-box distance <= r; for each token i, the candidates whose box is within
    r of x_i itself are summed (consecutive cells merged into one contiguous range). Returns pairs computed."""
    n = xt.shape[1]
    x0 = xt[0]
    x1 = xt[1]
    x2 = xt[2]
    nc = starts.shape[0]
    span = 2 * reach + 1
    cand = np.empty(span * span * span, dtype=np.int64)
    lo = np.empty(span * span * span, dtype=np.int64)
    hi = np.empty(span * span * span, dtype=np.int64)
    r2 = r * r
    r2h2 = r2 / (h * h)
    base = -1.0 - 1e-5
    visited = 0
    for c in range(nc):
        cx, cy, cz = coords[c, 0], coords[c, 1], coords[c, 2]
        nk = 0
        for dx in range(-reach, reach + 1):
            ix = cx + dx
            if ix < 0 or ix >= g:
                continue
            gx = max(abs(dx) - 1, 0)
            for dy in range(-reach, reach + 1):
                iy = cy + dy
                if iy < 0 or iy >= g:
                    continue
                gy = max(abs(dy) - 1, 0)
                for dz in range(-reach, reach + 1):
                    iz = cz + dz
                    if iz < 0 or iz >= g:
                        continue
                    gz = max(abs(dz) - 1, 0)
                    if gx * gx + gy * gy + gz * gz > r2h2:
                        continue
                    b = table[(ix * g + iy) * g + iz]
                    if b >= 0:
                        cand[nk] = b
                        nk += 1
        for i in range(starts[c], ends[c]):
            a0, a1, a2 = x0[i], x1[i], x2[i]
            p0, p1, p2 = float(a0), float(a1), float(a2)
            m = 0
            for q in range(nk):
                b = cand[q]
                l0 = base + coords[b, 0] * h
                l1 = base + coords[b, 1] * h
                l2 = base + coords[b, 2] * h
                e0 = max(l0 - p0, p0 - l0 - h, 0.0)
                e1 = max(l1 - p1, p1 - l1 - h, 0.0)
                e2 = max(l2 - p2, p2 - l2 - h, 0.0)
                if e0 * e0 + e1 * e1 + e2 * e2 > r2:
                    continue
                if m > 0 and hi[m - 1] == starts[b]:
                    hi[m - 1] = ends[b]
                else:
                    lo[m] = starts[b]
                    hi[m] = ends[b]
                    m += 1
            sii = a0 * a0 + a1 * a1 + a2 * a2
            b0, b1, b2 = beta * a0, beta * a1, beta * a2
            off = -beta * sii
            den = off - off
            s0 = den
            s1 = den
            s2 = den
            for q in range(m):
                j0, j1 = lo[q], hi[q]
                visited += j1 - j0
                e, f0, f1, f2 = _sum3(x0[j0:j1], x1[j0:j1], x2[j0:j1], b0, b1, b2, off)
                den += e
                s0 += f0
                s1 += f1
                s2 += f2
            out[i, 0] = s0
            out[i, 1] = s1
            out[i, 2] = s2
            scale = math.exp(beta * sii) / n if usa else 1 / den
            _finish(xt, i, out, scale, project)
    return visited
