"""Long context beta = gamma log n (docs/theory.md sections 7 and 10): F15, F16 and the one-layer particle check."""

import math

import numpy as np
import pytest

import mftx_widgets as mw
from mftx_widgets.theory import longcontext as lc

T_LOGISTIC = math.log(3.0) / 2.0          # logistic time from rho = 0.5 to 0.75


def test_beta_and_critical_gamma():
    assert lc.beta_n(2.0, 1e6) == pytest.approx(2.0 * math.log(1e6), rel=1e-15)
    assert lc.critical_gamma(0.5) == 2.0 and lc.critical_gamma(0.0) == 1.0


@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.5])
@pytest.mark.parametrize("kind", ["SA", "USA"])
def test_time_to_reach_is_the_ode_hitting_time(gamma, kind):
    n = 1000
    t = lc.time_to_reach(0.75, gamma, n, 0.5, kind=kind)
    rho = mw.equiangular.solve(kind, gamma * math.log(n), n, 0.5, [t])
    assert rho[0] == pytest.approx(0.75, abs=1e-8)


@pytest.mark.parametrize("gamma", [0.5, 1.0, 1.5])
def test_F15_subcritical_time_tends_to_logistic(gamma):
    assert lc.time_to_reach(0.75, gamma, 1e6, 0.5) == pytest.approx(T_LOGISTIC, rel=0.02)
    times = [lc.time_to_reach(0.75, gamma, n, 0.5) for n in (1e2, 1e4, 1e6, 1e9, 1e12)]
    assert np.all(np.diff(times) < 0) and times[-1] == pytest.approx(T_LOGISTIC, rel=1e-3)


@pytest.mark.parametrize("gamma", [2.5, 3.0])
def test_F15_supercritical_time_grows_without_bound(gamma):
    ns = [1e3, 1e6, 1e9, 1e12, 1e15]
    times = np.array([lc.time_to_reach(0.75, gamma, n, 0.5) for n in ns])
    assert np.all(np.diff(times) > 0) and times[-1] > 100.0 * times[0]
    # derived (Laplace at rho0): t ~ n^{gamma(1-rho0)-1} / (2 rho0 (1-rho0) gamma log n), error O(1/(gamma log n))
    ratio = times / np.array([lc.frozen_time_asymptotic(0.75, gamma, n, 0.5) for n in ns])
    assert np.all(np.diff(ratio) < 0) and 1.0 <= ratio[-1] <= 1.03


def test_time_to_reach_validates():
    with pytest.raises(ValueError, match="rho_target"):
        lc.time_to_reach(0.4, 1.0, 100, 0.5)
    with pytest.raises(ValueError, match="n"):
        lc.time_to_reach(0.75, 1.0, 1, 0.5)
    with pytest.raises(ValueError, match="kind"):
        lc.time_to_reach(0.75, 1.0, 100, 0.5, kind="soft")


@pytest.mark.parametrize("gamma,limit", [(1.0, 1.0), (2.0, 0.8), (3.0, 0.5)])
def test_F16_one_layer_cosine_limits(gamma, limit):
    ns = np.array([1e2, 1e4, 1e6, 1e8, 1e10, 1e12])
    cos = lc.one_layer_cosine(0.5, gamma, ns)
    err = np.abs(cos - limit)
    assert np.all(np.diff(err) < 0)                      # approaches the limit monotonically
    assert err[-1] <= 2e-6 and err[0] > 1e-3              # from visibly off at n = 100
    assert lc.one_layer_limit(0.5, gamma) == limit


def test_one_layer_cosine_matches_section_10_ratio():
    """The overflow-safe form equals <ATT_i, ATT_j> / |ATT|^2 written with a, b of section 6 (moderate n)."""
    for n, gamma, rho in [(50, 1.0, 0.5), (300, 2.0, 0.3), (1000, 3.0, 0.8), (20, 0.5, -0.02)]:
        beta = gamma * math.log(n)
        z = math.exp(beta) + (n - 1) * math.exp(beta * rho)
        a, b = math.exp(beta) / z, math.exp(beta * rho) / z
        norm2 = a * a + 2 * a * b * (n - 1) * rho + b * b * ((n - 1) + (n - 1) * (n - 2) * rho)
        inner = a * a * rho + 2 * a * b * (1 + (n - 2) * rho) + b * b * ((n - 2) + ((n - 1) ** 2 - (n - 2)) * rho)
        assert lc.one_layer_cosine(rho, gamma, n) == pytest.approx(inner / norm2, rel=1e-13)


@pytest.mark.parametrize("n", [10, 60, 250])
@pytest.mark.parametrize("gamma", [1.0, 2.0, 3.0])
def test_F16_particles_agree_with_closed_form(n, gamma):
    g = lc.one_layer_particles(0.5, gamma, n, seed=1 if n <= 60 else None)   # (a random rotation costs a QR)
    off = g[~np.eye(n, dtype=bool)]
    assert np.abs(off - lc.one_layer_cosine(0.5, gamma, n)).max() <= 1e-12


def test_repeated_layers_compound():
    # critical gamma for the input is 2; every layer raises the cosine, so later layers are subcritical
    cos = lc.repeated_layers(0.5, 2.0, 1e6, 6)
    assert cos[0] == 0.5 and cos[1] == pytest.approx(lc.one_layer_cosine(0.5, 2.0, 1e6), rel=1e-15)
    assert np.all(np.diff(cos) >= 0) and cos[2] > 0.9999 and cos[-1] == pytest.approx(1.0, abs=1e-15)
    # supercritical and huge n: the layers barely move the tokens (cosine stays within 1e-3 of rho)
    frozen = lc.repeated_layers(0.5, 3.0, 1e12, 6)
    assert np.abs(frozen - 0.5).max() <= 1e-3
    # particles through two layers agree with the composition
    n = 40
    x = mw.initial.equiangular(n, 0.5)
    model = mw.Attention(beta=2.0 * math.log(n))
    for _ in range(2):
        out = mw.dynamics.attention_output(model, x)
        x = out / np.linalg.norm(out, axis=1, keepdims=True)
    g = x @ x.T
    assert np.abs(g[~np.eye(n, dtype=bool)] - lc.repeated_layers(0.5, 2.0, n, 2)[-1]).max() <= 1e-12
