"""Lesson 2's explorable, headless: the controls change the state, the readout matches an independent
computation (the order parameter from the tokens; the stationary root from scipy's Bessel functions), the noisy
run settles at the F17 value, and the frame task ends on close."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from helpers import run_async
from scipy import optimize, special

from mftx_widgets.errors import ParameterError
from mftx_widgets.views.explorables.kuramoto import KuramotoExplorable, kuramoto


def bessel_root(kappa: float) -> float:
    """Independent root of r = I_1(kappa r) / I_0(kappa r) on (0, 1] (scipy brentq on the unscaled form)."""
    return optimize.brentq(lambda r: special.i1(kappa * r) / special.i0(kappa * r) - r, 1e-6, 1.0, xtol=1e-12)


def test_controls_change_the_state_and_the_readout_is_independent():
    e = kuramoto(n=200, kappa=4.0, seed=1)
    assert len(e.children) == 4                                                # 2 control rows, canvas, readout
    assert e.sim.n == 200 and e.sim.model.noise == pytest.approx(0.25) and e.sim.model.beta == 0.0
    e.step(20)
    m = e.sim.x.mean(axis=0)
    assert e.r == pytest.approx(np.hypot(*m), abs=1e-12)
    assert e.prediction == pytest.approx(bessel_root(4.0), abs=1e-9)
    assert e.prediction == pytest.approx(0.8315, abs=1e-4)                     # docs/theory.md F17
    assert f"{e.r:.3f}" in e.readout.value and f"{bessel_root(4.0):.3f}" in e.readout.value
    np.testing.assert_allclose(e.l_arrow.get_xydata()[1], m, atol=1e-12)       # the arrow is m
    t0, x0 = e.sim.t, e.sim.x.copy()
    e.kappa_slider.value = 1.5                                                 # model changes, tokens kept
    assert e.sim.model.noise == pytest.approx(1 / 1.5) and e.sim.t == t0
    np.testing.assert_array_equal(e.sim.x, x0)
    assert e.prediction == 0.0 and "0.000" in e.readout.value
    e.beta_slider.value = 2.0
    assert e.sim.model.beta == 2.0 and "β = 0" in e.readout.value              # the prediction is labelled
    e.n_slider.value = 120                                                     # a new start
    assert e.sim.n == 120 and e.sim.t == 0.0 and len(e.r_history[0]) == 1
    with pytest.raises(ParameterError, match="k must be"):
        e.step(-1)
    e.close()


@pytest.mark.parametrize("kappa, lo, hi", [(4.0, None, None), (1.5, 0.0, 0.15)])
def test_noisy_run_settles_at_the_stationary_order_parameter(kappa, lo, hi):
    # F17: r(4) = 0.8315 (+-0.03 at n = 500 over a long average); below kappa = 2 only the finite-n size
    # 1/sqrt(n (1 - kappa/2)) = 0.089 remains. Start: one half-circle above the pitchfork (short burn-in).
    e = KuramotoExplorable(n=500, kappa=kappa, seed=3)
    if kappa > 2:
        theta = np.linspace(-np.pi / 2, np.pi / 2, 500)
        e.player.load(e._new_sim(np.column_stack([np.cos(theta), np.sin(theta)])), e.player.speed)
        e._restart_series()
    e.step(800)                                                                # t = 40, average over [10, 40]
    if kappa > 2:
        assert abs(e.r_average - bessel_root(kappa)) <= 0.03
    else:
        assert lo <= e.r_average <= hi
    e.close()


def test_play_runs_frames_and_close_ends_the_task():
    async def scenario():
        e = kuramoto(n=100, kappa=3.0)
        e.play_button.value = True
        await asyncio.sleep(0.4)
        task = e.player.loop.task
        assert e.player.playing and e.sim.t > 0 and e.play_button.description == "Pause"
        e.play_button.value = False
        assert not e.player.playing
        e.play_button.value = True
        await asyncio.sleep(0.1)
        e.close()
        await asyncio.sleep(0.1)
        return task.done() and e.player.loop.task.done() and not e.player.loop.running

    assert run_async(scenario())
