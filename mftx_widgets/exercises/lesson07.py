"""Lesson 07 (long context): when do iid tokens freeze? Checks for the self-weight exercises.

The expected values are computed here independently of the lesson's simulations: by quadrature of the law of
<x, y> for x, y iid uniform on S^{d-1} and by root finding (docs/derivations/lesson07.md).
"""

from __future__ import annotations

import math

from scipy.integrate import quad
from scipy.optimize import brentq

from ..errors import ParameterError
from ._check import verdict


def log_mgf_minus_beta(beta: float, d: int) -> float:
    """log E e^{beta <x,y>} - beta for x, y iid uniform on S^{d-1}, by quadrature of the density of u = <x,y>,
    proportional to (1 - u^2)^{(d-3)/2} on (-1, 1) (no overflow at large beta)."""
    if d < 2:
        raise ParameterError(f"d must be an integer >= 2, got {d}")
    k = (d - 3) / 2.0
    num = quad(lambda u: math.exp(beta * (u - 1.0)) * (1.0 - u * u) ** k, -1.0, 1.0, limit=200)[0]
    den = quad(lambda u: (1.0 - u * u) ** k, -1.0, 1.0, limit=200)[0]
    return math.log(num / den)


def mgf_quadrature(beta: float, d: int) -> float:
    """E e^{beta <x,y>} for x, y iid uniform on S^{d-1} (quadrature; see log_mgf_minus_beta)."""
    return math.exp(log_mgf_minus_beta(beta, d) + beta)


def check_mgf_d3(beta: float, answer: float) -> bool:
    """Exercise 1: E e^{beta <x, y>} for x, y iid uniform on S^2 (a closed form in beta)."""
    if not beta > 0:
        raise ParameterError(f"beta must be > 0, got {beta}")
    return verdict(f"E exp(beta <x,y>) in d = 3 at beta = {beta:g}", answer, mgf_quadrature(beta, 3), rtol=1e-6,
                   hint="In d = 3 the cosine u = <x, y> is uniform on [-1, 1] (Archimedes): integrate e^{beta u}/2.")


def freezing_beta(n: float, d: int) -> float:
    """The smaller root beta* of beta - beta^2 / (2d) = log n (nan-free: raises if there is none, d < 2 log n)."""
    ln = math.log(n)
    if d / 2.0 <= ln:
        raise ParameterError(f"beta - beta^2/(2d) never reaches log n: need d > 2 log n = {2 * ln:.3g}, got d = {d}")
    return brentq(lambda b: b - b * b / (2.0 * d) - ln, 0.0, float(d))


def check_freezing_gamma(n: float, d: int, answer: float) -> bool:
    """Exercise 2: the gamma* = beta*/log n above which iid tokens freeze (Gaussian approximation)."""
    n, d = float(n), int(d)
    return verdict(f"freezing gamma* at n = {n:g}, d = {d}", answer, freezing_beta(n, d) / math.log(n), rtol=1e-3,
                   hint="Solve beta - beta^2/(2d) = log n for the smaller root, then divide by log n.")


def check_d3_half_gamma(n: float, answer: float) -> bool:
    """Exercise 3: in d = 3, the gamma at which the mean self-weight of iid tokens is 1/2, i.e.
    (n - 1) e^{-beta} E e^{beta <x,y>} = 1 with beta = gamma log n (answer to 1%)."""
    n = float(n)
    if n < 3:
        raise ParameterError(f"n must be >= 3, got {n}")

    def excess(g: float) -> float:
        b = g * math.log(n)
        return math.log(n - 1.0) + log_mgf_minus_beta(b, 3)

    g_half = brentq(excess, 0.01, float(n))
    return verdict(f"self-weight 1/2 in d = 3 at n = {n:g}: gamma", answer, g_half, rtol=1e-2,
                   hint="For large beta, e^{-beta} sinh(beta)/beta ~ 1/(2 beta): solve (n - 1)/(2 beta) = 1.")


__all__ = ["check_mgf_d3", "check_freezing_gamma", "check_d3_half_gamma", "mgf_quadrature", "log_mgf_minus_beta",
           "freezing_beta"]
