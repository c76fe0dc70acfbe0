"""Runs report what happened (docs/solver.md): Simulation.status / .message, Trajectory.status, the
InaccurateWarning of a fixed-step run that fails its self-check (naming a dt that does pass it), on_failure,
max_steps, and the refusal of USA runs no explicit solver can finish. The issue's example: USA, beta = 5, 32 tokens,
Euler, dt = 0.1 up to t = 20 lowered E_beta in 89 of 200 steps and returned as if nothing happened."""

import re
import warnings

import numpy as np
import pytest

import mftx_widgets as mw
from mftx_widgets.config import ENERGY_RTOL
from mftx_widgets.dynamics.adaptive import WATCH_EVERY
from mftx_widgets.errors import InaccurateWarning, ParameterError, SimulationError

from .test_adaptive import GLOBAL_FACTOR, tight_reference

USA5 = mw.Attention(beta=5.0, kind="USA")


def _x0():
    return mw.initial.uniform(32, 3, seed=0)


def _energy_drops(traj) -> int:
    e = np.array([mw.observables.energy(x, traj.model.beta) for x in traj.x])
    return int(np.sum(-np.diff(e) > ENERGY_RTOL * np.abs(e[:-1])))


def _named_dt(message: str) -> float:
    return float(re.search(r"use dt <= ([0-9.eE+-]+)", message).group(1))


def test_the_issue_example_is_reported_with_a_dt_that_would_do():
    with pytest.warns(InaccurateWarning, match=r"dt = 0.1 is too large; use dt <= "):
        bad = mw.simulate(USA5, _x0(), t_max=20.0, dt=0.1, method="euler")
    assert bad.status == "inaccurate" and not bad.success and bad.message
    assert _energy_drops(bad) > 50                       # the check is not vacuous: the run is garbage
    assert bad.max_error > 1.0 and bad.n_rejected == 0 and bad.rtol is None
    dt = _named_dt(bad.message)
    assert dt < 2.0 / (2.0 * np.exp(5.0))                # below Euler's stability bound 2 / rate, rate = 2 e^5
    with warnings.catch_warnings():
        warnings.simplefilter("error", InaccurateWarning)
        good = mw.simulate(USA5, _x0(), t_max=20.0, dt=dt, method="euler", save_every=100)
    assert good.status == "finished" and good.message == "" and _energy_drops(good) == 0


def test_the_default_adaptive_run_of_the_issue_example_is_right():
    with warnings.catch_warnings():
        warnings.simplefilter("error", InaccurateWarning)
        tr = mw.simulate(USA5, _x0(), t_max=20.0, dt=0.1)
    assert tr.method == "dopri5" and tr.status == "finished" and tr.success and tr.max_error <= 1.0
    assert _energy_drops(tr) == 0
    ref = tight_reference(USA5, _x0(), tr.t)
    assert np.abs(tr.x - ref).max() <= GLOBAL_FACTOR * tr.rtol


def test_simulation_status_running_inaccurate_failed_and_reset():
    sim = mw.Simulation(USA5, _x0(), dt=0.1, method="euler")
    assert sim.status == "running" and sim.message == ""
    sim.step(WATCH_EVERY - 1)
    assert sim.status == "running"                       # not checked yet
    sim.step(1)
    assert sim.status == "inaccurate" and "use dt <= " in sim.message
    sim.reset()
    assert sim.status == "running" and sim.message == ""
    rk4 = mw.Simulation(mw.Attention(beta=3.0, kind="USA"), mw.initial.uniform(8, 3, seed=0), dt=50.0, method="rk4")
    with pytest.raises(SimulationError, match="lower dt") as exc:
        rk4.step(1)
    assert rk4.status == "failed" and rk4.message == str(exc.value) and np.all(np.isfinite(rk4.x))


def test_a_fine_fixed_step_run_passes_its_checks():
    with warnings.catch_warnings():
        warnings.simplefilter("error", InaccurateWarning)
        tr = mw.simulate(mw.Attention(beta=4.0), mw.initial.uniform(40, 3, seed=1), t_max=5.0, dt=0.05, method="rk4")
    assert tr.status == "finished" and 0 < tr.max_error <= 1.0
    # nfev: 4 per step, plus two half steps at every check
    assert tr.nfev == 4 * 100 + 2 * 4 * (100 // WATCH_EVERY)


def test_on_failure_raise_or_return_the_partial_trajectory():
    model, x0 = mw.Attention(beta=3.0, kind="USA"), mw.initial.uniform(8, 3, seed=0)
    with pytest.raises(SimulationError, match="non-finite"):
        mw.simulate(model, x0, t_max=200.0, dt=50.0, method="rk4")
    tr = mw.simulate(model, x0, t_max=200.0, dt=50.0, method="rk4", on_failure="return")
    assert tr.status == "failed" and "non-finite" in tr.message and tr.t[-1] < 200.0
    assert np.all(np.isfinite(tr.x)) and len(tr.t) == len(tr.x)
    with pytest.raises(ParameterError, match="on_failure"):
        mw.simulate(model, x0, t_max=1.0, on_failure="ignore")


def test_max_steps_bounds_every_run_up_front_or_while_running():
    x0 = mw.initial.uniform(8, 3, seed=0)
    for method in (None, "rk4"):                          # would never end: refused before the first step
        with pytest.raises(ParameterError, match=r"1e\+300 steps, more than max_steps = 1000000"):
            mw.simulate(mw.Attention(), x0, t_max=1e300, dt=1.0, method=method)
    with pytest.raises(ParameterError, match="max_steps"):
        mw.Simulation(mw.Attention(), x0, dt=1.0).advance_to(1e300)
    # an adaptive run that needs more steps than allowed stops at an accepted state
    model = mw.Attention(beta=4.0)
    with pytest.raises(SimulationError, match="max_steps = 5 steps did not reach t = 10"):
        mw.simulate(model, x0, t_max=10.0, dt=10.0, max_steps=5)
    tr = mw.simulate(model, x0, t_max=10.0, dt=10.0, max_steps=5, on_failure="return")
    assert tr.status == "failed" and tr.n_accepted + tr.n_rejected == 5
    assert len(tr.t) == 2 and 0 < tr.t[-1] < 10.0                # x0 and the last accepted state
    ref = tight_reference(model, x0, tr.t)
    assert np.abs(tr.x[-1] - ref[-1]).max() <= GLOBAL_FACTOR * tr.rtol


def test_usa_at_large_beta_is_refused_with_the_reason_and_the_alternatives():
    """USA collapses at rate 2 e^beta (docs/theory.md F13): an explicit solver needs t_max * rate / 3.3 steps.
    Past max_steps simulate refuses up front, naming kind='SA' and the largest t_max that fits; that t_max runs."""
    x0 = mw.initial.uniform(16, 3, seed=1)
    with pytest.raises(ParameterError, match=r"collapses at rate .*kind='SA'.*t_max <= ") as exc:
        mw.simulate(mw.Attention(beta=20.0, kind="USA"), x0, t_max=10.0)
    assert f"{2 * np.exp(20.0):.3g}" in str(exc.value)
    model = mw.Attention(beta=8.0, kind="USA")
    with pytest.raises(ParameterError, match="t_max <= ") as exc:
        mw.simulate(model, x0, t_max=10.0, max_steps=2000)
    t_fit = float(re.search(r"t_max <= ([0-9.eE+-]+)", str(exc.value)).group(1))
    tr = mw.simulate(model, x0, t_max=t_fit, dt=t_fit / 4, max_steps=2000)
    assert tr.status == "finished" and tr.n_accepted + tr.n_rejected <= 2000
    assert mw.simulate(mw.Attention(beta=20.0), x0, t_max=10.0, dt=0.5).status == "finished"   # SA: fine
    with pytest.raises(ValueError, match="beta"):
        mw.Attention(beta=800.0, kind="USA")              # exp overflow: still refused at construction


def test_trajectory_fields_are_frozen():
    tr = mw.simulate(mw.Attention(), mw.initial.uniform(5, 3, seed=0), t_max=0.2, dt=0.1)
    for name in ("status", "nfev", "n_accepted", "max_error", "rtol"):
        with pytest.raises(AttributeError):
            setattr(tr, name, None)
