"""Numba velocity kernels (private) and the public velocity() wrapper.

Each kernel takes preallocated arrays and plain numbers; the wrapper validates, casts and allocates.
Readable formula (THEORY.md section 2), for token i:

    s_ij = beta <Q x_i, K x_j>,  w_ij = exp(s_ij - max_k s_ik)
    SA:  attn_i = sum_j w_ij V x_j / sum_j w_ij        USA: attn_i = exp(max_k s_ik) / n * sum_j w_ij V x_j
    velocity_i = attn_i - <attn_i, x_i> x_i            (projection P_{x_i}; skipped when project=False)

With Q = K = V = I and unit rows the row maximum is s_ii = beta |x_i|^2, so the shift is known without
a pass over j; general Q, K take one extra pass to find the maximum. The sums stream over j: memory O(n d).
"""

from __future__ import annotations

import math
import os

import numba as nb
import numpy as np

from ..config import PARALLEL_MIN_N
from . import _validate as v
from .models import Attention



@nb.njit(cache=True, fastmath=False, nogil=True)
def _self_row(x, beta, usa, project, out, i):
    """Row i of the Q = K = V = I kernel (shift beta |x_i|^2)."""
    n, d = x.shape
    sii = 0.0
    for k in range(d):
        sii += x[i, k] * x[i, k]
        out[i, k] = 0.0
    den = 0.0
    for j in range(n):
        s = 0.0
        for k in range(d):
            s += x[i, k] * x[j, k]
        w = math.exp(beta * (s - sii))
        den += w
        for k in range(d):
            out[i, k] += w * x[j, k]
    if usa:
        scale = math.exp(beta * sii) / n
    else:
        scale = 1.0 / den
    c = 0.0
    for k in range(d):
        out[i, k] *= scale
        c += out[i, k] * x[i, k]
    if project:
        inv = 1.0 / sii
        for k in range(d):
            out[i, k] -= c * inv * x[i, k]


@nb.njit(cache=True, nogil=True)
def _self_serial(x, beta, usa, project, out):
    for i in range(x.shape[0]):
        _self_row(x, beta, usa, project, out, i)


@nb.njit(cache=True, parallel=True, nogil=True)
def _self_parallel(x, beta, usa, project, out):
    for i in nb.prange(x.shape[0]):
        _self_row(x, beta, usa, project, out, i)


@nb.njit(cache=True, nogil=True)
def _general_row(x, q, k, val, usa, project, out, i):
    """Row i with general Q, K, V: q = beta x Q^T, k = x K^T, val = x V^T precomputed; two passes over j."""
    n, d = x.shape
    m = -np.inf
    for j in range(n):
        s = 0.0
        for a in range(d):
            s += q[i, a] * k[j, a]
        if s > m:
            m = s
    for a in range(d):
        out[i, a] = 0.0
    den = 0.0
    for j in range(n):
        s = 0.0
        for a in range(d):
            s += q[i, a] * k[j, a]
        w = math.exp(s - m)
        den += w
        for a in range(d):
            out[i, a] += w * val[j, a]
    scale = math.exp(m) / n if usa else 1.0 / den
    c = 0.0
    xx = 0.0
    for a in range(d):
        out[i, a] *= scale
        c += out[i, a] * x[i, a]
        xx += x[i, a] * x[i, a]
    if project:
        for a in range(d):
            out[i, a] -= c / xx * x[i, a]


@nb.njit(cache=True, nogil=True)
def _general_serial(x, q, k, val, usa, project, out):
    for i in range(x.shape[0]):
        _general_row(x, q, k, val, usa, project, out, i)


@nb.njit(cache=True, parallel=True, nogil=True)
def _general_parallel(x, q, k, val, usa, project, out):
    for i in nb.prange(x.shape[0]):
        _general_row(x, q, k, val, usa, project, out, i)


def effective_cores() -> int:
    """Cores this process may use (affinity and cgroup CPU quota), at least 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max") as fh:
            quota, period = fh.read().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, int(float(quota) / float(period))))
    except (OSError, ValueError):
        pass
    return max(1, cores)


def use_parallel(n: int) -> bool:
    """Thread policy: the prange kernel only for large n and more than one effective core."""
    return n >= PARALLEL_MIN_N and effective_cores() > 1 and nb.config.NUMBA_NUM_THREADS > 1


def attention_into(model: Attention, x: np.ndarray, out: np.ndarray, project: bool) -> np.ndarray:
    """Fill out (n, d) with P_x attn (project=True) or attn; x, out C-contiguous of model.dtype. No checks."""
    usa = model.kind == "USA"
    par = use_parallel(x.shape[0])
    beta = float(model.beta)
    if model.identity:
        (_self_parallel if par else _self_serial)(x, beta, usa, project, out)
    else:
        d = x.shape[1]
        eye = np.eye(d)
        q = np.ascontiguousarray((x @ (eye if model.Q is None else model.Q).T.astype(x.dtype)) * x.dtype.type(beta))
        k = np.ascontiguousarray(x @ (eye if model.K is None else model.K).T.astype(x.dtype))
        val = np.ascontiguousarray(x @ (eye if model.V is None else model.V).T.astype(x.dtype))
        (_general_parallel if par else _general_serial)(x, q, k, val, usa, project, out)
    return out


def check_state(model: Attention, x, name: str = "x") -> np.ndarray:
    """Validate a state array for this model: (n, d) finite, unit rows if the scheme lives on the sphere."""
    arr = v.points(name, x, unit=model.on_sphere, d=model.dimension, dtype_name=model.dtype)
    return arr


def attention_output(model: Attention, x) -> np.ndarray:
    """attn_i = sum_j A_ij V x_j at directions x (n, d); returns (n, d) in model.dtype."""
    arr = check_state(model, x)
    arr /= np.linalg.norm(arr, axis=1, keepdims=True)
    return attention_into(model, arr, np.empty_like(arr), project=False)


def velocity(model: Attention, x, t: float = 0.0) -> np.ndarray:
    """Velocity dz/dt of the model's dynamics at state x (n, d), time t (Mix-LN switches at model.mix_switch).

    Post-LN: P_x attn;  nGPT: alpha P_x attn / |attn|;  Pre-LN: attn(z / |z|);  Peri-LN: attn / |attn|.
    Deterministic part only (noise is added by the SDE stepper). Returns (n, d) in model.dtype.
    """
    t = v.real("t", t)
    arr = check_state(model, x)
    return _velocity(model, arr, t)


def _velocity(model: Attention, z: np.ndarray, t: float, out: np.ndarray | None = None) -> np.ndarray:
    """Unchecked velocity of the normalization scheme at state z."""
    if out is None:
        out = np.empty_like(z)
    norm = model.norm
    if norm == "mix":
        norm = "post" if t < model.mix_switch else "pre"
    if norm == "post":
        return attention_into(model, z, out, project=True)
    x = z / np.linalg.norm(z, axis=1, keepdims=True)
    if norm == "ngpt":
        attention_into(model, x, out, project=False)
        a = np.linalg.norm(out, axis=1, keepdims=True)
        out -= np.sum(out * x, axis=1, keepdims=True) * x
        out *= model.alpha / a
        return out
    attention_into(model, x, out, project=False)
    if norm == "peri":
        out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out
