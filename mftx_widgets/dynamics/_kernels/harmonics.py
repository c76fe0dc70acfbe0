"""Exact O(n L^2) attention on S^2 (d = 3, Q = K = V = I) from spherical-harmonic moments of the tokens.

Expansion (docs/theory.md section 2; Abramowitz-Stegun 10.2.36 and the addition theorem of spherical harmonics):

    e^{beta <x, y>} = sum_l (2l + 1) i_l(beta) P_l(<x, y>),   (2l + 1) P_l(<x, y>) = 4 pi sum_m Y_lm(x) Y_lm(y)

with i_l the modified spherical Bessel functions and Y_lm the real orthonormal harmonics. Written with
zeta = x_0 + i x_1 = sin(theta) e^{i phi} and the polynomial part Q_l^m(t) = sqrt(4 pi) P~_l^m(t) / sin^m(theta)
(t = x_2, P~ the orthonormal associated Legendre function), 4 pi sum_m Y_lm(x) Y_lm(y) =
sum_{m >= 0} eps_m Q_l^m(t_x) Q_l^m(t_y) Re(zeta_x^m conj(zeta_y^m)), eps_0 = 1, eps_m = 2: no angle, no
division by sin(theta), nothing singular at the poles. Q_l^m comes from the stable normalised recurrences

    Q_0^0 = 1,  Q_m^m = sqrt((2m + 1) / (2m)) Q_{m-1}^{m-1},  Q_{m+1}^m = sqrt(2m + 3) t Q_m^m,
    Q_l^m = a_lm (t Q_{l-1}^m - b_lm Q_{l-2}^m),  a_lm = sqrt((4l^2 - 1) / (l^2 - m^2)),
    b_lm = sqrt(((l - 1)^2 - m^2) / (4 (l - 1)^2 - 1))

(no factorial anywhere; |Q_l^m| sin^m <= sqrt(2l + 1)). The velocity needs the vector G(x) = sum_j
e^{beta <x, x_j>} x_j: instead of the surface gradient of F(x) = sum_j e^{beta <x, x_j>} (the same information,
P_x G = (1 / beta) grad_S F), the moments are taken with the weights (1, x_j): c_lm^a = sum_j w_a(x_j) Q_l^m(t_j)
zeta_j^m for w = (1, x_0, x_1, x_2), and then

    (F, G)(x_i) = sum_l i~_l sum_m eps_m Q_l^m(t_i) Re(zeta_i^m conj(c_lm^a))      (scaled: i~_l = e^{-beta} i_l)

which gives attn itself (project=False) as well as P_x attn, has no 1 / beta (beta = 0 is regular: i~_0 = 1,
the rest 0), and needs no derivative recurrence. SA: attn_i = G_i / F_i; USA: attn_i = e^{beta} G~_i / n.

Truncation (stated and tested): |P_l| <= 1 and |x_j| = 1 bound the error of F~ and of |G~| by n T_L, T_L =
sum_{l > L} (2l + 1) i~_l, so a row's attention errs by at most 2 n T_L / F~_i times its scale sum_j A_ij |x_j|.
L(beta, tol) is the smallest L with T_L <= tol * min_mass / 2; rows with F~_i / n < min_mass are recomputed by
the dense row kernel (as in fourier.py). Moments and sums are accumulated in float64 for float32 states too.
Cost: 2 passes of n (L + 1)(L + 2) / 2 harmonic pairs (m >= 0), each a recurrence step and 8 multiply-adds.
"""

from __future__ import annotations

import functools
import math

import numba as nb
import numpy as np
from scipy.special import ive, spherical_in

from ...config import HARMONIC_MAX_ORDER, HARMONIC_MIN_MASS, HARMONIC_TOL
from ..models import Attention
from .dense import _self3_rows
from .exp import _FM

#: tokens per block of the moment and evaluation loops (the inner loops over a block vectorise).
BLOCK = 128


def _scaled_il(beta: float, lmax: int) -> np.ndarray:
    """i~_l = e^{-beta} i_l(beta) = sqrt(pi / (2 beta)) ive(l + 1/2, beta) for l = 0..lmax (float64; no overflow;
    beta = 0: i~_0 = 1, the rest 0)."""
    ls = np.arange(lmax + 1)
    if beta == 0.0:
        return spherical_in(ls, 0.0)
    return math.sqrt(math.pi / (2.0 * beta)) * ive(ls + 0.5, float(beta))


@functools.lru_cache(maxsize=512)
def harmonic_degree(beta: float, tol: float = HARMONIC_TOL, min_mass: float = HARMONIC_MIN_MASS) -> int | None:
    """Smallest L with sum_{l > L} (2l + 1) i~_l(beta) <= tol * min_mass / 2, or None above HARMONIC_MAX_ORDER."""
    lmax = 4 * HARMONIC_MAX_ORDER + 8
    terms = (2 * np.arange(lmax + 1) + 1) * _scaled_il(beta, lmax)
    tail = np.cumsum(terms[::-1])[::-1]             # tail[l] = sum_{l' >= l}
    ok = np.flatnonzero(tail <= tol * min_mass / 2.0)
    if not ok.size or ok[0] - 1 > HARMONIC_MAX_ORDER:
        return None
    return max(int(ok[0]) - 1, 1)


@functools.lru_cache(maxsize=64)
def recurrence_tables(degree: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(off, qmm, ra, rb, deg) for pairs (l, m), 0 <= m <= l <= degree, stored m-major at off[m] + l - m.

    qmm[m] = Q_m^m, ra / rb the a_lm / b_lm of the three-term recurrence (sqrt(2m + 3) at l = m + 1), deg = l.
    """
    L = degree
    off = np.zeros(L + 2, dtype=np.int64)
    for m in range(L + 1):
        off[m + 1] = off[m] + L + 1 - m
    npair = int(off[L + 1])
    ra = np.zeros(npair)
    rb = np.zeros(npair)
    deg = np.zeros(npair, dtype=np.int64)
    qmm = np.ones(L + 1)
    for m in range(1, L + 1):
        qmm[m] = qmm[m - 1] * math.sqrt((2 * m + 1) / (2 * m))
    for m in range(L + 1):
        for ll in range(m, L + 1):
            p = off[m] + ll - m
            deg[p] = ll
            if ll == m + 1:
                ra[p] = math.sqrt(2 * m + 3)
            elif ll >= m + 2:
                ra[p] = math.sqrt((4 * ll * ll - 1) / (ll * ll - m * m))
                rb[p] = math.sqrt(((ll - 1) ** 2 - m * m) / (4 * (ll - 1) ** 2 - 1))
    return off, qmm, ra, rb, deg


@nb.njit(inline="always", fastmath=_FM, nogil=True)
def _load(xt, j0, c, u0, u1, u2, zr, zi):
    """Unit directions of columns j0..j0 + c of xt (3, n) into the block arrays; zeta^0 = 1."""
    for b in range(c):
        a0 = float(xt[0, j0 + b])
        a1 = float(xt[1, j0 + b])
        a2 = float(xt[2, j0 + b])
        r = 1.0 / math.sqrt(a0 * a0 + a1 * a1 + a2 * a2)
        u0[b] = a0 * r
        u1[b] = a1 * r
        u2[b] = a2 * r
        zr[b] = 1.0
        zi[b] = 0.0


@nb.njit(inline="always", fastmath=_FM, nogil=True)
def _step(c, m, ll, p, t, q0, q1, qmm, ra, rb):
    """Advance the block's Legendre recurrence to degree ll (order m): q1 = Q_ll^m, q0 = Q_{ll-1}^m."""
    if ll == m:
        v = qmm[m]
        for b in range(c):
            q0[b] = 0.0
            q1[b] = v
    else:
        a = ra[p]
        bb = rb[p]
        for b in range(c):
            qn = a * (t[b] * q1[b] - bb * q0[b])
            q0[b] = q1[b]
            q1[b] = qn


@nb.njit(inline="always", fastmath=_FM, nogil=True)
def _rotate(c, u0, u1, zr, zi):
    """zeta^m -> zeta^{m + 1} for the block."""
    for b in range(c):
        r = zr[b] * u0[b] - zi[b] * u1[b]
        zi[b] = zr[b] * u1[b] + zi[b] * u0[b]
        zr[b] = r


@nb.njit(cache=True, fastmath=_FM, nogil=True)
def _moments3(xt, degree, off, qmm, ra, rb, cm, sm):
    """cm + i sm (4, npair) = sum_j w_a(x_j) Q_l^m(t_j) zeta_j^m, w = (1, x_0, x_1, x_2) of the unit x_j."""
    n = xt.shape[1]
    u0 = np.empty(BLOCK)
    u1 = np.empty(BLOCK)
    u2 = np.empty(BLOCK)
    zr = np.empty(BLOCK)
    zi = np.empty(BLOCK)
    q0 = np.empty(BLOCK)
    q1 = np.empty(BLOCK)
    cm[:, :] = 0.0
    sm[:, :] = 0.0
    for j0 in range(0, n, BLOCK):
        c = min(BLOCK, n - j0)
        _load(xt, j0, c, u0, u1, u2, zr, zi)
        for m in range(degree + 1):
            if m > 0:
                _rotate(c, u0, u1, zr, zi)
            for ll in range(m, degree + 1):
                p = off[m] + ll - m
                _step(c, m, ll, p, u2, q0, q1, qmm, ra, rb)
                c0 = 0.0
                c1 = 0.0
                c2 = 0.0
                c3 = 0.0
                s0 = 0.0
                s1 = 0.0
                s2 = 0.0
                s3 = 0.0
                for b in range(c):
                    fr = q1[b] * zr[b]
                    fi = q1[b] * zi[b]
                    c0 += fr
                    c1 += fr * u0[b]
                    c2 += fr * u1[b]
                    c3 += fr * u2[b]
                    s0 += fi
                    s1 += fi * u0[b]
                    s2 += fi * u1[b]
                    s3 += fi * u2[b]
                cm[0, p] += c0
                cm[1, p] += c1
                cm[2, p] += c2
                cm[3, p] += c3
                sm[0, p] += s0
                sm[1, p] += s1
                sm[2, p] += s2
                sm[3, p] += s3


@nb.njit(cache=True, fastmath=_FM, nogil=True)
def _eval3(xt, degree, off, qmm, ra, rb, gc, gs, usa, ebeta, project, out, mass):
    """out (n, 3) = attn (or P_x attn) of every row from the weighted moments gc + i gs (4, npair), which
    already carry eps_m i~_l; mass[i] = F~_i / n (float64)."""
    n = xt.shape[1]
    u0 = np.empty(BLOCK)
    u1 = np.empty(BLOCK)
    u2 = np.empty(BLOCK)
    zr = np.empty(BLOCK)
    zi = np.empty(BLOCK)
    q0 = np.empty(BLOCK)
    q1 = np.empty(BLOCK)
    f0 = np.empty(BLOCK)
    f1 = np.empty(BLOCK)
    f2 = np.empty(BLOCK)
    f3 = np.empty(BLOCK)
    for i0 in range(0, n, BLOCK):
        c = min(BLOCK, n - i0)
        _load(xt, i0, c, u0, u1, u2, zr, zi)
        for b in range(c):
            f0[b] = 0.0
            f1[b] = 0.0
            f2[b] = 0.0
            f3[b] = 0.0
        for m in range(degree + 1):
            if m > 0:
                _rotate(c, u0, u1, zr, zi)
            for ll in range(m, degree + 1):
                p = off[m] + ll - m
                _step(c, m, ll, p, u2, q0, q1, qmm, ra, rb)
                a0, a1, a2, a3 = gc[0, p], gc[1, p], gc[2, p], gc[3, p]
                e0, e1, e2, e3 = gs[0, p], gs[1, p], gs[2, p], gs[3, p]
                for b in range(c):
                    fr = q1[b] * zr[b]
                    fi = q1[b] * zi[b]
                    f0[b] += a0 * fr + e0 * fi
                    f1[b] += a1 * fr + e1 * fi
                    f2[b] += a2 * fr + e2 * fi
                    f3[b] += a3 * fr + e3 * fi
        for b in range(c):
            i = i0 + b
            scale = ebeta / n if usa else 1.0 / f0[b]
            v0 = f1[b] * scale
            v1 = f2[b] * scale
            v2 = f3[b] * scale
            if project:
                x0 = float(xt[0, i])
                x1 = float(xt[1, i])
                x2 = float(xt[2, i])
                pr = (v0 * x0 + v1 * x1 + v2 * x2) / (x0 * x0 + x1 * x1 + x2 * x2)
                v0 -= pr * x0
                v1 -= pr * x1
                v2 -= pr * x2
            out[i, 0] = v0
            out[i, 1] = v1
            out[i, 2] = v2
            mass[i] = f0[b] / n


@nb.njit(cache=True, nogil=True)
def _dense_rows3(xt, beta, usa, project, out, rows):
    """The dense d = 3 row kernel (dense._self3_rows) for the listed rows only."""
    for r in range(rows.shape[0]):
        i = rows[r]
        _self3_rows(xt, beta, usa, project, out, i, i + 1)


def harmonic_moments(x: np.ndarray, degree: int) -> tuple[np.ndarray, np.ndarray]:
    """(cm, sm), each (4, npair) float64: sum_j w_a(x_j) Q_l^m(t_j) Re / Im zeta_j^m (pair order of
    recurrence_tables), w = (1, x_0, x_1, x_2) of the unit x_j; x (n, 3)."""
    off, qmm, ra, rb, _ = recurrence_tables(degree)
    npair = int(off[-1])
    cm = np.empty((4, npair))
    sm = np.empty((4, npair))
    _moments3(np.ascontiguousarray(np.asarray(x).T), degree, off, qmm, ra, rb, cm, sm)
    return cm, sm


def harmonic_attention_into(model: Attention, x: np.ndarray, out: np.ndarray, project: bool,
                            tol: float = HARMONIC_TOL, min_mass: float = HARMONIC_MIN_MASS) -> int:
    """Fill out (n, 3) like dispatch.attention_into from spherical-harmonic moments; returns the rows done densely.

    x: (n, 3) unit rows (x / |x| is used), C-contiguous, model.dtype; Q = K = V = I. Each row is within tol times
    its velocity scale of the exact attention (module docstring).
    """
    n, d = x.shape
    if d != 3 or not model.identity:
        raise ValueError(f"the harmonic kernel needs d = 3 and Q = K = V = I, got d = {d}, "
                         f"identity = {model.identity}")
    beta = float(model.beta)
    degree = harmonic_degree(beta, tol, min_mass)
    if degree is None:
        raise ValueError(f"beta = {beta:g} needs a degree above {HARMONIC_MAX_ORDER} (use a dense mode)")
    off, qmm, ra, rb, deg = recurrence_tables(degree)
    xt = np.ascontiguousarray(x.T)
    npair = int(off[-1])
    cm = np.empty((4, npair))
    sm = np.empty((4, npair))
    _moments3(xt, degree, off, qmm, ra, rb, cm, sm)
    weight = _scaled_il(beta, degree)[deg] * np.where(np.arange(npair) < off[1], 1.0, 2.0)   # i~_l eps_m
    usa = model.kind == "USA"
    mass = np.empty(n)
    _eval3(xt, degree, off, qmm, ra, rb, cm * weight, sm * weight, usa, math.exp(beta), project, out, mass)
    rows = np.flatnonzero(mass < min_mass)
    if rows.size:
        _dense_rows3(xt, x.dtype.type(beta), usa, project, out, rows.astype(np.int64))
    return int(rows.size)
