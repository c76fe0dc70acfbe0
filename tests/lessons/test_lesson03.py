"""Lesson 03 (collapse): the exercise checks accept the right answer and reject a wrong one; the facts behind them
are checked independently (the equiangular right-hand side by finite differences of the particle cosine, the
dimension by the rank of the Gram matrix)."""

from __future__ import annotations

import math

import numpy as np

import mftx_widgets as mw
from mftx_widgets.exercises import lesson03 as ex03


def test_equiangular_rhs_check(capsys):
    rho, beta, n = 0.5, 2.0, 10
    b = math.exp(beta * rho) / (math.exp(beta) + (n - 1) * math.exp(beta * rho))
    assert ex03.check_equiangular_rhs(2 * b * (1 - rho) * (1 + (n - 1) * rho), rho, beta, n)
    assert not ex03.check_equiangular_rhs(2 * b * (1 - rho) * (1 + n * rho), rho, beta, n)        # n for n - 1
    assert "✓" in capsys.readouterr().out


def test_equiangular_rhs_matches_the_particles():
    """d rho/dt of the particle system at an equiangular start (forward difference of the mean cosine, O(h))."""
    rho, beta, n, h = 0.5, 2.0, 10, 1e-4
    tr = mw.simulate(mw.Attention(beta=beta), mw.equiangular.start(n, rho), t_max=h, dt=h / 4, method="rk4")
    g = tr.x[-1] @ tr.x[-1].T
    slope = (g[~np.eye(n, dtype=bool)].mean() - rho) / h
    b = math.exp(beta * rho) / (math.exp(beta) + (n - 1) * math.exp(beta * rho))
    assert abs(slope / (2 * b * (1 - rho) * (1 + (n - 1) * rho)) - 1) < 1e-3


def test_late_rate_checks():
    assert ex03.check_late_rate(2.0, "SA", 1.0) and not ex03.check_late_rate(2 * math.e, "SA", 1.0)
    assert ex03.check_late_rate(2 * math.e, "USA", 1.0) and not ex03.check_late_rate(2.0, "USA", 1.0)


def test_min_dimension_check_and_the_rank_fact():
    for rho in (-0.1, 0.0, 0.5, 0.99):
        gram = (1 - rho) * np.eye(10) + rho * np.ones((10, 10))
        assert np.linalg.matrix_rank(gram) == 10                       # rank n: d >= n
    simplex = (1 + 1 / 9) * np.eye(10) - 1 / 9 * np.ones((10, 10))
    assert np.linalg.matrix_rank(simplex) == 9                         # only rho = -1/(n-1) fits in n - 1
    assert ex03.check_min_dimension(10, n=10) and not ex03.check_min_dimension(9, n=10)
