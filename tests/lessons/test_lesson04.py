"""Lesson 04 (first clusters): the exercise checks, and the independent reference for the seed statistics the
lesson prints (used by test_lessons.EXPECTED["04_first_clusters"]).

The reference integrates the phase ODE (mw.circle.phase_velocity, dense numpy) with scipy's RK45 — not the
Fourier-moment path of mw.simulate that the lesson uses — counts clusters as arcs separated by gaps > 0.5 rad with
plain numpy, and counts the modes of the kernel density from the sign changes of its derivative (not from
neighbouring grid values as the lesson does).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.special import iv

import mftx_widgets as mw
from mftx_widgets.exercises import lesson04 as ex04

BETA, N, SEEDS, T_FIRST = 5.0, 400, range(24), 20.0
#: one seed of 24 may fall on the other side of a borderline count between two solvers
FRACTION_TOL = 1.0 / 24 + 1e-9


def _arcs(theta: np.ndarray) -> int:
    s = np.sort(np.mod(theta, 2 * np.pi))
    g = np.diff(np.append(s, s[0] + 2 * np.pi))
    return int(np.sum(g > 0.5))


def _kde_modes(theta: np.ndarray, beta: float) -> int:
    grid = np.linspace(0.0, 2 * np.pi, 4096, endpoint=False)
    diff = theta[None, :] - grid[:, None]
    deriv = (np.sin(diff) * np.exp(beta * (np.cos(diff) - 1))).sum(axis=1)    # f'(grid) / beta
    return int(np.sum((deriv > 0) & (np.roll(deriv, -1) <= 0)))


@functools.lru_cache(maxsize=1)
def reference() -> dict[str, float]:
    hits_k, hits_kde = 0, 0
    k_star = int(np.argmax([k * k * iv(k, BETA) for k in range(1, 10)]) + 1)
    for s in SEEDS:
        th0 = np.random.default_rng(s).uniform(-np.pi, np.pi, N)
        sol = solve_ivp(lambda t, y: mw.circle.phase_velocity(y, BETA), (0.0, T_FIRST), th0, method="RK45",
                        rtol=1e-6, atol=1e-8)
        first = _arcs(sol.y[:, -1])
        hits_k += first == k_star
        hits_kde += first == _kde_modes(th0, BETA)
    return {"kstar": hits_k / len(SEEDS), "kde": hits_kde / len(SEEDS)}


def reference_ok(which: str, value: float) -> bool:
    """The lesson's printed fraction against the reference (within one seed of 24)."""
    return abs(value - reference()[which]) <= FRACTION_TOL


def test_kde_mode_count_is_independent_of_the_grid_rule():
    th = np.array([0.0, 0.05, 2.0, 2.1, 4.0])
    assert _kde_modes(th, 5.0) == 3 and _arcs(th) == 3


def test_exercise_checks_accept_the_answer_and_reject_a_wrong_one(capsys):
    assert ex04.check_growth_rate(9 * iv(3, 5.0) / (5.0 * iv(0, 5.0)), k=3, beta=5.0)
    assert not ex04.check_growth_rate(9 * iv(3, 5.0) / 5.0, k=3, beta=5.0)            # forgot I_0
    assert not ex04.check_crossover(3.0, k=2)
    assert ex04.check_dominant_mode(4, beta=9.0) and not ex04.check_dominant_mode(3, beta=9.0)
    out = capsys.readouterr().out
    assert "✓" in out and "✗" in out


def test_crossover_check_against_the_bessel_equation():
    from scipy.optimize import brentq
    from scipy.special import ive
    root = brentq(lambda b: 9 * ive(3, b) - 4 * ive(2, b), 1.5, 6, xtol=1e-14)
    assert ex04.check_crossover(root, k=2) and not ex04.check_crossover(root * 1.01, k=2)


@pytest.mark.notebooks
def test_reference_fractions_are_in_range():
    """The issue's measurement (seeds 0-5: k* = 3 once in six) and ours agree that k* is not always right."""
    ref = reference()
    assert 0.3 <= ref["kstar"] <= 0.95 and 0.5 <= ref["kde"] <= 1.0
