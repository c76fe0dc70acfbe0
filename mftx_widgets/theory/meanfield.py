"""Mean-field continuity equation on the circle (docs/theory.md §2, 4, 5): a spectral solver for a density.

    d rho/dt + d/dtheta (rho V[rho]) = 0,   V = N / Z (SA) or N (USA),
    N(theta) = int e^{beta cos(theta' - theta)} sin(theta' - theta) rho(theta') dtheta',
    Z(theta) = int e^{beta cos(theta' - theta)} rho(theta') dtheta',

rho a probability density in theta on the grid theta_m = 2 pi m / M (m = 0..M-1). N and Z are circular
correlations, computed by FFT with the exact Fourier coefficients of the kernels:
e^{beta cos phi} = I_0 + 2 sum_k I_k cos(k phi) and e^{beta cos phi} sin phi = (2/beta) sum_k k I_k sin(k phi)
(both scaled by e^-beta, which cancels in SA). The flux derivative is spectral; time stepping is RK4 with a
CFL-limited step. Mass is conserved to round-off.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special

from ..dynamics import _validate as v
from ..dynamics.steppers import RK4, SSPRK3
from ..errors import ParameterError
from ..params import PARAMS
from .circle import growth_rates

#: RK4 is stable on the imaginary axis up to |z| = 2 sqrt(2); we keep dt * max|k V| <= CFL.
CFL = 1.0
#: largest step used even when the velocity is tiny.
DT_MAX = 0.05
#: dt * (fastest rate) <= RATE_STEP: the linear growth rate of the uniform state and the collapse rate
#: (1 for SA, e^beta for USA) are resolved with a relative RK4 error (0.2^4 / 120) ~ 1e-5.
RATE_STEP = 0.2


def grid(M: int) -> np.ndarray:
    """The M grid angles theta_m = 2 pi m / M, shape (M,)."""
    M = v.integer("M", M, low=8)
    return 2.0 * np.pi * np.arange(M) / M


def wrapped_cauchy(theta, r: float, psi: float = 0.0) -> np.ndarray:
    """Wrapped Cauchy density p(theta) = (1 - r^2) / (2 pi (1 - 2 r cos(theta - psi) + r^2)), 0 <= r < 1.

    Its mean resultant is r e^{i psi}; at beta = 0 the mean-field flow keeps it wrapped Cauchy with
    r(t)^2 = r0^2 e^t / (1 - r0^2 + r0^2 e^t) (docs/theory.md §4). Same shape as theta.
    """
    r = v.real("r", r, low=0.0, high=1.0, high_open=True)
    psi = v.real("psi", psi)
    th = v.array("theta", theta)
    return (1.0 - r * r) / (2.0 * np.pi * (1.0 - 2.0 * r * np.cos(th - psi) + r * r))


def wrapped_cauchy_r(t, r0: float) -> np.ndarray | float:
    """r(t) of the beta = 0 mean-field flow from a wrapped Cauchy start with r0 (docs/theory.md §4, F8)."""
    r0 = v.real("r0", r0, low=0.0, high=1.0)
    tt = v.array("t", t)
    e = np.exp(tt)
    out = np.sqrt(r0 * r0 * e / (1.0 - r0 * r0 + r0 * r0 * e))
    return float(out) if out.ndim == 0 else out


def _multipliers(beta: float, M: int) -> tuple[np.ndarray, np.ndarray]:
    """rfft multipliers (M//2 + 1,) of the N and Z correlations, scaled by e^-beta.

    For a kernel g(phi) = sum_k g_k e^{i k phi}: int g(theta' - theta) rho(theta') dtheta' has rfft coefficients
    2 pi g_{-k} rho_hat_k (rho_hat = rfft(rho)). N: g_{+-k} = -+ i K_k / 2 with K_k = 2 k I_k / beta; Z: g_k = I_|k|.
    """
    k = np.arange(M // 2 + 1, dtype=float)
    with np.errstate(under="ignore"):
        ive = special.ive(k, beta)
    if beta == 0.0:
        kk = np.zeros_like(k)
        kk[1] = 1.0                                       # h(phi) = sin(phi): K_1 = 1
    else:
        kk = 2.0 * k * ive / beta                         # K_k e^-beta
    mult_n = 1j * np.pi * kk
    mult_z = 2.0 * np.pi * ive
    if M % 2 == 0:
        mult_n[-1] = 0.0                                  # Nyquist: an odd kernel has no real Nyquist part
    return mult_n, mult_z


def _check_rho(rho, name: str = "rho") -> np.ndarray:
    arr = v.array(name, rho)
    if arr.ndim != 1 or arr.size < 8:
        raise ParameterError(f"{name} must be a finite 1-D array of M >= 8 grid values, got shape {arr.shape}")
    if arr.min() < 0.0:
        raise ParameterError(f"{name} must be a density (values >= 0), got min {arr.min():.3g}")
    return arr


def velocity_field(rho, beta: float, kind: str = "SA") -> np.ndarray:
    """Mean-field velocity V(theta_m) (M,) of the density rho (M,) on grid(M) (docs/theory.md §4)."""
    kind = PARAMS["kind"].check(kind)
    beta = v.beta(beta, kind)
    arr = _check_rho(rho)
    mult_n, mult_z = _multipliers(beta, arr.size)
    return _velocity(arr, beta, kind, mult_n, mult_z)


def _velocity(rho: np.ndarray, beta: float, kind: str, mult_n: np.ndarray, mult_z: np.ndarray,
              shift: np.ndarray | None = None) -> np.ndarray:
    """V at grid(M) (or at grid(M) + half a cell when shift = e^{i k dtheta/2} is given)."""
    M = rho.size
    rh = np.fft.rfft(rho) * (2.0 * np.pi / M)              # int rho e^{-ik theta} dtheta (trapezoid)
    if shift is not None:
        rh = rh * shift
    n_field = np.fft.irfft(mult_n * rh, n=M) * (M / (2.0 * np.pi))
    if kind == "USA":
        return n_field * np.exp(beta)
    z_field = np.fft.irfft(mult_z * rh, n=M) * (M / (2.0 * np.pi))
    return n_field / z_field


def _rhs(rho: np.ndarray, beta: float, kind: str, mult_n, mult_z, ik: np.ndarray) -> tuple[np.ndarray, float]:
    """Spectral: -d/dtheta (rho V) by FFT; also max |V|."""
    vel = _velocity(rho, beta, kind, mult_n, mult_z)
    flux_hat = np.fft.rfft(rho * vel)
    return -np.fft.irfft(ik * flux_hat, n=rho.size), float(np.max(np.abs(vel)))


def _rhs_upwind(rho: np.ndarray, beta: float, kind: str, mult_n, mult_z, shift: np.ndarray) -> tuple[np.ndarray, float]:
    """First-order upwind finite volumes: face velocities at theta_m + dtheta/2, donor-cell fluxes; also max |V|."""
    vel = _velocity(rho, beta, kind, mult_n, mult_z, shift)
    flux = np.maximum(vel, 0.0) * rho + np.minimum(vel, 0.0) * np.roll(rho, -1)   # F_{m+1/2}
    dtheta = 2.0 * np.pi / rho.size
    return -(flux - np.roll(flux, 1)) / dtheta, float(np.max(np.abs(vel)))


def solve_density(rho0: np.ndarray | Callable, beta: float, t, kind: str = "SA", M: int | None = None,
                  dt: float | None = None, method: str = "spectral") -> np.ndarray:
    """Densities rho(t_i, theta_m) of the mean-field flow on the circle at the times t (T,), shape (T, M).

    Parameters
    ----------
    rho0 : (M,) array of a density on grid(M), or a callable rho0(theta) evaluated on grid(M)
        Initial density (normalised to integral 1 here; must be nonnegative).
    beta : float >= 0 (USA: <= config.MAX_EXP_ARG (700))
    t : (T,) nondecreasing times >= 0 (the first output is rho0 if t[0] = 0)
    kind : "SA" | "USA"
    M : grid size (default 256 for a callable; taken from the array otherwise)
    dt : fixed RK4 step, or None for a CFL-limited step (dt max|k_max V| <= 1, dt <= 0.05, and
        dt * rate <= 0.2 with rate the fastest linear growth or collapse rate: 1 (SA), e^beta (USA))

    method : "spectral" (RK4, spectral derivative; default) or "upwind" (first-order donor-cell finite volumes,
        SSP-RK3, positivity preserving: runs through cluster formation, at first-order accuracy)

    Spectral accuracy needs rho resolved on the grid: its Fourier coefficients should fall below round-off
    by k = M/2 (for a wrapped Cauchy of radius r: r^{M/2} << 1e-16). docs/theory.md F8: spectral M = 256 is within
    1e-6 of the exact r(3) = 0.674984; upwind at M = 512 is off by about 2e-3. When clusters form the density
    stops being resolved; the spectral solver then raises (use more points or method="upwind").
    """
    method = v.choice("method", method, ("spectral", "upwind"))
    kind = PARAMS["kind"].check(kind)
    beta = v.beta(beta, kind)
    if callable(rho0):
        M = 256 if M is None else v.integer("M", M, low=8)
        rho = np.asarray(rho0(grid(M)), dtype=float)
        if rho.shape != (M,):
            raise ParameterError(f"rho0(theta) must return an array of shape ({M},), got {rho.shape}")
    else:
        rho = _check_rho(rho0, "rho0").copy()
        if M is not None and v.integer("M", M, low=8) != rho.size:
            raise ParameterError(f"M = {M} does not match len(rho0) = {rho.size}")
        M = rho.size
    if not np.all(np.isfinite(rho)) or rho.min() < 0.0:
        raise ParameterError("rho0 must be a finite nonnegative density")
    mass = rho.sum() * 2.0 * np.pi / M
    if mass <= 0.0:
        raise ParameterError("rho0 must have positive mass")
    rho = rho / mass
    times = np.atleast_1d(v.array("t", t))
    if times.ndim != 1 or not np.all(np.isfinite(times)) or times.min() < 0.0 or np.any(np.diff(times) < 0):
        raise ParameterError("t must be a finite, nondecreasing 1-D array of times >= 0")
    if dt is not None:
        dt = v.real("dt", dt, low=0.0, low_open=True)
    mult_n, mult_z = _multipliers(beta, M)
    ik = 1j * np.arange(M // 2 + 1, dtype=float)
    if M % 2 == 0:
        ik[-1] = 0.0
    shift = np.exp(ik * np.pi / M)                          # e^{i k dtheta / 2}
    if M % 2 == 0:
        shift[-1] = 1.0
    kmax = M // 2
    rate = max(float(growth_rates(beta, kind, kmax).max()), 1.0 if kind == "SA" else float(np.exp(beta)))
    dt_rate = min(DT_MAX, RATE_STEP / rate)
    out = np.empty((times.size, M))
    now = 0.0
    dtheta = 2.0 * np.pi / M
    if method == "spectral":            # RK4 with a CFL step for the spectral derivative
        stepper, rhs = RK4(), lambda r: _rhs(r, beta, kind, mult_n, mult_z, ik)
        h_cfl = lambda vmax: CFL / max(kmax * vmax, 1e-300)  # noqa: E731
    else:                               # SSP-RK3 (Shu-Osher) keeps the donor-cell scheme positive
        stepper, rhs = SSPRK3(), lambda r: _rhs_upwind(r, beta, kind, mult_n, mult_z, shift)
        h_cfl = lambda vmax: 0.9 * dtheta / max(vmax, 1e-300)  # noqa: E731
    for i, target in enumerate(times):
        while target - now > 1e-12 * max(1.0, target):
            k1, vmax = rhs(rho)
            h = dt if dt is not None else min(dt_rate, h_cfl(vmax))
            h = min(h, target - now)
            stepper.step(lambda r, s, o: rhs(r)[0], rho, now, h, k1=k1)
            now += h
            if not np.all(np.isfinite(rho)) or rho.min() < -1e-6 * rho.max():
                raise FloatingPointError(
                    f"the density is no longer resolved at t = {now:g} (negative or non-finite values: clusters "
                    f"are forming or dt is too large): raise M (now {M}), lower dt, or use method='upwind'")
        out[i] = rho
    return out


def fourier_mode(rho, k: int = 1) -> np.ndarray | complex:
    """int e^{i k theta} rho(theta) dtheta for densities rho (..., M) on grid(M); k = 1 gives r e^{i psi}."""
    k = v.integer("k", k, low=0)
    arr = v.array("rho", rho)
    if arr.ndim < 1 or arr.shape[-1] < 8:
        raise ParameterError(f"rho must have shape (..., M) with M >= 8, got {arr.shape}")
    M = arr.shape[-1]
    out = (arr * np.exp(1j * k * grid(M))).sum(axis=-1) * (2.0 * np.pi / M)
    return complex(out) if np.ndim(out) == 0 else out


def order_parameter(rho) -> np.ndarray | float:
    """r = |int e^{i theta} rho dtheta| of densities (..., M) on grid(M)."""
    r = np.abs(fourier_mode(rho, 1))
    return float(r) if np.ndim(r) == 0 else r
