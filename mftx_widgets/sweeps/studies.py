"""Studies built on sweep: the (t, beta) phase diagram of docs/theory.md §10 ([R], figure from [GLPR]) with its
equiangular prediction (section 6), cluster count vs beta (section 5) and collapse time vs n (section 7)."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..config import MAX_EXP_ARG
from ..dynamics import _validate as v
from ..dynamics import initial as _initial
from ..dynamics import observables as _obs
from ..dynamics.integrate import Simulation
from ..dynamics.models import Attention
from ..dynamics.results import read_only
from ..errors import ParameterError
from ..params import PARAMS
from ..theory import longcontext
from .executors import sweep
from .results import SweepResult
from .spec import RunSpec

__all__ = ["PhaseDiagram", "phase_diagram", "equiangular_boundary", "cluster_count_vs_beta", "collapse_time_vs_n",
           "THRESHOLD"]

#: default collapse criterion of the phase diagram: every pairwise cosine >= THRESHOLD.
THRESHOLD = 0.999


# ---------------------------------------------------------------------------------------------- theory
def equiangular_boundary(betas, n: int, threshold: float = THRESHOLD, rho0: float = 0.0,
                         kind: str = "SA") -> np.ndarray:
    """Time at which the equiangular ODE (docs/theory.md §6, mw.equiangular.solve) reaches rho = threshold.

    The ODE drho/dt = 2 b (1 - rho)(1 + (n - 1) rho) is autonomous, so the time is the quadrature
    t* = int_{rho0}^{threshold} drho / rhs(rho), computed by mw.longcontext.time_to_reach at
    gamma = beta / log n. Returns (B,) times (0 where rho0 >= threshold).
    """
    n = v.integer("n", n, low=2)
    threshold = v.real("threshold", threshold, low=-1.0 / (n - 1), high=1.0, low_open=True, high_open=True)
    rho0 = v.real("rho0", rho0, low=-1.0 / (n - 1), high=1.0, low_open=True, high_open=True)
    kind = PARAMS["kind"].check(kind)
    b = np.atleast_1d(np.asarray(betas, dtype=float))
    beta_max = MAX_EXP_ARG["float64"]
    if b.ndim != 1 or not np.all(np.isfinite(b)) or np.any(b < 0) or np.any(b > beta_max):
        raise ParameterError(f"betas must be a 1-D sequence of finite values in [0, {beta_max:g}]")
    out = np.zeros(b.size)
    if threshold <= rho0:
        return out
    log_n = math.log(n)
    for i, beta in enumerate(b):
        gamma = beta / log_n
        if gamma * log_n > beta:  # stay <= beta (and <= MAX_EXP_ARG) after the round trip
            gamma = math.nextafter(gamma, 0.0)
        out[i] = longcontext.time_to_reach(threshold, gamma, n, rho0, kind)
    return out


# ---------------------------------------------------------------------------------------------- phase diagram
@dataclass(frozen=True, eq=False)
class PhaseDiagram:
    """Probability (T, B) that all pairwise cosines are >= threshold at each (t, beta), from sweep.

    Over the finished runs only (a failed run, status "failed", is left out; NaN where every run failed).

    sweep["min_cosine"] has shape (B, S, T) (beta, seed, t); sweep.params["threshold"] is the threshold.
    Immutable (read-only arrays).
    """

    beta: np.ndarray
    t: np.ndarray
    probability: np.ndarray
    threshold: float
    n: int
    d: int
    sweep: SweepResult = field(repr=False)

    def __post_init__(self) -> None:
        for name in ("beta", "t", "probability"):
            object.__setattr__(self, name, read_only(getattr(self, name), float))

    @classmethod
    def from_sweep(cls, result: SweepResult, threshold: float | None = None) -> PhaseDiagram:
        """Rebuild from a (loaded) sweep over beta of a RunSpec with the "min_cosine" observable.

        threshold: None reads the sweep's params["threshold"] (default THRESHOLD); the diagram's sweep records
        the threshold used (a new SweepResult if it differs).
        """
        if list(result.axes) != ["beta"] or "min_cosine" not in result.data or result.t is None:
            raise ParameterError("result must be a RunSpec sweep over the single axis 'beta' recording 'min_cosine'")
        if threshold is None:
            threshold = result.params.get("threshold", THRESHOLD)
        threshold = v.real("threshold", threshold, low=-1.0, high=1.0)
        if result.params.get("threshold") != threshold:
            result = result.with_params(threshold=threshold)
        ok = result.ok[..., None]                                   # failed runs (NaN) are left out
        with np.errstate(invalid="ignore"):                         # a beta whose every run failed: NaN
            prob = (((result["min_cosine"] >= threshold) & ok).sum(axis=1) / ok.sum(axis=1)).T  # (T, B)
        return cls(beta=result.axes["beta"], t=result.t, probability=prob, threshold=threshold,
                   n=int(result.params["n"]), d=int(result.params["d"]), sweep=result)

    def crossing_times(self, level: float = 0.5) -> np.ndarray:
        """(B,) first time the probability reaches level (linear interpolation in t); NaN if it never does."""
        level = v.real("level", level, low=0.0, high=1.0, low_open=True)
        out = np.full(self.beta.size, np.nan)
        for j in range(self.beta.size):
            p = self.probability[:, j]
            hit = np.flatnonzero(p >= level)
            if hit.size == 0:
                continue
            i = hit[0]
            if i == 0 or p[i] == p[i - 1]:
                out[j] = self.t[i]
            else:
                out[j] = self.t[i - 1] + (level - p[i - 1]) * (self.t[i] - self.t[i - 1]) / (p[i] - p[i - 1])
        return out

    def theory(self, betas=None, rho0: float = 0.0) -> np.ndarray:
        """Equiangular prediction (B,) of the boundary at the diagram's betas (or the given ones)."""
        return equiangular_boundary(self.beta if betas is None else betas, self.n, self.threshold, rho0=rho0)

    def save(self, path) -> None:
        """Save the underlying sweep (threshold recorded); reload with PhaseDiagram.load."""
        self.sweep.save(path)

    @classmethod
    def load(cls, path, threshold: float | None = None) -> PhaseDiagram:
        return cls.from_sweep(SweepResult.load(path), threshold)


def phase_diagram(betas, times, n: int = 32, d: int = 1024, seeds: int | Sequence[int] = 16,
                  threshold: float = THRESHOLD, dt: float = 0.1, kind: str = "SA", common_seeds: bool = True,
                  executor=None, batch_size: int | None = None, progress: bool = True) -> PhaseDiagram:
    """The (t, beta) phase diagram of docs/theory.md §10: n iid uniform tokens on S^{d-1}, P(min cosine >= threshold).

    betas (B,), times (T,) multiples of dt. common_seeds: every beta starts from the same S token sets
    (smoother diagram). Returns a PhaseDiagram (probability (T, B); .theory() is the equiangular prediction).
    """
    threshold = v.real("threshold", threshold, low=-1.0, high=1.0)
    spec = RunSpec(t=tuple(np.asarray(times, dtype=float)), n=n, d=d, kind=kind, dt=dt, initial="uniform")
    res = sweep(spec, {"beta": betas}, seeds, ["min_cosine"], executor=executor, batch_size=batch_size,
                progress=progress, seed_axes=() if common_seeds else None)
    return PhaseDiagram.from_sweep(res, threshold)


# ---------------------------------------------------------------------------------------------- small studies
def cluster_count_vs_beta(betas, n: int = 400, d: int = 2, t: float = 20.0, seeds: int | Sequence[int] = 4,
                          delta: float = 1e-3, dt: float = 0.05, kind: str = "SA", executor=None,
                          batch_size: int | None = None, progress: bool = True) -> SweepResult:
    """Cluster count at time t vs beta from near-uniform starts (docs/theory.md §5, F11).

    d = 2: lattice plus iid angle noise of size delta ("circle" start); d > 2: iid uniform tokens.
    Returns a SweepResult with data "cluster_count" (B, S, 1); compare with mw.circle's dominant mode k*(beta).
    """
    spec = RunSpec(t=(float(t),), n=n, d=d, kind=kind, dt=dt, delta=delta, initial="circle" if d == 2 else "uniform")
    return sweep(spec, {"beta": betas}, seeds, ["cluster_count"], executor=executor, batch_size=batch_size,
                 progress=progress)


def _collapse_time(point: dict, seed: np.random.SeedSequence, *, d: int, threshold: float, t_max: float,
                   dt: float, kind: str) -> dict:
    """First time (on the dt grid) at which min cosine >= threshold, iid uniform start; inf if not by t_max."""
    n = int(point["n"])
    model = Attention(beta=longcontext.beta_n(point["gamma"], n), kind=kind)
    sim = Simulation(model, _initial.uniform(n, d, seed=seed), dt=dt)
    rho0 = _obs.mean_cosine(sim.x)
    while _obs.min_cosine(sim.x) < threshold:
        if sim.t >= t_max - 1e-12:
            return {"collapse_time": np.inf, "rho0": rho0}
        sim.step(1)
    return {"collapse_time": sim.t, "rho0": rho0}


def collapse_time_vs_n(ns, gammas, d: int = 64, seeds: int | Sequence[int] = 4, threshold: float = 0.99,
                       t_max: float = 50.0, dt: float = 0.1, kind: str = "SA", executor=None,
                       batch_size: int | None = None, progress: bool = True) -> SweepResult:
    """Collapse time vs n under beta = gamma log n (docs/theory.md §7), iid uniform tokens on S^{d-1}.

    Returns a SweepResult over (n, gamma) with data "collapse_time" (first time all pairwise cosines are
    >= threshold; inf if not by t_max) and "rho0" (initial mean cosine), each (N, G, S). The equiangular
    prediction is equiangular_boundary([gamma log n], n, threshold, rho0).
    """
    threshold = v.real("threshold", threshold, low=-1.0, high=1.0, high_open=True)
    t_max = v.real("t_max", t_max, low=0.0, low_open=True)
    dt = PARAMS["dt"].check(dt)
    d = PARAMS["d"].check(d)
    kind = PARAMS["kind"].check(kind)
    ns_arr = np.atleast_1d(np.asarray(ns))
    if ns_arr.dtype.kind not in "iu" or np.any(ns_arr < 2):
        raise ParameterError(f"ns must be integers >= 2, got {ns!r}")
    g_arr = np.atleast_1d(np.asarray(gammas, dtype=float))
    if np.any(~np.isfinite(g_arr)) or np.any(g_arr < 0):
        raise ParameterError(f"gammas must be finite and >= 0, got {gammas!r}")
    fn = functools.partial(_collapse_time, d=d, threshold=threshold, t_max=t_max, dt=dt, kind=kind)
    res = sweep(fn, {"n": ns_arr, "gamma": g_arr}, seeds, None, executor=executor, batch_size=batch_size,
                progress=progress)
    return res.with_params(function="collapse_time", d=d, threshold=threshold, t_max=t_max, dt=dt, kind=kind)
