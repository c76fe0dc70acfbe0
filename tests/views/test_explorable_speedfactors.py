"""Lesson 06's SpeedFactors explorable, headless: controls restart the run, the readout's measured speed
factor 1/s matches the survey's s_i computed here from the state (and the equiangular ODE), the task ends."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from helpers import run_async

from mftx_widgets.views.explorables.speedfactors import SpeedFactors


def _attn(u: np.ndarray, beta: float) -> np.ndarray:
    """SA output A_i = sum_j softmax_j(beta <u_i, u_j>) u_j, written out."""
    w = np.exp(beta * (u @ u.T - 1.0))
    return (w / w.sum(axis=1, keepdims=True)) @ u


@pytest.mark.parametrize("scheme", ["Post-LN", "Pre-LN", "Peri-LN", "Mix-LN", "nGPT"])
def test_readout_speed_matches_state_and_ode(scheme):
    ex = SpeedFactors(scheme="Post-LN", beta=2.0, n=8)
    try:
        ex.scheme.value = scheme
        assert ex.player.sim.t == 0.0
        ex.player.step(30)                                          # t = 1.5 (Mix-LN has switched at t = 1)
        z = np.asarray(ex.player.sim.x, dtype=float)
        r = np.linalg.norm(z, axis=1)
        q = np.linalg.norm(_attn(z / r[:, None], 2.0), axis=1)
        s_i = {"Post-LN": np.ones(8), "Pre-LN": r, "Peri-LN": r * q, "Mix-LN": r, "nGPT": q / 1.0}[scheme]
        st = ex.stats()
        assert st["t"] == pytest.approx(1.5)
        assert st["speed"] == pytest.approx(np.mean(1.0 / s_i), rel=1e-10)
        assert st["speed"] == pytest.approx(st["speed_ode"], rel=1e-5)     # equiangular particles follow the ODE
        assert st["one_minus_rho"] == pytest.approx(st["one_minus_rho_ode"], rel=1e-4)
        assert f"{st['speed']:.4f}" in ex.readout.value
        if scheme in ("Pre-LN", "Mix-LN"):
            assert st["speed"] < 1.0                                # the residual has grown
    finally:
        ex.close()


def test_controls_restart():
    ex = SpeedFactors(n=10)
    try:
        assert len([ex.scheme, ex.beta, ex.n, ex.play_button]) == 4
        ex.player.step(4)
        ex.n.value = 5
        assert ex.player.sim.x.shape == (5, 5) and ex.player.sim.t == 0.0
        ex.beta.value = 4.0
        assert ex.player.sim.model.beta == 4.0
    finally:
        ex.close()


def test_play_task_ends_on_close():
    async def scenario():
        ex = SpeedFactors(scheme="Pre-LN", n=6)
        ex.play_button.value = True
        await asyncio.sleep(0.5)
        task = ex.player.loop.task
        alive = task is not None and not task.done() and ex.player.sim.t > 0
        ex.close()
        await asyncio.sleep(0.1)
        return alive, task.done()

    assert run_async(scenario()) == (True, True)
