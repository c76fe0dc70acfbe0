"""Lesson 04 (first clusters): checkable answers for the linear instability of the uniform state on the circle
(docs/derivations/lesson04.md). Expected values come from mftx_widgets.theory.circle, never from the answer.
"""

from __future__ import annotations

from ..theory import circle
from ._check import verdict


def check_growth_rate(answer, k: int = 3, beta: float = 5.0) -> bool:
    """Exercise 1: lambda_k(beta) of SA on the circle; expected circle.growth_rates (k^2 I_k / (beta I_0))."""
    return verdict(f"lambda_{k}(beta = {beta:g})", answer, circle.growth_rates(beta, "SA", kmax=k)[k - 1],
                   rtol=1e-6, hint="linearise dtheta/dt = sum_j w_ij sin(theta_j - theta_i) around the uniform "
                                   "density; expand e^{beta cos} in Bessel functions I_k.")


def check_crossover(answer, k: int = 2) -> bool:
    """Exercise 2: the beta at which k* jumps from k to k + 1; expected circle.crossovers."""
    return verdict(f"crossover beta (k* = {k} -> {k + 1})", answer, circle.crossovers(k)[k - 1], rtol=1e-6,
                   hint=f"solve {(k + 1) ** 2} I_{k + 1}(beta) = {k ** 2} I_{k}(beta) (scipy.special.ive, brentq).")


def check_dominant_mode(answer, beta: float = 9.0) -> bool:
    """Exercise 3: k*(beta) = argmax_k lambda_k; expected circle.dominant_mode."""
    return verdict(f"k*(beta = {beta:g})", answer, float(circle.dominant_mode(beta)), rtol=0.0,
                   hint="compare the crossovers: 1.04, 3.17, 6.21, 10.23, ...")
