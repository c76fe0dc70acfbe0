"""Exact O(n K) attention on the circle (d = 2, Q = K = V = I) from the Fourier moments of the tokens.

Tokens x_j = (cos theta_j, sin theta_j), moments M_k = sum_j e^{i k theta_j} (k = 0..K). With phi = theta_j - theta_i
and the modified Bessel functions I_k (docs/theory.md section 2; Abramowitz-Stegun 9.6.34 and 9.6.26):

    e^{beta cos phi}          = I_0 + 2 sum_k I_k cos k phi
    e^{beta cos phi} cos phi  = I_1 + sum_k (I_{k-1} + I_{k+1}) cos k phi        (d / d beta of the line above)
    e^{beta cos phi} sin phi  = sum_k (I_{k-1} - I_{k+1}) sin k phi = (2 / beta) sum_k k I_k sin k phi

so, with w_i = e^{-i theta_i}, every row needs only the K + 1 numbers M_k:

    D_i = sum_j e^{beta cos phi}         = I_0 M_0 + 2 sum_k I_k Re(w_i^k M_k)
    C_i = sum_j e^{beta cos phi} cos phi = I_1 M_0 + sum_k (I_{k-1} + I_{k+1}) Re(w_i^k M_k)
    S_i = sum_j e^{beta cos phi} sin phi = sum_k (I_{k-1} - I_{k+1}) Im(w_i^k M_k)
    sum_j e^{beta <x_i, x_j>} x_j = C_i x_i + S_i t_i,  t_i = (-sin theta_i, cos theta_i)

SA: attn_i = (C_i x_i + S_i t_i) / D_i;  USA: attn_i = (C_i x_i + S_i t_i) / n;  the velocity P_x attn_i = S_i t_i / D_i
(SA). The coefficient (I_{k-1} - I_{k+1}) has no 1 / beta: beta -> 0 is regular (I_0(0) = 1, the rest 0).

Scaling (the softmax max-shift): the exponentially scaled I~_k = e^{-beta} I_k (scipy.special.ive) are used; for
SA the factor e^{beta} cancels, for USA it is the prefactor e^{beta} / n, exactly the dense kernel's shift.

Truncation (stated and tested): with T_K = sum_{k >= K} I~_k (I~_k decreases in k) the three truncated sums
err by at most 2 n T_K each (D: 2 sum_{k > K} I~_k; C, S: sum_{k > K} (I~_{k-1} + I~_{k+1})), so the row's
attention err by at most 5 n T_K / D~_i times its scale sum_j A_ij |x_j| (SA: 1). K(beta, tol) is the smallest
K with T_K <= tol * min_mass / 5: every row with D~_i / n >= min_mass is exact to tol (HARMONIC_TOL = 1e-12);
rows below min_mass (a token far from almost all the mass, where rounding is also amplified by n / D~_i) are
recomputed by the dense row kernel. The moments and the sums are accumulated in float64 for float32 states too.
Cost: 2 passes of n (K + 1) complex multiply-adds; no pair is ever formed.
"""

from __future__ import annotations

import functools
import math

import numba as nb
import numpy as np
from scipy.special import ive

from ...config import HARMONIC_MAX_ORDER, HARMONIC_MIN_MASS, HARMONIC_TOL
from ..models import Attention
from .dense import _chunk_rows
from .exp import _FM

#: tokens per block of the moment and evaluation loops (the inner loops over a block vectorise).
BLOCK = 256


@functools.lru_cache(maxsize=512)
def fourier_order(beta: float, tol: float = HARMONIC_TOL, min_mass: float = HARMONIC_MIN_MASS) -> int | None:
    """Smallest K with sum_{k >= K} ive(k, beta) <= tol * min_mass / 5, or None above HARMONIC_MAX_ORDER."""
    k = np.arange(4 * HARMONIC_MAX_ORDER + 8)
    tail = np.cumsum(ive(k, float(beta))[::-1])[::-1]
    ok = np.flatnonzero(tail <= tol * min_mass / 5.0)
    if not ok.size or ok[0] > HARMONIC_MAX_ORDER:
        return None
    return max(int(ok[0]), 1)


def fourier_coefficients(beta: float, order: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dc, cc, sc), each (order + 1,) float64: the scaled coefficients of D, C, S in the module docstring."""
    i = ive(np.arange(order + 2), float(beta))
    k = np.arange(1, order + 1)
    dc = np.empty(order + 1)
    cc = np.empty(order + 1)
    sc = np.zeros(order + 1)
    dc[0], dc[1:] = i[0], 2.0 * i[1:order + 1]
    cc[0], cc[1:] = i[1], i[0:order] + i[2:order + 2]
    # I_{k-1} - I_{k+1} = (2k / beta) I_k: the product for beta >= 1 (no cancellation), the difference below
    # (no 1 / beta; there I_{k+1} <= I_{k-1} / 8)
    sc[1:] = 2.0 * k / beta * i[1:order + 1] if beta >= 1.0 else i[0:order] - i[2:order + 2]
    return dc, cc, sc


@nb.njit(cache=True, fastmath=_FM, nogil=True)
def _moments2(xt, order, mr, mi):
    """mr + i mi = M_k = sum_j (z_j / |z_j|)^k for k = 0..order, z_j = x_j0 + i x_j1; xt (2, n); float64 out."""
    n = xt.shape[1]
    zr = np.empty(BLOCK)
    zi = np.empty(BLOCK)
    pr = np.empty(BLOCK)
    pi = np.empty(BLOCK)
    for k in range(order + 1):
        mr[k] = 0.0
        mi[k] = 0.0
    for j0 in range(0, n, BLOCK):
        c = min(BLOCK, n - j0)
        for b in range(c):
            a0 = float(xt[0, j0 + b])
            a1 = float(xt[1, j0 + b])
            r = 1.0 / math.sqrt(a0 * a0 + a1 * a1)
            zr[b] = a0 * r
            zi[b] = a1 * r
            pr[b] = 1.0
            pi[b] = 0.0
        for k in range(order + 1):
            sr = 0.0
            si = 0.0
            for b in range(c):
                sr += pr[b]
                si += pi[b]
                t = pr[b] * zr[b] - pi[b] * zi[b]
                pi[b] = pr[b] * zi[b] + pi[b] * zr[b]
                pr[b] = t
            mr[k] += sr
            mi[k] += si


@nb.njit(cache=True, fastmath=_FM, nogil=True)
def _eval2(xt, mr, mi, dc, cc, sc, usa, ebeta, project, out, mass):
    """out (n, 2) = attn (or P_x attn) of every row from the moments; mass[i] = D~_i / n (float64)."""
    n = xt.shape[1]
    order = mr.shape[0] - 1
    zr = np.empty(BLOCK)
    zi = np.empty(BLOCK)
    pr = np.empty(BLOCK)
    pi = np.empty(BLOCK)
    dd = np.empty(BLOCK)
    cs = np.empty(BLOCK)
    ss = np.empty(BLOCK)
    for i0 in range(0, n, BLOCK):
        c = min(BLOCK, n - i0)
        for b in range(c):
            a0 = float(xt[0, i0 + b])
            a1 = float(xt[1, i0 + b])
            r = 1.0 / math.sqrt(a0 * a0 + a1 * a1)
            zr[b] = a0 * r
            zi[b] = -a1 * r           # w_i = conj(z_i)
            pr[b] = 1.0
            pi[b] = 0.0
            dd[b] = 0.0
            cs[b] = 0.0
            ss[b] = 0.0
        for k in range(order + 1):
            a_r, a_i = mr[k], mi[k]
            fd, fc, fs = dc[k], cc[k], sc[k]
            for b in range(c):
                re = pr[b] * a_r - pi[b] * a_i
                im = pr[b] * a_i + pi[b] * a_r
                dd[b] += fd * re
                cs[b] += fc * re
                ss[b] += fs * im
                t = pr[b] * zr[b] - pi[b] * zi[b]
                pi[b] = pr[b] * zi[b] + pi[b] * zr[b]
                pr[b] = t
        for b in range(c):
            i = i0 + b
            u0, u1 = zr[b], -zi[b]
            scale = ebeta / n if usa else 1.0 / dd[b]
            v0 = (cs[b] * u0 - ss[b] * u1) * scale
            v1 = (cs[b] * u1 + ss[b] * u0) * scale
            if project:
                x0 = float(xt[0, i])
                x1 = float(xt[1, i])
                p = (v0 * x0 + v1 * x1) / (x0 * x0 + x1 * x1)
                v0 -= p * x0
                v1 -= p * x1
            out[i, 0] = v0
            out[i, 1] = v1
            mass[i] = dd[b] / n


@nb.njit(cache=True, nogil=True)
def _dense_rows2(xt, qt, usa, project, out, rows):
    """The dense row kernel (dense._chunk_rows, shift known) for the listed rows only."""
    for r in range(rows.shape[0]):
        i = rows[r]
        _chunk_rows(xt, qt, xt, xt, True, usa, project, out, i, i + 1)


def fourier_attention_into(model: Attention, x: np.ndarray, out: np.ndarray, project: bool,
                           tol: float = HARMONIC_TOL, min_mass: float = HARMONIC_MIN_MASS) -> int:
    """Fill out (n, 2) like dispatch.attention_into from the Fourier moments; returns the rows done densely.

    x: (n, 2) unit rows (the angles of x / |x| are used), C-contiguous, model.dtype; Q = K = V = I. Each row is
    within tol times its velocity scale of the exact attention (module docstring).
    """
    n, d = x.shape
    if d != 2 or not model.identity:
        raise ValueError(f"the Fourier kernel needs d = 2 and Q = K = V = I, got d = {d}, identity = {model.identity}")
    beta = float(model.beta)
    order = fourier_order(beta, tol, min_mass)
    if order is None:
        raise ValueError(f"beta = {beta:g} needs more than {HARMONIC_MAX_ORDER} Fourier modes (use a dense mode)")
    xt = np.ascontiguousarray(x.T)
    mr = np.empty(order + 1)
    mi = np.empty(order + 1)
    _moments2(xt, order, mr, mi)
    dc, cc, sc = fourier_coefficients(beta, order)
    usa = model.kind == "USA"
    mass = np.empty(n)
    _eval2(xt, mr, mi, dc, cc, sc, usa, math.exp(beta), project, out, mass)
    rows = np.flatnonzero(mass < min_mass)
    if rows.size:
        qt = np.ascontiguousarray(xt * x.dtype.type(beta))
        _dense_rows2(xt, qt, usa, project, out, rows.astype(np.int64))
    return int(rows.size)
