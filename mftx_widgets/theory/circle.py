"""The circle d = 2: angles, the Kuramoto (phase) form of SA / USA (docs/theory.md §4), linear stability of
the uniform state and dominant modes (section 5), classical and noisy Kuramoto (section 10)."""

from __future__ import annotations

import numpy as np
from scipy import optimize, special

from ..dynamics import _validate as v
from ..dynamics.steppers import RK4, fixed_steps
from ..errors import ParameterError
from ..params import PARAMS


def angles(x) -> np.ndarray:
    """theta_i = atan2(x_i2, x_i1) in (-pi, pi] of (n, 2) (or (..., n, 2)) tokens."""
    arr = v.array("x", x)
    if arr.ndim < 2 or arr.shape[-1] != 2:
        raise ParameterError(f"x must have shape (..., n, 2) for angles, got {arr.shape}")
    return np.arctan2(arr[..., 1], arr[..., 0])


def phase_velocity(theta, beta: float, kind: str = "SA") -> np.ndarray:
    """dtheta_i/dt = sum_j w_ij sin(theta_j - theta_i) with USA w = e^{beta cos}/n, SA w = softmax (n,)."""
    kind = PARAMS["kind"].check(kind)
    beta = v.beta(beta, kind)
    th = v.array("theta", theta, ndim=1, min_size=1)
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
    kind = PARAMS["kind"].check(kind)
    beta = v.beta(beta, kind)
    th = v.array("theta0", theta0, ndim=1, min_size=1)
    steps = v.steps(t_max, dt)
    return fixed_steps(RK4(), lambda a, t, out: phase_velocity(a, beta, kind), th, dt, steps, save_every)


# ---------------------------------------------------------------------------------------------------------------
# Linear stability of the uniform state (docs/theory.md §5), Bessel couplings (section 4), Kuramoto, noise.
# ---------------------------------------------------------------------------------------------------------------

#: largest beta of growth_rates / dominant_mode: scipy's ive returns NaN from about 1e10 on.
MAX_BESSEL_BETA = 1e8
#: below this value of ive(nu, beta) the Bessel route underflows; the hypergeometric series takes over.
_IVE_TINY = 1e-250
#: below this beta the series route is used too (ive loses digits and underflows at tiny arguments).
_SERIES_BETA = 1e-3


def _log_sa_factor(nu: float, ell: np.ndarray, beta: float) -> np.ndarray:
    """log(I_{nu+l}(beta) / (beta I_nu(beta))) for beta > 0 and integer degrees ell (L,) >= 1, without 0/0.

    Direct ive() where I_nu is representable and beta >= 1e-3; otherwise the normalised series
    I_mu(beta) = (beta/2)^mu / Gamma(mu + 1) * 0F1(; mu + 1; beta^2 / 4) (tiny beta or large order), i.e.
    I_{nu+l} / (beta I_nu) = (beta/2)^(l-1) / (2 prod_{j<=l} (nu + j)) * 0F1(; nu+l+1; z) / 0F1(; nu+1; z).
    """
    den = special.ive(nu, beta)
    if den > _IVE_TINY and beta >= _SERIES_BETA:
        with np.errstate(divide="ignore", under="ignore"):
            return np.log(special.ive(nu + ell, beta)) - np.log(den) - np.log(beta)
    z = beta * beta / 4.0
    log_pochhammer = np.cumsum(np.log(nu + np.arange(1, ell.size + 1)))[ell.astype(int) - 1]
    with np.errstate(divide="ignore", under="ignore"):
        return ((ell - 1.0) * np.log(beta / 2.0) - np.log(2.0) - log_pochhammer
                + np.log(special.hyp0f1(nu + ell + 1.0, z)) - np.log(special.hyp0f1(nu + 1.0, z)))


def growth_rates(beta: float, kind: str = "SA", kmax: int = 20, d: int = 2) -> np.ndarray:
    """Growth rates lambda_l, l = 1..kmax, of a degree-l perturbation of the uniform measure on S^{d-1}, (kmax,).

    docs/theory.md §5 (derived; matches Bruno et al., arXiv 2410.23228), with nu = d/2 - 1:
      USA: lambda_l = l (l + d - 2) Gamma(d/2) (2/beta)^nu I_{l+nu}(beta) / beta
      SA : lambda_l = l (l + d - 2) I_{l+nu}(beta) / (beta I_nu(beta))
    d = 2: USA k^2 I_k(beta) / beta, SA k^2 I_k(beta) / (beta I_0(beta)). At beta = 0 the limit is returned:
    (d - 1)/d for l = 1 and 0 for l >= 2 (both kinds). USA needs beta <= config.MAX_EXP_ARG (700).
    """
    kind = PARAMS["kind"].check(kind)
    beta = v.beta(beta, kind)
    if beta > MAX_BESSEL_BETA:
        raise ParameterError(f"beta must be <= {MAX_BESSEL_BETA:g} for growth_rates (scipy's Bessel functions "
                             f"fail beyond), got {beta:g}; there lambda_l ~ l (l + d - 2) / beta")
    kmax = v.integer("kmax", kmax, low=1, high=100_000)
    d = v.integer("d", d, low=2, high=10_000)
    nu = d / 2.0 - 1.0
    ell = np.arange(1, kmax + 1, dtype=float)
    deg = ell * (ell + d - 2.0)
    if beta == 0.0:
        out = np.zeros(kmax)
        out[0] = (d - 1.0) / d
        return out
    sa = deg * np.exp(_log_sa_factor(nu, ell, beta))
    if kind == "SA":
        return sa
    # USA = SA * Gamma(nu + 1) (2/beta)^nu I_nu(beta) = SA * 0F1(; nu + 1; beta^2/4) >= SA
    return sa * special.hyp0f1(nu + 1.0, beta * beta / 4.0)


def dominant_mode(beta: float, d: int = 2) -> int:
    """The most unstable degree argmax_l lambda_l(beta) (k* on the circle, l* for d >= 3); same for SA and USA.

    For large beta k* ~ sqrt(2 beta) (docs/theory.md §5, F10). At beta = 0 it is 1.
    """
    beta = v.real("beta", beta, low=0.0, high=MAX_BESSEL_BETA)
    d = v.integer("d", d, low=2, high=10_000)
    kmax = min(100_000, max(20, int(3 * np.sqrt(2.0 * beta + d)) + 10))
    return int(np.argmax(growth_rates(beta, "SA", kmax, d)) + 1)


def predicted_cluster_count(beta: float) -> int:
    """Number of clusters formed from a near-uniform start on the circle: k*(beta) (docs/theory.md §5, F11)."""
    return dominant_mode(beta, 2)


def crossovers(kmax: int = 6) -> np.ndarray:
    """beta at which the dominant circle mode switches k -> k + 1, for k = 1..kmax, shape (kmax,).

    Roots of (k + 1)^2 I_{k+1}(beta) = k^2 I_k(beta) (brentq on the e^-beta scaled form); near k(k + 1)/2.
    docs/theory.md: 1.044457, 3.165434, 6.211298, 10.228483, 15.236277, 21.240452.
    """
    kmax = v.integer("kmax", kmax, low=1, high=10_000)
    out = np.empty(kmax)
    for k in range(1, kmax + 1):
        def f(b, k=k):
            return (k + 1) ** 2 * special.ive(k + 1, b) - k ** 2 * special.ive(k, b)
        lo, hi = 0.25 * k * (k + 1), 1.0 * k * (k + 1) + 2.0
        while f(lo) > 0:
            lo /= 2
        while f(hi) < 0:
            hi *= 2
        out[k - 1] = optimize.brentq(f, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=200)
    return out


def coupling_harmonics(beta: float, kmax: int = 80) -> np.ndarray:
    """Kuramoto harmonic couplings K_k = 2 k I_k(beta) / beta, k = 1..kmax, shape (kmax,) (docs/theory.md §4).

    h(phi) = e^{beta cos phi} sin phi = sum_k K_k sin(k phi). beta = 0 limit: K_1 = 1, K_k = 0 (k >= 2).
    beta <= config.MAX_EXP_ARG (700) (the K_k grow like e^beta).
    """
    beta = v.beta(beta, "USA")
    kmax = v.integer("kmax", kmax, low=1, high=100_000)
    k = np.arange(1, kmax + 1, dtype=float)
    if beta == 0.0:
        out = np.zeros(kmax)
        out[0] = 1.0
        return out
    with np.errstate(under="ignore"):
        return 2.0 * k * special.ive(k, beta) * np.exp(beta) / beta


def coupling(phi, beta: float) -> np.ndarray:
    """The phase coupling h(phi) = e^{beta cos phi} sin phi (any shape; beta <= config.MAX_EXP_ARG (700))."""
    beta = v.beta(beta, "USA")
    ph = v.array("phi", phi)
    return np.exp(beta * np.cos(ph)) * np.sin(ph)


def lattice_rate(n: int, m, beta: float, kind: str = "SA") -> np.ndarray | float:
    """Exact growth rate of displacement mode m of the regular n-lattice theta_j = 2 pi j / n (docs/theory.md §5).

    lambda_m^(n) = (1/Z) sum_j h'(2 pi j/n) (cos(2 pi j m/n) - 1), h'(phi) = e^{beta cos phi}(cos phi - beta sin^2 phi),
    Z = n (USA) or sum_j e^{beta cos(2 pi j/n)} (SA). m may be an int or an array of ints; tends to
    growth_rates as n grows. USA needs beta <= config.MAX_EXP_ARG (700).
    """
    kind = PARAMS["kind"].check(kind)
    beta = v.beta(beta, kind)
    n = v.integer("n", n, low=1)
    ms = np.atleast_1d(np.asarray(m))
    if ms.dtype.kind not in "iu" or ms.ndim != 1:
        raise ParameterError(f"m must be an integer or a 1-D array of integers, got {m!r}")
    phi = 2.0 * np.pi * np.arange(n) / n
    w = np.exp(beta * (np.cos(phi) - 1.0))                # e^{beta (cos - 1)}: scaled by e^-beta
    hp = w * (np.cos(phi) - beta * np.sin(phi) ** 2)
    rates = (hp[None, :] * (np.cos(np.outer(ms, phi)) - 1.0)).sum(axis=1)
    rates = rates / w.sum() if kind == "SA" else rates * np.exp(beta) / n
    return float(rates[0]) if np.ndim(m) == 0 else rates


def order_parameter(theta, k: int = 1) -> np.ndarray | float:
    """|(1/n) sum_j e^{i k theta_j}| over the last axis of theta (..., n); k = 1 is Kuramoto's r."""
    k = v.integer("k", k, low=0)
    th = v.array("theta", theta)
    if th.ndim < 1 or th.shape[-1] < 1:
        raise ParameterError("theta must be a finite array of angles of shape (..., n) with n >= 1")
    r = np.abs(np.exp(1j * k * th).mean(axis=-1))
    return float(r) if r.ndim == 0 else r


def kuramoto(theta0, t_max: float, dt: float = 1e-2, K: float = 1.0, omega=None,
             save_every: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Classical Kuramoto model dtheta_i/dt = omega_i + (K/n) sum_j sin(theta_j - theta_i), RK4 in O(n) per step.

    Equal to SA and USA at beta = 0 when K = 1 and omega = 0 (docs/theory.md §4). theta0 (n,), omega (n,) or
    None (identical oscillators). Returns t (T,), theta (T, n) (unwrapped).
    """
    th = v.array("theta0", theta0, ndim=1, min_size=1)
    t_max = v.real("t_max", t_max, low=0.0)
    dt = v.real("dt", dt, low=0.0, low_open=True)
    K = v.real("K", K)
    save_every = v.integer("save_every", save_every, low=1)
    if omega is None:
        om = np.zeros_like(th)
    else:
        om = v.array("omega", omega)
        if om.shape != th.shape:
            raise ParameterError(f"omega must be a finite array of shape {th.shape} (one frequency per oscillator)")

    def rhs(a, t, out):
        z = np.exp(1j * a).mean()                          # r e^{i psi}
        return om + K * (z * np.exp(-1j * a)).imag         # (K/n) sum_j sin(theta_j - theta_i)

    steps = v.steps(t_max, dt)
    return fixed_steps(RK4(), rhs, th, dt, steps, save_every)


def stationary_order_parameter(kappa: float) -> float:
    """Synchronised branch of noisy Kuramoto (beta = 0, noise 1/kappa): the root r of r = I_1(kappa r)/I_0(kappa r).

    0 for kappa <= 2 (uniform state only); pitchfork at kappa = 2; r ~ 1 - 1/(2 kappa) for large kappa
    (docs/theory.md §10, F17; r(4) = 0.8315).
    """
    kappa = v.real("kappa", kappa, low=0.0, low_open=True)
    if kappa <= 2.0:
        return 0.0

    def g(r):                                             # I_1(kappa r) / (r I_0(kappa r)) - 1, regular at r = 0
        x = kappa * r
        q = 0.5 if x == 0.0 else special.ive(1, x) / (x * special.ive(0, x))
        return kappa * q - 1.0

    return float(optimize.brentq(g, 0.0, 1.0, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200))


def noisy_kuramoto(kappa: float, n: int = 2000, t_max: float = 40.0, dt: float = 0.05, seed: int | None = 0,
                   x0=None, save_every: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Particle SDE at beta = 0 in d = 2 (noisy Kuramoto / mean-field XY) through mw.Simulation (Euler-Maruyama).

    dX_i = P_{X_i} m dt + sqrt(2/kappa) dW_i on the circle (docs/theory.md §10). Start: x0 (n, 2) or n iid
    uniform tokens from seed. Returns t (T,) and the order parameter |m(t)| (T,), saved every save_every steps.
    """
    from ..dynamics.initial import uniform
    from ..dynamics.integrate import Simulation
    from ..dynamics.models import Attention

    kappa = v.real("kappa", kappa, low=0.0, low_open=True)
    t_max = v.real("t_max", t_max, low=0.0)
    save_every = v.integer("save_every", save_every, low=1)
    if x0 is None:
        x0 = uniform(v.integer("n", n, low=1), 2, seed=v.seed(seed))
    sim = Simulation(Attention(beta=0.0, kind="SA", noise=1.0 / kappa), x0, dt=dt, seed=seed)
    if sim.d != 2:
        raise ParameterError(f"x0 must have d = 2 columns (the circle), got d = {sim.d}")
    steps = v.steps(t_max, sim.dt)
    ts = [0.0]
    rs = [float(np.linalg.norm(sim.x.mean(axis=0)))]
    for s in sim.run(steps, save_every):
        ts.append(s.t)
        rs.append(float(np.linalg.norm(s.x.mean(axis=0))))
    return np.asarray(ts), np.asarray(rs)


def noisy_kuramoto_order(kappa: float, n: int = 2000, t_burn: float = 20.0, t_avg: float = 30.0, dt: float = 0.05,
                         seed: int | None = 0, x0=None) -> float:
    """Time average of |m(t)| over [t_burn, t_burn + t_avg] of noisy_kuramoto (the stationary order parameter, F17).

    Compare with stationary_order_parameter(kappa) (finite-n fluctuations add about 1/sqrt(n) near kappa <= 2).
    """
    t_burn = v.real("t_burn", t_burn, low=0.0)
    t_avg = v.real("t_avg", t_avg, low=0.0, low_open=True)
    t, r = noisy_kuramoto(kappa, n=n, t_max=t_burn + t_avg, dt=dt, seed=seed, x0=x0)
    keep = t >= t_burn - 1e-9
    return float(r[keep].mean())
