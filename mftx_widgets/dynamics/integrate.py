"""Simulation (a resumable solver: a stepper of steppers.py, then retraction to the sphere) and simulate()."""

from __future__ import annotations

import numpy as np

from ..config import DEFAULT_DT, MAX_EXP_ARG
from ..errors import SimulationError
from ..params import PARAMS
from . import _validate as v
from .field import _velocity, check_state
from .models import Attention
from .results import Trajectory
from .steppers import STEPPERS, EulerMaruyama

#: a state on the sphere counts as healthy while every | |x_i|^2 - 1 | stays below this (else: SimulationError).
HEALTHY_NORM_TOL = 1e-3


def _fix_advice(model: Attention, dt: float) -> str:
    rate = 2.0 * np.exp(min(model.beta, MAX_EXP_ARG["float64"])) if model.kind == "USA" else 2.0
    usa = ", or use kind='SA'" if model.kind == "USA" else ""
    return (f"the state became non-finite with dt = {dt:g}: lower dt (the fastest rate here is about "
            f"{rate:.3g}, so dt below {2.0 / rate:.3g} is needed{usa})")


class Simulation:
    """A resumable solver: step(k) advances k steps of size dt; state in .x (n, d), time in .t.

    Parameters
    ----------
    model : Attention
    x0 : (n, d) array
        Initial tokens (unit rows for Post-LN / nGPT; residual stream z for Pre-, Peri-, Mix-LN).
    dt : float > 0
        Time step.
    method : "rk4" | "euler" | "em" (alias "euler-maruyama") or None
        None picks RK4, or Euler-Maruyama when model.noise > 0 (the only stochastic scheme).
        The name maps to a stepper class through steppers.STEPPERS; the instance is .stepper.
    seed : int or None
        Seed of the Brownian increments.
    """

    def __init__(self, model: Attention, x0, dt: float = DEFAULT_DT, method: str | None = None,
                 seed: int | None = 0, t0: float = 0.0) -> None:
        if not isinstance(model, Attention):
            raise ValueError(f"model must be an mftx_widgets.Attention, got {type(model).__name__}")
        self.model = model
        self.dt = v.real("dt", dt, low=0.0, low_open=True)
        if method is None:
            method = "em" if model.noise > 0 else "rk4"
        self.method = PARAMS["method"].check(method)
        if model.noise > 0 and self.method != "em":
            raise ValueError(f"method must be 'em' (Euler-Maruyama) when noise > 0, got {method!r}")
        if seed is not None:
            seed = v.integer("seed", seed, low=0)
        self.seed = seed
        self.t0 = v.real("t0", t0)
        self._x0 = check_state(model, x0, "x0")
        self.reset()

    # -- state ---------------------------------------------------------------------------------
    def reset(self, x0=None) -> Simulation:
        """Back to t0 with x0 (or the original start); the noise stream restarts from the seed."""
        if x0 is not None:
            self._x0 = check_state(self.model, x0, "x0")
        self._x = self._x0.copy()
        self._x_prev = np.empty_like(self._x)          # the rollback copy of _guarded
        self.t = self.t0
        self.steps = 0
        self._t_base, self._steps_base = self.t0, 0     # t = _t_base + (steps - _steps_base) * dt
        self.rng = np.random.default_rng(self.seed)
        cls = STEPPERS[self.method]
        self.stepper = cls(self.rng) if cls is EulerMaruyama else cls()
        return self

    @property
    def x(self) -> np.ndarray:
        """Current state (n, d), a read-only view (copy it to keep it)."""
        view = self._x.view()
        view.flags.writeable = False
        return view

    @property
    def directions(self) -> np.ndarray:
        """Current token directions x / |x| (n, d)."""
        return self._x / np.linalg.norm(self._x, axis=1, keepdims=True)

    @property
    def n(self) -> int:
        return self._x.shape[0]

    @property
    def d(self) -> int:
        return self._x.shape[1]

    # -- stepping ------------------------------------------------------------------------------
    def _retract(self, x: np.ndarray, t: float) -> None:
        m = self.model
        if m.on_sphere or (m.norm == "mix" and t < m.mix_switch):
            x /= np.linalg.norm(x, axis=1, keepdims=True)

    def _one(self, dt: float) -> None:
        m = self.model
        if m.norm == "mix" and self.t < m.mix_switch < self.t + dt:
            # never let a step straddle the Post-LN -> Pre-LN switch (the field jumps there): split it
            h1 = m.mix_switch - self.t
            self._piece(h1, self.t)
            self._piece(dt - h1, m.mix_switch)      # its noise is tangent at the mid-step state
        else:
            self._piece(dt, self.t)

    def _piece(self, dt: float, t: float) -> None:
        m, x = self.model, self._x

        # the field is evaluated at the piece's start time t at every stage: the fields are autonomous except
        # Mix-LN, whose mode is constant on a piece (pieces never straddle the switch; a stage landing exactly
        # on the switch must still use Post-LN)
        def f(y, s, out):
            return _velocity(m, y, t, out)

        if m.noise > 0:
            self.stepper.step(f, x, t, dt, g=self._noise)
        else:
            self.stepper.step(f, x, t, dt)
        self._retract(x, t)

    def _noise(self, x0: np.ndarray, t: float, dt: float, xi: np.ndarray) -> np.ndarray:
        # tangent Brownian increment sqrt(2 noise dt) P_x xi; projection + retraction gives Brownian motion on
        # the sphere (Ito drift -(d-1) noise x appears from the renormalisation).
        r = np.linalg.norm(x0, axis=1, keepdims=True)
        u = x0 / r
        xi -= np.sum(xi * u, axis=1, keepdims=True) * u
        return np.sqrt(2.0 * self.model.noise * dt) * r * xi

    def _healthy(self) -> bool:
        x = self._x
        if not np.all(np.isfinite(x)):
            return False
        r = np.einsum("ij,ij->i", x, x)
        if self.model.on_sphere:
            return bool(np.max(np.abs(r - 1.0)) < HEALTHY_NORM_TOL)
        return bool(r.min() > 0.0)

    def _guarded(self, dt: float) -> None:
        """One step; on a non-finite or degenerate state restore the previous state and raise SimulationError."""
        np.copyto(self._x_prev, self._x)
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                self._one(dt)
            ok = self._healthy()
        except (ZeroDivisionError, FloatingPointError, OverflowError):
            ok = False
        if not ok:
            self._x[...] = self._x_prev
            raise SimulationError(f"at t = {self.t:g}: " + _fix_advice(self.model, self.dt))

    def step(self, k: int = 1) -> Simulation:
        """Advance k steps of size dt. Raises SimulationError (state kept at the last finite step) on blow-up."""
        k = v.integer("k", k, low=0)
        for _ in range(k):
            self._guarded(self.dt)
            self.steps += 1
            self.t = self._t_base + (self.steps - self._steps_base) * self.dt
        return self

    def advance_to(self, t: float) -> Simulation:
        """Step until t (the last step is shortened to land exactly on t)."""
        t = v.real("t", t, low=self.t)
        while t - self.t > 1e-12 * max(1.0, abs(t)):
            if t - self.t < self.dt * (1 + 1e-9):
                self._guarded(t - self.t)
                self.t = t
                self._t_base, self._steps_base = t, self.steps
                break
            self.step(1)
        return self

    def run(self, steps: int, save_every: int = 1):
        """Generator: advance `steps` steps, yielding self after every save_every steps (and after the last)."""
        steps = v.integer("steps", steps, low=0)
        save_every = v.integer("save_every", save_every, low=1)
        done = 0
        while done < steps:
            k = min(save_every, steps - done)
            self.step(k)
            done += k
            yield self

    def code(self) -> str:
        """Python that recreates this simulation's model and settings (x0 must be supplied)."""
        return (f"sim = mw.Simulation({self.model.code()}, x0, dt={self.dt!r}, method={self.method!r}, "
                f"seed={self.seed!r})")


def simulate(model: Attention, x0, t_max: float, dt: float = DEFAULT_DT, save_every: int = 1,
             method: str | None = None, seed: int | None = 0) -> Trajectory:
    """Integrate from t = 0 to t_max, saving every save_every steps (and at t_max).

    Returns a Trajectory with t (T,) and x (T, n, d). Raises SimulationError if the state blows up
    (the message says how to choose dt).
    """
    t_max = v.real("t_max", t_max, low=0.0)
    save_every = v.integer("save_every", save_every, low=1)
    sim = Simulation(model, x0, dt=dt, method=method, seed=seed)
    n_full = int(np.floor(t_max / sim.dt + 1e-9))
    ts = [0.0]
    xs = [sim.x.copy()]
    for s in sim.run(n_full, save_every):
        ts.append(s.t)
        xs.append(s.x.copy())
    if t_max - sim.t > 1e-12 * max(1.0, t_max):
        sim.advance_to(t_max)
        ts.append(sim.t)
        xs.append(sim.x.copy())
    return Trajectory(t=np.asarray(ts), x=np.stack(xs), model=model, dt=sim.dt, method=sim.method, seed=seed)
