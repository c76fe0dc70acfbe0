"""Lesson 05 (metastability time scales): checkable answers for the instability of k point clusters
(docs/derivations/lesson05.md). Expected values come from mftx_widgets.theory.metastability (the lattice rate
formula, evaluated numerically), never from the answer.
"""

from __future__ import annotations

import numpy as np

from ..theory import metastability
from ._check import verdict


def check_antipodal_rate(answer, beta: float = 3.0) -> bool:
    """Exercise 1: lambda_max of two antipodal point clusters (SA); expected metastability.polygon_rate(2, beta)."""
    return verdict(f"antipodal pair rate (beta = {beta:g})", answer, metastability.polygon_rate(2, beta), rtol=1e-6,
                   hint="linearise the two-token phase ODE at phi = pi: d phi/dt = -2 e^{beta cos phi} sin phi / "
                        "(e^beta + e^{beta cos phi}).")


def check_lifetime_slope(answer, k: int = 2) -> bool:
    """Exercise 2: the large-beta slope of log T_k against beta, i.e. lim -d log(lambda_max(k, beta)) / d beta.

    Expected: the numerical derivative of log polygon_rate at beta = 60 (where the polynomial prefactor's 1/beta
    is below 2%), compared with tolerance 0.05.
    """
    b, h = 60.0, 1e-3
    slope = -(np.log(metastability.polygon_rate(k, b + h)) - np.log(metastability.polygon_rate(k, b - h))) / (2 * h)
    return verdict(f"slope of log T_{k} against beta", answer, slope, rtol=0.0, atol=0.05,
                   hint="the rate is e^{beta (cos g - 1)} times a power of beta, with g the gap between neighbours.")
