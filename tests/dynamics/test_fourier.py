"""The Fourier-moment kernel on the circle (d = 2, Q = K = V = I; dynamics/_kernels/fourier.py) against the dense
numpy oracle mftx_widgets.dynamics.reference and against numpy's exp for the Bessel series itself.

Tolerance (float64): every row within 1e-10 S_i of the oracle, S_i = sum_j A_ij |x_j| the row's velocity scale
(1 for SA; e^{beta} sum_j e^{beta (<x_i, x_j> - 1)} / n for USA); the kernel's stated bound is HARMONIC_TOL =
1e-12 plus rounding. float32 states: 1e-6 S_i against the float64 oracle on the same float32 input (the moments
are accumulated in float64; float32 rounding of the output and of the unit rows dominates).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ive

import mftx_widgets as mw
from mftx_widgets.config import HARMONIC_MIN_MASS, HARMONIC_TOL
from mftx_widgets.dynamics import reference

pytest.importorskip("numba", reason="numba is not installed: the numpy backend has no moment kernels")
from mftx_widgets.dynamics._kernels import dispatch, fourier  # noqa: E402

#: the moment kernels and the cost model choosing them: numba only (the numpy backend runs the dense sum).
pytestmark = pytest.mark.numba

TOL64 = 1e-10
TOL32 = 1e-6
BETAS = (0.0, 1e-9, 0.3, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0)


def starts(rng, n: int, d: int) -> dict[str, np.ndarray]:
    """Uniform, clustered (4 tight clusters), coincident, antipodal (two opposite halves) and a lone token
    opposite a cluster (its weight sum is almost all far-field: the dense fallback row), unit rows (n, d)."""
    def unit(a):
        return a / np.linalg.norm(a, axis=1, keepdims=True)

    p = unit(rng.standard_normal((1, d)))
    centers = unit(rng.standard_normal((4, d)))
    lone = np.repeat(p, n, axis=0) + 0.01 * rng.standard_normal((n, d))
    lone[0] = -p[0]
    return {
        "uniform": unit(rng.standard_normal((n, d))),
        "clustered": unit(centers[rng.integers(0, 4, n)] + 0.05 * rng.standard_normal((n, d))),
        "coincident": np.repeat(p, n, axis=0),
        "antipodal": np.concatenate([np.repeat(p, n // 2, axis=0), np.repeat(-p, n - n // 2, axis=0)]),
        "lone": unit(lone),
    }


def row_scale(x: np.ndarray, beta: float, kind: str) -> np.ndarray:
    """S_i = sum_j A_ij |x_j| (unit rows: the SA weights sum to 1; USA: e^{beta <x_i, x_j>} / n summed)."""
    if kind == "SA":
        return np.ones(len(x))
    return np.exp(beta * (x @ x.T)).sum(axis=1) / len(x)


def check_rows(got: np.ndarray, x: np.ndarray, beta: float, kind: str, project: bool, tol: float,
               label: str = "") -> None:
    x64 = x.astype(np.float64)
    ref = reference.velocity(x64, beta, kind) if project else reference.attention_output(x64, beta, kind)
    err = np.linalg.norm(got.astype(np.float64) - ref, axis=1) / row_scale(x64, beta, kind)
    assert np.all(np.isfinite(got))
    assert err.max() <= tol, (label, beta, kind, project, err.max(), int(err.argmax()))


@pytest.mark.parametrize("kind", ["SA", "USA"])
def test_fourier_kernel_matches_dense_oracle(kind: str) -> None:
    """Every start, beta from 0 to 30, attn and P_x attn, n = 1, 2, 7 and 300: rows within 1e-10 S_i."""
    rng = np.random.default_rng(2)
    for n in (1, 2, 7, 300):
        for name, x in starts(rng, n, 2).items():
            for beta in BETAS:
                model = mw.Attention(beta=beta, kind=kind)
                for project in (True, False):
                    out = np.empty_like(x)
                    fourier.fourier_attention_into(model, x, out, project)
                    check_rows(out, x, beta, kind, project, TOL64, name)


def test_fourier_kernel_float32() -> None:
    """float32 in, float32 out, within 1e-6 S_i of the float64 oracle on the same rounded input."""
    rng = np.random.default_rng(3)
    for x in starts(rng, 200, 2).values():
        x32 = x.astype(np.float32)
        for beta in (0.0, 1.0, 5.0, 20.0):
            for kind in ("SA", "USA"):
                out = np.empty_like(x32)
                fourier.fourier_attention_into(mw.Attention(beta=beta, kind=kind, dtype="float32"), x32, out, True)
                assert out.dtype == np.float32
                check_rows(out, x32, beta, kind, True, TOL32)


def test_lone_token_row_is_recomputed_densely() -> None:
    """A token opposite a cluster has scaled weight sum ~ 1 / n < HARMONIC_MIN_MASS: it goes to the dense row
    kernel (and is exact); the cluster rows stay on the moments."""
    x = starts(np.random.default_rng(4), 400, 2)["lone"]
    out = np.empty_like(x)
    dense_rows = fourier.fourier_attention_into(mw.Attention(beta=20.0), x, out, True)
    assert dense_rows == 1
    check_rows(out, x, 20.0, "SA", True, TOL64)
    out[:] = 0.0
    assert fourier.fourier_attention_into(mw.Attention(beta=20.0), starts(np.random.default_rng(4), 400, 2)
                                          ["uniform"], out, True) == 0


@pytest.mark.parametrize("beta", [0.0, 1e-7, 0.5, 1.0, 3.0, 5.0, 12.0, 30.0])
def test_bessel_series_reproduce_the_kernel(beta: float) -> None:
    """The series truncated at K = fourier_order(beta) against numpy's exp on a grid of phi:
    sum_{k <= K} eps_k I~_k cos k phi = e^{beta (cos phi - 1)} within the stated tail tol min_mass / 4."""
    order = fourier.fourier_order(beta)
    k = np.arange(order + 1)[:, None]
    coef = np.where(k[:, 0] == 0, 1.0, 2.0) * ive(k[:, 0], beta)
    phi = np.linspace(-np.pi, np.pi, 721)
    assert np.abs(coef @ np.cos(k * phi) - np.exp(beta * (np.cos(phi) - 1.0))).max() \
        <= HARMONIC_TOL * HARMONIC_MIN_MASS / 4.0 + 1e-15


@pytest.mark.parametrize("kind", ["SA", "USA"])
def test_rows_off_the_circle_are_exact(kind: str) -> None:
    """Rows with | |x|^2 - 1 | up to 1e-4, 6e-4 (a Runge-Kutta stage at dt = 0.05) and 1e-2: the radial series
    makes the kernel agree with the dense oracle at exactly these rows (scores beta <x_i, x_j> unnormalised)."""
    rng = np.random.default_rng(16)
    for spread in (1e-4, 6e-4, 1e-2):
        for name, x in starts(rng, 200, 2).items():
            y = x * np.sqrt(1.0 + spread * rng.uniform(-1.0, 1.0, (len(x), 1)))
            for beta in (0.0, 1.0, 5.0, 10.0, 30.0):
                if fourier.fourier_plan(beta, fourier.spread_of(y)) is None:
                    assert beta * spread > 0.1          # only far off the circle at large beta
                    continue
                model = mw.Attention(beta=beta, kind=kind)
                for project in (True, False):
                    out = np.empty_like(y)
                    fourier.fourier_attention_into(model, y, out, project)
                    check_rows(out, y, beta, kind, project, TOL64, name)


def test_fourier_order_grows_like_beta_and_stops_at_the_cap() -> None:
    """K(beta) is non-decreasing, 1 at beta = 0, and None where more than HARMONIC_MAX_ORDER modes would be needed."""
    ks = [fourier.fourier_order(b) for b in (0.0, 0.5, 1.0, 5.0, 10.0, 30.0, 100.0)]
    assert ks[0] == 1 and ks == sorted(ks)
    assert fourier.fourier_order(5000.0) is None
    ps = [fourier.radial_order(5.0, s, 22) for s in (0.0, 1e-16, 1e-8, 1e-4, 1e-2)]
    assert ps[:2] == [0, 0] and ps == sorted(ps) and ps[-1] >= 3
    assert fourier.radial_order(30.0, 0.5, 46) is None


def test_forced_fourier_mode_needs_d2_identity() -> None:
    rng = np.random.default_rng(5)
    x = starts(rng, 5, 3)["uniform"]
    with pytest.raises(ValueError, match="d = 2"):
        dispatch.attention_into(mw.Attention(beta=1.0), x, np.empty_like(x), True, mode="fourier")
    x2 = starts(rng, 50, 2)["uniform"]
    got = dispatch.attention_into(mw.Attention(beta=2.0), x2, np.empty_like(x2), True, mode="fourier")
    check_rows(got, x2, 2.0, "SA", True, TOL64)
