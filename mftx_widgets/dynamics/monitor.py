"""The energy monitor: E_beta never decreases along the exact flow when the dynamics is its gradient flow, so a
decrease between two recorded states of a run means the step dt is too large (docs/theory.md, the energy)."""

from __future__ import annotations

import numpy as np

from ..config import ENERGY_RTOL, MAX_EXP_ARG
from . import observables
from .models import Attention


def energy_applies(model: Attention) -> bool:
    """True when E_beta must be non-decreasing: SA or USA with Q = K = V = I, Post-LN, no noise."""
    return model.identity and model.norm == "post" and model.noise == 0


class EnergyMonitor:
    """Feed it the states of one run in time order; it keeps the first violation of monotonicity as a message.

    active : the check applies (energy_applies and E_beta representable in float64); when inactive, energy()
    returns nan and nothing is checked. warning : None or the message of the first decrease (says: lower dt).
    decreases : how many recorded steps decreased E_beta by more than rtol (relative).
    """

    def __init__(self, model: Attention, dt: float, rtol: float = ENERGY_RTOL) -> None:
        self.model, self.dt, self.rtol = model, float(dt), float(rtol)
        self.active = energy_applies(model) and model.beta <= MAX_EXP_ARG["float64"]
        self.clear()

    def clear(self) -> None:
        """Forget the run (a new start)."""
        self.last: float | None = None
        self.warning: str | None = None
        self.decreases = 0

    def energy(self, t: float, x) -> float:
        """E_beta of the state x (n, d) at time t (nan if inactive), checked against the previous state."""
        if not self.active:
            return np.nan
        e = observables.energy(x, self.model.beta)
        if self.last is not None:
            drop = self.last - e
            if drop > self.rtol * abs(self.last) + 1e-300:
                self.decreases += 1
                if self.warning is None:
                    self.warning = (f"energy decreased at t = {t:.4g} (relative drop {drop / self.last:.2e}): "
                                    f"E_beta never decreases for this model, so the step dt = {self.dt:g} is too "
                                    f"large: lower dt")
        self.last = e
        return e

    def rewind(self, last: float | None) -> None:
        """Continue from an earlier state whose energy was `last` (time travel)."""
        self.last = last if self.active else None


class StepWatch:
    """The self-check of a fixed-step run (docs/solver.md): at every check, the normalised local error estimate
    of the step just taken (step doubling, Richardson) against (rtol, atol), and for the gradient flows the energy
    before and after that step and since the previous check. check() returns None or a message naming a dt.

    order: the stepper's order p; the error of the full step is (x_full - x_halves) 2^p / (2^p - 1).
    """

    def __init__(self, model: Attention, order: float, rtol: float, atol: float,
                 energy_rtol: float = ENERGY_RTOL) -> None:
        self.model, self.order, self.rtol, self.atol = model, float(order), float(rtol), float(atol)
        self.energy_rtol = float(energy_rtol)
        self.energy = energy_applies(model) and model.beta <= MAX_EXP_ARG["float64"]
        self.clear()

    def clear(self) -> None:
        """Forget the run (a new start)."""
        self.last_energy: float | None = None
        self.worst = 0.0                    # the largest normalised error estimate seen
        self.last_error = np.nan            # the estimate of the last check
        self.dt_ok: float | None = None     # the smallest dt the checks asked for
        self.failures = 0                   # checks failed
        self.first: str | None = None       # what the first failed check found

    def check(self, t: float, dt: float, x0: np.ndarray, x_full: np.ndarray, x_halves: np.ndarray) -> str | None:
        """Check the step x0 -> x_full of size dt at time t (x_halves: the same step as two halves)."""
        from .adaptive import WATCH_SAFETY, error_norm, suggest_dt

        p = self.order
        err = (x_full - x_halves) * (2.0**p / (2.0**p - 1.0))
        e = error_norm(err, x0, x_full, self.rtol, self.atol)
        self.worst = max(self.worst, e)
        self.last_error = e
        why = None
        if e > 1.0:
            why = (f"the local error estimate of the step at t = {t:.4g} is {e:.3g} times the tolerance "
                   f"(rtol = {self.rtol:g}, atol = {self.atol:g})")
        if self.energy:
            e0, e1 = observables.energy(x0, self.model.beta), observables.energy(x_full, self.model.beta)
            tol = self.energy_rtol * abs(e0) + 1e-300
            before = self.last_energy
            self.last_energy = e1
            if why is None and (e0 - e1 > tol or (before is not None and before - e0 > tol)):
                drop = max(e0 - e1, (before or e0) - e0) / abs(e0)
                why = (f"E_beta decreased near t = {t:.4g} (relative drop {drop:.2e}), but it never decreases "
                       f"along this gradient flow")
        if why is None:
            return None
        dt_new = suggest_dt(dt, e, p, WATCH_SAFETY) if e > 1.0 else dt / 2.0
        self.dt_ok = dt_new if self.dt_ok is None else min(self.dt_ok, dt_new)
        self.failures += 1
        self.first = self.first or why
        more = f" ({self.failures} checks failed)" if self.failures > 1 else ""
        return (f"{self.first}{more}: the step dt = {dt:g} is too large; use dt <= {self.dt_ok:.3g} or the adaptive "
                f"method='dopri5'")
