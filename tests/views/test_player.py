"""The Player and its parts headless: the step budget, the frame loop, pacing by speed, plot throttling,
time travel."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

import mftx_widgets as mw
from mftx_widgets.dynamics import Simulation
from mftx_widgets.views import FrameLoop, Player, StepBudget


def test_step_budget_fits_frame():
    b = StepBudget(fps=20, fill=0.5)
    assert b.steps(10) == 1                       # no estimate yet: one step
    b.record(4, 0.04)                             # 10 ms per step, budget 25 ms per frame
    assert b.steps(10) == 2 and b.steps(1) == 1 and b.steps(0) == 0
    b.record(1, 1.0)                              # a very slow step: still at least one per frame
    assert b.steps(10) == 1
    with pytest.raises(ValueError, match="fps"):
        StepBudget(fps=0)


def _sim(n: int = 10, dt: float = 0.05) -> Simulation:
    return Simulation(mw.Attention(beta=1.0), mw.initial.uniform(n, 3, seed=0), dt=dt)


def test_player_paces_by_speed_within_the_budget():
    p = Player(_sim(), fps=20, speed=3 * 20 * 0.05)     # 3 steps of dt per frame
    _sim().step(2)                                       # warm the kernels: the first call is not a step's cost
    p.budget.cost = 1e-6                                 # a measured fast solver (10 tokens): 3 steps fit a frame
    p.playing = True
    seen = []
    for _ in range(4):
        p.frame()
        seen.append(p.steps)
    assert seen == [3, 6, 9, 12] and p.frame_steps == 3 and p.sim.t == pytest.approx(0.6)
    p.budget.fill = 1e-12                                # a slow solver: one step per frame, the debt is dropped
    p.frame()
    p.frame()
    assert p.steps == 14 and p._debt == 0.0
    p.budget.fill, p.speed = 0.5, 0.5 * 20 * 0.05        # half a step per frame: a step every other frame
    for _ in range(4):
        p.frame()
    assert p.steps == 16


def test_plots_are_throttled_and_observables_recorded():
    p = Player(_sim(), fps=20, plot_interval=60.0)
    plots = []
    p.plot = lambda: plots.append(p.sim.t)
    p.playing = True
    for _ in range(10):
        p.frame()
    assert len(plots) == 1                               # the first frame plots, then not before 60 s
    assert len(p.history) == 10 and p.history.steps[-1] == 10
    p.step(2)                                            # a step always redraws
    assert len(plots) == 2 and plots[-1] == pytest.approx(0.6)


def test_time_travel_and_reset_to_the_true_start():
    sim = _sim()
    x0 = sim.x.copy()
    p = Player(sim, fps=20)
    p.playing = True
    for _ in range(40):
        p.frame()
    assert p.goto(1.0) and not p.playing
    ts, steps, x = p.history.snapshot_at(1.0)
    assert 0.5 <= p.sim.t == ts <= 1.0 + 1e-12 and p.steps == steps
    np.testing.assert_array_equal(p.sim.x, x)
    assert p.history.t.max() <= ts + 1e-12
    p.reset()                                            # back to t = 0 and x0, not to the time travelled to
    assert p.sim.t == 0.0 and p.steps == 0 and len(p.history) == 1
    np.testing.assert_array_equal(p.sim.x, x0)
    p.load(_sim(n=7))
    assert p.sim.n == 7 and p.steps == 0 and len(p.history) == 0


def test_solver_failure_pauses_and_reports():
    errors = []
    # fixed RK4 steps of 50 on a rate of 2 e^3 ~ 40 blow up (the default adaptive solver would not: see below)
    p = Player(Simulation(mw.Attention(beta=3.0, kind="USA"), mw.initial.uniform(8, 3, seed=0), dt=50.0,
                          method="rk4"), fps=20)
    p.on_error = errors.append
    p.playing = True
    p.frame()
    assert not p.playing and len(errors) == 1 and "lower dt" in str(errors[0]) and p.steps == 0


def test_frame_loop_restarts_after_a_stop_in_the_same_tick():
    async def scenario():
        loop = FrameLoop(lambda: None, fps=50)
        loop.start()
        first = loop.task
        loop.stop()
        loop.start()                                     # before the cancelled task has ended
        second = loop.task
        await asyncio.sleep(0.1)
        ok = second is not first and first.done() and not second.done() and loop.frames > 0
        loop.stop()
        await asyncio.sleep(0.05)
        return ok and second.done() and not loop.running

    assert asyncio.run(scenario())


def test_error_controlled_frames_show_only_accepted_states_and_catch_up():
    """USA, beta = 3 (rate 2 e^3 ~ 40) played with a quantum dt = 2 and one substep per frame: each frame ends on
    an accepted state short of the target (steps stays 0 until t = 2 is reached), E_beta never decreases from
    frame to frame (docs/theory.md F12: it would if an unaccepted, overshooting state were shown), and the state
    at t = 2 matches a tight-tolerance reference to the solver's tolerance."""
    model, x0 = mw.Attention(beta=3.0, kind="USA"), mw.initial.uniform(12, 3, seed=3)
    sim = Simulation(model, x0, dt=2.0)
    assert sim.adaptive and sim.method == "dopri5"
    p = Player(sim, fps=20, speed=20 * 2.0, record=False)             # one quantum of dt per frame
    p.budget.fill = 1e-12                                               # the budget fits one substep only
    p._substep_cost = 1.0
    p.playing = True
    ts, energies = [], []
    while p.steps == 0:
        p.frame()
        ts.append(p.sim.t)
        energies.append(mw.observables.energy(p.sim.x, 3.0))
        assert np.max(np.abs(np.linalg.norm(p.sim.x, axis=1) - 1)) <= 1e-12
        assert len(ts) < 10_000
    # many frames to reach the first quantum; a frame whose one substep was rejected shows the same state again
    assert len(ts) > 10 and ts[-1] == 2.0 and np.all(np.diff(ts) >= 0) and p.sim.stats.rejected > 0
    assert np.all(np.diff(energies) >= -1e-12 * np.abs(energies[:-1]))
    ref = mw.simulate(model, x0, t_max=2.0, dt=2.0, rtol=1e-12, atol=1e-14).x[-1]
    assert np.abs(p.sim.x - ref).max() <= 10 * sim.rtol


def test_step_of_an_error_controlled_simulation_is_bitwise_reproducible():
    """Simulation.step(k) lands on every point of the dt grid, so however a Player chunks its frames, copy-code's
    sim.step(steps) recreates the state exactly."""
    model, x0 = mw.Attention(beta=2.0), mw.initial.uniform(10, 3, seed=1)
    p = Player(Simulation(model, x0, dt=0.1), fps=20, speed=20 * 0.3)
    p.budget.cost = 1e-6
    p.playing = True
    for _ in range(3):
        p.frame()
    assert p.steps == 9
    np.testing.assert_array_equal(p.sim.x, Simulation(model, x0, dt=0.1).step(9).x)


def test_a_stiff_run_stays_live_and_says_why_it_barely_moves():
    """USA at beta = 30 (rate 2 e^30 ~ 2e13): frames stay within their budget, show accepted states only, and
    sim.message says why t barely moves and what to use instead."""
    model = mw.Attention(beta=30.0, kind="USA")
    p = Player(Simulation(model, mw.initial.uniform(10, 3, seed=0), dt=0.05), fps=20, record=False)
    p._substep_cost = p.budget.budget / 50                # 50 substeps per frame
    p.playing = True
    for _ in range(5):
        p.frame()
    assert p.playing and p.steps == 0 and 0 < p.sim.t < 1e-6 and p.sim.status == "running"
    assert "stiff" in p.sim.message and "kind='SA'" in p.sim.message
    assert np.max(np.abs(np.linalg.norm(p.sim.x, axis=1) - 1)) <= 1e-12
