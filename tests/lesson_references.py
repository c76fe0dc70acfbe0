"""Independent references for the seed and lifetime claims of lessons 04 and 05, used by
tests/lessons/test_lessons.py (EXPECTED) and tests/lessons/test_lesson04.py / test_lesson05.py. It lives in tests/
(on sys.path through the root conftest) because pytest imports test modules with --import-mode=importlib.

Lesson 04: the phase ODE (mw.circle.phase_velocity, dense numpy) integrated with scipy's RK45 — not the
Fourier-moment path of mw.simulate that the lesson uses; clusters counted as arcs separated by gaps > 0.5 rad with
plain numpy; kernel-density modes from the sign changes of its derivative (the lesson compares neighbouring grid
values of the density). Lesson 05: fits of log(1 / lambda_max) of the closed forms (docs/theory.md §8), written out
here, over the betas the lesson uses.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy.integrate import solve_ivp
from scipy.special import iv

import mftx_widgets as mw

# ---- lesson 04 ----
BETA, N, SEEDS, T_FIRST = 5.0, 400, range(24), 20.0
#: one seed of 24 may fall on the other side of a borderline count between two solvers
FRACTION_TOL = 1.0 / 24 + 1e-9


def arcs(theta: np.ndarray) -> int:
    s = np.sort(np.mod(theta, 2 * np.pi))
    g = np.diff(np.append(s, s[0] + 2 * np.pi))
    return int(np.sum(g > 0.5))


def kde_modes(theta: np.ndarray, beta: float) -> int:
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
        first = arcs(sol.y[:, -1])
        hits_k += first == k_star
        hits_kde += first == kde_modes(th0, BETA)
    return {"kstar": hits_k / len(SEEDS), "kde": hits_kde / len(SEEDS)}


def reference_ok(which: str, value: float) -> bool:
    """The lesson's printed fraction against the reference (within one seed of 24)."""
    return abs(value - reference()[which]) <= FRACTION_TOL


# ---- lesson 05 ----
BETAS = np.arange(4.0, 12.5, 1.0)
#: T_k = (log(1/delta) - C(beta)) / lambda_max: the slowly varying C moves the fitted slope by about 0.02
SLOPE_TOL = 0.05


def closed_form(k: int, beta: float) -> float:
    if k == 2:
        return 2.0 / (math.exp(2 * beta) + 1.0)
    if k == 3:
        return (1.5 + 2.25 * beta) / (math.exp(1.5 * beta) + 2.0)
    if k == 4:
        return max(beta, 0.5 * (beta + math.exp(-beta))) / math.cosh(beta / 2) ** 2
    raise ValueError(k)


def slope_ok(k: int, value: float) -> bool:
    ref = np.polyfit(BETAS, [-math.log(closed_form(k, b)) for b in BETAS], 1)[0]
    return abs(value - ref) <= SLOPE_TOL
