"""Error control for the embedded Runge-Kutta pairs (steppers.DOPRI5, steppers.BS3), the way scipy's solve_ivp does it.

    error norm    RMS over all entries of err / (atol + rtol max(|x|, |x_new|))      (accept when <= 1)
    controller    h_new = h min(MAX_FACTOR, max(MIN_FACTOR, SAFETY err_norm^(-1 / (error_order + 1))))
                  (no growth right after a rejection)
    first step    select_initial_step: Hairer, Norsett & Wanner, Solving ODEs I, II.4 (scipy's select_initial_step)

After an accepted step the caller's `retract` maps the state back to its manifold (the unit sphere for Post-LN and
nGPT). The driver never steps past t_end: the last step is shortened to land on it exactly (save times are exact,
no interpolation). docs/solver.md explains the whole decision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .steppers import RHS, EmbeddedRK

#: default relative and absolute tolerances of the adaptive methods (per step, on every coordinate).
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-9
#: default bound on the steps (accepted + rejected; fixed steps for the fixed-step methods) of one run.
MAX_STEPS = 1_000_000
#: the step-size controller: safety factor and bounds on the change of h per step.
SAFETY, MIN_FACTOR, MAX_FACTOR = 0.9, 0.2, 10.0
#: fixed-step runs check themselves every WATCH_EVERY steps (a step-doubling local error estimate, and the energy
#: for the gradient flows) ...
WATCH_EVERY = 16
#: ... against these tolerances (per step; looser than the adaptive defaults: a fixed-step run is flagged when its
#: step is too large to trust, not when it is less accurate than dopri5 would be; atol = rtol: token coordinates
#: are O(1), so an error of 1e-3 counts the same on a coordinate near 0).
WATCH_RTOL, WATCH_ATOL = 1e-3, 1e-3
#: the dt a failed check names is WATCH_SAFETY dt err^(-1/(order + 1)): a margin for the states the checks of a
#: too-coarse run never saw (the start of the run is usually the fastest part).
WATCH_SAFETY = 0.5


def error_norm(err: np.ndarray, x: np.ndarray, x_new: np.ndarray, rtol: float, atol: float) -> float:
    """RMS of err / (atol + rtol max(|x|, |x_new|)) over all entries; inf if anything is not finite."""
    with np.errstate(over="ignore", invalid="ignore"):
        scale = np.maximum(np.abs(x), np.abs(x_new))
        scale *= rtol
        scale += atol
        r = float(np.sqrt(np.mean(np.square(err / scale))))
    return r if np.isfinite(r) else np.inf


def suggest_dt(dt: float, err: float, order: float, safety: float = SAFETY) -> float:
    """The step that would bring a normalised local error `err` of a method of this order below one: dt_new =
    safety dt err^(-1/(order + 1)) (the local error of an order-p method scales as dt^(p + 1))."""
    if not np.isfinite(err) or err <= 0:
        return MIN_FACTOR * dt if not np.isfinite(err) else dt
    return safety * dt * err ** (-1.0 / (order + 1.0))


def select_initial_step(f: RHS, x: np.ndarray, t: float, f0: np.ndarray, order: int, rtol: float,
                        atol: float, span: float) -> float:
    """A first step size from the scale of x, f(x) and a finite-difference estimate of f' (one f evaluation).

    span: t_end - t (the step never exceeds it). Returns h > 0.
    """
    scale = atol + np.abs(x) * rtol
    d0 = float(np.sqrt(np.mean(np.square(x / scale))))
    d1 = float(np.sqrt(np.mean(np.square(f0 / scale))))
    h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    h0 = min(h0, span)
    x1 = x + h0 * f0
    f1 = f(x1, t + h0, np.empty_like(x))
    d2 = float(np.sqrt(np.mean(np.square((f1 - f0) / scale)))) / h0
    if not np.isfinite(d2):
        return h0 * MIN_FACTOR
    if d1 <= 1e-15 and d2 <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** (1.0 / (order + 1))
    return min(100 * h0, h1, span)


@dataclass
class Stats:
    """What the solver did: f evaluations, accepted and rejected steps, the largest normalised local error
    estimate of an accepted step (<= 1 under error control; nan when nothing was estimated)."""

    nfev: int = 0
    accepted: int = 0
    rejected: int = 0
    max_error: float = np.nan

    def error(self, e: float) -> None:
        """Record the normalised error estimate of an accepted step (the first one replaces the initial nan)."""
        if np.isnan(self.max_error) or e > self.max_error:
            self.max_error = e


class Controller:
    """Drives one embedded pair with error control; keeps the proposed step h and f(x) (FSAL) between calls.

    Call invalidate() whenever the state or the field changes behind its back (a reset, the Mix-LN switch).
    """

    def __init__(self, stepper: EmbeddedRK, rtol: float, atol: float) -> None:
        self.stepper, self.rtol, self.atol = stepper, float(rtol), float(atol)
        self.h: float | None = None                     # the next step size to try
        self._k1: np.ndarray | None = None              # f(x, t) of the current state, when _k1_valid
        self._k1_valid = False
        self.last_h = np.nan                             # the size of the last accepted step

    def invalidate(self) -> None:
        """Forget f(x) (the state or the field changed); the proposed h is kept."""
        self._k1_valid = False

    def advance(self, f: RHS, x: np.ndarray, t: float, t_end: float, retract: Callable[[np.ndarray], None],
                attempts: int, stats: Stats) -> tuple[float, str | None]:
        """Step x (in place) from t towards t_end with at most `attempts` trial steps.

        Returns (t reached, why it stopped short or None): "budget" (attempts used up), "small" (the step
        size fell below the resolution of t: the error cannot be controlled), "nonfinite" (f(x) itself is
        not finite). Only accepted states are ever written to x.
        """
        st = self.stepper
        exponent = -1.0 / (st.error_order + 1.0)
        rejected_here = False
        while t < t_end:
            if attempts <= 0:
                return t, "budget"
            if self._k1 is None or self._k1.shape != x.shape or self._k1.dtype != x.dtype:
                self._k1, self._k1_valid = np.empty_like(x), False
            if not self._k1_valid:
                with np.errstate(all="ignore"):
                    r = f(x, t, self._k1)
                if r is not self._k1:
                    self._k1[...] = r
                stats.nfev += 1
                if not np.all(np.isfinite(self._k1)):
                    return t, "nonfinite"
                self._k1_valid = True
            if self.h is None or not np.isfinite(self.h) or self.h <= 0:
                with np.errstate(all="ignore"):
                    self.h = select_initial_step(f, x, t, self._k1, st.error_order, self.rtol, self.atol,
                                                 t_end - t)
                stats.nfev += 1
            min_step = 10.0 * abs(np.nextafter(t, np.inf) - t)
            if self.h < min_step:
                return t, "small"
            h = self.h
            t_new = t + h
            clipped = t_new >= t_end or t_end - t_new < min_step
            if clipped:
                t_new, h = t_end, t_end - t
            with np.errstate(all="ignore"):
                x_new, err, k_last = st.trial(f, x, t, h, self._k1)
            stats.nfev += st.stages
            attempts -= 1
            e = error_norm(err, x, x_new, self.rtol, self.atol) if np.all(np.isfinite(x_new)) else np.inf
            if e <= 1.0:
                factor = MAX_FACTOR if e == 0 else min(MAX_FACTOR, SAFETY * e ** exponent)
                if rejected_here:
                    factor = min(1.0, factor)
                np.copyto(x, x_new)
                retract(x)
                np.copyto(self._k1, k_last)         # FSAL: f at the accepted state (before the retraction,
                self.last_h = h                     # which moves x by O(h^(p+1)))
                t = t_new
                stats.accepted += 1
                stats.error(e)
                # a step shortened to land on t_end does not shrink the step the error allows
                self.h = max(self.h, h * factor) if clipped else h * factor
                rejected_here = False
            else:
                stats.rejected += 1
                self.h = h * max(MIN_FACTOR, SAFETY * e ** exponent if np.isfinite(e) else MIN_FACTOR)
                rejected_here = True
        return t, None
