"""The equiangular reduction (theory/equiangular.py): F2 and F3 against particle runs, the closed-form SA
right-hand side, F4 late rates, F5 large-n logistic limit, precision of one_minus_rho."""

import numpy as np
import pytest

import mftx_widgets as mw

N, BETA, RHO0, T = 10, 2.0, 0.5, 3.0


def offdiag(g):
    n = g.shape[0]
    return g[~np.eye(n, dtype=bool)]


# -- F2, F3: particles started equiangular follow the ODE -------------------------------------------------------------

@pytest.mark.parametrize("kind,beta,rho0", [("SA", 2.0, 0.5), ("USA", 2.0, 0.5), ("USA", 1.0, 0.2), ("SA", 0.5, 0.1)])
def test_F2_F3_equiangular_start_stays_equiangular_and_follows_ode(kind, beta, rho0):
    n, d = 10, 10
    x0 = mw.initial.equiangular(n, rho0, d=d, seed=3)
    traj = mw.simulate(mw.Attention(beta=beta, kind=kind), x0, t_max=3.0, dt=1e-2, save_every=50)
    rho_ode = mw.equiangular.solve(kind, beta, n, rho0, traj.t)
    for k in range(len(traj.t)):
        off = offdiag(traj.x[k] @ traj.x[k].T)
        assert abs(off.mean() - rho_ode[k]) <= 1e-6
        assert off.max() - off.min() <= 1e-9
    if kind == "SA" and beta == 2.0:
        assert rho_ode[-1] == pytest.approx(0.99731, abs=1e-5)       # the value quoted in F2


def test_F2_closed_form_rhs_matches_theory_text():
    # drho/dt = 2 e^{beta rho}(1-rho)((n-1)rho+1)/(e^beta + (n-1)e^{beta rho}), written independently here
    beta, n = 2.0, 10
    for rho in (0.0, 0.3, 0.9):
        num = 2 * np.exp(beta * rho) * (1 - rho) * ((n - 1) * rho + 1)
        direct = num / (np.exp(beta) + (n - 1) * np.exp(beta * rho))
        assert mw.equiangular.sa_rhs(rho, beta, n) == pytest.approx(direct, rel=1e-14)


# -- F4: late-time rates of the ODEs ----------------------------------------------------------------------------------

@pytest.mark.parametrize("variant,beta,kw,rate", [
    ("SA", 2.0, {}, 2.0), ("SA", 0.5, {}, 2.0), ("USA", 1.0, {}, 2.0 * np.e), ("USA", 4.0, {}, 2.0 * np.exp(4.0)),
    ("ngpt", 2.0, {"alpha": 1.5}, 3.0), ("ngpt", 0.5, {"alpha": 0.5}, 1.0),
])
def test_F4_exponential_late_rates(variant, beta, kw, rate):
    t = np.linspace(0.0, 24.0 / rate, 401)
    om = mw.equiangular.one_minus_rho(variant, beta, N, RHO0, t, **kw)
    measured = -np.gradient(np.log(om), t)
    late = (om < 1e-6) & (om > 1e-10)       # 1e-10: one_minus_rho keeps >= 6 digits there
    assert late.sum() >= 50
    assert np.abs(measured[late] / rate - 1.0).max() <= 1e-3
    assert mw.equiangular.late_rate(variant, beta=beta, **kw) == pytest.approx(rate, rel=1e-14)


@pytest.mark.parametrize("variant", ["pre", "peri", "mix"])
def test_F4_polynomial_tails_of_ln_variants(variant):
    t = np.r_[0.0, 1.0, np.geomspace(1e3, 1e5, 9)]     # 1.0 = the Mix-LN switch
    om = mw.equiangular.one_minus_rho(variant, BETA, N, RHO0, t)
    _, r = mw.equiangular.solve(variant, BETA, N, RHO0, t, return_radius=True)
    slope = np.diff(np.log(om[2:])) / np.diff(np.log(t[2:]))
    assert np.abs(slope + 2.0).max() <= 1e-2
    ratio = r[2:] / t[2:]
    assert np.abs(ratio - 1.0).max() <= 1e-2
    assert abs(ratio[-1] - 1.0) <= 1e-4                       # r(t)/t -> 1


# -- F5: large-n SA is the logistic curve -----------------------------------------------------------------------------

@pytest.mark.parametrize("beta", [0.5, 2.0, 4.0])
@pytest.mark.parametrize("n", [100, 10_000, 1_000_000])
@pytest.mark.parametrize("rho0", [0.1, 0.5])
def test_F5_large_n_sa_is_logistic(beta, n, rho0):
    t = np.linspace(0.0, 2.0, 41)
    err = np.abs(mw.equiangular.solve("SA", beta, n, rho0, t) - mw.equiangular.logistic(rho0, t)).max()
    assert err <= 2.0 * np.exp(beta) / n


# -- precision and time grids -----------------------------------------------------------------------------------------

def test_one_minus_rho_keeps_relative_precision_deep():
    t = np.array([10.0, 15.0, 20.0, 25.0])
    om = mw.equiangular.one_minus_rho("SA", BETA, N, RHO0, t)
    assert om[-1] > 0.0 and om[-1] < 1e-20
    assert np.abs(-np.diff(np.log(om)) / 5.0 - 2.0).max() <= 1e-6


def test_mix_solve_with_times_after_the_switch_only():
    rho = mw.equiangular.solve("mix", BETA, N, RHO0, [T])
    assert rho[0] == pytest.approx(mw.equiangular.solve("mix", BETA, N, RHO0, [0.0, 1.0, T])[-1], abs=1e-10)
