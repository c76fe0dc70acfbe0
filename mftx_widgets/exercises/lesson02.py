"""Lesson 2 exercises: the Kuramoto reduction, the Bessel expansion of its coupling, the stationary order parameter.

Expected values come from independent computations: the dense numpy particle velocity projected on the circle's
tangent, an FFT of the coupling h(phi) = e^{beta cos phi} sin phi, and the theory engine's root of
r = I_1(kappa r) / I_0(kappa r). docs/derivations/lesson02.md has the derivations.
"""

from __future__ import annotations

import numpy as np

from ..dynamics import reference
from ..errors import ParameterError
from ..theory import circle
from ._check import verdict


def particle_phase_velocity(theta, beta: float, kind: str = "SA") -> np.ndarray:
    """d theta_i / dt from the particle flow in R^2: <P_{x_i} attn_i, (-sin theta_i, cos theta_i)>, shape (n,)."""
    th = np.asarray(theta, dtype=float)
    if th.ndim != 1 or th.size < 1 or not np.all(np.isfinite(th)):
        raise ParameterError(f"theta must be a finite 1-D array of angles, got shape {th.shape}")
    x = np.column_stack([np.cos(th), np.sin(th)])
    v = reference.velocity(x, beta, kind)
    return -np.sin(th) * v[:, 0] + np.cos(th) * v[:, 1]


def check_phase_velocity(answer, theta, beta: float, kind: str = "SA") -> bool:
    """Your d theta_i/dt (n,) for the angles theta at this beta; expected from the particle velocity in R^2."""
    return verdict(f"d theta/dt ({kind}, beta = {beta:g})", answer, particle_phase_velocity(theta, beta, kind),
                   rtol=1e-9, atol=1e-12,
                   hint="<x_i, x_j> = cos(theta_j - theta_i) and the tangent at x_i is (-sin theta_i, cos theta_i); "
                        "the weights are the softmax (SA) or e^{beta cos}/n (USA).")


def sine_coefficients(beta: float, kmax: int, m: int = 4096) -> np.ndarray:
    """Fourier sine coefficients b_k (k = 1..kmax) of h(phi) = e^{beta cos phi} sin phi by an m-point FFT, (kmax,).

    Spectrally accurate (the coefficients decay like beta^k / k!); m must exceed 2 kmax and beta + 40.
    """
    if not 0 <= beta <= 200:
        raise ParameterError(f"beta must be in [0, 200] for the FFT check, got {beta!r}")
    if kmax < 1 or 2 * kmax >= m:
        raise ParameterError(f"kmax must be in [1, {m // 2 - 1}], got {kmax!r}")
    phi = 2 * np.pi * np.arange(m) / m
    c = np.fft.rfft(np.exp(beta * np.cos(phi)) * np.sin(phi)) / m
    return -2.0 * c.imag[1:kmax + 1]


def check_coupling_harmonics(answer, beta: float, kmax: int = 6) -> bool:
    """Your coefficients K_1..K_kmax of h(phi) = sum_k K_k sin(k phi); expected from an FFT of h."""
    return verdict(f"harmonics of h (beta = {beta:g})", answer, sine_coefficients(beta, kmax), rtol=1e-8,
                   atol=1e-12 * np.exp(beta),
                   hint="Differentiate e^{beta cos phi} = I_0(beta) + 2 sum_k I_k(beta) cos(k phi) in phi.")


def check_stationary_r(answer, kappa: float) -> bool:
    """Your stationary order parameter of noisy Kuramoto at beta = 0 (root of r = I_1(kappa r)/I_0(kappa r)).

    Right to 5e-4 (four decimals); the small-(kappa - 2) expansion r^2 = 8 (kappa - 2)/kappa^3 is not enough.
    """
    return verdict(f"stationary r (kappa = {kappa:g})", answer, circle.stationary_order_parameter(kappa),
                   rtol=0.0, atol=5e-4,
                   hint="Solve r = I_1(kappa r)/I_0(kappa r) for r > 0 (scipy.special.iv, scipy.optimize.brentq); "
                        "below kappa = 2 only r = 0 solves it.")
