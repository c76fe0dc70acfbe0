"""simulate(): a whole run from t = 0 to t_max, saved on a grid, as a Trajectory that says what the solver did."""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..config import DEFAULT_DT
from ..errors import InaccurateWarning, ParameterError, SimulationError
from . import _validate as v
from .adaptive import DEFAULT_ATOL, DEFAULT_RTOL, MAX_STEPS
from .integrate import Simulation, stiffness_rate
from .models import Attention
from .results import Trajectory

ON_FAILURE = ("raise", "return")


def _round_down(x: float, digits: int = 3) -> float:
    """x rounded down to `digits` significant digits (a bound that still holds when printed)."""
    q = 10.0 ** (math.floor(math.log10(x)) - digits + 1)
    return math.floor(x / q) * q


def check_budget(model: Attention, t_max: float, sim: Simulation, max_steps: int) -> None:
    """Refuse (ParameterError) a run that cannot fit max_steps: t_max / dt quanta for every method, and for the
    adaptive ones t_max * rate / stability steps when the stiffness rate is known (USA: 2 e^{beta |Q||K|})."""
    quanta = t_max / sim.dt
    if quanta > max_steps:
        raise ParameterError(f"t_max = {t_max:g} with dt = {sim.dt:g} takes {quanta:.3g} steps, more than "
                             f"max_steps = {max_steps}: raise dt, lower t_max, or raise max_steps")
    if sim.adaptive and model.kind == "USA":
        rate = stiffness_rate(model)
        need = t_max * rate / sim.stepper.stability
        if need > max_steps:
            t_fit = _round_down(max_steps * sim.stepper.stability / rate)
            raise ParameterError(
                f"USA at beta = {model.beta:g} collapses at rate 2 e^(beta |Q||K|) |V| = {rate:.3g}: an explicit "
                f"solver needs about {need:.3g} steps to reach t_max = {t_max:g}, more than max_steps = "
                f"{max_steps}. Use kind='SA' (the same clusters at rate 2), or t_max <= {t_fit:g}, or raise "
                f"max_steps")


def _progress_bar(total: int):
    """A tqdm.auto bar over `total` saved frames (the first, t = 0, already counted)."""
    try:
        from tqdm.auto import tqdm
    except ImportError as e:
        raise ParameterError("progress=True needs tqdm: pip install tqdm (or mftx_widgets[scale])") from e
    return tqdm(total=total, initial=1, unit="frame", desc="simulate", leave=True)


def simulate(model: Attention, x0, t_max: float, dt: float = DEFAULT_DT, save_every: int = 1,
             method: str | None = None, seed: int | None = 0, rtol: float = DEFAULT_RTOL,
             atol: float = DEFAULT_ATOL, max_steps: int = MAX_STEPS, on_failure: str = "raise",
             progress: bool = False) -> Trajectory:
    """Integrate from t = 0 to t_max; save at t_k = k save_every dt (k = 0, 1, ...) and at t_max, exactly.

    method None: adaptive Dormand-Prince 5(4) ("dopri5") with local error <= rtol, atol per step (steps of at most
    dt), or Euler-Maruyama with steps dt when model.noise > 0; "rk4", "euler", "em", "bs3" by name.
    max_steps: bound on all the steps of the run (ParameterError up front when it cannot fit, see check_budget).
    on_failure: "raise" (SimulationError when the state becomes non-finite or the error cannot be controlled) or
    "return" (the trajectory up to the last good state, status 'failed', the reason in .message).
    A fixed-step run that fails its self-check (docs/solver.md) returns with status 'inaccurate' and issues an
    errors.InaccurateWarning naming a dt that would do. Returns a Trajectory: t (T,), x (T, n, d) and what the
    solver did (status, message, nfev, n_accepted, n_rejected, max_error, rtol, atol).
    progress: show a tqdm bar (tqdm.auto: a widget in a notebook, text on stderr elsewhere) counting saved frames;
    off by default, so scripts print nothing.
    """
    t_max = v.real("t_max", t_max, low=0.0)
    save_every = v.integer("save_every", save_every, low=1)
    max_steps = v.integer("max_steps", max_steps, low=1)
    if on_failure not in ON_FAILURE:
        raise ParameterError(f"on_failure must be one of {list(ON_FAILURE)}, got {on_failure!r}")
    sim = Simulation(model, x0, dt=dt, method=method, seed=seed, rtol=rtol, atol=atol, max_steps=max_steps)
    check_budget(model, t_max, sim, max_steps)
    n_full = int(math.floor(t_max / sim.dt + 1e-9))
    ts, xs = [0.0], [sim.x.copy()]
    used = 0
    tail = t_max - n_full * sim.dt > 1e-12 * max(1.0, t_max)
    bar = _progress_bar(1 + -(-n_full // save_every) + int(tail)) if progress else None

    def left() -> int:
        return max(1, max_steps - used)

    try:
        done = 0
        while done < n_full:
            k = min(save_every, n_full - done)
            before = sim.stats.accepted + sim.stats.rejected
            sim.step(k, max_steps=left())
            used += sim.stats.accepted + sim.stats.rejected - before
            done += k
            ts.append(sim.t)
            xs.append(sim.x.copy())
            if bar is not None:
                bar.update(1)
        if t_max - sim.t > 1e-12 * max(1.0, t_max):
            sim.advance_to(t_max, max_steps=left())
            ts.append(sim.t)
            xs.append(sim.x.copy())
            if bar is not None:
                bar.update(1)
    except SimulationError:
        if on_failure == "raise":
            raise
        if sim.t > ts[-1]:                 # the last accepted state, short of the next save time
            ts.append(sim.t)
            xs.append(sim.x.copy())
    finally:
        if bar is not None:
            bar.close()
    if sim.status == "running":
        sim.status = "finished"
    if sim.status == "inaccurate":
        warnings.warn(sim.message, InaccurateWarning, stacklevel=2)
    st = sim.stats
    return Trajectory(t=np.asarray(ts), x=np.stack(xs), model=model, dt=sim.dt, method=sim.method, seed=seed,
                      status=sim.status, message=sim.message, nfev=st.nfev, n_accepted=st.accepted,
                      n_rejected=st.rejected, max_error=st.max_error,
                      rtol=sim.rtol if sim.adaptive else None, atol=sim.atol if sim.adaptive else None)
