"""Cell-list (neighbour) velocity kernel for large beta on S^2: drops only negligible pairs.

For unit tokens and Q = K = V = I the weight of token j in row i, relative to the row's own weight, is
e^{beta (<x_i, x_j> - 1)} = e^{-beta |x_i - x_j|^2 / 2}. Pairs with beta (1 - <x_i, x_j>) > tail (default 37,
relative weight below e^{-37} = 8.5e-17) are dropped: these are exactly the pairs at chord distance
|x_i - x_j| > r = sqrt(2 tail / beta). The tokens are sorted into cubic cells of side r / CELLS_PER_R; a cell
cell is visited for token i when its box is within r of x_i (so no pair closer than r is ever dropped), and
inside a visited cell every pair is computed exactly as by the dense kernel.

Error bound (stated and tested): with eps = e^{-tail} and S_i = sum_j A_ij |x_j| (the velocity scale; 1 for
SA), every row satisfies |attn_i(cutoff) - attn_i(dense)| <= 2 n eps S_i, the velocity likewise (the
projection does not increase the error). For SA: the numerator and denominator of attn_i each lose at most
n eps times the row's own weight, which is <= the denominator. For USA the same argument with the prefactor
exp(beta) / n. At n = 10^5 and tail = 37 that is <= 1.7e-11 S, below the float32 resolution. (For rows
that are unit only to a tolerance tau, tail is effectively tail - beta tau; the states of Simulation are
renormalised every step, tau ~ 1e-16.)

Cost: a token visits about the tokens in a cap of relative area tail / beta (times the cell-box overhead), so
a step of n uniform tokens costs about n^2 (tail / beta) c instead of n^2; when the tokens cluster the cost
returns towards sum_clusters n_c^2 (n^2 / k for k equal clusters), which benchmarks/bench_kernels.py reports.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from ...config import NEIGHBOR_TAIL, NORM_TOL
from ...errors import ParameterError
from ..models import Attention
from .dense import _self3_rows
from .rows import _finish, _sum3

#: cells per cutoff radius r (cell side r / CELLS_PER_R): finer cells hug the cap better, at more overhead.
CELLS_PER_R = 3


def cutoff_radius(beta: float, tail: float = NEIGHBOR_TAIL) -> float:
    """Chord radius r = sqrt(2 tail / beta) beyond which pairs are dropped (inf for beta = 0)."""
    return math.inf if beta <= 0 else math.sqrt(2.0 * tail / beta)


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


def attention_cutoff_into(model: Attention, x: np.ndarray, out: np.ndarray, project: bool,
                          tail: float = NEIGHBOR_TAIL, softmax: bool = False) -> int:
    """Fill out (n, 3) like dispatch.attention_into, dropping pairs with beta (1 - <x_i, x_j>) > tail.

    x: (n, 3) unit rows, C-contiguous, model.dtype; Q = K = V = I. Returns the number of pairs computed.
    Where beta times the rows' departure from unit norm (or the float rounding of the scores) is not small,
    the cutoff guarantee and the known shift fail: then every pair is computed by the dense kernel (n^2).
    """
    n, d = x.shape
    usa = model.kind == "USA" and not softmax
    if d != 3 or not model.identity:
        raise ParameterError(f"the neighbour kernel needs d = 3 and Q = K = V = I, got d = {d}, "
                         f"identity = {model.identity}")
    norms = np.linalg.norm(x.astype(np.float64), axis=1)
    slack = model.beta * (float(np.max(norms * (norms.max() - norms))) + 10 * np.finfo(x.dtype).eps * norms.max() ** 2)
    if slack > 1.0:
        _self3_rows(np.ascontiguousarray(x.T), x.dtype.type(model.beta), usa, project, out, 0, n)
        return n * n
    r = cutoff_radius(model.beta, tail) * (1.0 + NORM_TOL) + NORM_TOL   # margin: rows are unit only to NORM_TOL
    h = max(r / CELLS_PER_R, 2.0 / 512)  # at most 512 cells per axis
    g = max(1, int(math.ceil(2.0 * (1.0 + 1e-5) / h)))
    h = 2.0 * (1.0 + 1e-5) / g
    reach = min(g, int(math.ceil(r / h)) + 1)
    ijk = np.clip(np.floor((x.astype(np.float64) + 1.0 + 1e-5) / h).astype(np.int64), 0, g - 1)
    cell = (ijk[:, 0] * g + ijk[:, 1]) * g + ijk[:, 2]
    order = np.argsort(cell, kind="stable")
    cs = cell[order]
    first = np.flatnonzero(np.r_[True, cs[1:] != cs[:-1]])
    starts = first.astype(np.int64)
    ends = np.r_[first[1:], n].astype(np.int64)
    ids = cs[first]
    coords = np.ascontiguousarray(ijk[order[first]])
    table = np.full(g * g * g, -1, dtype=np.int64)
    table[ids] = np.arange(len(ids))
    xt = np.ascontiguousarray(x[order].T)
    tmp = np.empty_like(x)
    beta = x.dtype.type(model.beta)
    visited = _cell_rows(xt, beta, usa, project, tmp, starts, ends, coords, table, g, reach, h, r)
    out[order] = tmp
    return int(visited)
