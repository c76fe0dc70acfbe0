"""Lesson 1 exercises: the energy identity of USA and the softmax denominator near a cluster.

Each check compares the student's number with an independent computation (the dense numpy reference solver,
a finite difference, a direct sum) and prints ✓ or ✗ with a hint. docs/derivations/lesson01.md has the
derivations.
"""

from __future__ import annotations

import numpy as np

from ..dynamics import reference
from ..dynamics.initial import uniform
from ..errors import ParameterError
from ._check import verdict

#: the configuration of exercise 1: 64 iid tokens on S^2 (seed 1) at beta = 1
EX1_N, EX1_D, EX1_BETA, EX1_SEED = 64, 3, 1.0, 1


def exercise1_tokens() -> np.ndarray:
    """The tokens of exercise 1, shape (64, 3): iid uniform on S^2, seed 1."""
    return uniform(EX1_N, EX1_D, seed=EX1_SEED)


def energy_rate_fd(x, beta: float, h: float = 1e-5) -> float:
    """dE_beta/dt along USA at x (n, d) by a central finite difference of E along the flow direction.

    E is evaluated at the retracted points (x +- h v)/|x +- h v| with v the USA velocity of the dense reference;
    the error is O(h^2) relative. Independent of the identity dE/dt = (1/n) sum_i |v_i|^2.
    """
    x = np.asarray(x, dtype=float)
    v = reference.velocity(x, beta, "USA")

    def e(s):
        y = x + s * v
        return reference.energy(y / np.linalg.norm(y, axis=1, keepdims=True), beta)

    return (e(h) - e(-h)) / (2 * h)


def check_energy_rate(answer, x=None, beta: float = EX1_BETA) -> bool:
    """dE/dt of USA at the tokens x (default: exercise1_tokens()) at this beta; expected from energy_rate_fd."""
    x = exercise1_tokens() if x is None else np.asarray(x, dtype=float)
    return verdict("dE/dt along USA", answer, energy_rate_fd(x, beta), rtol=1e-5,
                   hint="Differentiate E = (1/(2 beta n^2)) sum_ij e^{beta <x_i, x_j>} along dx_i/dt and use that "
                        "dx_i/dt is the tangent part of n grad_i E: the answer is a sum of squared speeds.")


def cluster_tokens(n: int, d: int = 3, radius: float = 0.05, seed: int = 0) -> np.ndarray:
    """n tokens in a tight cap of angular radius `radius` (radians) around e_1, shape (n, d)."""
    if not 0 < radius < 0.5:
        raise ParameterError(f"radius must be in (0, 0.5) radians, got {radius!r}")
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((n, d))
    u[:, 0] = 0.0
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    a = radius * np.sqrt(rng.uniform(size=(n, 1)))
    x = np.cos(a) * np.eye(d)[0] + np.sin(a) * u
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def check_softmax_denominator(answer, n: int = 200, beta: float = 4.0, d: int = 3) -> bool:
    """Your estimate of Z_i = sum_k e^{beta <x_i, x_k>} for a token inside a tight cluster of n tokens.

    Expected: the direct sum for n tokens in a cap of angular radius 0.05 around e_1 (averaged over i),
    within 2 % (the cap's width changes Z by about beta * 0.05^2 / 4 relative).
    """
    x = cluster_tokens(n, d)
    z = np.exp(beta * (x @ x.T)).sum(axis=1).mean()
    return verdict(f"softmax denominator (n = {n}, beta = {beta:g})", answer, z, rtol=0.02,
                   hint="Inside a cluster <x_i, x_k> is close to 1 for every k, and there are n terms.")
