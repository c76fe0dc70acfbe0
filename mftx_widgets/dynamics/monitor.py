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
