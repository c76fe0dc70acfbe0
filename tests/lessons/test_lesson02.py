"""Lesson 2's exercise checks, and the Bessel expansion they rely on against mw.circle's coupling and harmonics."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, special

import mftx_widgets as mw
from mftx_widgets.errors import ParameterError
from mftx_widgets.exercises import lesson02 as ex02


@pytest.mark.parametrize("beta", [0.0, 2.0, 7.5])
def test_phase_velocity_check(beta, capsys):
    theta = mw.circle.angles(mw.initial.uniform(15, 2, seed=5))
    D = theta[None, :] - theta[:, None]
    W = np.exp(beta * np.cos(D))
    sa = (W * np.sin(D)).sum(1) / W.sum(1)                      # the Kuramoto form, written out here
    assert ex02.check_phase_velocity(sa, theta, beta) is True
    assert ex02.check_phase_velocity(mw.circle.phase_velocity(theta, beta), theta, beta) is True
    usa = (W * np.sin(D)).sum(1) / theta.size
    assert ex02.check_phase_velocity(usa, theta, beta, kind="USA") is True
    assert ex02.check_phase_velocity(-sa, theta, beta) is False                 # sin(theta_i - theta_j)
    if beta > 0:
        assert ex02.check_phase_velocity(usa, theta, beta) is False             # USA weights for SA
    with pytest.raises(ParameterError, match="theta"):
        ex02.particle_phase_velocity(np.array([[0.0]]), beta)
    capsys.readouterr()


@pytest.mark.parametrize("beta", [0.3, 3.0, 12.0])
def test_bessel_expansion_matches_the_fft_and_mw_circle(beta, capsys):
    k = np.arange(1, 11)
    right = 2 * k * special.iv(k, beta) / beta                  # K_k = 2 k I_k(beta) / beta (docs/theory.md §4)
    fft = ex02.sine_coefficients(beta, 10)
    np.testing.assert_allclose(fft, right, rtol=1e-10, atol=1e-13 * np.exp(beta))
    np.testing.assert_allclose(mw.circle.coupling_harmonics(beta, 10), right, rtol=1e-12)
    phi = np.linspace(-np.pi, np.pi, 101)
    series = (mw.circle.coupling_harmonics(beta, 80)[:, None] * np.sin(np.outer(np.arange(1, 81), phi))).sum(0)
    np.testing.assert_allclose(series, mw.circle.coupling(phi, beta), atol=1e-12 * np.exp(beta))
    assert ex02.check_coupling_harmonics(right[:6], beta) is True
    assert ex02.check_coupling_harmonics(right[:6] / 2, beta) is False          # the 2 of the generating function
    assert ex02.check_coupling_harmonics(right[:5], beta) is False              # wrong shape
    capsys.readouterr()


def test_coupling_harmonics_at_beta_zero_is_plain_kuramoto():
    np.testing.assert_allclose(ex02.sine_coefficients(0.0, 4), [1, 0, 0, 0], atol=1e-15)


@pytest.mark.parametrize("kappa", [2.5, 3.0, 4.0, 8.0])
def test_stationary_r_check(kappa, capsys):
    root = optimize.brentq(lambda r: special.i1(kappa * r) / special.i0(kappa * r) - r, 1e-6, 1.0, xtol=1e-14)
    assert ex02.check_stationary_r(root, kappa) is True
    assert ex02.check_stationary_r(round(root, 4), kappa) is True             # four decimals are enough
    assert ex02.check_stationary_r(root + 2e-3, kappa) is False
    assert ex02.check_stationary_r(np.sqrt(8 * (kappa - 2) / kappa ** 3), kappa) is False   # the expansion only
    assert ex02.check_stationary_r(0.0, kappa) is False
    capsys.readouterr()


def test_stationary_r_below_the_pitchfork_is_zero(capsys):
    assert ex02.check_stationary_r(0.0, 1.5) is True
    assert ex02.check_stationary_r(0.09, 1.5) is False          # the finite-n size is not the mean-field answer
    capsys.readouterr()
