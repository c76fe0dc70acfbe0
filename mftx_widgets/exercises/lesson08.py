"""Lesson 08 (a real transformer): checks for the centred-cosine and per-head beta exercises.

Cheap numpy on arrays the lesson hands over (no model needed here). The expected values are computed by a
different route than the lesson's: pairwise loops / a generic least-squares solve (docs/derivations/lesson08.md).
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ._check import verdict


def _tokens(name: str, x, min_n: int = 2) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim != 2 or a.shape[0] < min_n or not np.all(np.isfinite(a)):
        raise ParameterError(f"{name} must be a finite (n, d) array with n >= {min_n}, got shape {a.shape}")
    return a


def centred_cosine(x) -> float:
    """Mean pairwise cosine (i != j) of the tokens after subtracting the mean token: y_i = x_i - mean_k x_k.

    x : (n, d) token directions. Computed pair by pair (the reference for the exercise)."""
    x = _tokens("x", x, 3)
    y = x - x.mean(axis=0)
    norms = np.linalg.norm(y, axis=1)
    if np.any(norms <= 1e-12 * max(1.0, float(norms.max()))):
        raise ParameterError("x: a token equals the mean token, its centred direction is undefined")
    n, total = len(y), 0.0
    for i in range(n):
        for j in range(n):
            if i != j:
                total += float(y[i] @ y[j]) / (norms[i] * norms[j])
    return total / (n * (n - 1))


def check_centred_cosine(x, answer: float) -> bool:
    """Exercise 1: the centred mean cosine of the tokens x (n, d)."""
    return verdict("centred mean cosine", answer, centred_cosine(x), rtol=1e-6, atol=1e-9,
                   hint="Subtract the mean token, normalise each row, average <y_i, y_j> over the n(n-1) pairs i != j.")


def head_beta(weights, x) -> float:
    """Least-squares beta of log A_ij ~ beta <x_i, x_j> + g_i (free row offsets g_i) for one head.

    weights : (n, n) attention weights (rows sum to 1, all > 0); x : (n, d) unit tokens (the layer's input
    directions). Solved as one generic least-squares problem with n + 1 unknowns (beta, g_1..g_n)."""
    x = _tokens("x", x)
    w = np.asarray(weights, dtype=float)
    n = x.shape[0]
    if w.shape != (n, n) or not np.all(w > 0):
        raise ParameterError(f"weights must be an ({n}, {n}) array of positive attention weights, got {w.shape}")
    c = x @ x.T
    design = np.zeros((n * n, n + 1))
    design[:, 0] = c.ravel()
    design[np.arange(n * n), 1 + np.repeat(np.arange(n), n)] = 1.0
    sol = np.linalg.lstsq(design, np.log(w).ravel(), rcond=None)[0]
    return float(sol[0])


def check_head_beta(weights, x, answer: float) -> bool:
    """Exercise 2: the fitted inverse temperature of one head from its attention weights."""
    return verdict("fitted beta of the head", answer, head_beta(weights, x), rtol=1e-6, atol=1e-9,
                   hint="log A_ij = s_ij - log Z_i: fit beta c_ij + g_i; centre each row of log A and of c, then "
                        "beta = sum(row-centred log A * row-centred c) / sum(row-centred c^2).")


__all__ = ["centred_cosine", "check_centred_cosine", "head_beta", "check_head_beta"]
