"""The one dispatcher: which kernel computes attn (or P_x attn) for a model and a state, by named mode.

    Mode.BETA0  beta = 0, Q = K = V = I: every weight is 1/n, attn_i = mean_j x_j for all i (numpy, O(n d))
    Mode.CELLS  d = 3, Q = K = V = I, large n and beta: the neighbour cell-list kernel (neighbors.py)
    Mode.SELF3  d = 3, Q = K = V = I: the unrolled streaming kernel (dense.py)
    Mode.CHUNK  other d < BLAS_MIN_D (or general Q, K, V): chunks of scores kept in L1 (dense.py)
    Mode.TILE   d >= BLAS_MIN_D: BLAS tiles with a fused exp pass (dense.py)

Every dense mode has a serial and a parallel (prange) driver; policy.use_parallel picks one.
"""

from __future__ import annotations

from enum import Enum

import numpy as np

from ...config import BLAS_MIN_D, NEIGHBOR_MIN_BETA, NEIGHBOR_MIN_N
from ..models import Attention
from .dense import _chunk_parallel, _chunk_rows, _self3_parallel, _self3_rows, _tile_parallel, _tile_rows
from .neighbors import attention_cutoff_into
from .policy import _blocks, _SingleThreadBlas, use_parallel


class Mode(str, Enum):
    """The kernel paths of attention_into (the values are the names tests and benchmarks may pass)."""

    BETA0 = "beta0"
    CELLS = "cells"
    SELF3 = "self3"
    CHUNK = "chunk"
    TILE = "tile"


def dense_mode(model: Attention, d: int) -> Mode:
    """The dense kernel for dimension d: TILE for d >= BLAS_MIN_D, SELF3 for d = 3 and Q = K = V = I, else CHUNK."""
    if d >= BLAS_MIN_D:
        return Mode.TILE
    return Mode.SELF3 if (d == 3 and model.identity) else Mode.CHUNK


def pick_mode(model: Attention, n: int, d: int) -> Mode:
    """The mode the policy uses for n tokens in dimension d (BETA0, then CELLS, then the dense kernel)."""
    if model.beta == 0.0 and model.identity:
        return Mode.BETA0
    if d == 3 and model.identity and n >= NEIGHBOR_MIN_N and model.beta >= NEIGHBOR_MIN_BETA:
        return Mode.CELLS
    return dense_mode(model, d)


def _beta0_into(x: np.ndarray, out: np.ndarray, project: bool) -> np.ndarray:
    # beta = 0: every weight is 1/n (SA and USA alike), so attn_i = m = mean_j x_j for all i: O(n d)
    out[...] = x.mean(axis=0)
    if project:
        out -= (np.einsum("ij,ij->i", out, x) / np.einsum("ij,ij->i", x, x))[:, None] * x
    return out


def attention_into(model: Attention, x: np.ndarray, out: np.ndarray, project: bool,
                   parallel: bool | None = None, mode: Mode | str | None = None, softmax: bool = False) -> np.ndarray:
    """Fill out (n, d) with P_x attn (project=True) or attn; x, out C-contiguous of model.dtype. No checks.

    mode=None and parallel=None apply the policy (pick_mode, use_parallel). A forced parallel=True / False
    keeps the kernels (never BETA0): the dense kernel of dense_mode, or CELLS where pick_mode chooses it.
    mode forces a path: "cells" (d = 3, Q = K = V = I; drops pairs with relative weight < e^-37, error
    <= 2 n e^-37 per unit velocity scale, neighbors.py), "self3" (d = 3, identity), "chunk", "tile" or "beta0".
    softmax=True uses SA weights whatever model.kind (USA rows are SA rows times Z_i / n: same direction).
    """
    n, d = x.shape
    if mode is None:
        mode = pick_mode(model, n, d)
        if mode is Mode.BETA0 and parallel is not None:    # forced paths stay kernels
            mode = dense_mode(model, d)
    else:
        mode = Mode(mode)
        if mode is Mode.SELF3 and not (d == 3 and model.identity):
            raise ValueError(f"mode 'self3' needs d = 3 and Q = K = V = I, got d = {d}, identity = {model.identity}")
    if mode is Mode.BETA0:
        return _beta0_into(x, out, project)
    if mode is Mode.CELLS:
        attention_cutoff_into(model, x, out, project, softmax=softmax)
        return out
    dt = x.dtype
    usa = model.kind == "USA" and not softmax
    par = use_parallel(n) if parallel is None else bool(parallel)
    beta = dt.type(model.beta)
    xt = np.ascontiguousarray(x.T)
    if mode is Mode.SELF3:
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
    if mode is Mode.TILE:
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
