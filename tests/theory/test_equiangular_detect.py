"""equiangular.detect_rho0 / curve_for: when a particle run has an equiangular reduction, and its curve."""

import numpy as np
import pytest

import mftx_widgets as mw
from mftx_widgets.theory import equiangular


def test_detect_rho0():
    assert equiangular.detect_rho0(mw.initial.equiangular(10, 0.5, seed=3)) == pytest.approx(0.5, abs=1e-12)
    assert equiangular.detect_rho0(3.0 * mw.initial.equiangular(6, -0.1)) == pytest.approx(-0.1, abs=1e-12)
    assert equiangular.detect_rho0(mw.initial.uniform(10, 3, seed=0)) is None
    assert equiangular.detect_rho0(mw.initial.uniform(2, 3, seed=0)) is None        # n < 3: always equiangular
    assert equiangular.detect_rho0(np.tile([[1.0, 0.0, 0.0]], (4, 1))) is None       # rho0 = 1: a point


def test_curve_for_matches_solve_and_particles():
    # SA, n = d = 10, beta = 2, rho0 = 0.5: rho(3) = 0.99731 (docs/theory.md, the equiangular reduction)
    x0 = mw.initial.equiangular(10, 0.5)
    t = np.linspace(0.0, 3.0, 31)
    rho = equiangular.curve_for(mw.Attention(beta=2.0), x0, t)
    np.testing.assert_array_equal(rho, equiangular.solve("SA", 2.0, 10, 0.5, t))
    assert rho[-1] == pytest.approx(0.99731, abs=1e-5)
    tr = mw.simulate(mw.Attention(beta=2.0), x0, t_max=3.0, dt=0.01, save_every=10)
    np.testing.assert_allclose([mw.observables.mean_cosine(x) for x in tr.x], rho, atol=1e-6)
    peri = equiangular.curve_for(mw.Attention(beta=2.0, norm="peri"), x0, t)
    np.testing.assert_array_equal(peri, equiangular.solve("peri", 2.0, 10, 0.5, t, kind="SA"))
    assert equiangular.curve_for(mw.Attention(beta=2.0, Q=np.diag(np.arange(1.0, 11.0))), x0, t) is None
    assert equiangular.curve_for(mw.Attention(beta=2.0, noise=0.1), x0, t) is None
    assert equiangular.curve_for(mw.Attention(beta=2.0), mw.initial.uniform(10, 10), t) is None
