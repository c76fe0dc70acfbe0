"""Lesson 03 (collapse): checkable answers for the equiangular reduction (docs/derivations/lesson03.md).

Expected values come from mftx_widgets.theory.equiangular (sa_rhs, late_rate), never from the answer.
"""

from __future__ import annotations

from ..theory import equiangular
from ._check import verdict


def check_equiangular_rhs(answer, rho: float = 0.5, beta: float = 2.0, n: int = 10) -> bool:
    """Exercise 1: d rho/dt of the SA equiangular ODE at (rho, beta, n); expected from equiangular.sa_rhs."""
    return verdict("d rho/dt (SA, equiangular)", answer, equiangular.sa_rhs(rho, beta, n), rtol=1e-6,
                   hint="write b = e^{beta rho} / (e^beta + (n-1) e^{beta rho}) and d rho/dt = "
                        "2 b (1-rho)(1+(n-1) rho).")


def check_late_rate(answer, kind: str = "SA", beta: float = 1.0) -> bool:
    """Exercise 2: the late rate -d/dt log(1 - rho) as rho -> 1 for SA or USA; expected equiangular.late_rate."""
    return verdict(f"late collapse rate ({kind}, beta = {beta:g})", answer, equiangular.late_rate(kind, beta),
                   rtol=1e-6, hint="set rho = 1 in everything except the factor (1 - rho).")


def check_min_dimension(answer, n: int = 10) -> bool:
    """Exercise 3: the smallest d that holds n equiangular unit vectors with rho in (-1/(n-1), 1): d = n."""
    return verdict(f"smallest dimension for {n} equiangular tokens", answer, float(n), rtol=0.0, atol=0.0,
                   hint="the Gram matrix (1 - rho) I + rho 11^T: what are its eigenvalues, what is its rank?")
