"""The mean-field continuity equation on the circle (theory/meanfield.py): the spectral and upwind solvers (F8), linear
growth at the rates of circle.growth_rates, the velocity against quadrature, unresolved clusters."""

import numpy as np
import pytest

from mftx_widgets.theory import circle
from mftx_widgets.theory import meanfield as mf

# -- mean-field PDE (F8, linear growth) -------------------------------------------------------------------------------

@pytest.mark.parametrize("M", [256, 512])
def test_F8_spectral_wrapped_cauchy(M):
    theta = mf.grid(M)
    t = np.array([0.0, 1.0, 3.0])
    rho = mf.solve_density(mf.wrapped_cauchy(theta, 0.2), 0.0, t, kind="SA")
    r = mf.order_parameter(rho)
    r_exact = np.sqrt(0.04 * np.exp(t) / (0.96 + 0.04 * np.exp(t)))       # docs/theory.md section 4
    assert abs(r[-1] - 0.674984) <= 1e-4
    assert np.abs(r - r_exact).max() <= 1e-8
    assert np.abs(rho[-1] - mf.wrapped_cauchy(theta, r_exact[-1])).max() <= 1e-6   # stays wrapped Cauchy
    assert abs(rho[-1].sum() * 2 * np.pi / M - 1.0) <= 1e-12               # mass
    assert np.allclose(mf.solve_density(lambda th: mf.wrapped_cauchy(th, 0.2), 0.0, [3.0], "USA", M=M)[0],
                       rho[-1], atol=1e-12)                                 # beta = 0: SA = USA


def test_F8_upwind_first_order():
    rho = mf.solve_density(mf.wrapped_cauchy(mf.grid(512), 0.2), 0.0, [3.0], method="upwind")
    err = abs(mf.order_parameter(rho[0]) - 0.674984)
    assert err <= 5e-3
    assert np.all(rho >= 0)


@pytest.mark.parametrize("kind,beta,k", [("SA", 1.0, 1), ("SA", 5.0, 3), ("SA", 9.0, 5), ("USA", 3.0, 2),
                                         ("USA", 9.0, 5)])
def test_meanfield_linear_growth_matches_lambda(kind, beta, k):
    theta = mf.grid(256)
    lam = circle.growth_rates(beta, kind, k)[-1]
    T = 5.0 / lam
    rho = mf.solve_density((1 + 1e-6 * np.cos(k * theta)) / (2 * np.pi), beta, [0.0, T], kind)
    amp = np.abs(mf.fourier_mode(rho, k))
    assert np.log(amp[1] / amp[0]) / T == pytest.approx(lam, rel=1e-4)


@pytest.mark.parametrize("kind", ["SA", "USA"])
def test_meanfield_velocity_against_quadrature(kind):
    M, beta = 128, 3.0
    theta = mf.grid(M)
    rho = mf.wrapped_cauchy(theta, 0.5, psi=1.0) + 0.05 * np.cos(3 * theta) / np.pi
    diff = theta[None, :] - theta[:, None]                                # theta' - theta
    w = np.exp(beta * np.cos(diff)) * rho[None, :] * (2 * np.pi / M)
    num, den = (w * np.sin(diff)).sum(axis=1), w.sum(axis=1)             # direct trapezoid N, Z
    expected = num / den if kind == "SA" else num
    assert np.allclose(mf.velocity_field(rho, beta, kind), expected, rtol=0, atol=1e-12 * np.abs(expected).max())


def test_spectral_solver_reports_unresolved_clusters():
    theta = mf.grid(128)
    rho0 = (1 + 1e-3 * sum(np.cos(k * theta) for k in range(1, 8))) / (2 * np.pi)
    with pytest.raises(FloatingPointError, match="upwind"):
        mf.solve_density(rho0, 5.0, [40.0])
    rho = mf.solve_density(rho0, 5.0, [40.0], method="upwind")[0]       # upwind stays a density
    assert np.all(rho >= 0) and abs(rho.sum() * 2 * np.pi / 128 - 1) <= 1e-12
    peaks = np.nonzero((rho > np.roll(rho, 1)) & (rho >= np.roll(rho, -1)) & (rho > 1.0))[0]
    assert len(peaks) == circle.dominant_mode(5.0) == 3                   # k* = 3 clusters (F11, mean field)
    assert rho[peaks].sum() * 2 * np.pi / 128 > 0.9                        # holding > 90% of the mass


# -- validation -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call,name", [
    (lambda: mf.wrapped_cauchy(mf.grid(16), 1.0), "r"),
    (lambda: mf.solve_density(np.ones(4), 1.0, [1.0]), "rho0"),
    (lambda: mf.solve_density(-np.ones(64), 1.0, [1.0]), "rho0"),
    (lambda: mf.solve_density(np.ones(64), 1.0, [2.0, 1.0]), "t"),
    (lambda: mf.solve_density(np.ones(64), -1.0, [1.0]), "beta"),
    (lambda: mf.solve_density(np.ones(64), 1.0, [1.0], method="euler"), "method"),
    (lambda: mf.solve_density(np.ones(64), 1.0, [1.0], M=32), "M"),
    (lambda: mf.grid(4), "M"),
])
def test_validation_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()
