"""Vectorised numpy paths used when numba is off (backend.NUMBA False): the dense attention and single linkage.

Dense attention, for token i (the formulas of dynamics/reference.py and dense.py, docs/theory.md section 2):

    s_ij = beta <Q x_i, K x_j>,  w_ij = exp(s_ij - max_k s_ik)
    SA:  attn_i = sum_j w_ij V x_j / sum_j w_ij        USA: attn_i = exp(max_k s_ik) / n * sum_j w_ij V x_j
    velocity_i = attn_i - <attn_i, x_i> x_i / |x_i|^2  (projection P_{x_i}; skipped when project=False)

computed in float64 (whatever the model's dtype; the result is cast to it) over blocks of rows, with the
true row maximum as shift (the largest weight is exp(0) = 1: no overflow, denominator >= 1), so memory is
O(block * n) with block * n <= BLOCK_ELEMENTS. Every mode of dispatch.attention_into (dense, cells, the
Fourier / harmonic moment paths) falls back to this exact sum: no pair is dropped, no expansion truncated.
"""

from __future__ import annotations

import numpy as np

from ..models import Attention
from .backend import notice

#: scores per block (block rows * n): 2^21 float64 = 16 MB per temporary.
BLOCK_ELEMENTS = 1 << 21


def block_rows(n: int) -> int:
    """Rows per block for n tokens (at least 1, at most n)."""
    return max(1, min(n, BLOCK_ELEMENTS // max(n, 1)))


def attention_into(model: Attention, x: np.ndarray, out: np.ndarray, project: bool,
                   softmax: bool = False) -> np.ndarray:
    """Fill out (n, d) with P_x attn (project=True) or attn, like dispatch.attention_into; x (n, d) any float."""
    notice()
    n, d = x.shape
    usa = model.kind == "USA" and not softmax
    x64 = np.asarray(x, dtype=np.float64)
    q = x64 if model.Q is None else x64 @ np.asarray(model.Q, dtype=np.float64).T
    q = q * float(model.beta)
    k = x64 if model.K is None else x64 @ np.asarray(model.K, dtype=np.float64).T
    val = x64 if model.V is None else x64 @ np.asarray(model.V, dtype=np.float64).T
    step = block_rows(n)
    for a in range(0, n, step):
        b = min(n, a + step)
        s = q[a:b] @ k.T                                   # (rows, n) scores
        m = s.max(axis=1, keepdims=True)
        np.subtract(s, m, out=s)
        np.exp(s, out=s)
        acc = s @ val
        if usa:
            acc *= np.exp(m) / n
        else:
            acc /= s.sum(axis=1, keepdims=True)
        if project:
            xb = x64[a:b]
            acc -= (np.einsum("ij,ij->i", acc, xb) / np.einsum("ij,ij->i", xb, xb))[:, None] * xb
        out[a:b] = acc
    return out


def link_roots(u: np.ndarray, tol: float) -> np.ndarray:
    """Single linkage of the unit rows u (n, d): i ~ j when 1 - <u_i, u_j> <= tol; returns (n,) int64, for each
    token the smallest index of its connected component (what the numba union-find links._link returns).

    Blocks of rows (memory O(block * n)): each block's edges, plus the edges i -> root(i) found so far, go through
    scipy's connected_components on all n tokens; the roots are then the component minima."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    notice()
    n = u.shape[0]
    idx = np.arange(n)
    roots = idx.copy()
    step = block_rows(n)
    for a in range(0, n, step):
        b = min(n, a + step)
        near = (1.0 - u[a:b] @ u.T) <= tol
        i, j = np.nonzero(near)
        rows = np.concatenate([i + a, idx])
        cols = np.concatenate([j, roots])
        graph = coo_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(n, n)).tocsr()
        _, comp = connected_components(graph, directed=False)
        low = np.full(comp.max() + 1, n, dtype=np.int64)
        np.minimum.at(low, comp, idx)
        roots = low[comp]
    return roots.astype(np.int64)
