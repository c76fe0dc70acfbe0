"""Exact O(n K) attention on the circle (d = 2, Q = K = V = I) from Fourier moments of the tokens.

For unit tokens x_j = (cos theta_j, sin theta_j) and phi = theta_j - theta_i (Jacobi-Anger, Abramowitz-Stegun 9.6.34;
docs/theory.md section 2):

    e^{beta cos phi} = sum_k eps_k I_k(beta) cos k phi,    eps_0 = 1, eps_k = 2,

so with the moments M_k^a = sum_j w_a(x_j) e^{i k theta_j}, w = (1, x_j0, x_j1), every row needs only
F_a(x_i) = sum_j e^{beta <x_i, x_j>} w_a(x_j) = sum_k eps_k I_k(beta) Re(e^{-i k theta_i} M_k^a): the weight sum
(a = 0) and the weighted token sum (a = 1, 2), hence attn_i = (F_1, F_2) / F_0 (SA) or / n (USA), in O(n K); no
pair is ever formed, and beta -> 0 is regular (I_0(0) = 1, the rest 0: nothing is divided by beta).

Rows off the unit circle (the inner stages of a Runge-Kutta step evaluate the field at x + h k / 2) are exact too:
the score beta <x_i, x_j> = z_i r_j cos phi with z_i = beta r_i, r = |x|, and the multiplication theorem
I_k(lambda z) = lambda^k sum_p ((lambda^2 - 1) z / 2)^p / p! I_{k+p}(z) (A-S 9.6.51) with lambda = r_j gives

    e^{z_i r_j cos phi} = sum_k eps_k sum_p (z_i / 2)^p / p! I_{k+p}(z_i) A_j^p Re(conj(u_i)^k zeta_j^k),

A_j = r_j^2 - 1, zeta_j = x_j0 + i x_j1 (not normalised: it carries r_j^k), u_i = x_i / r_i. The moments get an index
p <= P: M_kp^a = sum_j w_a(x_j) A_j^p zeta_j^k; the row's own I_nu(z_i) follows from the table at beta by the same
theorem (lambda = r_i, again P + 1 terms). On the sphere A = 0 and P = 0.

Scaling (the softmax max-shift): the exponentially scaled e^{-z} I_nu(z) are used (scipy.special.ive at beta); for
SA the factor cancels, for USA attn_i = e^{z_i} F~_i / n, the dense kernel's e^{beta |x_i|^2} / n shift.

Error (stated and tested): I~_k = e^{-b} I_k(b) decreases in k, and with T_K = sum_{k > K} eps_k I~_k(b) at
b = beta max_j r_j^2 the truncated F~_a err by at most n T_K max_j |x_j| each, so a row's attention errs by at most
2 n T_K / F~_0 times its scale sum_j A_ij |x_j|. K is the smallest order with T_K <= tol min_mass / 4 and P
the smallest with e^y y^{P+1} / (P + 1)! (1 + s)^{K/2} <= tol min_mass / 4, y = b s / 2, s = max |A_j|: every row
with F~_0 / n >= min_mass is exact to tol (HARMONIC_TOL = 1e-12); the rows below min_mass (a token far from almost
all the mass, where rounding is also amplified by n / F~_0) are recomputed by the dense row kernel. Moments and
sums are accumulated in float64, also for float32 states.
Cost: 2 passes of 3 n (K + 1) (P + 1) multiply-adds.
"""

from __future__ import annotations

import functools
import math

import numba as nb
import numpy as np
from scipy.special import ive

from ...config import HARMONIC_MAX_ORDER, HARMONIC_MAX_RADIAL, HARMONIC_MIN_MASS, HARMONIC_TOL
from ...errors import ParameterError
from ..models import Attention
from .dense import _chunk_rows
from .exp import _FM

#: tokens per block of the moment and evaluation loops (the inner loops over a block vectorise).
BLOCK = 128
#: max | |x|^2 - 1 | of rows normalised in float64 (a few units in the last place): treated as on the sphere.
ROUNDING_SPREAD = 16 * 2.0 ** -52


@functools.lru_cache(maxsize=512)
def fourier_order(beta: float, tol: float = HARMONIC_TOL, min_mass: float = HARMONIC_MIN_MASS) -> int | None:
    """Smallest K with sum_{k > K} eps_k ive(k, beta) <= tol * min_mass / 4, or None above HARMONIC_MAX_ORDER."""
    k = np.arange(4 * HARMONIC_MAX_ORDER + 8)
    terms = np.where(k == 0, 1.0, 2.0) * ive(k, float(beta))
    tail = np.cumsum(terms[::-1])[::-1]              # tail[k] = sum_{k' >= k}
    ok = np.flatnonzero(tail <= tol * min_mass / 4.0)
    if not ok.size or ok[0] - 1 > HARMONIC_MAX_ORDER:
        return None
    return max(int(ok[0]) - 1, 1)


def radial_order(beta: float, spread: float, order: int, tol: float = HARMONIC_TOL,
                 min_mass: float = HARMONIC_MIN_MASS) -> int | None:
    """Smallest P with e^y y^{P+1} / (P+1)! (1 + s)^{order / 2} <= tol min_mass / 4, y = beta (1 + s) s / 2,
    s = spread = max_j | |x_j|^2 - 1 |; 0 on the sphere, None above HARMONIC_MAX_RADIAL.

    A spread below ROUNDING_SPREAD (rows normalised in float64) counts as 0: the score error this adds,
    beta s / 2 relative, is that of rounding the scores beta <x_i, x_j> in any implementation."""
    if spread <= ROUNDING_SPREAD:
        return 0
    y = beta * (1.0 + spread) * spread / 2.0
    grow = math.exp(y) * (1.0 + spread) ** (order / 2.0)
    term = y
    for p in range(HARMONIC_MAX_RADIAL + 1):
        if grow * term <= tol * min_mass / 4.0:
            return p
        term *= y / (p + 2)
    return None


def spread_of(x: np.ndarray) -> float:
    """max_j | |x_j|^2 - 1 | in float64 (0 for no rows)."""
    return float(np.max(np.abs(np.einsum("ij,ij->i", x, x, dtype=np.float64) - 1.0))) if len(x) else 0.0


@nb.njit(inline="always", fastmath=_FM, nogil=True)
def _radial(xt, i0, c, beta, nmax, radial, itab, rr, bv, zp):
    """Per row of the block: rr = |x|; bv[nu, b] = e^{-z} I_nu(z) at z = beta r (nu <= nmax) from the table
    itab = e^{-beta} I_nu(beta) by the multiplication theorem; zp[p, b] = (z / 2)^p / p! (p <= radial)."""
    d = xt.shape[0]
    for b in range(c):
        s = 0.0
        for a in range(d):
            v = float(xt[a, i0 + b])
            s += v * v
        r = math.sqrt(s)
        rr[b] = r
        z = beta * r
        zp[0, b] = 1.0
        for p in range(1, radial + 1):
            zp[p, b] = zp[p - 1, b] * z / (2.0 * p)
        if radial == 0:
            for nu in range(nmax + 1):
                bv[nu, b] = itab[nu]
        else:
            y = (s - 1.0) * beta / 2.0
            lam = math.exp(-beta * (r - 1.0))
            for nu in range(nmax + 1):
                acc = 0.0
                t = 1.0
                for q in range(radial + 1):
                    acc += t * itab[nu + q]
                    t *= y / (q + 1)
                bv[nu, b] = lam * acc
                lam *= r


@nb.njit(cache=True, fastmath=_FM, nogil=True)
def _moments2(xt, order, radial, mr, mi):
    """mr + i mi [(a, p), k] = sum_j w_a(x_j) A_j^p zeta_j^k, w = (1, x_j0, x_j1), A = |x_j|^2 - 1,
    zeta_j = x_j0 + i x_j1; xt (2, n); mr, mi (3 (radial + 1), order + 1) float64."""
    n = xt.shape[1]
    nw = 3 * (radial + 1)
    zr = np.empty(BLOCK)
    zi = np.empty(BLOCK)
    pr = np.empty(BLOCK)
    pi = np.empty(BLOCK)
    w = np.empty((nw, BLOCK))
    mr[:, :] = 0.0
    mi[:, :] = 0.0
    for j0 in range(0, n, BLOCK):
        c = min(BLOCK, n - j0)
        for b in range(c):
            a0 = float(xt[0, j0 + b])
            a1 = float(xt[1, j0 + b])
            zr[b] = a0
            zi[b] = a1
            pr[b] = 1.0
            pi[b] = 0.0
            big = a0 * a0 + a1 * a1 - 1.0
            ap = 1.0
            for p in range(radial + 1):
                w[3 * p, b] = ap
                w[3 * p + 1, b] = ap * a0
                w[3 * p + 2, b] = ap * a1
                ap *= big
        for k in range(order + 1):
            for e in range(nw):
                we = w[e]
                sr = 0.0
                si = 0.0
                for b in range(c):
                    sr += pr[b] * we[b]
                    si += pi[b] * we[b]
                mr[e, k] += sr
                mi[e, k] += si
            for b in range(c):
                t = pr[b] * zr[b] - pi[b] * zi[b]
                pi[b] = pr[b] * zi[b] + pi[b] * zr[b]
                pr[b] = t


@nb.njit(cache=True, fastmath=_FM, nogil=True)
def _eval2(xt, beta, mr, mi, radial, itab, usa, project, out, mass):
    """out (n, 2) = attn (or P_x attn) of every row from the moments; mass[i] = F~_0(x_i) / n (float64)."""
    n = xt.shape[1]
    order = mr.shape[1] - 1
    nmax = order + radial
    zr = np.empty(BLOCK)
    zi = np.empty(BLOCK)
    pr = np.empty(BLOCK)
    pi = np.empty(BLOCK)
    rr = np.empty(BLOCK)
    f0 = np.empty(BLOCK)
    f1 = np.empty(BLOCK)
    f2 = np.empty(BLOCK)
    h = np.empty(BLOCK)
    bv = np.empty((nmax + 1, BLOCK))
    zp = np.empty((radial + 1, BLOCK))
    for i0 in range(0, n, BLOCK):
        c = min(BLOCK, n - i0)
        _radial(xt, i0, c, beta, nmax, radial, itab, rr, bv, zp)
        for b in range(c):
            zr[b] = float(xt[0, i0 + b]) / rr[b]
            zi[b] = -float(xt[1, i0 + b]) / rr[b]          # conj(u_i)
            pr[b] = 1.0
            pi[b] = 0.0
            f0[b] = 0.0
            f1[b] = 0.0
            f2[b] = 0.0
        for k in range(order + 1):
            eps = 1.0 if k == 0 else 2.0
            for p in range(radial + 1):
                bk = bv[k + p]
                zk = zp[p]
                for b in range(c):
                    h[b] = eps * zk[b] * bk[b]
                r0, r1, r2 = mr[3 * p, k], mr[3 * p + 1, k], mr[3 * p + 2, k]
                s0, s1, s2 = mi[3 * p, k], mi[3 * p + 1, k], mi[3 * p + 2, k]
                for b in range(c):
                    f0[b] += h[b] * (pr[b] * r0 - pi[b] * s0)
                    f1[b] += h[b] * (pr[b] * r1 - pi[b] * s1)
                    f2[b] += h[b] * (pr[b] * r2 - pi[b] * s2)
            for b in range(c):
                t = pr[b] * zr[b] - pi[b] * zi[b]
                pi[b] = pr[b] * zi[b] + pi[b] * zr[b]
                pr[b] = t
        for b in range(c):
            i = i0 + b
            scale = math.exp(beta * rr[b]) / n if usa else 1.0 / f0[b]
            v0 = f1[b] * scale
            v1 = f2[b] * scale
            if project:
                x0 = float(xt[0, i])
                x1 = float(xt[1, i])
                q = (v0 * x0 + v1 * x1) / (x0 * x0 + x1 * x1)
                v0 -= q * x0
                v1 -= q * x1
            out[i, 0] = v0
            out[i, 1] = v1
            mass[i] = f0[b] / n


@nb.njit(cache=True, nogil=True)
def _dense_rows2(xt, qt, usa, project, out, rows):
    """The dense row kernel (dense._chunk_rows, shift known) for the listed rows only."""
    for r in range(rows.shape[0]):
        i = rows[r]
        _chunk_rows(xt, qt, xt, xt, True, usa, project, out, i, i + 1)


def plan_orders(order_of, beta: float, spread: float, tol: float = HARMONIC_TOL,
                min_mass: float = HARMONIC_MIN_MASS) -> tuple[int, int] | None:
    """(angular order, radial order P) for rows with max | |x|^2 - 1 | = spread, or None when either exceeds its
    cap; order_of(beta, tol, min_mass) is fourier_order (d = 2) or harmonics.harmonic_degree (d = 3)."""
    order = order_of(beta * (1.0 + spread), tol, min_mass)
    if order is None:
        return None
    radial = radial_order(beta, spread, order, tol, min_mass)
    return None if radial is None else (order, radial)


def fourier_plan(beta: float, spread: float, tol: float = HARMONIC_TOL,
                 min_mass: float = HARMONIC_MIN_MASS) -> tuple[int, int] | None:
    """(K, P) for rows with max | |x|^2 - 1 | = spread, or None when either exceeds its cap."""
    return plan_orders(fourier_order, beta, spread, tol, min_mass)


def fourier_attention_into(model: Attention, x: np.ndarray, out: np.ndarray, project: bool,
                           tol: float = HARMONIC_TOL, min_mass: float = HARMONIC_MIN_MASS,
                           spread: float | None = None) -> int:
    """Fill out (n, 2) like dispatch.attention_into from Fourier moments; returns the rows done densely.

    x: (n, 2) nonzero rows (off the unit circle too), C-contiguous, model.dtype; Q = K = V = I. Each row is within
    tol times its velocity scale of the exact attention (module docstring). spread: spread_of(x) if known.
    """
    n, d = x.shape
    if d != 2 or not model.identity:
        raise ParameterError(f"the Fourier kernel needs d = 2 and Q = K = V = I, got d = {d}, "
                             f"identity = {model.identity}")
    beta = float(model.beta)
    plan = fourier_plan(beta, spread_of(x) if spread is None else spread, tol, min_mass)
    if plan is None:
        raise ParameterError(f"beta = {beta:g} needs more than {HARMONIC_MAX_ORDER} Fourier modes or rows this far off "
                         "the unit circle more radial terms than HARMONIC_MAX_RADIAL (use a dense mode)")
    order, radial = plan
    xt = np.ascontiguousarray(x.T)
    mr = np.empty((3 * (radial + 1), order + 1))
    mi = np.empty_like(mr)
    _moments2(xt, order, radial, mr, mi)
    itab = ive(np.arange(order + 2 * radial + 1), beta)
    usa = model.kind == "USA"
    mass = np.empty(n)
    _eval2(xt, beta, mr, mi, radial, itab, usa, project, out, mass)
    rows = np.flatnonzero(mass < min_mass)
    if rows.size:
        qt = np.ascontiguousarray(xt * x.dtype.type(beta))
        _dense_rows2(xt, qt, usa, project, out, rows.astype(np.int64))
    return int(rows.size)
