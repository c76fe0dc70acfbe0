"""The one dispatcher: which kernel computes attn (or P_x attn) for a model and a state, by named mode.

    Mode.BETA0  beta = 0, Q = K = V = I: every weight is 1/n, attn_i = mean_j x_j for all i (numpy, O(n d))
    Mode.CELLS  d = 3, Q = K = V = I, large n and beta: the neighbour cell-list kernel (neighbors.py)
    Mode.FOURIER  d = 2, Q = K = V = I, moderate beta: Fourier moments, O(n K) (fourier.py)
    Mode.HARMONIC d = 3, Q = K = V = I, moderate beta: spherical-harmonic moments, O(n L^2) (harmonics.py)
    Mode.SELF3  d = 3, Q = K = V = I: the unrolled streaming kernel (dense.py)
    Mode.CHUNK  other d < BLAS_MIN_D (or general Q, K, V): chunks of scores kept in L1 (dense.py)
    Mode.TILE   d >= BLAS_MIN_D: BLAS tiles with a fused exp pass (dense.py)

Every dense mode has a serial and a parallel (prange) driver; policy.use_parallel picks one.

Without numba (backend.NUMBA False) every mode but BETA0 runs numpy_paths.attention_into, the exact dense sum
in blocks of rows (forced modes keep their checks of d and Q = K = V = I); the cost model then offers only
the dense mode (no cells, no moment paths), and single linkage (link_roots) uses numpy_paths.link_roots.

Cost model (cheapest_mode; coefficients in config, measured by benchmarks/bench_harmonic.py on one core):
    dense     COST_DENSE[(d, dtype)] n^2, / COST_PARALLEL if use_parallel(n)   (d = 2, 3; other d: dense only)
    cells     the dense cost times COST_CELLS NEIGHBOR_TAIL / beta  (only where the measured rule of NEIGHBOR_MIN_N
              and NEIGHBOR_MIN_BETA allows it: its cost grows back to dense when the tokens cluster)
    fourier   COST_FIXED + COST_FOURIER (n + COST_N0) (K + 1) (1 + COST_RADIAL P),    (K, P) = fourier_plan
    harmonic  COST_FIXED + COST_HARMONIC (n + COST_N0) (L + 1)(L + 2) / 2 (1 + COST_RADIAL P),  (L, P) = harmonic_plan
P is the radial order for rows off the sphere (spread = max | |x|^2 - 1 |, measured per call in O(n); 0 on the
sphere). A moment path is taken only when estimated COST_MARGIN times cheaper. The moment paths need
Q = K = V = I and beta <= HARMONIC_MAX_BETA; every path agrees with the dense kernel to HARMONIC_TOL (fourier.py,
harmonics.py).
"""

from __future__ import annotations

from enum import Enum

import numpy as np

from ... import config as cfg
from ...config import BLAS_MIN_D, NEIGHBOR_MIN_BETA, NEIGHBOR_MIN_N
from ...errors import ParameterError
from ..models import Attention
from . import numpy_paths
from .backend import NUMBA
from .neighbors import attention_cutoff_into
from .policy import _blocks, _SingleThreadBlas, use_parallel

if NUMBA:   # the kernel modules import numba at top level: never loaded on the numpy path (backend.py)
    from .dense import _chunk_parallel, _chunk_rows, _self3_parallel, _self3_rows, _tile_parallel, _tile_rows
    from .fourier import fourier_attention_into, fourier_plan, spread_of
    from .harmonics import harmonic_attention_into, harmonic_plan
    from .links import _link


class Mode(str, Enum):
    """The kernel paths of attention_into (the values are the names tests and benchmarks may pass)."""

    BETA0 = "beta0"
    CELLS = "cells"
    SELF3 = "self3"
    CHUNK = "chunk"
    TILE = "tile"
    FOURIER = "fourier"
    HARMONIC = "harmonic"


def dense_mode(model: Attention, d: int) -> Mode:
    """The dense kernel for dimension d: TILE for d >= BLAS_MIN_D, SELF3 for d = 3 and Q = K = V = I, else CHUNK."""
    if d >= BLAS_MIN_D:
        return Mode.TILE
    return Mode.SELF3 if (d == 3 and model.identity) else Mode.CHUNK


def pick_mode(model: Attention, n: int, d: int, spread: float = 0.0) -> Mode:
    """The mode the policy uses for n tokens in dimension d (BETA0, else the cheapest exact path by the cost model;
    spread = max | |x|^2 - 1 | of the rows, 0 on the sphere)."""
    if model.beta == 0.0 and model.identity:
        return Mode.BETA0
    return cheapest_mode(model, n, d, spread=spread)


# ---------------------------------------------------------------------------------------------------------
# cost model: dense vs neighbour cells vs the moment (Fourier / spherical-harmonic) expansions
# ---------------------------------------------------------------------------------------------------------
def moment_plan(model: Attention, d: int, spread: float = 0.0) -> tuple[Mode, int, int] | None:
    """(FOURIER, K, P) for d = 2 or (HARMONIC, L, P) for d = 3 when a moment path applies, else None."""
    if not NUMBA or not model.identity or d not in (2, 3) or model.beta > cfg.HARMONIC_MAX_BETA:
        return None
    plan = (fourier_plan if d == 2 else harmonic_plan)(model.beta, spread)
    if plan is None:
        return None
    return (Mode.FOURIER if d == 2 else Mode.HARMONIC, *plan)


def path_costs(model: Attention, n: int, d: int, moments: bool = True, spread: float = 0.0) -> dict[Mode, float]:
    """Estimated seconds (one core) of every exact path available for n tokens in dimension d (module docstring).

    The dense kernel is always there (its cost is only modelled for d = 2, 3: elsewhere it is the only path)."""
    dense = dense_mode(model, d)
    costs = {dense: cfg.COST_DENSE.get((d, model.dtype), 1e-9 * d) * float(n) * n}
    if d in (2, 3) and n >= cfg.PARALLEL_MIN_N and use_parallel(n):
        costs[dense] /= cfg.COST_PARALLEL
    if NUMBA and d == 3 and model.identity and n >= NEIGHBOR_MIN_N and model.beta >= NEIGHBOR_MIN_BETA:
        costs[Mode.CELLS] = costs[dense] * min(1.0, cfg.COST_CELLS * cfg.NEIGHBOR_TAIL / model.beta)
    found = moment_plan(model, d, spread) if moments else None
    if found is not None:
        mode, order, radial = found
        m = (n + cfg.COST_N0) * (1.0 + cfg.COST_RADIAL * radial)
        work = m * (order + 1) if mode is Mode.FOURIER else m * (order + 1) * (order + 2) / 2
        costs[mode] = cfg.COST_FIXED + (cfg.COST_FOURIER if mode is Mode.FOURIER else cfg.COST_HARMONIC) * work
    return costs


def cheapest_mode(model: Attention, n: int, d: int, moments: bool = True, spread: float = 0.0) -> Mode:
    """The path of least estimated cost (path_costs): the dense kernel, or the cells where cheaper (the measured
    rule of config), or a moment path if at least COST_MARGIN times cheaper than those (its estimate is the less
    sharp one near a crossover); moments=False leaves out the Fourier / harmonic paths."""
    costs = path_costs(model, n, d, moments, spread)
    choice = dense_mode(model, d)
    if Mode.CELLS in costs and costs[Mode.CELLS] < costs[choice]:
        choice = Mode.CELLS
    for mode in (Mode.FOURIER, Mode.HARMONIC):
        if mode in costs and costs[mode] * cfg.COST_MARGIN <= costs[choice]:
            choice = mode
    return choice


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
    <= 2 n e^-37 per unit velocity scale, neighbors.py), "self3" (d = 3, identity), "chunk", "tile" or "beta0",
    "fourier" (d = 2) / "harmonic" (d = 3): Q = K = V = I, error <= HARMONIC_TOL per unit velocity scale (rows
    off the sphere too). The policy considers the moment paths only with parallel=None.
    softmax=True uses SA weights whatever model.kind (USA rows are SA rows times Z_i / n: same direction), on
    every path.
    """
    n, d = x.shape
    if softmax and model.kind == "USA":
        model = model.replace(kind="SA")      # the same direction on every path, and no e^beta anywhere
    if not NUMBA:
        return _numpy_into(model, x, out, project, parallel, mode, softmax)
    spread = None
    if mode is None:
        if parallel is None and model.identity and d in (2, 3) and 0.0 < model.beta <= cfg.HARMONIC_MAX_BETA:
            spread = spread_of(x)
        mode = pick_mode(model, n, d, spread=spread or 0.0)
        if mode is Mode.BETA0 and parallel is not None:    # forced paths stay kernels
            mode = dense_mode(model, d)
        if mode in (Mode.FOURIER, Mode.HARMONIC) and spread is None:   # forced parallel: the dense kernels
            mode = cheapest_mode(model, n, d, moments=False)
    else:
        mode = Mode(mode)
        if mode is Mode.SELF3 and not (d == 3 and model.identity):
            raise ParameterError(f"mode 'self3' needs d = 3 and Q = K = V = I, got d = {d}, "
                                 f"identity = {model.identity}")
    if mode is Mode.BETA0:
        return _beta0_into(x, out, project)
    if mode is Mode.CELLS:
        attention_cutoff_into(model, x, out, project, softmax=softmax)
        return out
    if mode is Mode.FOURIER:
        fourier_attention_into(model, x, out, project, spread=spread)
        return out
    if mode is Mode.HARMONIC:
        harmonic_attention_into(model, x, out, project, spread=spread)
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


def _numpy_into(model: Attention, x: np.ndarray, out: np.ndarray, project: bool, parallel: bool | None,
                mode: Mode | str | None, softmax: bool) -> np.ndarray:
    """attention_into without numba: BETA0 where the policy (or the caller) picks it, else the exact dense numpy
    sum (numpy_paths.py) for every mode; a forced mode keeps its checks of d and Q = K = V = I."""
    n, d = x.shape
    if mode is None:
        mode = pick_mode(model, n, d)
        if mode is Mode.BETA0 and parallel is not None:    # forced paths stay kernels (here: the dense sum)
            mode = dense_mode(model, d)
    else:
        mode = Mode(mode)
        need = {Mode.SELF3: 3, Mode.CELLS: 3, Mode.HARMONIC: 3, Mode.FOURIER: 2}.get(mode)
        if need is not None and not (d == need and model.identity):
            raise ParameterError(f"mode {mode.value!r} needs d = {need} and Q = K = V = I, got d = {d}, "
                                 f"identity = {model.identity}")
    if mode is Mode.BETA0:
        return _beta0_into(x, out, project)
    return numpy_paths.attention_into(model, x, out, project, softmax=softmax)


def link_roots(u: np.ndarray, tol: float) -> np.ndarray:
    """Single linkage of unit rows u (n, d) float64: i ~ j when 1 - <u_i, u_j> <= tol; (n,) int64, for each token
    the smallest index of its connected component (numba union-find, or numpy_paths.link_roots without numba)."""
    if NUMBA:
        return _link(u, tol)
    return numpy_paths.link_roots(u, tol)
