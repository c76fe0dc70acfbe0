"""Observables of a token configuration x (n, d): energy, cosines, order parameter, clusters.

Rows need not be unit: the direction x_i / |x_i| is used (Pre-LN residual streams), except by energy_gram.
Pairwise sums stream in row blocks (memory O(block * n)).
"""

from __future__ import annotations

import numpy as np

from ..config import CLUSTER_TOL, MAX_EXP_ARG
from ..errors import ParameterError
from . import _validate as v
from ._kernels.dispatch import link_roots
from .field import check_model

_BLOCK = 1024
#: smallest positive beta of energy(): below it 1/(2 beta) overflows float64.
MIN_ENERGY_BETA = 1e-300


def _dirs(x, name: str = "x") -> np.ndarray:
    arr = v.points(name, x, unit=False, dtype_name="float64")
    return arr / np.linalg.norm(arr, axis=1, keepdims=True)


def _blocks(n: int):
    for s in range(0, n, _BLOCK):
        yield s, min(n, s + _BLOCK)


def energy(x, beta: float) -> float:
    """E_beta = (1 / (2 beta n^2)) sum_ij exp(beta <x_i, x_j>) (docs/theory.md §3).

    beta = 0: the constant 1/(2 beta) is dropped and the beta -> 0 limit |m|^2 / 2 is returned.
    beta must be <= 700 (exp overflow) and 0 or >= 1e-300 (E ~ 1/(2 beta) overflows below ~2.8e-309);
    use energy_ratio for any beta.
    """
    beta = v.real("beta", beta, low=0.0, high=MAX_EXP_ARG["float64"])
    if 0.0 < beta < MIN_ENERGY_BETA:
        raise ParameterError(f"beta must be 0 or >= {MIN_ENERGY_BETA:g} for energy (E_beta ~ 1/(2 beta) overflows "
                             f"float64), got {beta!r}; use energy_ratio, or beta = 0 for the limit |m|^2 / 2")
    u = _dirs(x)
    if beta == 0.0:
        m = u.mean(axis=0)
        return float(0.5 * m @ m)
    return float(np.exp(beta) * energy_ratio(u, beta) / (2.0 * beta))


def energy_ratio(x, beta: float) -> float:
    """E_beta / E_max = (1/n^2) sum_ij exp(beta (<x_i, x_j> - 1)) in [1/n, 1]; 1 only for a single point.

    The diagonal is exactly 1 and cosines are clipped to <= 1 (rounding puts <u_i, u_i> a few ulp off 1, which
    beta ~ 1e17 would amplify).
    """
    beta = v.real("beta", beta, low=0.0)
    u = _dirs(x)
    n = u.shape[0]
    tot = 0.0
    for a, b in _blocks(n):
        g = np.minimum(u[a:b] @ u.T, 1.0)
        g[np.arange(b - a), np.arange(a, b)] = 1.0          # <u_i, u_i> = 1 exactly, not to rounding
        tot += np.exp(beta * (g - 1.0)).sum()
    return float(tot / (n * n))


def mean_vector(x) -> np.ndarray:
    """m = (1/n) sum_i x_i (d,) of the directions."""
    return _dirs(x).mean(axis=0)


def order_parameter(x) -> float:
    """|m| = |(1/n) sum_i x_i| in [0, 1] (Kuramoto's r on the circle)."""
    return float(np.linalg.norm(mean_vector(x)))


def mean_cosine(x) -> float:
    """Mean pairwise cosine (1/(n(n-1))) sum_{i != j} <x_i, x_j> = (n |m|^2 - 1) / (n - 1); 1 if n = 1."""
    u = _dirs(x)
    n = u.shape[0]
    if n == 1:
        return 1.0
    s = u.sum(axis=0)
    return float((s @ s - n) / (n * (n - 1)))


def min_cosine(x) -> float:
    """min_{i != j} <x_i, x_j>; 1 if n = 1."""
    u = _dirs(x)
    n = u.shape[0]
    if n == 1:
        return 1.0
    best = np.inf
    for a, b in _blocks(n):
        g = u[a:b] @ u.T
        g[np.arange(b - a), np.arange(a, b)] = np.inf
        best = min(best, float(g.min()))
    return float(min(best, 1.0))


def cosine_histogram(x, bins: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of <x_i, x_j> over pairs i < j on [-1, 1]: (counts (bins,), edges (bins + 1,))."""
    bins = v.integer("bins", bins, low=1, high=10**6)
    u = _dirs(x)
    n = u.shape[0]
    edges = np.linspace(-1.0, 1.0, bins + 1)
    counts = np.zeros(bins, dtype=np.int64)
    for a, b in _blocks(n):
        g = np.clip(u[a:b] @ u.T, -1.0, 1.0)
        iu = np.arange(a, b)[:, None] < np.arange(n)[None, :]
        k = np.minimum(((g[iu] + 1.0) * (bins / 2.0)).astype(np.int64), bins - 1)   # bin index, O(pairs)
        counts += np.bincount(k, minlength=bins)
    return counts, edges


def clusters(x, tol: float = CLUSTER_TOL) -> np.ndarray:
    """Cluster labels (n,) int, 0..k-1 in order of first appearance.

    Single linkage: i and j are joined when 1 - <x_i, x_j> <= tol (default config.CLUSTER_TOL = 1e-2,
    an angle of about 8 degrees), and clusters are the connected components.
    """
    tol = v.real("tol", tol, low=0.0, high=2.0)
    roots = link_roots(_dirs(x), tol)
    _, labels = np.unique(roots, return_inverse=True)
    order = {}
    out = np.empty_like(labels)
    for i, lab in enumerate(labels):
        out[i] = order.setdefault(lab, len(order))
    return out


def cluster_count(x, tol: float = CLUSTER_TOL) -> int:
    """Number of clusters (see clusters())."""
    return int(clusters(x, tol).max() + 1)


def cluster_sizes(x, tol: float = CLUSTER_TOL) -> np.ndarray:
    """Sizes of the clusters, largest first."""
    return np.sort(np.bincount(clusters(x, tol)))[::-1]


def attention_weights(model, x, rows=slice(None)) -> np.ndarray:
    """Attention weights A[rows] (m, n) of the directions u of x (n, d) under an Attention model.

    SA: A_ij = exp(beta <Q u_i, K u_j>) / sum_k exp(beta <Q u_i, K u_k>) (softmax, row max shifted);
    USA: A_ij = exp(beta <Q u_i, K u_j>) / n (docs/theory.md, the models). rows: an int, an index array or a
    slice of the query tokens. The solvers never form A; this is for display and teaching (O(m n d)).
    """
    check_model(model)
    u = v.points("x", x, unit=False, d=model.dimension, dtype_name="float64")
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    try:
        q = np.atleast_2d(u[rows])
    except (IndexError, TypeError, ValueError):
        raise ParameterError(f"rows must be an int in [-n, n), an index array or a slice of the n = {u.shape[0]} "
                             f"tokens, got {rows!r}") from None
    if q.ndim != 2:
        raise ParameterError(f"rows must select tokens (an int, index array or slice), got {rows!r}")
    if model.Q is not None:
        q = q @ model.Q.T
    k = u if model.K is None else u @ model.K.T
    s = model.beta * (q @ k.T)
    if model.kind == "USA":
        return np.exp(s) / u.shape[0]
    s -= s.max(axis=1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=1, keepdims=True)
