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

Rows off the unit sphere (the inner stages of a Runge-Kutta step) are exact too, as in fourier.py: with
z_i = beta r_i, r = |x|, A_j = r_j^2 - 1 and the multiplication theorem i_l(lambda z) = lambda^l sum_p
((lambda^2 - 1) z / 2)^p / p! i_{l+p}(z) (from A-S 9.6.51 for I_{l+1/2}),

    e^{z_i r_j <u_i, u_j>} = sum_l sum_p (z_i / 2)^p / p! i_{l+p}(z_i) A_j^p (2l + 1) P_l(<u_i, u_j>) r_j^l,

and r_j^l Q_l^m(t_j) zeta_j^m is the solid harmonic, which the same recurrence gives from the unnormalised x_j
(the b_lm term times r_j^2). The moments get an index p <= P (A^p weights); the row's own i_nu(z_i) follows from the
table at beta by the same theorem. On the sphere A = 0 and P = 0.

Error (stated and tested): |P_l| <= 1, so with T_L = sum_{l > L} (2l + 1) i~_l(b) at b = beta max_j r_j^2 the
truncated F~_a err by at most n T_L max_j |x_j| each, and a row's attention by at most 2 n T_L / F~_0 times its
scale sum_j A_ij |x_j|. L is the smallest degree with T_L <= tol min_mass / 4, P the smallest radial order with
e^y y^{P+1} / (P + 1)! (1 + s)^{L/2} <= tol min_mass / 4 (y = b s / 2, s = max |A_j|; fourier.radial_order); rows
with F~_0 / n < min_mass are recomputed by the dense row kernel (as in fourier.py). Moments and sums are
accumulated in float64 for float32 states too.
Cost: 2 passes of n (L + 1)(L + 2) / 2 (P + 1) harmonic pairs (m >= 0), each with 8 multiply-adds.
"""

from __future__ import annotations

import functools
import math

import numba as nb
import numpy as np
from scipy.special import ive, spherical_in

from ...config import HARMONIC_MAX_ORDER, HARMONIC_MIN_MASS, HARMONIC_TOL
from ...errors import ParameterError
from ..models import Attention
from .dense import _self3_rows
from .exp import _FM
from .fourier import _radial, plan_orders, spread_of

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
    """Smallest L with sum_{l > L} (2l + 1) i~_l(beta) <= tol * min_mass / 4, or None above HARMONIC_MAX_ORDER."""
    lmax = 4 * HARMONIC_MAX_ORDER + 8
    terms = (2 * np.arange(lmax + 1) + 1) * _scaled_il(beta, lmax)
    tail = np.cumsum(terms[::-1])[::-1]             # tail[l] = sum_{l' >= l}
    ok = np.flatnonzero(tail <= tol * min_mass / 4.0)
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
def _step(c, m, ll, p, t, rsq, q0, q1, qmm, ra, rb):
    """Advance the block's recurrence to degree ll (order m): q1 = Q_ll^m, q0 = Q_{ll-1}^m (times r^{ll - m} for
    unnormalised points: t = x_2 and rsq = |x|^2; the solid harmonic)."""
    if ll == m:
        v = qmm[m]
        for b in range(c):
            q0[b] = 0.0
            q1[b] = v
    else:
        a = ra[p]
        bb = rb[p]
        for b in range(c):
            qn = a * (t[b] * q1[b] - bb * rsq[b] * q0[b])
            q0[b] = q1[b]
            q1[b] = qn


@nb.njit(inline="always", fastmath=_FM, nogil=True)
def _rotate(c, u0, u1, zr, zi):
    """zeta^m -> zeta^{m + 1} for the block (zeta = u0 + i u1)."""
    for b in range(c):
        r = zr[b] * u0[b] - zi[b] * u1[b]
        zi[b] = zr[b] * u1[b] + zi[b] * u0[b]
        zr[b] = r


@nb.njit(cache=True, fastmath=_FM, nogil=True)
def _moments3(xt, degree, radial, off, qmm, ra, rb, cm, sm):
    """cm + i sm [4 p + a, pair] = sum_j w_a(x_j) A_j^p R_l^m(x_j), R the solid harmonic r^l Q_l^m(t) zeta^m of the
    unnormalised x_j, w = (1, x_0, x_1, x_2), A = |x_j|^2 - 1; xt (3, n); cm, sm (4 (radial + 1), npair)."""
    n = xt.shape[1]
    nw = 4 * (radial + 1)
    u0 = np.empty(BLOCK)
    u1 = np.empty(BLOCK)
    u2 = np.empty(BLOCK)
    rsq = np.empty(BLOCK)
    zr = np.empty(BLOCK)
    zi = np.empty(BLOCK)
    q0 = np.empty(BLOCK)
    q1 = np.empty(BLOCK)
    fr = np.empty(BLOCK)
    fi = np.empty(BLOCK)
    w = np.empty((nw, BLOCK))
    cm[:, :] = 0.0
    sm[:, :] = 0.0
    for j0 in range(0, n, BLOCK):
        c = min(BLOCK, n - j0)
        for b in range(c):
            a0 = float(xt[0, j0 + b])
            a1 = float(xt[1, j0 + b])
            a2 = float(xt[2, j0 + b])
            u0[b] = a0
            u1[b] = a1
            u2[b] = a2
            rsq[b] = a0 * a0 + a1 * a1 + a2 * a2
            zr[b] = 1.0
            zi[b] = 0.0
            ap = 1.0
            for p in range(radial + 1):
                w[4 * p, b] = ap
                w[4 * p + 1, b] = ap * a0
                w[4 * p + 2, b] = ap * a1
                w[4 * p + 3, b] = ap * a2
                ap *= rsq[b] - 1.0
        for m in range(degree + 1):
            if m > 0:
                _rotate(c, u0, u1, zr, zi)
            for ll in range(m, degree + 1):
                p = off[m] + ll - m
                _step(c, m, ll, p, u2, rsq, q0, q1, qmm, ra, rb)
                for b in range(c):
                    fr[b] = q1[b] * zr[b]
                    fi[b] = q1[b] * zi[b]
                for k in range(radial + 1):
                    e = 4 * k
                    w0 = w[e]
                    w1 = w[e + 1]
                    w2 = w[e + 2]
                    w3 = w[e + 3]
                    c0 = 0.0
                    c1 = 0.0
                    c2 = 0.0
                    c3 = 0.0
                    s0 = 0.0
                    s1 = 0.0
                    s2 = 0.0
                    s3 = 0.0
                    for b in range(c):
                        c0 += fr[b] * w0[b]
                        c1 += fr[b] * w1[b]
                        c2 += fr[b] * w2[b]
                        c3 += fr[b] * w3[b]
                        s0 += fi[b] * w0[b]
                        s1 += fi[b] * w1[b]
                        s2 += fi[b] * w2[b]
                        s3 += fi[b] * w3[b]
                    cm[e, p] += c0
                    cm[e + 1, p] += c1
                    cm[e + 2, p] += c2
                    cm[e + 3, p] += c3
                    sm[e, p] += s0
                    sm[e + 1, p] += s1
                    sm[e + 2, p] += s2
                    sm[e + 3, p] += s3


@nb.njit(cache=True, fastmath=_FM, nogil=True)
def _eval3(xt, beta, degree, radial, off, qmm, ra, rb, itab, gc, gs, usa, project, out, mass):
    """out (n, 3) = attn (or P_x attn) of every row from the moments gc + i gs (4 (radial + 1), npair), which
    already carry eps_m; the row's (z / 2)^p / p! e^{-z} i_{l+p}(z) from itab = i~_nu(beta); mass[i] = F~_0 / n."""
    n = xt.shape[1]
    nmax = degree + radial
    u0 = np.empty(BLOCK)
    u1 = np.empty(BLOCK)
    u2 = np.empty(BLOCK)
    ones = np.ones(BLOCK)
    rr = np.empty(BLOCK)
    zr = np.empty(BLOCK)
    zi = np.empty(BLOCK)
    q0 = np.empty(BLOCK)
    q1 = np.empty(BLOCK)
    fr = np.empty(BLOCK)
    fi = np.empty(BLOCK)
    f0 = np.empty(BLOCK)
    f1 = np.empty(BLOCK)
    f2 = np.empty(BLOCK)
    f3 = np.empty(BLOCK)
    bv = np.empty((nmax + 1, BLOCK))
    zp = np.empty((radial + 1, BLOCK))
    hh = np.empty(((degree + 1) * (radial + 1), BLOCK))
    for i0 in range(0, n, BLOCK):
        c = min(BLOCK, n - i0)
        _radial(xt, i0, c, beta, nmax, radial, itab, rr, bv, zp)
        for ll in range(degree + 1):
            for p in range(radial + 1):
                row = hh[ll * (radial + 1) + p]
                for b in range(c):
                    row[b] = zp[p, b] * bv[ll + p, b]
        for b in range(c):
            u0[b] = float(xt[0, i0 + b]) / rr[b]
            u1[b] = float(xt[1, i0 + b]) / rr[b]
            u2[b] = float(xt[2, i0 + b]) / rr[b]
            zr[b] = 1.0
            zi[b] = 0.0
            f0[b] = 0.0
            f1[b] = 0.0
            f2[b] = 0.0
            f3[b] = 0.0
        for m in range(degree + 1):
            if m > 0:
                _rotate(c, u0, u1, zr, zi)
            for ll in range(m, degree + 1):
                p = off[m] + ll - m
                _step(c, m, ll, p, u2, ones, q0, q1, qmm, ra, rb)
                for k in range(radial + 1):
                    h = hh[ll * (radial + 1) + k]
                    for b in range(c):
                        fr[b] = h[b] * q1[b] * zr[b]
                        fi[b] = h[b] * q1[b] * zi[b]
                    e = 4 * k
                    a0, a1, a2, a3 = gc[e, p], gc[e + 1, p], gc[e + 2, p], gc[e + 3, p]
                    e0, e1, e2, e3 = gs[e, p], gs[e + 1, p], gs[e + 2, p], gs[e + 3, p]
                    for b in range(c):
                        f0[b] += a0 * fr[b] + e0 * fi[b]
                        f1[b] += a1 * fr[b] + e1 * fi[b]
                        f2[b] += a2 * fr[b] + e2 * fi[b]
                        f3[b] += a3 * fr[b] + e3 * fi[b]
        for b in range(c):
            i = i0 + b
            scale = math.exp(beta * rr[b]) / n if usa else 1.0 / f0[b]
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


def harmonic_moments(x: np.ndarray, degree: int, radial: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(cm, sm), each (4 (radial + 1), npair) float64: sum_j w_a(x_j) A_j^p R_l^m(x_j) as Re / Im (row 4 p + a,
    pair order of recurrence_tables), w = (1, x_0, x_1, x_2), A_j = |x_j|^2 - 1; x (n, 3)."""
    off, qmm, ra, rb, _ = recurrence_tables(degree)
    npair = int(off[-1])
    cm = np.empty((4 * (radial + 1), npair))
    sm = np.empty_like(cm)
    _moments3(np.ascontiguousarray(np.asarray(x, dtype=np.float64).T), degree, radial, off, qmm, ra, rb, cm, sm)
    return cm, sm


def harmonic_plan(beta: float, spread: float, tol: float = HARMONIC_TOL,
                  min_mass: float = HARMONIC_MIN_MASS) -> tuple[int, int] | None:
    """(L, P) for rows with max | |x|^2 - 1 | = spread, or None when either exceeds its cap."""
    return plan_orders(harmonic_degree, beta, spread, tol, min_mass)


def harmonic_attention_into(model: Attention, x: np.ndarray, out: np.ndarray, project: bool,
                            tol: float = HARMONIC_TOL, min_mass: float = HARMONIC_MIN_MASS,
                            spread: float | None = None) -> int:
    """Fill out (n, 3) like dispatch.attention_into from spherical-harmonic moments; returns the rows done densely.

    x: (n, 3) nonzero rows (off the unit sphere too), C-contiguous, model.dtype; Q = K = V = I. Each row is within
    tol times its velocity scale of the exact attention (module docstring). spread: spread_of(x) if known.
    """
    n, d = x.shape
    if d != 3 or not model.identity:
        raise ParameterError(f"the harmonic kernel needs d = 3 and Q = K = V = I, got d = {d}, "
                         f"identity = {model.identity}")
    beta = float(model.beta)
    plan = harmonic_plan(beta, spread_of(x) if spread is None else spread, tol, min_mass)
    if plan is None:
        raise ParameterError(f"beta = {beta:g} needs a degree above {HARMONIC_MAX_ORDER} or rows this far off the unit "
                         "sphere more radial terms than HARMONIC_MAX_RADIAL (use a dense mode)")
    degree, radial = plan
    off, qmm, ra, rb, deg = recurrence_tables(degree)
    xt = np.ascontiguousarray(x.T)
    npair = int(off[-1])
    cm = np.empty((4 * (radial + 1), npair))
    sm = np.empty_like(cm)
    _moments3(xt, degree, radial, off, qmm, ra, rb, cm, sm)
    eps = np.where(np.arange(npair) < off[1], 1.0, 2.0)
    itab = _scaled_il(beta, degree + 2 * radial)
    usa = model.kind == "USA"
    mass = np.empty(n)
    _eval3(xt, beta, degree, radial, off, qmm, ra, rb, itab, cm * eps, sm * eps, usa, project, out, mass)
    rows = np.flatnonzero(mass < min_mass)
    if rows.size:
        _dense_rows3(xt, x.dtype.type(beta), usa, project, out, rows.astype(np.int64))
    return int(rows.size)
