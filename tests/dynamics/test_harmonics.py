"""The spherical-harmonic kernel on S^2 (d = 3, Q = K = V = I; dynamics/_kernels/harmonics.py): its Legendre
functions against scipy, its addition theorem against scipy's Legendre polynomials, its Bessel series against
numpy's exp, and the whole kernel against the dense numpy oracle mftx_widgets.dynamics.reference.

Tolerances as in test_fourier.py: float64 rows within 1e-10 S_i (S_i = sum_j A_ij |x_j|), float32 within 1e-6 S_i
against the float64 oracle on the same float32 input; the Legendre checks within 1e-12 (relative to the largest
value of the degree).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import eval_legendre, sph_harm_y, spherical_in

import mftx_widgets as mw
from mftx_widgets.config import HARMONIC_MIN_MASS, HARMONIC_TOL
from mftx_widgets.dynamics import reference

pytest.importorskip("numba", reason="numba is not installed: the numpy backend has no moment kernels")
from mftx_widgets.dynamics._kernels import dispatch, fourier, harmonics  # noqa: E402

#: the moment kernels and the cost model choosing them: numba only (the numpy backend runs the dense sum).
pytestmark = pytest.mark.numba

TOL64 = 1e-10
TOL32 = 1e-6
BETAS = (0.0, 1e-9, 0.3, 1.0, 2.0, 4.0, 10.0, 20.0, 30.0)


def starts(rng, n: int) -> dict[str, np.ndarray]:
    """Uniform, clustered (4 tight clusters), coincident, antipodal (two opposite halves), a lone token opposite a
    cluster, and tokens at the poles (sin theta = 0), unit rows (n, 3)."""
    def unit(a):
        return a / np.linalg.norm(a, axis=1, keepdims=True)

    p = unit(rng.standard_normal((1, 3)))
    centers = unit(rng.standard_normal((4, 3)))
    lone = np.repeat(p, n, axis=0) + 0.01 * rng.standard_normal((n, 3))
    lone[0] = -p[0]
    poles = unit(rng.standard_normal((n, 3)))
    poles[: n // 2] = [0.0, 0.0, 1.0]
    poles[n // 2: 3 * n // 4] = [0.0, 0.0, -1.0]
    return {
        "uniform": unit(rng.standard_normal((n, 3))),
        "clustered": unit(centers[rng.integers(0, 4, n)] + 0.05 * rng.standard_normal((n, 3))),
        "coincident": np.repeat(p, n, axis=0),
        "antipodal": np.concatenate([np.repeat(p, n // 2, axis=0), np.repeat(-p, n - n // 2, axis=0)]),
        "lone": unit(lone),
        "poles": poles,
    }


def check_rows(got: np.ndarray, x: np.ndarray, beta: float, kind: str, project: bool, tol: float,
               label: str = "") -> None:
    x64 = x.astype(np.float64)
    ref = reference.velocity(x64, beta, kind) if project else reference.attention_output(x64, beta, kind)
    scale = np.ones(len(x)) if kind == "SA" else np.exp(beta * (x64 @ x64.T)).sum(axis=1) / len(x)
    err = np.linalg.norm(got.astype(np.float64) - ref, axis=1) / scale
    assert np.all(np.isfinite(got))
    assert err.max() <= tol, (label, beta, kind, project, err.max(), int(err.argmax()))


@pytest.mark.parametrize("kind", ["SA", "USA"])
def test_harmonic_kernel_matches_dense_oracle(kind: str) -> None:
    """Every start, beta from 0 to 30, attn and P_x attn, n = 1, 2, 7 and 300: rows within 1e-10 S_i."""
    rng = np.random.default_rng(6)
    for n in (1, 2, 7, 300):
        for name, x in starts(rng, n).items():
            for beta in BETAS:
                model = mw.Attention(beta=beta, kind=kind)
                for project in (True, False):
                    out = np.empty_like(x)
                    harmonics.harmonic_attention_into(model, x, out, project)
                    check_rows(out, x, beta, kind, project, TOL64, name)


def test_harmonic_kernel_float32() -> None:
    rng = np.random.default_rng(7)
    for x in starts(rng, 200).values():
        x32 = x.astype(np.float32)
        for beta in (0.0, 1.0, 4.0, 20.0):
            for kind in ("SA", "USA"):
                out = np.empty_like(x32)
                harmonics.harmonic_attention_into(mw.Attention(beta=beta, kind=kind, dtype="float32"), x32, out, True)
                assert out.dtype == np.float32
                check_rows(out, x32, beta, kind, True, TOL32)


def test_legendre_recurrence_matches_scipy() -> None:
    """Q_l^m(t) sin^m(theta) / sqrt(4 pi) = |Y_l^m(theta, 0)| (scipy.special.sph_harm_y) up to degree 100: the
    normalised recurrences neither overflow nor lose accuracy (no factorials)."""
    degree = 100
    off, qmm, ra, rb, deg = harmonics.recurrence_tables(degree)
    theta = np.array([1e-3, 0.3, 1.0, np.pi / 2, 2.5, np.pi - 1e-3])
    x = np.c_[np.sin(theta), np.zeros_like(theta), np.cos(theta)]
    for i, th in enumerate(theta):
        cm, _ = harmonics.harmonic_moments(x[i:i + 1], degree)       # one token at phi = 0: Q_l^m sin^m
        for m in (0, 1, 2, 7, 30, 60, 100):
            ls = np.arange(m, degree + 1)
            ours = cm[0, off[m] + ls - m] / math.sqrt(4 * math.pi)
            ref = np.abs(sph_harm_y(ls, m, th, 0.0).real)
            big = max(1.0, np.abs(ref).max())
            assert np.abs(np.abs(ours) - ref).max() <= 1e-12 * big, (th, m)


def test_addition_theorem() -> None:
    """sum_m eps_m Q_l^m(x) Q_l^m(y) Re(zeta_x^m conj zeta_y^m) = (2l + 1) P_l(<x, y>) (scipy eval_legendre),
    l up to 60, for random and polar x, y; also the weighted moments (x_a times the plain ones)."""
    rng = np.random.default_rng(8)
    degree = 60
    off, _, _, _, deg = harmonics.recurrence_tables(degree)
    eps = np.where(np.arange(len(deg)) < off[1], 1.0, 2.0)
    pts = rng.standard_normal((6, 3))
    pts[0] = [0.0, 0.0, 1.0]
    pts[1] = [0.0, 0.0, -1.0]
    pts /= np.linalg.norm(pts, axis=1, keepdims=True)
    for a in range(len(pts)):
        ca, sa = harmonics.harmonic_moments(pts[a:a + 1], degree)
        for w in range(1, 4):
            assert np.allclose(ca[w], pts[a, w - 1] * ca[0], rtol=0, atol=1e-13 * (1 + np.abs(ca[0]).max()))
        for b in range(len(pts)):
            cb, sb = harmonics.harmonic_moments(pts[b:b + 1], degree)
            prod = eps * (ca[0] * cb[0] + sa[0] * sb[0])
            per_l = np.bincount(deg, weights=prod, minlength=degree + 1)
            ls = np.arange(degree + 1)
            ref = (2 * ls + 1) * eval_legendre(ls, float(pts[a] @ pts[b]))
            assert np.abs(per_l - ref).max() <= 1e-11 * (2 * degree + 1), (a, b)


@pytest.mark.parametrize("beta", [0.0, 1e-7, 0.5, 1.0, 4.0, 10.0, 30.0])
def test_bessel_series_reproduce_the_kernel(beta: float) -> None:
    """sum_{l <= L} (2l + 1) i~_l(beta) P_l(t) against numpy's e^{beta (t - 1)} on a grid of t, within the stated
    tail T_L <= tol min_mass / 4 (i~_l from scipy's spherical_in, P_l from eval_legendre)."""
    degree = harmonics.harmonic_degree(beta)
    ls = np.arange(degree + 1)
    coef = (2 * ls + 1) * spherical_in(ls, beta) * math.exp(-beta)
    t = np.linspace(-1.0, 1.0, 401)
    series = coef @ eval_legendre(ls[:, None], t[None, :])
    assert np.abs(series - np.exp(beta * (t - 1.0))).max() <= HARMONIC_TOL * HARMONIC_MIN_MASS / 4 + 1e-15


def test_solid_harmonics_and_radial_moments() -> None:
    """Moments of an unnormalised point y = r u: the recurrence gives r^l times the unit values (solid harmonics),
    the radial weights A^p = (r^2 - 1)^p and the value weights y_a multiply them."""
    rng = np.random.default_rng(17)
    degree, radial = 25, 3
    off, _, _, _, deg = harmonics.recurrence_tables(degree)
    u = rng.standard_normal(3)
    u /= np.linalg.norm(u)
    cu, su = harmonics.harmonic_moments(u[None], degree)
    for r in (0.9, 1.0003, 1.3):
        cy, sy = harmonics.harmonic_moments(r * u[None], degree, radial)
        for p in range(radial + 1):
            for a in range(4):
                w = (r * r - 1.0) ** p * (1.0 if a == 0 else r * u[a - 1])
                want_c, want_s = w * r ** deg * cu[0], w * r ** deg * su[0]
                big = 1e-12 * (1.0 + np.abs(want_c).max())
                assert np.abs(cy[4 * p + a] - want_c).max() <= big and np.abs(sy[4 * p + a] - want_s).max() <= big


@pytest.mark.parametrize("kind", ["SA", "USA"])
def test_rows_off_the_sphere_are_exact(kind: str) -> None:
    """Rows with | |x|^2 - 1 | up to 1e-4, 6e-4 (a Runge-Kutta stage at dt = 0.05) and 1e-2 agree with the dense
    oracle at exactly these rows (scores beta <x_i, x_j> unnormalised), attn and P_x attn."""
    rng = np.random.default_rng(18)
    for spread in (1e-4, 6e-4, 1e-2):
        for name, x in starts(rng, 150).items():
            y = x * np.sqrt(1.0 + spread * rng.uniform(-1.0, 1.0, (len(x), 1)))
            for beta in (0.0, 1.0, 4.0, 10.0, 30.0):
                if harmonics.harmonic_plan(beta, fourier.spread_of(y)) is None:
                    assert beta * spread > 0.1
                    continue
                model = mw.Attention(beta=beta, kind=kind)
                for project in (True, False):
                    out = np.empty_like(y)
                    harmonics.harmonic_attention_into(model, y, out, project)
                    check_rows(out, y, beta, kind, project, TOL64, name)


def test_lone_token_row_is_recomputed_densely() -> None:
    x = starts(np.random.default_rng(9), 400)["lone"]
    out = np.empty_like(x)
    assert harmonics.harmonic_attention_into(mw.Attention(beta=20.0), x, out, True) == 1
    check_rows(out, x, 20.0, "SA", True, TOL64)


def test_degree_and_forced_mode() -> None:
    """L(beta) non-decreasing from 1, None past the cap; mode='harmonic' needs d = 3 and Q = K = V = I."""
    ls = [harmonics.harmonic_degree(b) for b in (0.0, 0.5, 4.0, 10.0, 30.0)]
    assert ls[0] == 1 and ls == sorted(ls)
    assert harmonics.harmonic_degree(5000.0) is None
    rng = np.random.default_rng(10)
    x = starts(rng, 20)["uniform"]
    with pytest.raises(ValueError, match="Q = K = V = I"):
        dispatch.attention_into(mw.Attention(beta=1.0, Q=2 * np.eye(3)), x, np.empty_like(x), True, mode="harmonic")
    got = dispatch.attention_into(mw.Attention(beta=4.0), x, np.empty_like(x), True, mode="harmonic")
    check_rows(got, x, 4.0, "SA", True, TOL64)
