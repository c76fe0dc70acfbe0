"""Lesson 06 (normalization): checks for the speed-factor exercises.

Expected values come from the theory engine mw.equiangular (its attention statistics, exact late rates and the
integrated equiangular ODE), never from the lesson's particles (docs/derivations/lesson06.md).
"""

from __future__ import annotations

import numpy as np

from ..theory import equiangular
from ._check import verdict


def check_attention_norm(beta: float, n: int, rho: float, answer: float) -> bool:
    """Exercise 1: q = |A_i| for n equiangular unit tokens at cosine rho (SA weights a on itself, b on others).
    Peri-LN's s_i = r_i q and nGPT's s_i = q / alpha need it."""
    q = float(equiangular.attention_stats(beta, n, rho)[3])
    return verdict(f"|A_i| at beta = {beta:g}, n = {n}, rho = {rho:g}", answer, q, rtol=1e-8,
                   hint="A_i = a x_i + b sum_{j != i} x_j; expand |A_i|^2 with <x_i, x_j> = rho.")


def check_ngpt_rate(alpha: float, answer: float) -> bool:
    """Exercise 2: the late exponential rate -d/dt log(1 - rho) of nGPT with step alpha."""
    return verdict(f"nGPT late rate at alpha = {alpha:g}", answer, equiangular.late_rate("ngpt", alpha=alpha),
                   rtol=1e-8, hint="Near collapse |A_i| -> 1, so s -> 1/alpha: Post-LN's rate 2 times alpha.")


def preln_tail_exponent(beta: float = 2.0, n: int = 10, rho0: float = 0.5) -> float:
    """d log(1 - rho) / d log t of the Pre-LN equiangular ODE, fitted on t in [1e4, 1e5]."""
    t = np.logspace(4, 5, 20)
    y = equiangular.one_minus_rho("pre", beta, n, rho0, t)
    return float(np.polyfit(np.log(t), np.log(y), 1)[0])


def check_preln_tail(answer: float, beta: float = 2.0, n: int = 10, rho0: float = 0.5) -> bool:
    """Exercise 3: the exponent p in 1 - rho ~ C t^p for Pre-LN (to 0.02, the fit's distance from the limit)."""
    return verdict("Pre-LN tail exponent", answer, preln_tail_exponent(beta, n, rho0), atol=0.02,
                   hint="Near collapse dr/dt -> 1 so r ~ t, and d log(1 - rho)/dt ~ -2/r.")


__all__ = ["check_attention_norm", "check_ngpt_rate", "check_preln_tail", "preln_tail_exponent"]
