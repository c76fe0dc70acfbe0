"""Plain numpy reference (dense n x n, max-shifted softmax, BLAS): the correctness oracle and benchmark baseline.

Ten readable lines per formula; every numba kernel is tested against these (docs/theory.md sections 1-2).
"""

from __future__ import annotations

import numpy as np


def attention_output(x: np.ndarray, beta: float, kind: str = "SA", Q=None, K=None, V=None) -> np.ndarray:
    """attn_i = sum_j A_ij V x_j for (n, d) x; A is SA (row softmax) or USA (exp / n)."""
    d = x.shape[1]
    eye = np.eye(d, dtype=x.dtype)
    q = x @ (eye if Q is None else Q).T
    k = x @ (eye if K is None else K).T
    val = x @ (eye if V is None else V).T
    s = beta * (q @ k.T)                       # scores beta <Q x_i, K x_j>, (n, n)
    m = s.max(axis=1, keepdims=True)           # row maximum (softmax shift)
    w = np.exp(s - m)
    if kind == "SA":
        w /= w.sum(axis=1, keepdims=True)
    else:
        w *= np.exp(m) / x.shape[0]
    return w @ val


def velocity(x: np.ndarray, beta: float, kind: str = "SA", Q=None, K=None, V=None) -> np.ndarray:
    """dx_i/dt = P_{x_i} attn_i with P_x = I - x x^T / |x|^2 (= I - x x^T on the sphere; Post-LN)."""
    a = attention_output(x, beta, kind, Q, K, V)
    return a - (np.sum(a * x, axis=1, keepdims=True) / np.sum(x * x, axis=1, keepdims=True)) * x


def energy(x: np.ndarray, beta: float) -> float:
    """E_beta = (1 / (2 beta n^2)) sum_ij exp(beta <x_i, x_j>)  (docs/theory.md section 3)."""
    n = x.shape[0]
    return float(np.exp(beta * (x @ x.T)).sum() / (2.0 * beta * n * n))
