"""The circle d = 2: angles, the Kuramoto (phase) form of SA / USA (THEORY.md section 4)."""

from __future__ import annotations

import numpy as np

from . import _validate as v


def angles(x) -> np.ndarray:
    """theta_i = atan2(x_i2, x_i1) in (-pi, pi] of (n, 2) (or (..., n, 2)) tokens."""
    arr = np.asarray(x, dtype=float)
    if arr.ndim < 2 or arr.shape[-1] != 2:
        raise ValueError(f"x must have shape (..., n, 2) for angles, got {arr.shape}")
    return np.arctan2(arr[..., 1], arr[..., 0])


def phase_velocity(theta, beta: float, kind: str = "SA") -> np.ndarray:
    """dtheta_i/dt = sum_j w_ij sin(theta_j - theta_i) with USA w = e^{beta cos}/n, SA w = softmax (n,)."""
    beta = v.real("beta", beta, low=0.0)
    kind = v.choice("kind", kind, {"sa": "SA", "usa": "USA"})
    th = np.asarray(theta, dtype=float)
    if th.ndim != 1 or not np.all(np.isfinite(th)):
        raise ValueError("theta must be a finite 1-D array of angles")
    diff = th[None, :] - th[:, None]                  # theta_j - theta_i
    w = np.exp(beta * (np.cos(diff) - 1.0))
    num = (w * np.sin(diff)).sum(axis=1)
    if kind == "SA":
        return num / w.sum(axis=1)
    return np.exp(beta) * num / th.size


def simulate_phases(theta0, beta: float, t_max: float, dt: float = 1e-3, kind: str = "SA",
                    save_every: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """RK4 for the phase ODE from theta0 (n,): returns t (T,), theta (T, n) (unwrapped)."""
    t_max = v.real("t_max", t_max, low=0.0)
    dt = v.real("dt", dt, low=0.0, low_open=True)
    save_every = v.integer("save_every", save_every, low=1)
    th = np.array(theta0, dtype=float)
    steps = int(round(t_max / dt))
    ts, out = [0.0], [th.copy()]
    for s in range(1, steps + 1):
        k1 = phase_velocity(th, beta, kind)
        k2 = phase_velocity(th + dt / 2 * k1, beta, kind)
        k3 = phase_velocity(th + dt / 2 * k2, beta, kind)
        k4 = phase_velocity(th + dt * k3, beta, kind)
        th = th + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if s % save_every == 0 or s == steps:
            ts.append(s * dt)
            out.append(th.copy())
    return np.asarray(ts), np.stack(out)
