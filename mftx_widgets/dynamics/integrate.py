"""Simulation: a resumable solver (a stepper of steppers.py, error control from adaptive.py or a self-check of its
fixed steps, then retraction to the sphere). simulate() is in run.py. How the solver decides it is right:
docs/solver.md."""

from __future__ import annotations

import numpy as np

from ..config import DEFAULT_DT, MAX_EXP_ARG
from ..errors import ParameterError, SimulationError
from ..params import PARAMS
from . import _validate as v
from .adaptive import DEFAULT_ATOL, DEFAULT_RTOL, MAX_STEPS, WATCH_ATOL, WATCH_EVERY, WATCH_RTOL, Controller, Stats
from .field import _velocity, check_state
from .models import Attention
from .monitor import StepWatch
from .steppers import ADAPTIVE, STEPPERS, EulerMaruyama

#: a state on the sphere counts as healthy while every | |x_i|^2 - 1 | stays below this (else: SimulationError).
HEALTHY_NORM_TOL = 1e-3
#: the values of Simulation.status.
STATUSES = ("running", "finished", "inaccurate", "failed")


def stiffness_rate(model: Attention) -> float:
    """The fastest decay rate of the linearised flow (1 / time): USA collapses onto a cluster at rate
    2 e^{beta |Q| |K|} |V| (docs/theory.md, collapse rates: 2 e^beta for Q = K = V = I); SA at 2 |V| (1 + beta |Q||K|)
    at most. Explicit steps are stable only for dt * rate below the stepper's `stability`."""
    nv = 1.0 if model.V is None else float(np.linalg.norm(model.V, 2))
    if model.kind == "USA":
        return 2.0 * float(np.exp(min(model.max_score, MAX_EXP_ARG["float64"]))) * nv
    return 2.0 * nv * (1.0 + model.max_score)


def _fix_advice(model: Attention, dt: float, stability: float) -> str:
    rate = stiffness_rate(model)
    usa = ", or use kind='SA'" if model.kind == "USA" else ""
    return (f"the state became non-finite with dt = {dt:g}: lower dt (the fastest rate here is about "
            f"{rate:.3g}, so dt below {stability / rate:.3g} is needed{usa})")


class Simulation:
    """A resumable solver: step(k) advances k quanta of dt; state in .x (n, d), time in .t.

    Parameters
    ----------
    model : Attention
    x0 : (n, d) array
        Initial tokens (unit rows for Post-LN / nGPT; residual stream z for Pre-, Peri-, Mix-LN).
    dt : float > 0
        The time quantum: the step of the fixed-step methods; for the adaptive ones the largest step and the grid
        the solver lands on exactly (t0 + k dt), so step(k) == k times step(1), bit for bit.
    method : "dopri5" | "bs3" | "rk4" | "euler" | "em" (alias "euler-maruyama") or None
        None picks "dopri5" (Dormand-Prince 5(4) with error control), or Euler-Maruyama when model.noise > 0 (the
        only stochastic scheme). The name maps to a stepper class through steppers.STEPPERS; the instance is
        .stepper. Fixed-step runs check themselves every adaptive.WATCH_EVERY steps (see status).
    seed : int or None
        Seed of the Brownian increments.
    rtol, atol : float > 0
        Tolerances of the adaptive methods (per step: RMS of err / (atol + rtol |x|) <= 1).
    max_steps : int >= 1
        Most steps (accepted + rejected; fixed steps) one call of step() or advance_to() may take.

    status : 'running' | 'finished' | 'inaccurate' | 'failed', with .message saying why (and what to change).
    stats : adaptive.Stats (nfev, accepted, rejected, max_error) since the start.
    """

    def __init__(self, model: Attention, x0, dt: float = DEFAULT_DT, method: str | None = None,
                 seed: int | None = 0, t0: float = 0.0, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL,
                 max_steps: int = MAX_STEPS) -> None:
        if not isinstance(model, Attention):
            raise ParameterError(f"model must be an mftx_widgets.Attention, got {type(model).__name__}")
        self.model = model
        self.dt = v.real("dt", dt, low=0.0, low_open=True)
        if method is None:
            method = "em" if model.noise > 0 else "dopri5"
        self.method = PARAMS["method"].check(method)
        if model.noise > 0 and self.method != "em":
            raise ParameterError(f"method must be 'em' (Euler-Maruyama) when noise > 0, got {method!r}")
        if seed is not None:
            seed = v.integer("seed", seed, low=0)
        self.seed = seed
        self.t0 = v.real("t0", t0)
        self.rtol = v.real("rtol", rtol, low=0.0, low_open=True)
        self.atol = v.real("atol", atol, low=0.0, low_open=True)
        self.max_steps = v.integer("max_steps", max_steps, low=1)
        self._x0 = check_state(model, x0, "x0")
        self.reset()

    @property
    def adaptive(self) -> bool:
        """True for the error-controlled methods (steppers.ADAPTIVE)."""
        return self.method in ADAPTIVE

    # -- state ---------------------------------------------------------------------------------
    def reset(self, x0=None) -> Simulation:
        """Back to t0 with x0 (or the original start); the noise stream restarts from the seed."""
        if x0 is not None:
            self._x0 = check_state(self.model, x0, "x0")
        self._x = self._x0.copy()
        self._x_prev = np.empty_like(self._x)          # the rollback copy of _guarded
        self.t = self.t0
        self.steps = 0
        self._t_base, self._steps_base = self.t0, 0     # grid: t = _t_base + (steps - _steps_base) * dt
        self.rng = np.random.default_rng(self.seed)
        cls = STEPPERS[self.method]
        self.stepper = cls(self.rng) if cls is EulerMaruyama else cls()
        self.stats = Stats()
        self.status, self.message = "running", ""
        self._ctl = Controller(self.stepper, self.rtol, self.atol) if self.adaptive else None
        self._mode: str | None = None                   # the field the controller's f(x) belongs to (Mix-LN)
        watch = self.model.noise == 0 and not self.adaptive
        self._watch = StepWatch(self.model, self.stepper.order, WATCH_RTOL, WATCH_ATOL) if watch else None
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

    def _fail(self, message: str) -> SimulationError:
        self.status, self.message = "failed", message
        return SimulationError(message)

    # -- fixed steps ---------------------------------------------------------------------------
    def _retract(self, x: np.ndarray, t: float) -> None:
        m = self.model
        if m.on_sphere or (m.norm == "mix" and t < m.mix_switch):
            x /= np.linalg.norm(x, axis=1, keepdims=True)

    def _one(self, x: np.ndarray, t: float, dt: float) -> None:
        m = self.model
        if m.norm == "mix" and t < m.mix_switch < t + dt:
            # never let a step straddle the Post-LN -> Pre-LN switch (the field jumps there): split it
            h1 = m.mix_switch - t
            self._piece(x, h1, t)
            self._piece(x, dt - h1, m.mix_switch)      # its noise is tangent at the mid-step state
        else:
            self._piece(x, dt, t)

    def _piece(self, x: np.ndarray, dt: float, t: float) -> None:
        m = self.model

        # the field is evaluated at the piece's start time t at every stage: the fields are autonomous except
        # Mix-LN, whose mode is constant on a piece (pieces never straddle the switch; a stage landing exactly
        # on the switch must still use Post-LN)
        def f(y, s, out):
            return _velocity(m, y, t, out)

        if m.noise > 0:
            self.stepper.step(f, x, t, dt, g=self._noise)
        else:
            self.stepper.step(f, x, t, dt)
        self.stats.nfev += self.stepper.stages
        self._retract(x, t)

    def _noise(self, x0: np.ndarray, t: float, dt: float, xi: np.ndarray) -> np.ndarray:
        # tangent Brownian increment sqrt(2 noise dt) P_x xi; projection + retraction gives Brownian motion on
        # the sphere (Ito drift -(d-1) noise x appears from the renormalisation).
        r = np.linalg.norm(x0, axis=1, keepdims=True)
        u = x0 / r
        xi -= np.sum(xi * u, axis=1, keepdims=True) * u
        return np.sqrt(2.0 * self.model.noise * dt) * r * xi

    def _healthy(self, x: np.ndarray) -> bool:
        if not np.all(np.isfinite(x)):
            return False
        r = np.einsum("ij,ij->i", x, x)
        if self.model.on_sphere:
            return bool(np.max(np.abs(r - 1.0)) < HEALTHY_NORM_TOL)
        return bool(r.min() > 0.0)

    def _guarded(self, dt: float) -> None:
        """One fixed step; on a non-finite or degenerate state restore the previous state and raise
        SimulationError; every WATCH_EVERY steps the step is checked (self.status 'inaccurate' if it fails)."""
        np.copyto(self._x_prev, self._x)
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                self._one(self._x, self.t, dt)
            ok = self._healthy(self._x)
        except (ZeroDivisionError, FloatingPointError, OverflowError):
            ok = False
        if not ok:
            self._x[...] = self._x_prev
            raise self._fail(f"at t = {self.t:g}: " + _fix_advice(self.model, self.dt, self.stepper.stability))
        self.stats.accepted += 1
        if self._watch is not None and (self.stats.accepted % WATCH_EVERY == 0):
            halves = self._x_prev.copy()
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                self._one(halves, self.t, dt / 2)
                self._one(halves, self.t + dt / 2, dt / 2)
            why = self._watch.check(self.t, dt, self._x_prev, self._x, halves)
            self.stats.error(self._watch.last_error)
            if why is not None and self.status in ("running", "inaccurate"):
                self.status, self.message = "inaccurate", why

    # -- error-controlled steps ----------------------------------------------------------------
    def _adaptive_to(self, t_end: float, attempts: int) -> str | None:
        """Error-controlled steps to t_end (never across the Mix-LN switch); None when reached, else why not."""
        m = self.model
        while self.t < t_end:
            mix = m.norm == "mix" and self.t < m.mix_switch
            seg_end = min(t_end, m.mix_switch) if mix else t_end
            mode = "post" if (m.on_sphere or mix) else "free"
            if mode != self._mode:
                self._ctl.invalidate()
                self._mode = mode
            t_mode = self.t

            def f(y, s, out, t_mode=t_mode):
                return _velocity(m, y, t_mode, out)

            def retract(x, on=mode == "post"):
                if on:
                    x /= np.linalg.norm(x, axis=1, keepdims=True)

            before = self.stats.accepted + self.stats.rejected
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                t, why = self._ctl.advance(f, self._x, self.t, seg_end, retract, attempts, self.stats)
            attempts -= self.stats.accepted + self.stats.rejected - before
            self.t = t
            if why is not None:
                return why
        return None

    def _adaptive_failure(self, why: str, t_end: float, max_steps: int) -> str:
        rate = stiffness_rate(self.model)
        hint = (f"; the fastest rate here is about {rate:.3g}, so an explicit step must stay below "
                f"{self.stepper.stability / rate:.3g}" + (" (use kind='SA', or a shorter time)"
                                                          if self.model.kind == "USA" else ""))
        if why == "budget":
            return (f"max_steps = {max_steps} steps did not reach t = {t_end:g} (stopped at t = {self.t:g}, last "
                    f"step {self._ctl.last_h:.3g}){hint}; raise max_steps or loosen rtol = {self.rtol:g}")
        if why == "nonfinite":
            return f"at t = {self.t:g} the velocity is not finite: the model is not defined at this state"
        return (f"at t = {self.t:g} the step size fell below the resolution of t: the error cannot be "
                f"controlled to rtol = {self.rtol:g}, atol = {self.atol:g}{hint}")

    # -- the public stepping -------------------------------------------------------------------
    def _grid(self, steps: int) -> float:
        return self._t_base + (steps - self._steps_base) * self.dt

    def step(self, k: int = 1, budget: int | None = None, max_steps: int | None = None) -> Simulation:
        """Advance k quanta of dt (landing on the grid t0 + j dt).

        budget (adaptive methods): stop, short of the target without error, after this many trial steps; the
        state is always an accepted one and the next call continues (self.steps counts the quanta completed).
        max_steps (default self.max_steps): steps of this call beyond which SimulationError is raised.
        Raises SimulationError (status 'failed', state kept at the last good step) on blow-up.
        """
        k = v.integer("k", k, low=0)
        limit = self.max_steps if max_steps is None else v.integer("max_steps", max_steps, low=1)
        if budget is not None:
            budget = v.integer("budget", budget, low=1)
        if not self.adaptive:
            if k > limit:
                raise ParameterError(f"k = {k} steps exceeds max_steps = {limit}; raise max_steps")
            for _ in range(k):
                self._guarded(self.dt)
                self.steps += 1
                self.t = self._grid(self.steps)
            return self
        left = limit if budget is None else min(limit, budget)
        for _ in range(k):
            target = self._grid(self.steps + 1)
            before = self.stats.accepted + self.stats.rejected
            why = self._adaptive_to(target, left)
            left -= self.stats.accepted + self.stats.rejected - before
            if why == "budget" and budget is not None and left <= 0 and budget <= limit:
                # the frame's budget ran out: an accepted state short of the target. Say so when the error
                # allows so small a step that a quantum of dt needs more than max_steps of them (stiff USA).
                h = self._ctl.h or np.inf
                if self.status == "running" and self.dt / h > self.max_steps:
                    self.message = (f"stiff: the error allows steps of {h:.3g} only (rate about "
                                    f"{stiffness_rate(self.model):.3g}), so one dt = {self.dt:g} takes "
                                    f"{self.dt / h:.3g} steps" + (": use kind='SA' or a smaller beta"
                                                                  if self.model.kind == "USA" else ""))
                return self
            if why is not None:
                raise self._fail(self._adaptive_failure(why, target, limit))
            self.steps += 1
            self.t = target
        return self

    def advance_to(self, t: float, max_steps: int | None = None) -> Simulation:
        """Step until t (through the grid points on the way; the last step lands exactly on t)."""
        t = v.real("t", t, low=self.t)
        limit = self.max_steps if max_steps is None else v.integer("max_steps", max_steps, low=1)
        need = (t - self.t) / self.dt
        if need > limit:
            raise ParameterError(f"advancing to t = {t:g} with dt = {self.dt:g} takes about {need:.3g} steps, "
                                 f"more than max_steps = {limit}; raise dt or max_steps")
        while t - self.t > 1e-12 * max(1.0, abs(t)):
            if t - self.t < self.dt * (1 + 1e-9):
                if self.adaptive:
                    why = self._adaptive_to(t, limit)
                    if why is not None:
                        raise self._fail(self._adaptive_failure(why, t, limit))
                else:
                    self._guarded(t - self.t)
                self.t = t
                self._t_base, self._steps_base = t, self.steps
                break
            self.step(1, max_steps=limit)
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
        tol = f", rtol={self.rtol!r}, atol={self.atol!r}" if self.adaptive and (
            self.rtol, self.atol) != (DEFAULT_RTOL, DEFAULT_ATOL) else ""
        return (f"sim = mw.Simulation({self.model.code()}, x0, dt={self.dt!r}, method={self.method!r}, "
                f"seed={self.seed!r}{tol})")
