"""Lesson 07's SelfWeight explorable, headless: controls restart the run, the readout matches an independent
computation (the softmax written out here; the prediction by quadrature of the law of <x, y>), the task ends."""

from __future__ import annotations

import asyncio
import math

import numpy as np
import pytest
from helpers import run_async
from scipy.integrate import quad

from mftx_widgets.errors import ParameterError
from mftx_widgets.views.explorables.selfweight import SelfWeight, predicted_self_weight


def _mgf_quad(beta: float, d: int) -> float:
    """E e^{beta (<x,y> - 1)}, x, y iid uniform on S^{d-1}: density of u proportional to (1 - u^2)^{(d-3)/2}."""
    k = (d - 3) / 2.0
    num = quad(lambda u: math.exp(beta * (u - 1)) * (1 - u * u) ** k, -1, 1, limit=200)[0]
    return num / quad(lambda u: (1 - u * u) ** k, -1, 1, limit=200)[0]


@pytest.mark.parametrize("gamma, n, d", [(1.5, 400, 64), (1.5, 400, 3), (1.0, 1000, 64), (3.0, 50, 16)])
def test_prediction_matches_quadrature(gamma, n, d):
    beta = gamma * math.log(n)
    want = 1.0 / (1.0 + (n - 1) * _mgf_quad(beta, d))
    assert predicted_self_weight(gamma, n, d) == pytest.approx(want, rel=1e-8)


def test_d3_prediction_is_sinh_form():
    beta = 1.5 * math.log(400)
    want = 1.0 / (1.0 + 399 * math.exp(-beta) * math.sinh(beta) / beta)
    assert predicted_self_weight(1.5, 400, 3) == pytest.approx(want, rel=1e-10)


def test_bad_input_names_the_parameter():
    with pytest.raises(ParameterError, match="gamma"):
        predicted_self_weight(0.0, 10, 3)
    with pytest.raises(ParameterError, match="n"):
        predicted_self_weight(1.0, 1, 3)


def test_readout_matches_independent_softmax_and_controls_restart():
    ex = SelfWeight(gamma=1.5, n=200, d=64)
    try:
        assert len([c for c in (ex.gamma, ex.n, ex.d, ex.play_button)]) == 4
        x = np.asarray(ex.player.sim.x)
        beta = 1.5 * math.log(200)
        g = x @ x.T
        a = np.array([1.0 / np.sum(np.exp(beta * (g[i] - 1.0))) for i in range(200)])   # e^beta / sum_j e^{beta g}
        s = ex.stats()
        assert s["self_weight"] == pytest.approx(a.mean(), rel=1e-12)
        assert s["self_weight"] == pytest.approx(s["predicted"], abs=0.03)      # LLN at n = 200
        assert "self-weight" in ex.readout.value and f"{s['self_weight']:.3f}" in ex.readout.value
        ex.d.value = 3                                                           # restart in d = 3
        assert ex.player.sim.x.shape == (200, 3) and ex.player.sim.t == 0.0
        assert ex.stats()["self_weight"] < 0.1
        ex.n.value = 100
        ex.gamma.value = 1.0
        assert ex.player.sim.x.shape == (100, 3)
        assert ex.player.sim.model.beta == pytest.approx(math.log(100))
        ex.player.step(5)                                                        # the run moves, readout follows
        assert ex.stats()["t"] > 0 and ex.stats()["moved_deg"] > 0
    finally:
        ex.close()


def test_play_task_ends_on_close():
    async def scenario():
        ex = SelfWeight(gamma=1.0, n=100, d=16)
        ex.play_button.value = True
        await asyncio.sleep(0.5)
        task = ex.player.loop.task
        alive = task is not None and not task.done() and ex.player.sim.t > 0
        ex.close()
        await asyncio.sleep(0.1)
        return alive, task.done()

    assert run_async(scenario()) == (True, True)
