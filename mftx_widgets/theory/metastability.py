"""Collapse, metastability and the pairing phase (docs/theory.md §8 and 10).

* Regular k-gons of point clusters on the circle are unstable equilibria; their most unstable rate is
  lambda_max(k, beta) = max_{1 <= m < k} lambda_m^(k) (lattice formula of section 5 with n = k), exponentially small
  in beta for SA, so multi-cluster configurations are metastable.
* From k separated groups the energy E_beta(t) is a staircase on a log-time axis: plateaus at saddles, rises at merges.
* Pairing phase (beta -> infinity): with time rescaled by dt = e^{beta (1 - <x_i, x_j>)} ds for the closest pair,
  only that pair moves; the hardmax limit moves each token towards its nearest other token.

Notes: [GKPR] arXiv 2410.06833; [BPA] arXiv 2410.23228; [R] arXiv 2512.01868.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import solve_ivp

from ..dynamics import Frames, observables
from ..dynamics import _validate as v
from ..dynamics.initial import from_angles
from ..dynamics.integrate import Simulation
from ..dynamics.models import Attention
from ..errors import ParameterError, SimulationError
from ..params import PARAMS
from . import circle

OMEGA = 0.5671432904097838  # W(1): below it the square's m = 1 mode beats m = 2 (see polygon_rate_closed_form)


def _kb(k, beta, kind, kmin: int = 2):
    k = v.integer("k", k, low=kmin)
    kind = PARAMS["kind"].check(kind)
    return k, v.beta(beta, kind), kind


def polygon_rates(k: int, beta: float, kind: str = "SA") -> np.ndarray:
    """Rates lambda_m^(k) (k - 1,) of the displacement modes m = 1..k-1 of the regular k-gon (section 5, n = k)."""
    k, beta, kind = _kb(k, beta, kind)
    return np.atleast_1d(circle.lattice_rate(k, np.arange(1, k), beta, kind))


def polygon_rate(k: int, beta: float, kind: str = "SA") -> float:
    """lambda_max(k, beta) = max_{1 <= m < k} lambda_m^(k): most unstable rate of the regular k-gon (section 8)."""
    return float(polygon_rates(k, beta, kind).max())


def polygon_rate_closed_form(k: int, beta: float, kind: str = "SA") -> float:
    """Closed forms of lambda_max (docs/theory.md §8) for k = 2 (antipodal), 3 (triangle), 4 (square).

    k = 2: SA 2 / (e^{2 beta} + 1), USA e^{-beta}.
    k = 3: SA e^{-beta/2}(3/2 + 9 beta/4) / (e^beta + 2 e^{-beta/2}), USA e^{-beta/2}(1/2 + 3 beta/4).
    k = 4: SA beta / cosh^2(beta/2), USA beta -- the m = 2 mode, which dominates for beta >= W(1) = 0.567143;
           below that the m = 1 mode wins: SA (beta + e^{-beta}) / (2 cosh^2(beta/2)), USA (beta + e^{-beta}) / 2.
           The maximum of both branches is returned.
    """
    k, beta, kind = _kb(k, beta, kind)
    sa = kind == "SA"
    if k == 2:
        return 2.0 / (math.exp(2.0 * beta) + 1.0) if sa else math.exp(-beta)
    if k == 3:
        e = math.exp(-beta / 2.0)
        if sa:
            return (1.5 + 2.25 * beta) / (math.exp(1.5 * beta) + 2.0)   # divided through by e^{-beta/2}
        return e * (0.5 + 0.75 * beta)
    if k == 4:
        top = max(beta, 0.5 * (beta + math.exp(-beta)))
        return top / math.cosh(beta / 2.0) ** 2 if sa else top
    raise ParameterError(f"k must be 2, 3 or 4 for a closed form, got {k}")


def _top_tangent_eigenvalue(jac: np.ndarray) -> float:
    """Largest real part of the Jacobian restricted to the complement of the rotation mode (1, ..., 1)."""
    k = jac.shape[0]
    basis = np.linalg.qr(np.column_stack([np.ones(k), np.eye(k)[:, : k - 1]]))[0][:, 1:]
    return float(np.linalg.eigvals(basis.T @ jac @ basis).real.max())


def phase_jacobian(theta, beta: float, kind: str = "SA", h: float | None = None) -> np.ndarray:
    """Numerical Jacobian (n, n) of mw.circle.phase_velocity at theta (n,), 5-point central differences.

    h defaults to 1e-3 / max(1, sqrt(beta)) (truncation O(h^4 beta^4), round-off O(eps / h)).
    """
    th = v.array("theta", theta, ndim=1, min_size=1)
    kind = PARAMS["kind"].check(kind)
    beta = v.beta(beta, kind)
    h = 1e-3 / max(1.0, math.sqrt(beta)) if h is None else v.real("h", h, low=0.0, low_open=True)
    n = th.size
    jac = np.empty((n, n))
    for col in range(n):
        e = np.zeros(n)
        e[col] = h
        f = [circle.phase_velocity(th + s * e, beta, kind) for s in (2.0, 1.0, -1.0, -2.0)]
        jac[:, col] = (-f[0] + 8.0 * f[1] - 8.0 * f[2] + f[3]) / (12.0 * h)
    return jac


def jacobian_top_eigenvalue(k: int, beta: float, kind: str = "SA", h: float | None = None) -> float:
    """Top eigenvalue of the numerically differentiated theta-Jacobian at the regular k-gon (rotation mode removed).

    Independent check of polygon_rate (docs/theory.md F14).
    """
    k, beta, kind = _kb(k, beta, kind)
    theta = 2.0 * np.pi * np.arange(k) / k
    return _top_tangent_eigenvalue(phase_jacobian(theta, beta, kind, h))


def exit_time_estimate(delta: float, k: int, beta: float, kind: str = "SA", c: float = 1.0) -> float:
    """t_exit ~ (log(1/delta) - c) / lambda_max(k, beta): time for a delta-perturbed k-gon to leave (section 8)."""
    delta = v.real("delta", delta, low=0.0, high=1.0, low_open=True, high_open=True)
    c = v.real("c", c)
    return (math.log(1.0 / delta) - c) / polygon_rate(k, beta, kind)


def gaps(theta) -> np.ndarray:
    """Angular gaps (n,) between circularly consecutive angles (sorted), summing to 2 pi."""
    th = np.sort(np.mod(v.array("theta", theta, ndim=1, min_size=1), 2.0 * np.pi))
    return np.diff(np.append(th, th[0] + 2.0 * np.pi))


def polygon_exit_time(delta: float, k: int, beta: float, kind: str = "SA", mode: int | None = None,
                      seed: int | None = 0, t_max: float | None = None) -> float:
    """Measured exit time of a delta-perturbed regular k-gon: first t with some gap < pi / k (half the rest gap).

    The start is theta_j = 2 pi j / k + delta u_j with u_j = cos(2 pi j mode / k) (mode given) or iid U(-1, 1)
    from seed (mean removed); the phase ODE is integrated with scipy's DOP853 (rtol 1e-10) and an event.
    Returns inf if the polygon has not left by t_max (default 20 x exit_time_estimate).
    """
    delta = v.real("delta", delta, low=0.0, high=1.0, low_open=True, high_open=True)
    k, beta, kind = _kb(k, beta, kind)
    j = np.arange(k)
    if mode is not None:
        u = np.cos(2.0 * np.pi * j * v.integer("mode", mode, low=1, high=k - 1) / k)
    else:
        u = np.random.default_rng(v.seed(seed)).uniform(-1.0, 1.0, k)
        u -= u.mean()
    theta0 = 2.0 * np.pi * j / k + delta * u
    if t_max is None:
        t_max = 20.0 * max(exit_time_estimate(delta, k, beta, kind), 1.0)

    def event(t, th):
        return gaps(th).min() - np.pi / k

    event.terminal = True
    event.direction = -1
    sol = solve_ivp(lambda t, th: circle.phase_velocity(th, beta, kind), (0.0, t_max), theta0, method="DOP853",
                    rtol=1e-10, atol=1e-13, events=event)
    return float(sol.t_events[0][0]) if sol.t_events[0].size else math.inf


# ---- metastable runs: energy staircase ---------------------------------------------------------------------------

def cluster_start(centers, per_cluster: int = 1, spread: float = 0.0, seed: int | None = 0) -> np.ndarray:
    """Angles (k * per_cluster,) of groups around the given centre angles (k,), iid N(0, spread^2) offsets."""
    c = v.array("centers", centers, ndim=1, min_size=1)
    per_cluster = v.integer("per_cluster", per_cluster, low=1)
    spread = v.real("spread", spread, low=0.0)
    off = spread * np.random.default_rng(v.seed(seed)).standard_normal((c.size, per_cluster))
    return (c[:, None] + off).ravel()


def metastable_run(theta0, beta: float, t_max: float, t_min: float = 1e-2, num: int = 60,
                   kind: str = "SA") -> Frames:
    """Phase-ODE run on the circle (d = 2) saved at t = 0 and num log-spaced times in [t_min, t_max].

    Adaptive DOP853 (rtol 1e-10) on dtheta/dt of section 4, so plateaus that last 1e4 time units cost little.
    Returns Frames (x: (num + 1, n, 2) unit vectors; params beta, kind, method "phase-DOP853").
    """
    th0 = v.array("theta0", theta0, ndim=1, min_size=1)
    kind = PARAMS["kind"].check(kind)
    beta = v.beta(beta, kind)
    t_max = v.real("t_max", t_max, low=0.0, low_open=True)
    t_min = v.real("t_min", t_min, low=0.0, high=t_max, low_open=True)
    num = v.integer("num", num, low=1)
    ts = np.concatenate([[0.0], np.geomspace(t_min, t_max, num)])
    sol = solve_ivp(lambda t, th: circle.phase_velocity(th, beta, kind), (0.0, t_max), th0, method="DOP853",
                    rtol=1e-10, atol=1e-12, t_eval=ts)
    if not sol.success:
        raise SimulationError(f"phase ODE failed: {sol.message}")
    x = np.stack([from_angles(th) for th in sol.y.T])
    return Frames(t=sol.t, x=x, title="phase ODE", params={"beta": beta, "kind": kind, "method": "phase-DOP853"})


def staircase(traj, beta: float | None = None, tol: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Energy and cluster-count time series of a run, for a log-time plot.

    traj : Frames (e.g. a Trajectory or metastable_run; beta defaults to traj.params["beta"]) or a pair
    (t (T,), x (T, n, d)) with beta given.
    Returns t (T,), energy E_beta (T,) (observables.energy; beta <= config.MAX_EXP_ARG), count (T,) int
    (observables.cluster_count with tol, default config.CLUSTER_TOL).
    """
    if isinstance(traj, Frames):
        t, x = traj.t, traj.x
        if beta is None:
            beta = traj.params.get("beta", getattr(getattr(traj, "model", None), "beta", None))
        if beta is None:
            raise ParameterError("beta must be given: the frames carry no params['beta']")
    else:
        try:
            t, x = traj
        except (TypeError, ValueError):
            raise ParameterError("traj must be Frames (a Trajectory) or a pair (t, x) with x of shape (T, n, d)"
                                 ) from None
        t, x = np.asarray(t, dtype=float), np.asarray(x, dtype=float)
        if x.ndim != 3 or t.shape != (x.shape[0],):
            raise ParameterError(f"traj must be (t (T,), x (T, n, d)), got shapes {t.shape} and {x.shape}")
        if beta is None:
            raise ParameterError("beta must be given for a (t, x) pair")
    kw = {} if tol is None else {"tol": tol}
    energy = np.array([observables.energy(xi, beta) for xi in x])
    count = np.array([observables.cluster_count(xi, **kw) for xi in x], dtype=int)
    return np.asarray(t, dtype=float), energy, count


def plateaus(t, energy, count) -> list[dict]:
    """Maximal stretches of constant cluster count in a staircase: a list of dicts with keys
    count, t_start, t_end (first and last sample times), energy_min, energy_max (over the stretch)."""
    t, energy, count = (v.array(k, a, finite=k != "energy") for k, a in (("t", t), ("energy", energy),
                                                                        ("count", count)))
    if not (t.ndim == energy.ndim == count.ndim == 1 and t.size == energy.size == count.size and t.size > 0):
        raise ParameterError("t, energy, count must be 1-D arrays of the same nonzero length")
    edges = np.flatnonzero(np.diff(count) != 0) + 1
    out = []
    for lo, hi in zip(np.r_[0, edges], np.r_[edges, t.size]):
        out.append({"count": int(count[lo]), "t_start": float(t[lo]), "t_end": float(t[hi - 1]),
                    "energy_min": float(energy[lo:hi].min()), "energy_max": float(energy[lo:hi].max())})
    return out


# ---- pairing phase ----------------------------------------------------------------------------------------------

def _unit_rows(x, name: str = "x") -> np.ndarray:
    return v.points(name, x, unit=True, dtype_name="float64")


def closest_pair(x, tol: float = 1e-9) -> tuple[int, int, float]:
    """(i, j, cosine) of the closest pair of distinct points (1 - <x_i, x_j> > tol; tokens inside a point cluster
    are skipped). Raises ValueError if all tokens coincide."""
    u = _unit_rows(x)
    tol = v.real("tol", tol, low=0.0)
    g = u @ u.T
    g[1.0 - g <= tol] = -np.inf
    i, j = np.unravel_index(int(np.argmax(g)), g.shape)
    if not np.isfinite(g[i, j]):
        raise ParameterError("x must contain at least two distinct points")
    return int(min(i, j)), int(max(i, j)), float(g[i, j])


def pairing_time_rescale(x, beta: float, tol: float = 1e-9) -> float:
    """dt/ds = e^{beta (1 - <x_i, x_j>)} for the closest pair of distinct points (section 10, pairing phase)."""
    beta = v.real("beta", beta, low=0.0)
    _, _, c = closest_pair(x, tol)
    return float(math.exp(beta * (1.0 - c)))


def hardmax_velocity(x, tol: float = 1e-9) -> np.ndarray:
    """Hardmax limit (n, d): each token moves towards its nearest other point, v_i = P_{x_i} x_{j(i)}.

    Points within tol of x_i (1 - <x_i, x_j> <= tol, e.g. tokens of the same point cluster) are skipped; ties are
    averaged (the beta -> infinity limit of the softmax over equidistant points). A token with no other point: 0.
    """
    u = _unit_rows(x)
    tol = v.real("tol", tol, low=0.0)
    g = u @ u.T
    g[1.0 - g <= tol] = -np.inf
    best = g.max(axis=1, keepdims=True)
    w = (np.isfinite(best) & (g >= best - 1e-12)).astype(float)
    cnt = w.sum(axis=1, keepdims=True)
    target = (w @ u) / np.maximum(cnt, 1.0)
    return target - np.sum(target * u, axis=1, keepdims=True) * u


def pairing_run(cluster_gaps: tuple[float, float] = (0.5, 1.0), beta: float = 40.0, per_cluster: int = 1,
                dt: float = 1e-2, merge_tol: float = 1e-3, t_max: float = 1e3) -> dict:
    """Three point clusters on the circle at angles 0, g1, g1 + g2 (unequal gaps), SA particles (d = 2, RK4).

    Runs mw.Simulation until the closest pair's angular gap is <= merge_tol (the merge) and reports
    t_merge, the pair (cluster indices), and the angular displacements of the pair's and the third cluster's
    tokens up to the merge (docs/theory.md F18). Raises RuntimeError if no merge happens before t_max.
    """
    g1, g2 = (v.real(f"cluster_gaps[{i}]", g, low=0.0, low_open=True) for i, g in enumerate(cluster_gaps))
    if g1 + g2 >= 2.0 * np.pi:
        raise ParameterError(f"cluster_gaps must sum to less than 2 pi, got {g1 + g2}")
    beta = v.real("beta", beta, low=0.0)
    per_cluster = v.integer("per_cluster", per_cluster, low=1)
    merge_tol = v.real("merge_tol", merge_tol, low=0.0, low_open=True)
    centers = np.array([0.0, g1, g1 + g2])
    theta0 = np.repeat(centers, per_cluster)
    labels = np.repeat(np.arange(3), per_cluster)
    rest = np.array([g1, g2, 2.0 * np.pi - g1 - g2])      # gap c -> c+1 (mod 3)
    a = int(np.argmin(rest))
    pair, third = (a, (a + 1) % 3), (a + 2) % 3
    sim = Simulation(Attention(beta=beta, kind="SA"), from_angles(theta0), dt=dt)
    first = [int(np.flatnonzero(labels == c)[0]) for c in range(3)]
    ts, ths = [0.0], [theta0.copy()]
    while True:
        sim.step(1)
        prev = ths[-1]
        th = prev + np.remainder(circle.angles(sim.x) - prev + np.pi, 2.0 * np.pi) - np.pi   # unwrapped
        ts.append(sim.t)
        ths.append(th)
        gap = abs(th[first[pair[0]]] - th[first[pair[1]]])
        gap = min(gap, 2.0 * np.pi - gap)
        if gap <= merge_tol:
            break
        if sim.t >= t_max:
            raise SimulationError(f"no merge before t_max = {t_max:g}")
    ths = np.asarray(ths)
    disp = np.abs(ths[-1] - ths[0])
    return {
        "t_merge": float(sim.t), "pair": pair, "third": third,
        "pair_displacement": float(min(disp[labels == pair[0]].min(), disp[labels == pair[1]].min())),
        "third_displacement": float(disp[labels == third].max()),
        "t": np.asarray(ts), "theta": ths, "labels": labels,
    }
