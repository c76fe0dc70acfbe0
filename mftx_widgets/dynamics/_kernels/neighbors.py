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

The numba kernel is cells._cell_rows (imported on first use). Without numba (backend.NUMBA False) every pair
is computed by numpy_paths.attention_into (exact, so the bound holds with nothing dropped; n^2 pairs).
"""

from __future__ import annotations

import math

import numpy as np

from ...config import NEIGHBOR_TAIL, NORM_TOL
from ...errors import ParameterError
from ..models import Attention
from .backend import NUMBA

#: cells per cutoff radius r (cell side r / CELLS_PER_R): finer cells hug the cap better, at more overhead.
CELLS_PER_R = 3


def cutoff_radius(beta: float, tail: float = NEIGHBOR_TAIL) -> float:
    """Chord radius r = sqrt(2 tail / beta) beyond which pairs are dropped (inf for beta = 0)."""
    return math.inf if beta <= 0 else math.sqrt(2.0 * tail / beta)


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
    if not NUMBA:    # the numpy path computes every pair exactly (the bound holds with no pair dropped)
        from . import numpy_paths

        numpy_paths.attention_into(model, x, out, project, softmax=softmax)
        return n * n
    from .cells import _cell_rows
    from .dense import _self3_rows

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
